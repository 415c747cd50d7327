/*
 * journal.c - events as journald's native protocol wants them: one
 * datagram of KEY=VALUE lines.  MESSAGE is the event's text line, and
 * every field of the event is a field of its own (TCPSHIM_EVENT,
 * TCPSHIM_CAUSE, TCPSHIM_PEER, ...), so journalctl can filter on it:
 * journalctl TCPSHIM_CAUSE=halfopen_reset; TCPSHIM_TIME is the event's
 * own time (journald's are when the entry arrived).  No value here can hold a
 * newline (names, numbers, addresses, the text line without its end), so
 * the binary-safe form of the protocol is never needed.  Unknown values
 * are left out.
 */
#include "core/journal.h"

#include <string.h>
#include <sys/socket.h>

#include "core/format.h"
#include "core/names.h"
#include "core/outbuf.h"

/* A fixed MESSAGE_ID per kind of entry, for journalctl MESSAGE_ID=... */
static const char *const message_ids[] = {
	[TCP_EVENT_RST_SENT] = "736934e5fb51417889f9d183f6e10414",
	[TCP_EVENT_RST_RECEIVED] = "4fe9b1a5db0c4c9faa18e2ad67d45bfb",
	[TCP_EVENT_HALFOPEN] = "902ea0c7a7c34a768f8e735517181468",
	[TCP_EVENT_CLOSE] = "b8c7256d11db48e59e0b1d850e79633e",
};
const char journal_notice_id[] = "356c424301f840c1855f0a5cb98ade39";
static const char held_back_id[] = "cfdd2662816943459e4048b31a56098c";
static const char summary_id[] = "fadefac242554642919723cd9da8c9e4";

static void field(struct outbuf *o, const char *name)
{
	outbuf_str(o, "TCPSHIM_");
	outbuf_str(o, name);
	outbuf_char(o, '=');
}

void journal_str(struct outbuf *o, const char *name, const char *v)
{
	if (v == NULL)
		return;
	field(o, name);
	outbuf_str(o, v);
	outbuf_char(o, '\n');
}

void journal_num(struct outbuf *o, const char *name, int64_t v)
{
	if (v < 0)
		return;
	field(o, name);
	outbuf_i64(o, v);
	outbuf_char(o, '\n');
}

void journal_addr(struct outbuf *o, const char *name,
		  const struct sockaddr_storage *ss)
{
	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return;
	field(o, name);
	outbuf_sockaddr(o, ss);
	outbuf_char(o, '\n');
}

/* MESSAGE=line (its newline dropped), MESSAGE_ID, PRIORITY and the
 * identifier journald files it under. */
static void common(struct outbuf *o, const char *line, size_t len,
		   const char *id, int priority)
{
	outbuf_str(o, "MESSAGE=");
	if (len > 0 && o->len + len - 1 <= o->cap) {
		memcpy(o->p + o->len, line, len - 1);
		o->len += len - 1;
	}
	outbuf_str(o, "\nMESSAGE_ID=");
	outbuf_str(o, id);
	outbuf_str(o, "\nPRIORITY=");
	outbuf_u64(o, (uint64_t)priority);
	outbuf_str(o, "\nSYSLOG_IDENTIFIER=tcpshim\n");
}

void journal_head(struct outbuf *o, const char *line, size_t len,
		  enum tcp_event_kind kind, const struct timespec *time)
{
	common(o, line, len,
	       (unsigned int)kind < sizeof(message_ids) / sizeof(*message_ids)
		       ? message_ids[kind]
		       : journal_notice_id,
	       kind == TCP_EVENT_CLOSE ? JOURNAL_NOTICE : JOURNAL_WARNING);
	journal_str(o, "EVENT", names_kind(kind));
	field(o, "TIME");
	outbuf_time(o, time);
	outbuf_char(o, '\n');
}

size_t journal_event(char *buf, size_t size, const struct tcp_event *ev)
{
	char line[FORMAT_LINE_MAX];
	size_t len = format_event(line, sizeof(line), ev, 0);
	struct outbuf o = { buf, 0, size };
	int info = ev->kind == TCP_EVENT_RST_RECEIVED ||
		   ev->kind == TCP_EVENT_HALFOPEN;
	char err[64];
	struct outbuf e = { err, 0, sizeof(err) - 1 };

	journal_head(&o, line, len, ev->kind, &ev->time);
	journal_str(&o, "CAUSE", names_cause(ev->cause));
	journal_str(&o, "CALL", ev->call);
	if (ev->error) {
		outbuf_errno(&e, ev->error);
		err[e.len] = '\0';
		journal_str(&o, "ERRNO", err);
	}
	journal_num(&o, "PID", ev->pid);
	journal_num(&o, "FD", ev->fd);
	journal_num(&o, "CONN", (int64_t)ev->conn);
	journal_num(&o, "COOKIE", ev->has_cookie ? (int64_t)ev->cookie : -1);
	journal_addr(&o, "LOCAL", &ev->local);
	journal_addr(&o, "PEER", &ev->peer);
	journal_num(&o, "BYTES_SENT", (int64_t)ev->bytes_sent);
	journal_num(&o, "BYTES_RECEIVED", (int64_t)ev->bytes_received);
	if (info) {
		journal_num(&o, "PROBES", ev->probes);
		journal_num(&o, "RETRANSMITS", ev->retransmits);
		journal_num(&o, "IDLE_MS", ev->idle_ms);
		journal_num(&o, "UNACKED", ev->unacked);
	}
	journal_str(&o, "RULE", ev->rule);
	return o.len;
}

size_t journal_notice(char *buf, size_t size, const struct shim_notice *n)
{
	char line[FORMAT_LINE_MAX];
	size_t len = format_notice(line, sizeof(line), n, 0);
	struct outbuf o = { buf, 0, size };

	common(&o, line, len, journal_notice_id, JOURNAL_NOTICE);
	journal_str(&o, "NOTICE", n->what);
	journal_num(&o, "PID", n->pid);
	journal_num(&o, "FD", n->fd);
	journal_num(&o, "CONN", (int64_t)n->conn);
	journal_str(&o, "OPTION", n->option);
	field(&o, "VALUE");
	outbuf_i64(&o, n->value);
	outbuf_char(&o, '\n');
	journal_str(&o, "POLICY", n->policy);
	return o.len;
}

size_t journal_counts(char *buf, size_t size, const struct shim_counts *n)
{
	char line[FORMAT_LINE_MAX];
	size_t len = format_counts(line, sizeof(line), n, 0);
	struct outbuf o = { buf, 0, size };
	int summary = strcmp(n->what, "summary") == 0;

	common(&o, line, len, summary ? summary_id : held_back_id,
	       summary ? JOURNAL_NOTICE : JOURNAL_WARNING);
	journal_str(&o, "NOTICE", n->what);
	journal_num(&o, "PID", n->pid);
	if (summary) {
		journal_num(&o, "CONNECTIONS", (int64_t)n->connections);
		journal_num(&o, "EVENTS", (int64_t)n->counts.total);
	}
	journal_num(&o, "HELD_BACK", (int64_t)n->held_back);
	if (summary) {
		journal_num(&o, "LOST", (int64_t)n->lost);
		if (n->kernel)
			journal_num(&o, "RING_LOST", (int64_t)n->ring_lost);
	} else {
		field(&o, "SINCE");
		outbuf_time(&o, &n->since);
		outbuf_char(&o, '\n');
	}
	field(&o, "CAUSES");
	format_causes(&o, &n->counts, 0);
	outbuf_char(&o, '\n');
	return o.len;
}
