/*
 * check_live.c - "tcpshim ls|abort|keepalive" against running programs
 * that were not started under tcpshim: a C program
 * (tests/programs/prog_live.c), a Python server
 * (tests/programs/live_target.py) and a static Go program
 * (tests/programs/live_target.go), which no preload can reach.  They all
 * speak one line protocol, so every case runs against each of them.
 *
 * What a user would see is what is asserted: ls agrees with ss -tanp;
 * abort by descriptor, peer and cookie makes the kernel send exactly one
 * RST per connection (tcp:tcp_send_reset, where root may trace), the
 * peer gets ECONNRESET and so does the target at its next call; another
 * user's process is refused, exit status 1, and keeps serving.  The
 * vanished-peer cases (--dead, keepalive detection) are in
 * check_live_netns.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "livelib.h"
#include "testlib.h"
#include "tracer.h"

/* ---- ls ---------------------------------------------------------------- */

/* ss's name for a state, as tcpshim ls writes it. */
static const char *ss_state(const char *ss)
{
	return strcmp(ss, "ESTAB") == 0 ? "ESTABLISHED" : ss;
}

/* Each socket ss -tanp gives to pid is in ls's rows, the same. */
static void assert_ls_matches_ss(int pid, const char *ls)
{
	struct tl_proc p;
	const char *argv[] = { tl_which("ss"), "-tanpH", NULL };
	char line[512], row[1024], buf[64];
	int seen = 0;

	tl_run(&p, NULL, argv);
	ck_assert_int_eq(p.status, 0);
	for (int i = 0; tl_line(p.out, i, line, sizeof(line)); i++) {
		char state[32], local[80], peer[80], *at, want[40];
		int fd;

		at = strstr(line, tl_str("pid=%d,fd=", pid));
		if (at == NULL)
			continue;
		fd = atoi(at + strlen(tl_str("pid=%d,fd=", pid)));
		ck_assert_int_eq(sscanf(line, "%31s %*s %*s %79s %79s", state,
					local, peer), 3);
		snprintf(want, sizeof(want), "\"fd\":%d,", fd);
		ck_assert_msg(tl_find_line(ls, want, row, sizeof(row)) != NULL,
			      "ss has fd %d, ls does not:\n%s\n%s", fd, line,
			      ls);
		ck_assert_str_eq(tl_json(row, "state", buf, sizeof(buf)),
				 ss_state(state));
		ck_assert_str_eq(tl_json(row, "local", buf, sizeof(buf)), local);
		if (strcmp(state, "LISTEN") != 0)
			ck_assert_str_eq(tl_json(row, "peer", buf, sizeof(buf)),
					 peer);
		seen++;
	}
	ck_assert_int_eq(seen, tl_count_lines(ls));
	tl_free(&p);
}

START_TEST(test_ls_matches_ss)
{
	struct target t;
	struct tl_proc ls;
	int c[2], fd[2];

	if (!target_start(&t, _i, NULL, NULL, __func__))
		return;
	if (!tl_have("ss")) {
		tl_skip(__func__, "ss (iproute2) is not installed");
		target_stop(&t);
		return;
	}
	target_listen(&t, "127.0.0.1");
	for (int i = 0; i < 2; i++)
		c[i] = target_connect(&t, AF_INET, &fd[i], NULL);
	tcpshim(&ls, NULL, "ls", "--json", tl_str("%d", t.pid), NULL);
	ck_assert_msg(ls.status == 0, "%s", ls.err);
	ck_assert_int_eq(tl_count_lines(ls.out), 3);
	assert_ls_matches_ss(t.pid, ls.out);
	tl_free(&ls);

	/* The text form: a header and the same rows. */
	tcpshim(&ls, NULL, "ls", tl_str("%d", t.pid), NULL);
	ck_assert_int_eq(ls.status, 0);
	ck_assert_int_eq(tl_count_lines(ls.out), 4);
	ck_assert_ptr_nonnull(strstr(ls.out, "ESTABLISHED"));
	tl_free(&ls);
	for (int i = 0; i < 2; i++)
		close(c[i]);
	target_stop(&t);
}
END_TEST

/* ---- abort --------------------------------------------------------------- */

/* RSTs the kernel sent from the target's end of a connection. */
static int resets_sent(const char *trace, const struct tracer *tr,
		       const char *local, const char *peer)
{
	static struct record rec[MAX_RECORDS];
	int n = tracer_records(trace, tr, rec), count = 0;

	for (int i = 0; i < n; i++)
		count += rec[i].kind == REC_SEND &&
			 strcmp(rec[i].src, local) == 0 &&
			 strcmp(rec[i].dst, peer) == 0;
	return count;
}

