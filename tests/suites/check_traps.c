/*
 * check_traps - the ways a preload library breaks its host, each tried:
 * close_range and dup2 over tracked sockets, fork while a thread is
 * blocked in send, close from a signal handler, a program that closes
 * every descriptor (the shim's log among them) or puts its own file or
 * socket at the log's number, errno after every call, and bad settings.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "testlib.h"

/* Accept, write "data", and expect the RST of a close with unread data. */
static int peer_writes_then_sees_rst(int lfd, char *local, char *peer)
{
	int a = sc_accept(lfd, local, peer);

	ck_assert_int_eq(write(a, "data", 4), 4);
	return a;
}

static void assert_reset(int a)
{
	char buf[8];

	ck_assert_int_eq(tl_poll(a, POLLIN, 10000), 0);
	ck_assert_int_eq(read(a, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(a);
}

/* how: "" for close_range(), "syscall" for syscall(SYS_close_range). */
static void close_range_over(const char *how)
{
	struct scenario sc = { 0 };
	char line[1024], l1[64], p1[64], l2[64], p2[64], want[64];
	int port, lfd = tl_listen(AF_INET, &port), a, b, fa, fb;

	sc_start(&sc, "close-range", AF_INET, port, how, NULL);
	a = peer_writes_then_sees_rst(lfd, l1, p1);
	b = peer_writes_then_sees_rst(lfd, l2, p2);
	assert_reset(a);
	assert_reset(b);
	sc_finish(&sc);
	ck_assert_int_eq(sscanf(sc.p.out, "fds %d %d", &fa, &fb), 2);
	ck_assert_msg(strstr(sc.p.out, "close_range 0\n") != NULL, "%s",
		      sc.p.out);
	ck_assert_int_eq(tl_count_lines(sc.log), 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_ptr_nonnull(tl_line(sc.log, i, line, sizeof(line)));
		sc_assert_event(line, "rst_sent", "unread_data", "close_range",
				"null", NULL, NULL);
	}
	snprintf(want, sizeof(want), "\"fd\":%d,", fa);
	ck_assert_ptr_nonnull(strstr(sc.log, want));
	snprintf(want, sizeof(want), "\"fd\":%d,", fb);
	ck_assert_ptr_nonnull(strstr(sc.log, want));
	close(lfd);
	sc_free(&sc);
}

START_TEST(close_range_over_tracked_sockets)
{
	close_range_over("");
}
END_TEST

START_TEST(close_range_through_syscall)
{
	close_range_over("syscall");
}
END_TEST

START_TEST(dup2_onto_a_tracked_socket_closes_it)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64], want[64];
	int a, fd;

	a = sc_start_accept(&sc, "dup2-over", AF_INET, NULL, NULL, local, peer);
	ck_assert_int_eq(write(a, "data", 4), 4);
	assert_reset(a);
	sc_finish(&sc);
	ck_assert_int_eq(sscanf(sc.p.out, "fd %d", &fd), 1);
	snprintf(want, sizeof(want), "fd %d\ndup2 %d\n", fd, fd);
	ck_assert_str_eq(sc.p.out, want);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_sent", "unread_data", "dup2", "null", local,
			peer);
	snprintf(want, sizeof(want), "%d", fd);
	TL_ASSERT_FIELD(line, "fd", want);
	sc_free(&sc);
}
END_TEST

START_TEST(tracking_follows_a_socket_moved_by_dup2)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, "dup2-track", AF_INET, NULL, NULL,
			    local, peer);
	sc_peer_sees_rst(a, "data");
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "dup2 200\nclose 0\n");
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_sent", "unread_data", "close", "null",
			local, peer);
	TL_ASSERT_FIELD(line, "fd", "200");
	TL_ASSERT_FIELD(line, "conn", "1");
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	sc_free(&sc);
}
END_TEST

/* A descriptor closed where no wrapper saw it: the next socket() that
 * gets its number starts a clean record. */
