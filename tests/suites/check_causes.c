/*
 * check_causes - every RST cause that needs no vanishing peer, proven on
 * loopback with the program preloaded: the exact event (event, cause,
 * call, errno, local, peer), what the program saw, and what the peer saw.
 * The test process is the peer; it runs without the shim.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void refused(int family, const char *how)
{
	struct scenario sc = { 0 };
	int port = tl_closed_port(family);
	char line[1024], peer[64];

	if (how == NULL)
		sc_start(&sc, "connect", family, port, NULL, NULL);
	else
		sc_start(&sc, "connect-nb", family, port, how, NULL);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	if (how == NULL)
		ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\n");
	else if (strcmp(how, "sockopt") == 0)
		ck_assert_str_eq(sc.p.out,
				 "connect -1 EINPROGRESS\nso_error ECONNREFUSED\n");
	else
		ck_assert_str_eq(sc.p.out,
				 "connect -1 EINPROGRESS\nrecv -1 ECONNREFUSED\n");
	TL_ONE_LINE(sc.log, line);
	snprintf(peer, sizeof(peer), family == AF_INET6 ? "[::1]:%d" : "127.0.0.1:%d",
		 port);
	sc_assert_event(line, "rst_received", "refused",
			how == NULL ? "connect"
			: strcmp(how, "sockopt") == 0 ? "getsockopt"
						       : "recv",
			"ECONNREFUSED", NULL, peer);
	TL_ASSERT_FIELD(line, "idle_ms", "null");
	TL_ASSERT_FIELD(line, "unacked", "0");
	sc_free(&sc);
}

START_TEST(refused_blocking_connect_ipv4)
{
	refused(AF_INET, NULL);
}
END_TEST

START_TEST(refused_blocking_connect_ipv6)
{
	refused(AF_INET6, NULL);
}
END_TEST

START_TEST(refused_nonblocking_connect_learned_from_so_error)
{
	refused(AF_INET, "sockopt");
}
END_TEST

START_TEST(refused_nonblocking_connect_learned_from_recv)
{
	refused(AF_INET6, "recv");
}
END_TEST

/* Peer for recv-reset and send-reset: read "hi", then reset. */
static void peer_resets(int family, const char *scenario, const char *want_out,
			const char *call)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;
	char buf[2];

	a = sc_start_accept(&sc, scenario, family, NULL, NULL, local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	tl_reset(a);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, want_out);
	/* Later failing calls on the same connection log nothing more. */
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "peer_reset", call, "ECONNRESET",
			local, peer);
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	TL_ASSERT_FIELD(line, "bytes_received", "0");
	TL_ASSERT_FIELD(line, "probes", "0");
	TL_ASSERT_FIELD(line, "retransmits", "0");
	TL_ASSERT_FIELD(line, "unacked", "0");
	sc_free(&sc);
}

START_TEST(peer_reset_seen_by_recv)
{
	peer_resets(AF_INET, "recv-reset",
		    "recv -1 ECONNRESET\nrecv 0\nsend -1 EPIPE\nread 0\n",
		    "recv");
}
END_TEST

START_TEST(peer_reset_seen_by_send_ipv6)
{
	peer_resets(AF_INET6, "send-reset", "send -1 ECONNRESET\n", "send");
}
END_TEST

START_TEST(peer_reset_seen_by_fortified_recv)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;
	char buf[2];

	sc.prog = "tests/prog_scenario_fortify";
	a = sc_start_accept(&sc, "recv-reset", AF_INET, NULL, NULL,
			    local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	tl_reset(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out,
			 "recv -1 ECONNRESET\nrecv 0\nsend -1 EPIPE\nread 0\n");
	TL_ONE_LINE(sc.log, line);
	/* __recv_chk is logged under the name the program wrote: recv. */
	sc_assert_event(line, "rst_received", "peer_reset", "recv",
			"ECONNRESET", local, peer);
	sc_free(&sc);
}
END_TEST

START_TEST(fortified_program_calls_the_chk_entry_points)
{
	struct tl_proc p;
	const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	char cmd[1024];

	if (!tl_have("nm")) {
		tl_skip("fortified_program_calls_the_chk_entry_points",
			"nm (binutils) is not installed");
		return;
	}
	snprintf(cmd, sizeof(cmd), "nm -D %s | grep -c -E ' U __(recv|read)_chk'",
		 tl_path("tests/prog_scenario_fortify"));
	argv[2] = cmd;
	tl_run(&p, NULL, argv);
	ck_assert_str_eq(p.out, "2\n");
	tl_free(&p);
}
END_TEST

/*
 * The peer of closewait-epipe and sigpipe, on a: read "hi", shut down
 * its side (the program reads the FIN), read "k", reset.  The RST
 * arrives in CLOSE_WAIT.
 */
