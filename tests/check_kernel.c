/*
 * check_kernel.c - tcpshim's log against the kernel's own record.
 *
 * The kernel traces every reset it sends (tcp:tcp_send_reset) and every
 * reset a socket receives (tcp:tcp_receive_reset, keyed by sock_cookie,
 * the SO_COOKIE the log prints).  Each test enables both tracepoints in a
 * private tracefs instance, runs one preloaded scenario, and proves:
 *
 *   - every logged event with a cookie has its kernel record: rst_received
 *     a tcp_receive_reset with the same sock_cookie and ports, rst_sent a
 *     tcp_send_reset of the same socket;
 *   - every kernel record of a connection the log names is accounted for
 *     by an event of the right kind: no reset went unlogged.
 *
 * tcp_send_reset has no sock_cookie on the kernels seen (6.1, 6.18): its
 * records are joined on the socket's addresses, src = the event's local
 * and dest = its peer.  A refused connect also traces the peer's answer
 * (reason NO_SOCKET, sent by no socket of ours, src = the closed port):
 * such records, and those of other programs, are ignored.
 *
 * Needs root and tracefs (mounted here if /sys/kernel/tracing is not);
 * skips with the reason otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "tracer.h"

#define KERNEL_TIMEOUT 30
#define CURL_COULDNT_CONNECT 7
#define CURL_RECV_ERROR 56
#define MAX_EVENTS 64

/* ---- helpers ---------------------------------------------------------- */

static const char *shim(void)
{
	return tl_path("libtcpshim.so");
}

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
static void assert_agree(const struct tracer *t, const char *log_path,
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
			if (!record_matches(t, &rec[k], &ev[i]))
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

/* ---- scenarios -------------------------------------------------------- */

static const char *const *log_env(const char *log)
{
	const char **env = calloc(4, sizeof(*env));

	ck_assert_ptr_nonnull(env);
	env[0] = tl_str("LD_PRELOAD=%s", shim());
	env[1] = tl_str("TCPSHIM_LOG=%s", log);
	env[2] = "TCPSHIM_FORMAT=json";
	return env;
}

static const char peer_script[] =
	"import socket, struct, sys\n"
	"ls = socket.socket(fileno=int(sys.argv[1]))\n"
	"ls.settimeout(20)\n"
	"c, _ = ls.accept()\n"
	"c.settimeout(20)\n"
	"req = b''\n"
	"while b'\\r\\n\\r\\n' not in req:\n"
	"    d = c.recv(4096)\n"
	"    if not d:\n"
	"        break\n"
	"    req += d\n"
	"c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,\n"
	"             struct.pack('ii', 1, 0))\n"
	"c.close()\n";

/*
 * python3 serves one connection on a listener made here and inherited
 * (clients connect into its backlog at once: nothing to wait for): reads
 * the request, then resets with SO_LINGER {1, 0}.
 */
static void peer_start(struct tl_proc *p, const char *python, int *port)
{
	const char *script = tl_tmp("peer.py");
	FILE *f = fopen(script, "w");
	int lfd = tl_listen(AF_INET, port);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(peer_script, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(fcntl(lfd, F_SETFD, 0), 0);
	tl_spawn(p, NULL,
		 (const char *const[]){ python, script, tl_str("%d", lfd), NULL });
	close(lfd);
}

START_TEST(test_kernel_confirms_refused_connect)
{
	if (tl_sanitized_skip(__func__, TL_CURL_SANITIZED))
		return;
	static const char *const expected[] = { "rst_received/refused", NULL };
	const char *curl = tl_which("curl");
	const char *log = tl_tmp("refused.log");
	int port = tl_closed_port(AF_INET);
	struct tracer t;
	struct tl_proc p;
	const char *why;
	char *trace;

	if (curl == NULL) {
		tl_skip(__func__, "curl not found (Debian package curl)");
		return;
	}
	why = tracer_start(&t);
	if (why != NULL) {
		tl_skip(__func__, why);
		return;
	}
	tl_run(&p, log_env(log),
	       (const char *const[]){ curl, "-sS",
				      tl_str("http://127.0.0.1:%d/", port),
				      NULL });
	trace = tracer_stop(&t);

	ck_assert_int_eq(p.status, CURL_COULDNT_CONNECT);
	assert_agree(&t, log, trace, expected);
	free(trace);
	tl_free(&p);
}
END_TEST

START_TEST(test_kernel_confirms_peer_reset_received)
{
	if (tl_sanitized_skip(__func__, TL_CURL_SANITIZED))
		return;
	static const char *const expected[] = { "rst_received/peer_reset",
						NULL };
	const char *curl = tl_which("curl");
	const char *python = tl_which("python3");
	const char *log = tl_tmp("peer-reset.log");
	struct tl_proc peer, p;
	struct tracer t;
	const char *why;
	char *trace;
	int port;

	if (curl == NULL || python == NULL) {
		tl_skip(__func__, "curl or python3 not found (Debian packages "
				  "curl, python3)");
		return;
	}
	why = tracer_start(&t);
	if (why != NULL) {
		tl_skip(__func__, why);
		return;
	}
	peer_start(&peer, python, &port);
	tl_run(&p, log_env(log),
	       (const char *const[]){ curl, "-sS",
				      tl_str("http://127.0.0.1:%d/", port),
				      NULL });
	tl_wait(&peer);
	trace = tracer_stop(&t);

	ck_assert_msg(peer.status == 0, "python peer: %s", peer.err);
	ck_assert_int_eq(p.status, CURL_RECV_ERROR);
	assert_agree(&t, log, trace, expected);
	free(trace);
	tl_free(&p);
	tl_free(&peer);
}
END_TEST

static void groundtruth(const char *test, const char *mode,
			const char *const *expected, const char *want_out)
{
	const char *log = tl_tmp(tl_str("%s.log", mode));
	struct tracer t;
	struct tl_proc p;
	const char *why;
	char *trace;

	why = tracer_start(&t);
	if (why != NULL) {
		tl_skip(test, why);
		return;
	}
	tl_run(&p, log_env(log),
	       (const char *const[]){ tl_path("tests/prog_groundtruth"), mode,
				      NULL });
	trace = tracer_stop(&t);

	ck_assert_msg(p.status == 0, "prog_groundtruth %s: exit %d: %s", mode,
		      p.status, p.err);
	ck_assert_str_eq(p.out, want_out);
	assert_agree(&t, log, trace, expected);
	free(trace);
	tl_free(&p);
}

START_TEST(test_kernel_confirms_tcp_abort)
{
	static const char *const expected[] = { "rst_sent/abort",
						"rst_received/peer_reset",
						NULL };

	groundtruth("test_kernel_confirms_tcp_abort", "abort", expected,
		    "abort 0 0\nrecv -1 ECONNRESET\n");
}
END_TEST

START_TEST(test_kernel_confirms_close_with_unread_data)
{
	static const char *const expected[] = { "rst_sent/unread_data",
						"rst_received/peer_reset",
						NULL };

	groundtruth("test_kernel_confirms_close_with_unread_data", "unread",
		    expected, "close 0 0\nrecv -1 ECONNRESET\n");
}
END_TEST

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("tracepoints");

	tcase_set_timeout(tc, KERNEL_TIMEOUT);
	tcase_add_test(tc, test_kernel_confirms_refused_connect);
	tcase_add_test(tc, test_kernel_confirms_peer_reset_received);
	tcase_add_test(tc, test_kernel_confirms_tcp_abort);
	tcase_add_test(tc, test_kernel_confirms_close_with_unread_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_main(kernel_suite());
}
