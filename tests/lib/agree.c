/*
 * agree.c - a JSON log of tcpshim's held against the kernel's record of
 * resets (tracer.h), both ways: every logged event with a cookie has its
 * kernel record, and every kernel record of a connection the log names
 * is accounted for by an event of the right kind (agree.h).
 *
 * tcp_send_reset has no sock_cookie on the kernels seen (6.1, 6.18): its
 * records are joined on the socket's addresses, src = the event's local
 * and dest = its peer.  tcp_receive_reset records are joined on the
 * cookie, so those of other network namespaces (the tracepoints see the
 * whole host, and name no namespace) are never taken for the program's,
 * whatever their ports.
 */
#include "agree.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define MAX_EVENTS 64

struct event {
	char event[32];
	char cause[32];
	int has_cookie;
	uint64_t cookie;
	char local[80];
	char peer[80];
	char line[1024];
};

static int parse_events(const char *log, struct event *out)
{
	char line[1024], cookie[32];
	int n = 0;

	for (int i = 0; tl_line(log, i, line, sizeof(line)); i++) {
		struct event *e = &out[n++];

		ck_assert_int_le(n, MAX_EVENTS);
		memset(e, 0, sizeof(*e));
		snprintf(e->line, sizeof(e->line), "%s", line);
		ck_assert_msg(tl_json(line, "event", e->event,
				      sizeof(e->event)) &&
				      tl_json(line, "cause", e->cause,
					      sizeof(e->cause)) &&
				      tl_json(line, "cookie", cookie,
					      sizeof(cookie)) &&
				      tl_json(line, "local", e->local,
					      sizeof(e->local)) &&
				      tl_json(line, "peer", e->peer,
					      sizeof(e->peer)),
			      "not a JSON event: %s", line);
		if (strcmp(cookie, "null") != 0) {
			e->has_cookie = 1;
			e->cookie = strtoull(cookie, NULL, 10);
		}
	}
	return n;
}

/* The port of "ADDR:PORT" or "[ADDR]:PORT". */
static const char *port_of(const char *endpoint)
{
	const char *colon = strrchr(endpoint, ':');

	return colon ? colon + 1 : "";
}

/* A tcp_receive_reset record names the ports of the logged socket. */
static void assert_same_ports(const struct record *r, const struct event *e)
{
	ck_assert_msg(strcmp(r->src, port_of(e->local)) == 0 &&
			      strcmp(r->dst, port_of(e->peer)) == 0,
		      "ports differ:\n%s\n%s", e->line, r->line);
}

/* Does record r describe the reset event e reports? */
static int record_matches(const struct tracer *t, const struct record *r,
			  const struct event *e)
{
	if (strcmp(e->event, "rst_received") == 0)
		return r->kind == REC_RECEIVE && r->has_cookie &&
		       r->cookie == e->cookie;
	if (strcmp(e->event, "rst_sent") != 0 || r->kind != REC_SEND)
		return 0;
	if (t->send_cookie)
		return r->has_cookie && r->cookie == e->cookie;
	return strcmp(r->src, e->local) == 0 && strcmp(r->dst, e->peer) == 0;
}

/* Is record r about a socket one of the events names? */
static int record_is_ours(const struct tracer *t, const struct record *r,
			  const struct event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		if (!ev[i].has_cookie)
			continue;
		int by_cookie = r->kind == REC_RECEIVE || t->send_cookie;

		if (by_cookie && r->has_cookie) {
			if (r->cookie == ev[i].cookie)
				return 1;
		} else if (r->kind == REC_SEND &&
			   strcmp(r->src, ev[i].local) == 0 &&
			   strcmp(r->dst, ev[i].peer) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * The log at log_path holds exactly the expected events ("event/cause",
 * in order), and the trace agrees with it both ways.
 */
void agree_log_and_trace(const struct tracer *t, const char *log_path,
			 const char *trace, const char *const *expected)
{
	static struct record rec[MAX_RECORDS];
	struct event ev[MAX_EVENTS];
	char *log = tl_slurp(log_path);
	int nev = parse_events(log, ev);
	int nrec = tracer_records(trace, t, rec);
	int want = 0;

	while (expected[want])
		want++;
	ck_assert_msg(nev == want, "expected %d events, log has:\n%s", want,
		      log);
	for (int i = 0; i < nev; i++) {
		const char *pair = tl_str("%s/%s", ev[i].event, ev[i].cause);

		ck_assert_msg(strcmp(pair, expected[i]) == 0,
			      "event %d is %s, expected %s", i, pair,
			      expected[i]);
		/* Every reset event of a TCP socket has its cookie. */
		ck_assert_msg(ev[i].has_cookie, "no cookie: %s", ev[i].line);
	}

	/* Log to kernel. */
	for (int i = 0; i < nev; i++) {
		int found = 0;

		for (int k = 0; k < nrec && !found; k++) {
			/* One record per event: a socket that connects
			 * again is reset again, under the same cookie. */
			if (rec[k].used || !record_matches(t, &rec[k], &ev[i]))
				continue;
			found = 1;
			rec[k].used = 1;
			if (rec[k].kind == REC_RECEIVE)
				assert_same_ports(&rec[k], &ev[i]);
		}
		ck_assert_msg(found, "no kernel record for:\n%s\ntrace:\n%s",
			      ev[i].line, trace);
	}

	/* Kernel to log: nothing of ours went unlogged. */
	for (int k = 0; k < nrec; k++)
		ck_assert_msg(rec[k].used ||
				      !record_is_ours(t, &rec[k], ev, nev),
			      "kernel reset of a logged connection, not in the "
			      "log:\n%s\nlog:\n%s", rec[k].line, log);
	free(log);
}
