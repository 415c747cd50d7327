/*
 * format.c - event lines.
 *
 * Text:  tcpshim[PID] TIME EVENT cause=... call=... errno=... fd=...
 *        conn=... cookie=... local=... peer=... bytes_sent=...
 *        bytes_received=... [probes=... retransmits=... idle_ms=...
 *        unacked=...] [rule=...]
 * JSON:  one object per line with the same names; unknown values are
 *        null (text: -).
 * Notices, text: tcpshim[PID] TIME notice WHAT fd=... conn=... option=...
 *        value=... policy=...; JSON: "notice":WHAT instead of "event".
 * Counts, text: tcpshim[PID] TIME notice held_back held_back=N since=TIME
 *        causes=CAUSE:N,...; tcpshim[PID] TIME notice summary
 *        connections=N events=N held_back=N lost=N [ring_lost=N]
 *        causes=CAUSE:N,...
 */
#include "core/format.h"

#include <string.h>

#include "core/names.h"
#include "core/outbuf.h"

/* One field: text "name=value", JSON "name":value. */
struct line {
	struct outbuf o;
	int json;
	int fields;
};

static void key(struct line *l, const char *name)
{
	if (l->json) {
		outbuf_str(&l->o, l->fields++ ? ",\"" : "{\"");
		outbuf_str(&l->o, name);
		outbuf_str(&l->o, "\":");
	} else {
		outbuf_char(&l->o, ' ');
		outbuf_str(&l->o, name);
		outbuf_char(&l->o, '=');
	}
}

static void null_value(struct line *l)
{
	outbuf_str(&l->o, l->json ? "null" : "-");
}

/* Strings here are names and addresses: nothing needs escaping. */
static void quote(struct line *l)
{
	if (l->json)
		outbuf_char(&l->o, '"');
}

static void str_field(struct line *l, const char *name, const char *v)
{
	key(l, name);
	quote(l);
	outbuf_str(&l->o, v);
	quote(l);
}

static void u64_field(struct line *l, const char *name, uint64_t v)
{
	key(l, name);
	outbuf_u64(&l->o, v);
}

static void opt_field(struct line *l, const char *name, int64_t v)
{
	key(l, name);
	if (v < 0)
		null_value(l);
	else
		outbuf_i64(&l->o, v);
}

static void addr_field(struct line *l, const char *name,
		       const struct sockaddr_storage *ss)
{
	key(l, name);
	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
		null_value(l);
		return;
	}
	quote(l);
	outbuf_sockaddr(&l->o, ss);
	quote(l);
}

/* fd, conn and cookie: who the event is about. */
static void ident_fields(struct line *l, const struct tcp_event *ev)
{
	u64_field(l, "fd", (uint64_t)ev->fd);
	u64_field(l, "conn", ev->conn);
	key(l, "cookie");
	if (ev->has_cookie)
		outbuf_u64(&l->o, ev->cookie);
	else
		null_value(l);
}

/*
 * What every line starts with.  JSON: time, pid, then the identity
 * fields, then "name":kind.  Text: tcpshim[PID] TIME [name] kind (the
 * identity fields come later, after the facts a reader wants first).
 */
static void head(struct line *l, const struct timespec *time, int pid,
		 const char *name, const char *kind,
		 void (*ident)(struct line *, const void *), const void *arg)
{
	if (l->json) {
		key(l, "time");
		quote(l);
		outbuf_time(&l->o, time);
		quote(l);
		u64_field(l, "pid", (uint64_t)pid);
		ident(l, arg);
		str_field(l, name, kind);
	} else {
		outbuf_str(&l->o, "tcpshim[");
		outbuf_u64(&l->o, (uint64_t)pid);
		outbuf_str(&l->o, "] ");
		outbuf_time(&l->o, time);
		if (strcmp(name, "event") != 0) {
			outbuf_char(&l->o, ' ');
			outbuf_str(&l->o, name);
		}
		outbuf_char(&l->o, ' ');
		outbuf_str(&l->o, kind);
	}
}