START_TEST(stale_slot_is_reset_when_the_number_comes_back)
{
	struct scenario sc = { 0 };
	char local[64], peer[64], line[1024], closed[16], buf[2];
	int a;

	snprintf(closed, sizeof(closed), "%d", tl_closed_port(AF_INET));
	a = sc_start_accept(&sc, "stale", AF_INET, closed, NULL, local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	sc_finish(&sc);
	close(a);
	ck_assert_str_eq(sc.p.out, "same 1\nconnect -1 ECONNREFUSED\n");
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "refused", "connect",
			"ECONNREFUSED", NULL, NULL);
	TL_ASSERT_FIELD(line, "conn", "3");
	TL_ASSERT_FIELD(line, "bytes_sent", "0");
	sc_free(&sc);
}
END_TEST

START_TEST(fork_while_another_thread_is_blocked_in_send)
{
	struct scenario sc = { 0 };
	char local[64], peer[64];
	int a;

	/* Accepted, and never read. */
	a = sc_start_accept(&sc, "fork-send", AF_INET, NULL, NULL, local, peer);
	sc_finish(&sc);
	close(a);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, "child 0\njoined 0\n");
	sc_free(&sc);
}
END_TEST

START_TEST(signal_handler_closes_and_dups_in_a_loop)
{
	struct scenario sc = { 0 };

	sc_start(&sc, "signal-close", AF_INET, 0, NULL, NULL);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, "rounds 2000 signals yes\n");
	sc_free(&sc);
}
END_TEST

START_TEST(program_closes_every_descriptor_up_to_its_limit)
{
	struct scenario sc = { 0 };
	int port = tl_closed_port(AF_INET);

	sc_start(&sc, "close-all", AF_INET, port, NULL, NULL);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_msg(strncmp(sc.p.out, "connect -1 ECONNREFUSED\n"
					"connect -1 ECONNREFUSED\nclosed ",
			      strlen("connect -1 ECONNREFUSED\n"
				     "connect -1 ECONNREFUSED\nclosed ")) == 0,
		      "%s", sc.p.out);
	/* The shim's log was closed with the rest; it opened it again. */
	ck_assert_int_eq(tl_count_lines(sc.log), 2);
	sc_free(&sc);
}
END_TEST

START_TEST(errno_is_exactly_what_libc_set)
{
	struct scenario sc = { 0 };
	int port = tl_closed_port(AF_INET);

	sc_start(&sc, "errno", AF_INET, port, NULL, NULL);
	sc_finish(&sc);
	ck_assert_msg(sc.p.status == 0, "%s", sc.p.out);
	ck_assert_msg(strstr(sc.p.out, "errno ok\n") != NULL, "%s", sc.p.out);
	sc_free(&sc);
}
END_TEST

/* The program closes the shim's log and opens its own file, which gets
 * the same number: no log line may land in it. */