static void peer_resets_in_close_wait(int a)
{
	char buf[2];

	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(shutdown(a, SHUT_WR), 0);
	ck_assert_int_eq(tl_read_n(a, buf, 1, 10000), 0);
	tl_reset(a);
}

/* The RST arrives in CLOSE_WAIT: the program's send gets EPIPE, which is
 * still the peer's reset. */
START_TEST(peer_reset_in_close_wait_seen_as_epipe)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, "closewait-epipe", AF_INET, NULL, NULL,
			    local, peer);
	peer_resets_in_close_wait(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "recv 0\nsend -1 EPIPE\n");
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "peer_reset", "send", "EPIPE",
			local, peer);
	sc_free(&sc);
}
END_TEST

/*
 * The same reset revealed by send(), which raises SIGPIPE: the event is
 * logged before the signal, and the signal does what the program set it
 * to do.
 */
static void sigpipe(const char *how, int status, const char *out)
{
	struct scenario sc = { .stderr_ok = 1 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, "sigpipe", AF_INET, how, NULL, local, peer);
	peer_resets_in_close_wait(a);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, status);
	ck_assert_str_eq(sc.p.out, out);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "peer_reset", "send", "EPIPE",
			local, peer);
	sc_free(&sc);
}

START_TEST(reset_that_raises_sigpipe_is_logged_before_it_kills)
{
	sigpipe("default", 128 + SIGPIPE, "recv 0\n");
}
END_TEST

START_TEST(sigpipe_ignored_handled_or_blocked_as_without_the_shim)
{
	sigpipe("ignore", 0, "recv 0\nsend -1 EPIPE\n");
	sigpipe("handler", 0,
		"recv 0\nsend -1 EPIPE\nhandler ran in this thread: 1\n");
	sigpipe("blocked", 0, "recv 0\nsend -1 EPIPE\npending: 1\n");
}
END_TEST

/* EPIPE after the program's own shutdown(SHUT_WR) is no reset. */
START_TEST(epipe_after_local_shutdown_is_not_a_reset)
{
	struct scenario sc = { 0 };
	char local[64], peer[64];
	int a;
	char buf[8];

	a = sc_start_accept(&sc, "shutdown-epipe", AF_INET, NULL, NULL,
			    local, peer);
	ck_assert_int_eq(read(a, buf, sizeof(buf)), 0);
	close(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "send -1 EPIPE\n");
	ck_assert_str_eq(sc.log, "");
	sc_free(&sc);
}
END_TEST

static void closing(const char *scenario, const char *const *env,
		    int want_reset, const char *event, const char *cause)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, scenario, AF_INET, NULL, env, local, peer);
	ck_assert_int_eq(sc_peer_end(a), want_reset ? -ECONNRESET : 0);
	close(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "close 0\n");
	if (event == NULL) {
		ck_assert_str_eq(sc.log, "");
	} else {
		TL_ONE_LINE(sc.log, line);
		sc_assert_event(line, event, cause, "close", "null", local,
				peer);
		TL_ASSERT_FIELD(line, "bytes_sent", "2");
		TL_ASSERT_FIELD(line, "bytes_received", "2");
	}
	sc_free(&sc);
}

START_TEST(linger0_close_sends_rst)
{
	closing("linger0", NULL, 1, "rst_sent", "linger0");
}
END_TEST

START_TEST(policy_abort_turns_close_into_rst)
{
	const char *env[] = { "TCPSHIM_CLOSE=abort", NULL };

	closing("close", env, 1, "rst_sent", "policy");
}
END_TEST

START_TEST(orderly_close_logs_nothing_by_default)
{
	closing("close", NULL, 0, NULL, NULL);
}
END_TEST

START_TEST(orderly_close_logged_when_close_events_wanted)
{
	const char *env[] = { "TCPSHIM_EVENTS=all", NULL };

	closing("close", env, 0, "close", "normal");
}
END_TEST

/*
 * One scenario whose connection the peer sees reset (it reads "hi",
 * writes reply): what the program printed, and its one event.
 */
struct reset_case {
	const char *scenario, *arg, *reply, *out;
	const char *event, *cause, *call, *err;
};

static void reset_seen(int family, const struct reset_case *rc)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, rc->scenario, family, rc->arg, NULL, local,
			    peer);
	sc_peer_sees_rst(a, rc->reply);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, rc->out);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, rc->event, rc->cause, rc->call, rc->err, local,
			peer);
	sc_free(&sc);
}

/* how: "" for close(), "syscall" for syscall(SYS_close) (libuv's way). */
static void unread_close(const char *how)
{
	reset_seen(AF_INET6, &(struct reset_case){
		"unread", how, "data", "close 0\n", "rst_sent", "unread_data",
		"close", "null" });
}