/* One event line: rst_sent, killed, the target's pid and fd. */
static void assert_killed(const struct tl_proc *p, int pid, int fd)
{
	char line[1024], buf[64];

	ck_assert_msg(p->status == 0, "tcpshim abort: %d: %s", p->status,
		      p->err);
	TL_ONE_LINE(p->out, line);
	ck_assert_str_eq(tl_json(line, "event", buf, sizeof(buf)), "rst_sent");
	ck_assert_str_eq(tl_json(line, "cause", buf, sizeof(buf)), "killed");
	ck_assert_str_eq(tl_json(line, "call", buf, sizeof(buf)),
			 "tcpshim_abort");
	ck_assert_int_eq(atoi(tl_json(line, "pid", buf, sizeof(buf))), pid);
	ck_assert_int_eq(atoi(tl_json(line, "fd", buf, sizeof(buf))), fd);
}

START_TEST(test_abort_by_fd_peer_cookie)
{
	struct target t;
	struct tracer tr;
	struct tl_proc p;
	char local[3][80], peer[3][80], line[1024], buf[64];
	const char *why;
	char *trace;
	int c[3], fd[3];

	if (!target_start(&t, _i, NULL, NULL, __func__))
		return;
	target_listen(&t, "127.0.0.1");
	for (int i = 0; i < 3; i++) {
		c[i] = target_connect(&t, AF_INET, &fd[i], peer[i]);
		snprintf(local[i], sizeof(local[i]), "127.0.0.1:%d", t.port);
	}
	why = tracer_start(&tr);
	if (why != NULL)
		tl_skip("test_abort_rst_on_the_wire", why);

	tcpshim(&p, NULL, "abort", "--json", tl_str("%d", t.pid),
		tl_str("%d", fd[0]), NULL);
	assert_killed(&p, t.pid, fd[0]);
	tl_free(&p);

	tcpshim(&p, NULL, "abort", "--json", tl_str("%d", t.pid), "--peer",
		peer[1], NULL);
	assert_killed(&p, t.pid, fd[1]);
	tl_free(&p);

	tcpshim(&p, NULL, "ls", "--json", tl_str("%d", t.pid), NULL);
	ck_assert_ptr_nonnull(tl_find_line(p.out, tl_str("\"fd\":%d,", fd[2]),
					   line, sizeof(line)));
	tl_json(line, "cookie", buf, sizeof(buf));
	tl_free(&p);
	tcpshim(&p, NULL, "abort", "--json", tl_str("%d", t.pid), "--cookie",
		buf, NULL);
	assert_killed(&p, t.pid, fd[2]);
	tl_free(&p);

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(peer_recv_errno(c[i]), ECONNRESET);
		target_call(&t, "recv", fd[i], "ECONNRESET");
		close(c[i]);
	}
	if (why == NULL) {
		trace = tracer_stop(&tr);
		for (int i = 0; i < 3; i++)
			ck_assert_msg(resets_sent(trace, &tr, local[i],
						  peer[i]) == 1,
				      "not one RST %s > %s:\n%s", local[i],
				      peer[i], trace);
		free(trace);
	}
	target_stop(&t);
}
END_TEST

/* The C target under tcpshim, logging every event as JSON to log. */
static void start_preloaded(struct target *t, const char *log)
{
	const char *env[] = { tl_str("LD_PRELOAD=%s",
				     tl_path("libtcpshim.so")),
			      tl_str("TCPSHIM_LOG=%s", log),
			      "TCPSHIM_FORMAT=json", "TCPSHIM_EVENTS=all",
			      NULL };

	ck_assert(target_start(t, TARGET_C, env, NULL, "start_preloaded"));
	target_listen(t, "127.0.0.1");
}

/* tcpshim abort PID FD, which must work. */
static void abort_fd(const struct target *t, int fd)
{
	struct tl_proc p;

	tcpshim(&p, NULL, "abort", tl_str("%d", t->pid), tl_str("%d", fd),
		NULL);
	ck_assert_msg(p.status == 0, "%s", p.err);
	tl_free(&p);
}

/* The log's one event: rst_sent, killed, at recv on fd, with err. */
static void assert_logged_killed(const char *log, int fd, const char *err)
{
	char line[1024], buf[64];
	char *text = tl_slurp(log);

	TL_ONE_LINE(text, line);
	ck_assert_str_eq(tl_json(line, "event", buf, sizeof(buf)), "rst_sent");
	ck_assert_str_eq(tl_json(line, "cause", buf, sizeof(buf)), "killed");
	ck_assert_str_eq(tl_json(line, "call", buf, sizeof(buf)), "recv");
	ck_assert_str_eq(tl_json(line, "errno", buf, sizeof(buf)), err);
	ck_assert_int_eq(atoi(tl_json(line, "fd", buf, sizeof(buf))), fd);
	free(text);
}