START_TEST(log_never_lands_in_a_file_at_its_old_number)
{
	struct scenario sc = { 0 };
	int port = tl_closed_port(AF_INET);
	const char *victim = tl_tmp("victim");
	struct stat st;
	char *content;

	sc_start(&sc, "logfd-close", AF_INET, port, victim, NULL);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\n"
				   "append 1 cloexec 1\nsame 1\n"
				   "connect -1 ECONNREFUSED\n");
	content = tl_slurp(victim);
	ck_assert_str_eq(content, "");
	free(content);
	ck_assert_int_eq(tl_count_lines(sc.log), 2);
	/* Opened 0600, whatever the umask. */
	ck_assert_int_eq(stat(sc.log_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	sc_free(&sc);
}
END_TEST

/* The program dup2s a socket over the shim's log descriptor: the peer
 * receives exactly what the program sent. */
START_TEST(log_never_lands_in_a_socket_put_at_its_number)
{
	struct scenario sc = { 0 };
	int closed = tl_closed_port(AF_INET);
	int port, lfd = tl_listen(AF_INET, &port), a;
	char portarg[16], got[256] = "";
	size_t n = 0;
	ssize_t r;

	snprintf(portarg, sizeof(portarg), "%d", port);
	sc_start(&sc, "logfd-dup2", AF_INET, closed, portarg, NULL);
	a = tl_accept(lfd, 10000);
	ck_assert_int_ge(a, 0);
	while (tl_poll(a, POLLIN, 10000) == 0 &&
	       (r = read(a, got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)r;
	got[n] = '\0';
	sc_finish(&sc);
	ck_assert_str_eq(got, "hello");
	ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\ndup2 0\n"
				   "connect -1 ECONNREFUSED\n");
	ck_assert_int_eq(tl_count_lines(sc.log), 2);
	close(a);
	close(lfd);
	sc_free(&sc);
}
END_TEST

START_TEST(bad_settings_warn_once_each_and_the_program_runs_on)
{
	struct scenario sc = { .stderr_ok = 1 };
	const char *env[] = { "TCPSHIM_KEEPALIVE=abc", "TCPSHIM_CLOSE=sometimes",
			      NULL };
	int port = tl_closed_port(AF_INET);

	sc_start(&sc, "connect", AF_INET, port, NULL, env);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\n");
	ck_assert_str_eq(sc.p.err,
			 "tcpshim: TCPSHIM_KEEPALIVE=\"abc\" is not valid: "
			 "expected IDLE,INTERVAL,COUNT in seconds (e.g. "
			 "60,10,5; idle and interval 1-32767, count 1-127); "
			 "keepalive left untouched\n"
			 "tcpshim: TCPSHIM_CLOSE=\"sometimes\" is not valid: "
			 "expected normal or abort; closing normally\n");
	/* The other settings still hold: the event is in the JSON log. */
	ck_assert_int_eq(tl_count_lines(sc.log), 1);
	sc_free(&sc);
}
END_TEST

START_TEST(unwritable_log_path_warns_and_logs_to_stderr)
{
	struct scenario sc = { .stderr_ok = 1 };
	const char *env[] = { "TCPSHIM_LOG=/nonexistent/dir/events.log", NULL };
	int port = tl_closed_port(AF_INET);
	char line[1024];

	sc_start(&sc, "connect", AF_INET, port, NULL, env);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\n");
	ck_assert_int_eq(tl_count_lines(sc.p.err), 2);
	tl_line(sc.p.err, 0, line, sizeof(line));
	ck_assert_str_eq(line, "tcpshim: cannot open log "
			       "/nonexistent/dir/events.log: ENOENT; logging "
			       "to stderr instead");
	tl_line(sc.p.err, 1, line, sizeof(line));
	sc_assert_event(line, "rst_received", "refused", "connect",
			"ECONNREFUSED", NULL, NULL);
	sc_free(&sc);
}
END_TEST

START_TEST(log_off_and_event_filter)
{
	struct scenario sc = { 0 };
	const char *off[] = { "TCPSHIM_LOG=off", NULL };
	const char *sent_only[] = { "TCPSHIM_EVENTS=rst_sent,close", NULL };
	const char *received[] = { "TCPSHIM_EVENTS=rst_received", NULL };
	int port = tl_closed_port(AF_INET);

	sc_start(&sc, "connect", AF_INET, port, NULL, off);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\n");
	ck_assert_str_eq(sc.p.err, "");
	sc_free(&sc);

	sc_start(&sc, "connect", AF_INET, port, NULL, sent_only);
	sc_finish(&sc);
	ck_assert_str_eq(sc.log, "");
	sc_free(&sc);

	sc_start(&sc, "connect", AF_INET, port, NULL, received);
	sc_finish(&sc);
	ck_assert_int_eq(tl_count_lines(sc.log), 1);
	sc_free(&sc);
}
END_TEST

START_TEST(stderr_is_the_default_log)
{
	struct scenario sc = { .stderr_ok = 1 };
	const char *env[] = { "TCPSHIM_LOG=stderr", NULL };
	int port = tl_closed_port(AF_INET);
	char line[1024];

	sc_start(&sc, "connect", AF_INET, port, NULL, env);
	sc_finish(&sc);
	TL_ONE_LINE(sc.p.err, line);
	sc_assert_event(line, "rst_received", "refused", "connect",
			"ECONNREFUSED", NULL, NULL);
	sc_free(&sc);
}
END_TEST

START_TEST(log_path_pid_is_expanded_and_lines_are_json)
{
	struct scenario sc = { 0 };
	const char *pattern = tl_tmp("events-%p.log");
	char env0[4200], path[4200], pid[32], line[1024], *log;
	const char *env[] = { env0, NULL };
	int port = tl_closed_port(AF_INET6);

	snprintf(env0, sizeof(env0), "TCPSHIM_LOG=%s", pattern);
	sc_start(&sc, "connect", AF_INET6, port, NULL, env);
	sc_finish(&sc);
	snprintf(pid, sizeof(pid), "%d", (int)sc.p.pid);
	snprintf(path, sizeof(path), "%.*s%s%s",
		 (int)(strstr(pattern, "%p") - pattern), pattern, pid,
		 strstr(pattern, "%p") + 2);
	log = tl_slurp(path);
	TL_ONE_LINE(log, line);
	TL_ASSERT_FIELD(line, "pid", pid);
	if (tl_have("python3")) {
		struct tl_proc p;
		const char *argv[] = { "/usr/bin/env", "python3", "-c",
				       "import json,sys\n"
				       "for l in open(sys.argv[1]):\n"
				       "    json.loads(l)\n"
				       "print('valid')",
				       path, NULL };

		tl_run(&p, NULL, argv);
		ck_assert_str_eq(p.out, "valid\n");
		tl_free(&p);
	} else {
		tl_skip("log_path_pid_is_expanded_and_lines_are_json",
			"python3 missing: JSON not validated by a parser");
	}
	free(log);
	sc_free(&sc);
}
END_TEST

/* syslog, for real: a private mount namespace with its own /dev/log. */
START_TEST(syslog_receives_one_datagram_per_event)
{
	struct scenario sc = { 0 };
	const char *env[] = { "TCPSHIM_LOG=syslog", "TCPSHIM_FORMAT=text",
			      NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX,
				   .sun_path = "/dev/log" };
	int port = tl_closed_port(AF_INET);
	char msg[2048], want[64];
	ssize_t n;
	int fd;

	if (!tl_is_root()) {
		tl_skip("syslog_receives_one_datagram_per_event",
			"needs root for a private mount namespace");
		return;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tcpshim", "/dev", "tmpfs", 0, "mode=0755") != 0) {
		tl_skip("syslog_receives_one_datagram_per_event",
			"cannot make a private /dev (unshare or mount failed)");
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	sc_start(&sc, "connect", AF_INET, port, NULL, env);
	sc_finish(&sc);
	ck_assert_int_eq(tl_poll(fd, POLLIN, 10000), 0);
	n = recv(fd, msg, sizeof(msg) - 1, 0);
	ck_assert_int_gt(n, 0);
	msg[n] = '\0';
	/* facility daemon, severity warning: <28>; syslog's own tag, and no
	 * second tag or time from the line */
	snprintf(want, sizeof(want), "<28>tcpshim[%d]: rst_received "
		 "cause=refused call=connect errno=ECONNREFUSED fd=",
		 (int)sc.p.pid);
	ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s", msg);
	ck_assert_ptr_null(strchr(msg, '\n'));
	ck_assert_int_eq(recv(fd, msg, sizeof(msg), MSG_DONTWAIT), -1);
	sc_free(&sc);

	/* The daemon restarts: a new /dev/log.  The next event reaches it. */
	sc.interactive = 1;
	sc_start(&sc, "syslog-restart", AF_INET, port, NULL, env);
	ck_assert_int_eq(tl_poll(fd, POLLIN, 10000), 0);
	ck_assert_int_gt(recv(fd, msg, sizeof(msg) - 1, 0), 0);
	close(fd);
	unlink("/dev/log");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	tl_say(&sc.p, "go");
	sc_finish(&sc);
	ck_assert_int_eq(tl_poll(fd, POLLIN, 10000), 0);
	n = recv(fd, msg, sizeof(msg) - 1, 0);
	ck_assert_int_gt(n, 0);
	msg[n] = '\0';
	ck_assert_msg(strstr(msg, "rst_received cause=refused") != NULL, "%s",
		      msg);
	close(fd);
	sc_free(&sc);
}
END_TEST

/* --- a connection's life: what the shim must not get wrong --- */

START_TEST(no_log_line_lands_in_a_file_that_took_number_2)
{
	struct scenario sc = { .stderr_ok = 1 };
	const char *env[] = { "TCPSHIM_LOG=stderr", NULL };
	const char *victim = tl_tmp("data.db");
	char *content;

	sc_start(&sc, "stderr-closed", AF_INET, tl_closed_port(AF_INET),
		 victim, env);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "fd 2\nconnect -1 ECONNREFUSED\n");
	content = tl_slurp(victim);
	ck_assert_str_eq(content, "");
	free(content);
	sc_free(&sc);
}
END_TEST

START_TEST(log_follows_a_stderr_the_program_put_in_place)
{
	struct scenario sc = { 0 };
	const char *env[] = { "TCPSHIM_LOG=stderr", NULL };
	const char *file = tl_tmp("stderr.txt");
	char *content, line[1024];

	sc_start(&sc, "stderr-replaced", AF_INET, tl_closed_port(AF_INET),
		 file, env);
	sc_finish(&sc);
	content = tl_slurp(file);
	TL_ONE_LINE(content, line);
	sc_assert_event(line, "rst_received", "refused", "connect",
			"ECONNREFUSED", NULL, NULL);
	free(content);
	sc_free(&sc);
}
END_TEST

START_TEST(socket_closed_inside_glibc_leaves_no_stale_record)
{
	struct scenario sc = { 0 };
	char local[64], peer[64], buf[2];
	int a;

	a = sc_start_accept(&sc, "fdopen", AF_INET, NULL, NULL, local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "same 1\nrecv -1 ECONNRESET\n");
	/* The UNIX socket's reset is not logged as the old TCP peer's. */
	ck_assert_str_eq(sc.log, "");
	close(a);
	sc_free(&sc);
}
END_TEST

START_TEST(socket_that_connects_again_is_a_new_connection)
{
	struct scenario sc = { 0 };
	char local[64], peer[64], line[1024], buf[2];
	int a;

	a = sc_start_accept(&sc, "reconnect", AF_INET,
			    tl_str("%d", tl_closed_port(AF_INET)), NULL,
			    local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	tl_reset(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\nconnect 0\n"
				   "recv -1 ECONNRESET\n");
	ck_assert_int_eq(tl_count_lines(sc.log), 2);
	tl_line(sc.log, 0, line, sizeof(line));
	TL_ASSERT_FIELD(line, "cause", "refused");
	TL_ASSERT_FIELD(line, "conn", "1");
	tl_line(sc.log, 1, line, sizeof(line));
	sc_assert_event(line, "rst_received", "peer_reset", "recv",
			"ECONNRESET", local, peer);
	TL_ASSERT_FIELD(line, "conn", "2");
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	sc_free(&sc);
}
END_TEST

START_TEST(failed_dup3_leaves_its_target_tracked)
{
	struct scenario sc = { 0 };
	char local[64], peer[64], line[1024];
	int a;

	a = sc_start_accept(&sc, "dup3-fails", AF_INET, NULL, NULL,
			    local, peer);
	sc_peer_sees_rst(a, "data");
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "dup3 -1 EINVAL\nclose 0\n");
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_sent", "unread_data", "close", "null",
			local, peer);
	sc_free(&sc);
}
END_TEST

START_TEST(peeked_bytes_are_not_counted_twice)
{
	struct scenario sc = { 0 };
	char local[64], peer[64], line[1024], buf[2];
	int a;

	a = sc_start_accept(&sc, "peek", AF_INET, NULL, NULL, local, peer);
	ck_assert_int_eq(write(a, "data", 4), 4);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	tl_reset(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "peek 4\nrecv 4\nrecv -1 ECONNRESET\n");
	TL_ONE_LINE(sc.log, line);
	TL_ASSERT_FIELD(line, "bytes_received", "4");
	sc_free(&sc);
}
END_TEST

START_TEST(epipe_on_a_socket_never_connected_is_no_reset)
{
	struct scenario sc = { 0 };

	sc_start(&sc, "unconnected-send", AF_INET, 0, NULL, NULL);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "send -1 EPIPE\n");
	ck_assert_str_eq(sc.log, "");
	sc_free(&sc);
}
END_TEST