START_TEST(close_with_unread_data_sends_rst)
{
	unread_close("");
}
END_TEST

/* One byte left unread, long after it came: still a reset. */
START_TEST(close_with_one_byte_unread_sends_rst)
{
	unread_close("one-left");
}
END_TEST

START_TEST(close_through_syscall_is_seen)
{
	unread_close("syscall");
}
END_TEST

/*
 * Accept, fork, and both close with the data unread: the parent's close
 * sends nothing (the child holds the socket) and logs nothing; the
 * child's, the last, resets, and the child logs it.
 */
START_TEST(forked_connection_is_reset_by_the_last_close_only)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64], want[64];
	int a, child, st;

	a = sc_start_accept(&sc, "fork-unread", AF_INET, NULL, NULL, local,
			    peer);
	sc_peer_sees_rst(a, "data");
	sc_finish(&sc);
	ck_assert_int_eq(sscanf(sc.p.out, "close 0\nchild %d %d", &child, &st),
			 2);
	ck_assert_int_eq(st, 0);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_sent", "unread_data", "close", "null",
			local, peer);
	snprintf(want, sizeof(want), "\"pid\":%d,", child);
	ck_assert_msg(strstr(line, want) != NULL, "%s", line);
	sc_free(&sc);
}
END_TEST

/*
 * Torn down from outside: another process holding the socket disconnects
 * it.  The RST leaves from here, and no peer segment caused it: the
 * program's recv sees ECONNRESET, and the cause is killed, not
 * peer_reset.
 */
START_TEST(connection_disconnected_by_another_holder_is_killed)
{
	reset_seen(AF_INET, &(struct reset_case){
		"killed", NULL, "ok", "recv -1 ECONNRESET\nclose 0\n",
		"rst_sent", "killed", "recv", "ECONNRESET" });
}
END_TEST

/* how: exit, _exit or linger0 (see prog_scenario's s_exit). */
static void exiting(const char *how, const char *cause)
{
	reset_seen(AF_INET, &(struct reset_case){
		"exit", how, "data", "exiting\n", "rst_sent", cause, "exit",
		"null" });
}

/* The kernel resets what a process leaves open with data unread. */
START_TEST(exit_with_unread_data_is_logged)
{
	exiting("exit", "unread_data");
}
END_TEST

START_TEST(underscore_exit_with_unread_data_is_logged)
{
	exiting("_exit", "unread_data");
}
END_TEST

START_TEST(underscore_exit_with_linger0_is_logged)
{
	exiting("linger0", "linger0");
}
END_TEST

/*
 * inetd's way: the connection is passed across exec as descriptors 0 and
 * 1.  The service closes both with data unread: the kernel resets, and
 * the service's log says so, once.  With RLIMIT_NOFILE at 1024 the shim
 * finds them by poll(); at 8192 (where the hard limit allows), from
 * /proc/self/fd.
 */
