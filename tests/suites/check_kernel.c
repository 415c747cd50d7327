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
 * (tests/lib/agree.c).  A refused connect also traces the peer's answer
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

#include "agree.h"
#include "testlib.h"
#include "tracer.h"

#define KERNEL_TIMEOUT 30
#define CURL_COULDNT_CONNECT 7
#define CURL_RECV_ERROR 56

/* ---- helpers ---------------------------------------------------------- */

static const char *shim(void)
{
	return tl_path("libtcpshim.so");
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
	agree_log_and_trace(&t, log, trace, expected);
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
	agree_log_and_trace(&t, log, trace, expected);
	free(trace);
	tl_free(&p);
	tl_free(&peer);
}
END_TEST

/*
 * argv (a tests/ program and its arguments) run preloaded under the
 * tracepoints, with the library under (tests/, or NULL) preloaded after
 * the shim; it exits 0, prints want_out, and its log holds expected.
 */
static void groundtruth(const char *test, const char *const *argv,
			const char *under, const char *const *expected,
			const char *want_out)
{
	const char *log = tl_tmp(tl_str("%s.log", test));
	const char **env = (const char **)log_env(log);
	struct tracer t;
	struct tl_proc p;
	const char *why;
	char *trace;

	if (under != NULL)
		env[0] = tl_str("LD_PRELOAD=%s %s", shim(), tl_path(under));

	why = tracer_start(&t);
	if (why != NULL) {
		tl_skip(test, why);
		return;
	}
	tl_run(&p, env, argv);
	trace = tracer_stop(&t);

	ck_assert_msg(p.status == 0, "%s %s: exit %d: %s", argv[0], argv[1],
		      p.status, p.err);
	ck_assert_str_eq(p.out, want_out);
	agree_log_and_trace(&t, log, trace, expected);
	free(trace);
	tl_free(&p);
}

/* prog_groundtruth MODE */
static const char *const *gt(const char *mode)
{
	const char **argv = calloc(3, sizeof(*argv));

	ck_assert_ptr_nonnull(argv);
	argv[0] = tl_path("tests/prog_groundtruth");
	argv[1] = mode;
	return argv;
}

/* prog_refused MODE PORT, PORT closed */
static const char *const *refused(const char *mode)
{
	const char **argv = calloc(4, sizeof(*argv));

	ck_assert_ptr_nonnull(argv);
	argv[0] = tl_path("tests/prog_refused");
	argv[1] = mode;
	argv[2] = tl_str("%d", tl_closed_port(AF_INET));
	return argv;
}

START_TEST(test_kernel_confirms_tcp_abort)
{
	static const char *const expected[] = { "rst_sent/abort",
						"rst_received/peer_reset",
						NULL };

	groundtruth("test_kernel_confirms_tcp_abort", gt("abort"), NULL,
		    expected, "abort 0 0\nrecv -1 ECONNRESET\n");
}
END_TEST

START_TEST(test_kernel_confirms_close_with_unread_data)
{
	static const char *const expected[] = { "rst_sent/unread_data",
						"rst_received/peer_reset",
						NULL };

	groundtruth("test_kernel_confirms_close_with_unread_data",
		    gt("unread"), NULL, expected,
		    "close 0 0\nrecv -1 ECONNRESET\n");
}
END_TEST

/*
 * A server's connection reset with SO_LINGER {1, 0}, and its four
 * addresses taken again by a new connection the moment the close
 * returned (tests/lib_reconnect.so): the new one, another socket, is not
 * the old one still held; the reset is logged.
 */
START_TEST(test_kernel_confirms_reset_whose_addresses_came_back)
{
	static const char *const expected[] = { "rst_sent/linger0",
						"rst_received/peer_reset",
						NULL };

	groundtruth("test_kernel_confirms_reset_whose_addresses_came_back",
		    gt("reused"), "tests/lib_reconnect.so", expected,
		    "close 0 0\nrecv -1 ECONNRESET\naccept 0 0\n");
}
END_TEST

/*
 * Refused connects the program does not count as refused: a
 * socket that connects again after a refusal (each attempt a RST of its
 * own), and a non-blocking connect the program polls and closes without
 * asking how it ended.
 */
START_TEST(test_kernel_confirms_refused_twice_on_one_socket)
{
	static const char *const expected[] = { "rst_received/refused",
						"rst_received/refused", NULL };

	groundtruth("test_kernel_confirms_refused_twice_on_one_socket",
		    refused("again"), NULL, expected,
		    "connect -1 ECONNREFUSED\nconnect -1 ECONNREFUSED\n"
		    "close 0\n");
}
END_TEST

START_TEST(test_kernel_confirms_refused_connect_never_asked_about)
{
	static const char *const expected[] = { "rst_received/refused", NULL };

	groundtruth("test_kernel_confirms_refused_connect_never_asked_about",
		    refused("unasked"), NULL, expected,
		    "connect -1 EINPROGRESS\npoll 0\nclose 0\n");
}
END_TEST

/*
 * The ephemeral range narrowed onto a listener's port, in a namespace of
 * the program's own: the kernel gives no port (EADDRNOTAVAIL), never the
 * listener's; the next port is refused as any; and a connect from the
 * closed port to itself connects, with no reset.
 */
START_TEST(test_kernel_never_steers_a_connect_onto_a_listeners_port)
{
	static const char *const expected[] = { "rst_received/refused", NULL };

	if (!tl_can_netns(__func__))
		return;
	groundtruth("test_kernel_never_steers_a_connect_onto_a_listeners_port",
		    refused("steered"), NULL, expected,
		    "connect -1 EADDRNOTAVAIL\nclose 0\n"
		    "connect -1 ECONNREFUSED\nlocal L+1\nclose 0\n"
		    "connect 0\nself\nclose 0\n");
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
	tcase_add_test(tc, test_kernel_confirms_reset_whose_addresses_came_back);
	tcase_add_test(tc, test_kernel_confirms_refused_twice_on_one_socket);
	tcase_add_test(tc,
		       test_kernel_confirms_refused_connect_never_asked_about);
	tcase_add_test(tc,
		       test_kernel_never_steers_a_connect_onto_a_listeners_port);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_main(kernel_suite());
}