/* A preloaded target logs the reset as killed, at the call that met it. */
START_TEST(test_abort_preloaded_logs_killed)
{
	const char *log = tl_tmp("live-preloaded.log");
	struct target t;
	int c, fd;

	start_preloaded(&t, log);
	c = target_connect(&t, AF_INET, &fd, NULL);
	abort_fd(&t, fd);
	target_call(&t, "recv", fd, "ECONNRESET");
	ck_assert_int_eq(peer_recv_errno(c), ECONNRESET);
	close(c);
	target_stop(&t);
	assert_logged_killed(log, fd, "ECONNRESET");
}
END_TEST

/* Until process pid is in system call nr (from /proc/PID/syscall). */
static void wait_in_syscall(int pid, long nr)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 2000; i++) {
		/* A /proc file has no size: read it, do not slurp it. */
		FILE *f = fopen(tl_str("/proc/%d/syscall", pid), "re");
		long now = -1;

		if (f != NULL) {
			if (fscanf(f, "%ld", &now) != 1)
				now = -1;
			fclose(f);
		}
		if (now == nr)
			return;
		nanosleep(&step, NULL);
	}
	ck_abort_msg("process %d never entered system call %ld", pid, nr);
}

/*
 * A call the target is blocked in when the reset comes: Linux 6.6 and
 * later wake it with EPIPE (a disconnect while waiting), earlier ones
 * with ECONNRESET; the next call gets ECONNRESET.  The log has one
 * event, at the blocked call.
 */
START_TEST(test_abort_blocked_call)
{
	const char *log = tl_tmp("live-blocked.log");
	struct target t;
	char line[1024];
	const char *blocked;
	int c, fd;

	if (!tl_is_root()) {
		tl_skip(__func__, "needs root to read /proc/PID/syscall");
		return;
	}
	start_preloaded(&t, log);
	c = target_connect(&t, AF_INET, &fd, NULL);
	tl_say(&t.p, tl_str("recv %d", fd));
	wait_in_syscall(t.pid, SYS_recvfrom);
	abort_fd(&t, fd);
	ck_assert_int_eq(tl_expect(&t.p, tl_str("recv %d ", fd), 20000, line,
				   sizeof(line)), 0);
	blocked = strrchr(line, ' ') + 1;
	ck_assert_msg(strcmp(blocked, "EPIPE") == 0 ||
			      strcmp(blocked, "ECONNRESET") == 0,
		      "%s", line);
	blocked = tl_str("%s", blocked);
	target_call(&t, "recv", fd, "ECONNRESET");
	ck_assert_int_eq(peer_recv_errno(c), ECONNRESET);
	close(c);
	target_stop(&t);
	assert_logged_killed(log, fd, blocked);
}
END_TEST

/* ---- refusals and bad usage ------------------------------------------------ */

/* A listener named by fd is refused and goes on accepting. */
START_TEST(test_abort_refuses_listener_and_bad_usage)
{
	struct target t;
	struct tl_proc p;
	const char *pid;
	int c, fd;

	if (!target_start(&t, TARGET_C, NULL, NULL, __func__))
		return;
	target_listen(&t, "127.0.0.1");
	pid = tl_str("%d", t.pid);

	tcpshim(&p, NULL, "abort", pid, tl_str("%d", t.lfd), NULL);
	ck_assert_int_eq(p.status, 1);
	ck_assert_ptr_nonnull(strstr(p.err, "a listener, nothing to reset"));
	ck_assert_str_eq(p.out, "");
	tl_free(&p);

	tcpshim(&p, NULL, "abort", pid, NULL);
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.err, "name the connections"));
	tl_free(&p);

	tcpshim(&p, NULL, "abort", pid, "999", NULL);
	ck_assert_int_eq(p.status, 1);
	ck_assert_ptr_nonnull(strstr(p.err, "fd 999: not a TCP socket"));
	tl_free(&p);

	tcpshim(&p, NULL, "abort", pid, "--peer", "nowhere", NULL);
	ck_assert_int_eq(p.status, 2);
	tl_free(&p);

	/* An IPv4 address in brackets is an address like any other. */
	tcpshim(&p, NULL, "abort", pid, "--peer", "[127.0.0.9]:80", NULL);
	ck_assert_int_eq(p.status, 0);
	ck_assert_ptr_nonnull(strstr(p.err, "no connection matches"));
	tl_free(&p);

	tcpshim(&p, NULL, "keepalive", pid, "0,1,1", NULL);
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.err, "keepalive \"0,1,1\" is not "
					    "valid"));
	ck_assert_str_eq(p.out, "");
	tl_free(&p);

	tcpshim(&p, NULL, "ls", "2147483647", NULL);
	ck_assert_int_eq(p.status, 1);
	ck_assert_ptr_nonnull(strstr(p.err, "no such process: 2147483647"));
	tl_free(&p);

	tcpshim(&p, NULL, "ls", "me", NULL);
	ck_assert_int_eq(p.status, 2);
	tl_free(&p);

	/* Still serving. */
	c = target_connect(&t, AF_INET, &fd, NULL);
	close(c);
	target_stop(&t);
}
END_TEST