START_TEST(connection_inherited_across_exec_is_tracked)
{
	static const rlim_t limits[] = { 1024, 8192 };
	const char *log = tl_tmp("inetd.log");
	char logenv[4200], pre[4200], line[1024], buf[8];
	int port, lfd = tl_listen(AF_INET, &port), c, a, st;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	pid_t child;
	char *text;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	a = tl_accept(lfd, 10000);
	ck_assert_int_ge(a, 0);
	snprintf(logenv, sizeof(logenv), "TCPSHIM_LOG=%s", log);
	/* Under a sanitizer its runtime comes first. */
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s%s%s/libtcpshim.so",
		 getenv("TCPSHIM_TEST_PRELOAD") ? getenv("TCPSHIM_TEST_PRELOAD")
						: "",
		 getenv("TCPSHIM_TEST_PRELOAD") ? ":" : "", tl_build());
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char *const argv[] = { (char *)tl_path("tests/prog_scenario"),
				       "inetd", "4", "0", NULL };
		char *const envp[] = { logenv, pre, "TCPSHIM_FORMAT=json",
				       NULL };

		struct rlimit rl;

		if (dup2(a, 0) != 0 || dup2(a, 1) != 1)
			_exit(126);
		close(a);
		close(lfd);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    limits[_i] <= rl.rlim_max) {
			rl.rlim_cur = limits[_i];
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(a);
	ck_assert_int_eq(write(c, "hi and more", 11), 11);
	ck_assert_int_eq(tl_poll(c, POLLIN, 10000), 0);
	ck_assert_int_eq(read(c, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_int_eq(st, 0);
	text = tl_slurp(log);
	ck_assert_ptr_nonnull(text);
	TL_ONE_LINE(text, line);
	sc_assert_event(line, "rst_sent", "unread_data", "close", "null", NULL,
			NULL);
	ck_assert_msg(strstr(line, "\"fd\":1,") != NULL, "%s", line);
	free(text);
	close(c);
	close(lfd);
}
END_TEST

/*
 * Under a seccomp filter (sshd's sandbox) the shim makes no call of its
 * own: the program is never killed for one, and logs nothing more.
 */
START_TEST(sandboxed_program_is_never_killed_by_the_shim)
{
	struct scenario sc = { 0 };
	char local[64], peer[64], buf[8];
	int a;

	a = sc_start_accept(&sc, "sandboxed", AF_INET, NULL, NULL, local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(write(a, "data", 4), 4);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out,
			 "sendmsg 1\nrecvmsg 1\nclose 0\nclose 0\n");
	ck_assert_str_eq(sc.log, "");
	close(a);
	sc_free(&sc);
}
END_TEST

/* The text format: one readable line with the same facts. */
START_TEST(text_format_line)
{
	struct scenario sc = { 0 };
	int port = tl_closed_port(AF_INET);
	const char *env[] = { "TCPSHIM_FORMAT=text", NULL };
	char want[256], line[1024];

	sc_start(&sc, "connect", AF_INET, port, NULL, env);
	sc_finish(&sc);
	TL_ONE_LINE(sc.log, line);
	ck_assert_msg(strncmp(line, "tcpshim[", 8) == 0, "%s", line);
	snprintf(want,
		 sizeof(want),
		 " rst_received cause=refused call=connect errno=ECONNREFUSED "
		 "fd=");
	ck_assert_msg(strstr(line, want) != NULL, "%s", line);
	snprintf(want, sizeof(want), " peer=127.0.0.1:%d bytes_sent=0 "
		 "bytes_received=0 probes=0 retransmits=0 idle_ms=- unacked=0",
		 port);
	ck_assert_msg(strstr(line, want) != NULL, "%s", line);
	sc_free(&sc);
}
END_TEST

Suite *causes_suite(void)
{
	Suite *s = suite_create("causes");
	TCase *refused_tc = tcase_create("refused");
	TCase *reset_tc = tcase_create("peer_reset");
	TCase *sent_tc = tcase_create("rst_sent");

	tcase_set_timeout(refused_tc, 30);
	tcase_set_timeout(reset_tc, 30);
	tcase_set_timeout(sent_tc, 30);
	tcase_add_test(refused_tc, refused_blocking_connect_ipv4);
	tcase_add_test(refused_tc, refused_blocking_connect_ipv6);
	tcase_add_test(refused_tc, refused_nonblocking_connect_learned_from_so_error);
	tcase_add_test(refused_tc, refused_nonblocking_connect_learned_from_recv);
	tcase_add_test(refused_tc, text_format_line);
	tcase_add_test(reset_tc, peer_reset_seen_by_recv);
	tcase_add_test(reset_tc, peer_reset_seen_by_send_ipv6);
	tcase_add_test(reset_tc, peer_reset_seen_by_fortified_recv);
	tcase_add_test(reset_tc, fortified_program_calls_the_chk_entry_points);
	tcase_add_test(reset_tc, peer_reset_in_close_wait_seen_as_epipe);
	tcase_add_test(reset_tc, epipe_after_local_shutdown_is_not_a_reset);
	tcase_add_test(reset_tc, reset_that_raises_sigpipe_is_logged_before_it_kills);
	tcase_add_test(reset_tc, sigpipe_ignored_handled_or_blocked_as_without_the_shim);
	tcase_add_test(sent_tc, linger0_close_sends_rst);
	tcase_add_test(sent_tc, policy_abort_turns_close_into_rst);
	tcase_add_test(sent_tc, orderly_close_logs_nothing_by_default);
	tcase_add_test(sent_tc, orderly_close_logged_when_close_events_wanted);
	tcase_add_test(sent_tc, close_with_unread_data_sends_rst);
	tcase_add_test(sent_tc, close_with_one_byte_unread_sends_rst);
	tcase_add_test(sent_tc, close_through_syscall_is_seen);
	tcase_add_test(sent_tc, forked_connection_is_reset_by_the_last_close_only);
	tcase_add_test(sent_tc, connection_disconnected_by_another_holder_is_killed);
	tcase_add_test(sent_tc, exit_with_unread_data_is_logged);
	tcase_add_loop_test(sent_tc, connection_inherited_across_exec_is_tracked,
			    0, 2);
	tcase_add_test(sent_tc, sandboxed_program_is_never_killed_by_the_shim);
	tcase_add_test(sent_tc, underscore_exit_with_unread_data_is_logged);
	tcase_add_test(sent_tc, underscore_exit_with_linger0_is_logged);
	suite_add_tcase(s, refused_tc);
	suite_add_tcase(s, reset_tc);
	suite_add_tcase(s, sent_tc);
	return s;
}

int main(void)
{
	return tl_main(causes_suite());
}
