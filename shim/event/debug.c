/*
 * debug.c - the TCPSHIM_DEBUG lines.
 */
#include "event/debug.h"

#include <unistd.h>

#include "core/conn.h"
#include "core/format.h"
#include "core/names.h"
#include "core/outbuf.h"
#include "event/event.h"
#include "event/log.h"

static const struct {
	unsigned int flag;
	const char *name;
} flag_names[] = {
	{ CONN_ESTABLISHED, "established" }, { CONN_SHUT_WR, "shut_wr" },
	{ CONN_LINGER0, "linger0" },	     { CONN_FAILED, "failed" },
	{ CONN_REPORTED, "reported" },	     { CONN_SHARED, "shared" },
	{ CONN_POLICY, "policy" },	     { CONN_RESET, "reset" },
	{ CONN_DEAD, "dead" },
};

static void state_name(struct outbuf *o, int state)
{
	outbuf_str(o, names_tcp_state(state));
}

/* tcpshim[PID] debug fd=FD call=CALL */
static void start(struct outbuf *o, int fd, const char *call)
{
	outbuf_str(o, "tcpshim[");
	outbuf_u64(o, (uint64_t)getpid());
	outbuf_str(o, "] debug fd=");
	outbuf_i64(o, fd);
	outbuf_str(o, " call=");
	outbuf_str(o, call);
}

static void field(struct outbuf *o, const char *name, int64_t v)
{
	outbuf_char(o, ' ');
	outbuf_str(o, name);
	outbuf_char(o, '=');
	outbuf_i64(o, v);
}

static void error_field(struct outbuf *o, int err)
{
	outbuf_str(o, " err=");
	if (err)
		outbuf_errno(o, err);
	else
		outbuf_char(o, '-');
}

static void finish(struct outbuf *o)
{
	outbuf_char(o, '\n');
	log_debug_line(o->p, o->len);
}

const char *debug_emitted(int emitted)
{
	if (emitted == EVENT_HELD)
		return "held back: counted, not written (TCPSHIM_RATE)";
	if (emitted == EVENT_LOST)
		return "lost: counted, not written (the log's stderr is gone)";
	return emitted ? "logged"
		       : "not logged: neither TCPSHIM_EVENTS nor a callback "
			 "wants it";
}

void debug_verdict(int fd, const char *call, const struct observation *o,
		   struct verdict v, const char *outcome)
{
	char line[FORMAT_LINE_MAX];
	struct outbuf b = { line, 0, sizeof(line) - 1 };
	int any = 0;

	start(&b, fd, call);
	outbuf_str(&b, " state=");
	state_name(&b, o->state);
	error_field(&b, o->err);
	outbuf_str(&b, " flags=");
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(*flag_names); i++)
		if (o->flags & flag_names[i].flag) {
			if (any++)
				outbuf_char(&b, ',');
			outbuf_str(&b, flag_names[i].name);
		}
	if (!any)
		outbuf_char(&b, '-');
	field(&b, "probes", o->probes);
	field(&b, "retransmits", o->retransmits);
	field(&b, "unread", o->unread);
	field(&b, "unacked", o->unacked);
	field(&b, "idle_ms", o->idle_ms);
	outbuf_str(&b, " verdict=");
	if (v.event) {
		outbuf_str(&b, names_kind(v.kind));
		outbuf_char(&b, '/');
		outbuf_str(&b, names_cause(v.cause));
	} else {
		outbuf_char(&b, '-');
	}
	outbuf_str(&b, ": ");
	outbuf_str(&b, outcome);
	finish(&b);
}

void debug_note(int fd, const char *call, int err, const char *why)
{
	char line[FORMAT_LINE_MAX];
	struct outbuf b = { line, 0, sizeof(line) - 1 };

	start(&b, fd, call);
	error_field(&b, err);
	outbuf_str(&b, ": ");
	outbuf_str(&b, why);
	finish(&b);
}

void debug_confirm(const struct tcp_event *ev, int state,
		   const char *outcome)
{
	char line[FORMAT_LINE_MAX];
	struct outbuf b = { line, 0, sizeof(line) - 1 };

	start(&b, ev->fd, ev->call);
	outbuf_str(&b, " confirm=");
	outbuf_str(&b, names_kind(ev->kind));
	outbuf_char(&b, '/');
	outbuf_str(&b, names_cause(ev->cause));
	outbuf_str(&b, " local=");
	outbuf_sockaddr(&b, &ev->local);
	outbuf_str(&b, " peer=");
	outbuf_sockaddr(&b, &ev->peer);
	outbuf_str(&b, " kernel_holds=");
	state_name(&b, state);
	outbuf_str(&b, ": ");
	outbuf_str(&b, outcome);
	finish(&b);
}