START_TEST(test_help)
{
	static const char *const cmd[] = { "ls", "abort", "keepalive" };
	struct tl_proc p;

	for (int i = 0; i < 3; i++) {
		tcpshim(&p, NULL, cmd[i], "--help", NULL);
		ck_assert_int_eq(p.status, 0);
		ck_assert_ptr_nonnull(strstr(p.out, tl_str("usage: tcpshim %s",
							   cmd[i])));
		tl_free(&p);
	}
}
END_TEST

/* The owner, not root, lists and resets its own process's connection. */
START_TEST(test_unprivileged_owner)
{
	const char *const as_nobody[] = { SETPRIV_NOBODY, NULL };
	struct target t;
	struct tl_proc p;
	int c, fd, scope = ptrace_scope();

	if (!tl_is_root()) {
		tl_skip(__func__, "needs root to run the target as nobody");
		return;
	}
	if (!target_start(&t, _i, NULL, as_nobody, __func__))
		return;
	target_listen(&t, "127.0.0.1");
	c = target_connect(&t, AF_INET, &fd, NULL);
	tcpshim(&p, as_nobody, "ls", "--json", tl_str("%d", t.pid), NULL);
	ck_assert_msg(p.status == 0, "%s", p.err);
	ck_assert_int_eq(tl_count_lines(p.out), 2);
	tl_free(&p);

	tcpshim(&p, as_nobody, "abort", "--json", tl_str("%d", t.pid),
		tl_str("%d", fd), NULL);
	if (scope >= 1) {
		/* Yama lets only a parent reach its child: said so. */
		ck_assert_int_eq(p.status, 1);
		ck_assert_ptr_nonnull(strstr(p.err, "ptrace_scope"));
		tl_skip("test_unprivileged_owner_abort",
			"kernel.yama.ptrace_scope is not 0");
	} else {
		assert_killed(&p, t.pid, fd);
		ck_assert_int_eq(peer_recv_errno(c), ECONNRESET);
		target_call(&t, "recv", fd, "ECONNRESET");
	}
	tl_free(&p);
	close(c);
	target_stop(&t);
}
END_TEST

/* Another user's process: refused, exit 1, untouched and still serving. */
START_TEST(test_other_users_process_refused)
{
	const char *const as_nobody[] = { SETPRIV_NOBODY, NULL };
	struct target t;
	struct tl_proc p;
	const char *pid;
	char byte = 'x';
	int c, fd;

	if (!tl_is_root()) {
		tl_skip(__func__, "needs root to act as another user");
		return;
	}
	if (!target_start(&t, _i, NULL, NULL, __func__))
		return;
	target_listen(&t, "127.0.0.1");
	c = target_connect(&t, AF_INET, &fd, NULL);
	pid = tl_str("%d", t.pid);

	tcpshim(&p, as_nobody, "ls", pid, NULL);
	ck_assert_int_eq(p.status, 1);
	ck_assert_ptr_nonnull(strstr(p.err, "belongs to uid 0, not to you"));
	tl_free(&p);
	tcpshim(&p, as_nobody, "abort", pid, tl_str("%d", fd), NULL);
	ck_assert_int_eq(p.status, 1);
	ck_assert_ptr_nonnull(strstr(p.err, "belongs to uid 0, not to you"));
	ck_assert_str_eq(p.out, "");
	tl_free(&p);
	tcpshim(&p, as_nobody, "keepalive", pid, "5,1,3", NULL);
	ck_assert_int_eq(p.status, 1);
	tl_free(&p);

	ck_assert_int_eq(send(c, &byte, 1, 0), 1);
	target_call(&t, "recv", fd, "ok 1");
	target_call(&t, "send", fd, "ok");
	ck_assert_int_eq(tl_read_n(c, &byte, 1, 10000), 0);
	close(c);
	target_stop(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("live");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_ls_matches_ss, 0, TARGET_KINDS);
	tcase_add_loop_test(tc, test_abort_by_fd_peer_cookie, 0, TARGET_KINDS);
	tcase_add_test(tc, test_abort_preloaded_logs_killed);
	tcase_add_test(tc, test_abort_blocked_call);
	tcase_add_test(tc, test_abort_refuses_listener_and_bad_usage);
	tcase_add_test(tc, test_help);
	tcase_add_loop_test(tc, test_unprivileged_owner, 0, TARGET_KINDS);
	tcase_add_loop_test(tc, test_other_users_process_refused, 0,
			    TARGET_KINDS);
	suite_add_tcase(s, tc);
	return tl_main(s);
}