/* A non-PIE program's canonical entry for tcp_abort is not a second copy
 * of the library: the shim stays on. */
START_TEST(non_pie_program_taking_the_api_address_keeps_the_shim_on)
{
	const char *log = tl_tmp("nopie.log");
	int port = tl_closed_port(AF_INET);
	const char *argv[] = { tl_path("tests/prog_linked_nopie"),
			       tl_str("%d", port), NULL };
	const char *env[] = { tl_str("TCPSHIM_LOG=%s", log),
			      "TCPSHIM_FORMAT=json", NULL };
	struct tl_proc p;
	char *text, line[1024];

	tl_run(&p, env, argv);
	ck_assert_str_eq(p.out, "connect -1 ECONNREFUSED\n"
				"tcp_peer_status 0 reset\ntcp_abort 0\n");
	text = tl_slurp(log);
	TL_ONE_LINE(text, line);
	TL_ASSERT_FIELD(line, "cause", "refused");
	free(text);
	tl_free(&p);
}
END_TEST

Suite *traps_suite(void)
{
	Suite *s = suite_create("traps");
	TCase *fds = tcase_create("descriptors");
	TCase *proc = tcase_create("processes");
	TCase *log = tcase_create("log");
	TCase *life = tcase_create("lifecycle");

	tcase_set_timeout(fds, 30);
	tcase_set_timeout(proc, 60);
	tcase_set_timeout(log, 30);
	tcase_add_test(fds, close_range_over_tracked_sockets);
	tcase_add_test(fds, close_range_through_syscall);
	tcase_add_test(fds, dup2_onto_a_tracked_socket_closes_it);
	tcase_add_test(fds, tracking_follows_a_socket_moved_by_dup2);
	tcase_add_test(fds, program_closes_every_descriptor_up_to_its_limit);
	tcase_add_test(fds, stale_slot_is_reset_when_the_number_comes_back);
	tcase_add_test(proc, fork_while_another_thread_is_blocked_in_send);
	tcase_add_test(proc, signal_handler_closes_and_dups_in_a_loop);
	tcase_add_test(proc, errno_is_exactly_what_libc_set);
	tcase_add_test(log, log_never_lands_in_a_file_at_its_old_number);
	tcase_add_test(log, log_never_lands_in_a_socket_put_at_its_number);
	tcase_add_test(log, bad_settings_warn_once_each_and_the_program_runs_on);
	tcase_add_test(log, unwritable_log_path_warns_and_logs_to_stderr);
	tcase_add_test(log, log_off_and_event_filter);
	tcase_add_test(log, stderr_is_the_default_log);
	tcase_add_test(log, log_path_pid_is_expanded_and_lines_are_json);
	tcase_add_test(log, syslog_receives_one_datagram_per_event);
	tcase_set_timeout(life, 30);
	tcase_add_test(life, no_log_line_lands_in_a_file_that_took_number_2);
	tcase_add_test(life, log_follows_a_stderr_the_program_put_in_place);
	tcase_add_test(life, socket_closed_inside_glibc_leaves_no_stale_record);
	tcase_add_test(life, socket_that_connects_again_is_a_new_connection);
	tcase_add_test(life, failed_dup3_leaves_its_target_tracked);
	tcase_add_test(life, peeked_bytes_are_not_counted_twice);
	tcase_add_test(life, epipe_on_a_socket_never_connected_is_no_reset);
	tcase_add_test(life,
		       non_pie_program_taking_the_api_address_keeps_the_shim_on);
	suite_add_tcase(s, fds);
	suite_add_tcase(s, life);
	suite_add_tcase(s, proc);
	suite_add_tcase(s, log);
	return s;
}

int main(void)
{
	return tl_main(traps_suite());
}