/* Close the line: '}' for JSON, and the newline room was kept back. */
static size_t tail(struct line *l, size_t size)
{
	if (l->json)
		outbuf_char(&l->o, '}');
	if (size == 0)
		return 0;
	l->o.p[l->o.len++] = '\n';
	return l->o.len;
}

static void event_ident(struct line *l, const void *ev)
{
	ident_fields(l, ev);
}

size_t format_event(char *buf, size_t size, const struct tcp_event *ev,
		    int json)
{
	struct line l = { .o = { buf, 0, size ? size - 1 : 0 }, .json = json };
	int info = json || ev->kind == TCP_EVENT_RST_RECEIVED ||
		   ev->kind == TCP_EVENT_HALFOPEN;

	head(&l, &ev->time, ev->pid, "event", names_kind(ev->kind),
	     event_ident, ev);
	str_field(&l, "cause", names_cause(ev->cause));
	str_field(&l, "call", ev->call);
	key(&l, "errno");
	if (ev->error) {
		quote(&l);
		outbuf_errno(&l.o, ev->error);
		quote(&l);
	} else {
		null_value(&l);
	}
	if (!json)
		ident_fields(&l, ev);
	addr_field(&l, "local", &ev->local);
	addr_field(&l, "peer", &ev->peer);
	u64_field(&l, "bytes_sent", ev->bytes_sent);
	u64_field(&l, "bytes_received", ev->bytes_received);
	if (info) {
		opt_field(&l, "probes", ev->probes);
		opt_field(&l, "retransmits", ev->retransmits);
		opt_field(&l, "idle_ms", ev->idle_ms);
		opt_field(&l, "unacked", ev->unacked);
	}
	if (ev->rule != NULL)
		str_field(&l, "rule", ev->rule);
	return tail(&l, size);
}

static void notice_ident(struct line *l, const void *arg)
{
	const struct shim_notice *n = arg;

	u64_field(l, "fd", (uint64_t)n->fd);
	u64_field(l, "conn", n->conn);
}

size_t format_notice(char *buf, size_t size, const struct shim_notice *n,
		     int json)
{
	struct line l = { .o = { buf, 0, size ? size - 1 : 0 }, .json = json };

	head(&l, &n->time, n->pid, "notice", n->what, notice_ident, n);
	if (!json)
		notice_ident(&l, n);
	str_field(&l, "option", n->option);
	key(&l, "value");
	outbuf_i64(&l.o, n->value);
	str_field(&l, "policy", n->policy);
	return tail(&l, size);
}

static void no_ident(struct line *l, const void *arg)
{
	(void)l;
	(void)arg;
}

void format_causes(struct outbuf *o, const struct tally_counts *c, int json)
{
	int any = 0;

	if (json)
		outbuf_char(o, '{');
	for (unsigned int i = 0; i < TALLY_CAUSES; i++) {
		if (c->cause[i] == 0)
			continue;
		if (any++)
			outbuf_char(o, ',');
		if (json)
			outbuf_char(o, '"');
		outbuf_str(o, names_cause(i));
		if (json)
			outbuf_char(o, '"');
		outbuf_char(o, ':');
		outbuf_u64(o, c->cause[i]);
	}
	if (json)
		outbuf_char(o, '}');
	else if (!any)
		outbuf_char(o, '-');
}

size_t format_counts(char *buf, size_t size, const struct shim_counts *n,
		     int json)
{
	struct line l = { .o = { buf, 0, size ? size - 1 : 0 }, .json = json };
	int summary = strcmp(n->what, "summary") == 0;

	head(&l, &n->time, n->pid, "notice", n->what, no_ident, NULL);
	if (summary) {
		u64_field(&l, "connections", n->connections);
		u64_field(&l, "events", n->counts.total);
	}
	u64_field(&l, "held_back", n->held_back);
	if (summary) {
		u64_field(&l, "lost", n->lost);
		if (n->kernel)
			u64_field(&l, "ring_lost", n->ring_lost);
	} else {
		key(&l, "since");
		quote(&l);
		outbuf_time(&l.o, &n->since);
		quote(&l);
	}
	key(&l, "causes");
	format_causes(&l.o, &n->counts, json);
	return tail(&l, size);
}
