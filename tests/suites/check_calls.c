/*
 * check_calls.c - the wrappers of the less common calls, each against a
 * real socket: sendmsg, recvmsg, sendmmsg, recvmmsg, writev, readv,
 * sendfile, sendfile64, fcntl64, and a socket passed with SCM_RIGHTS.
 * Each moves bytes both ways (counted in the event) and meets a reset
 * (named in the event's call); a socket passed away is not this
 * process's reset to log while the other holds it, and one received is
 * the receiver's; SIGPIPE on a socket the shim does not track is the
 * kernel's as ever.  The programs are tests/programs/prog_calls.c and
 * tests/programs/prog_unix.c.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

/* The peer, on a: read "hi", write "ok", and once the program has read
 * it (it says so, a line that starts with got), reset. */
static void peer_resets(struct scenario *sc, int a, const char *got)
{
	char buf[64];

	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(write(a, "ok", 2), 2);
	ck_assert_int_eq(tl_expect(&sc->p, got, 10000, buf, sizeof(buf)), 0);
	tl_reset(a);
}

/* calls: "SEND,RECV,REVEAL"; call: the event's call for REVEAL. */
static void via(const char *calls, const char *call, const char *out)
{
	struct scenario sc = { .prog = "tests/prog_calls", .interactive = 1 };
	char line[1024], local[64], peer[64], got[32];
	int a;

	/* The receiving call: the second of the three. */
	snprintf(got, sizeof(got), "%.*s ",
		 (int)strcspn(strchr(calls, ',') + 1, ","),
		 strchr(calls, ',') + 1);
	a = sc_start_accept(&sc, "via", AF_INET, calls, NULL, local, peer);
	peer_resets(&sc, a, got);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, out);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "peer_reset", call,
			"ECONNRESET", local, peer);
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	TL_ASSERT_FIELD(line, "bytes_received", "2");
	sc_free(&sc);
}

START_TEST(sendmsg_and_recvmsg)
{
	via("sendmsg,recvmsg,sendmsg", "sendmsg",
	    "sendmsg 2\nrecvmsg 2\nsendmsg -1 ECONNRESET\n");
}
END_TEST

START_TEST(sendmmsg_and_recvmmsg)
{
	via("sendmmsg,recvmmsg,recvmmsg", "recvmmsg",
	    "sendmmsg 2\nrecvmmsg 2\nrecvmmsg -1 ECONNRESET\n");
}
END_TEST

START_TEST(writev_and_readv)
{
	via("writev,readv,readv", "readv",
	    "writev 2\nreadv 2\nreadv -1 ECONNRESET\n");
	via("writev,readv,writev", "writev",
	    "writev 2\nreadv 2\nwritev -1 ECONNRESET\n");
}
END_TEST

START_TEST(sendfile_and_sendfile64)
{
	via("sendfile,read,sendfile", "sendfile",
	    "sendfile 2\nread 2\nsendfile -1 ECONNRESET\n");
	via("sendfile64,recv,sendfile64", "sendfile",
	    "sendfile64 2\nrecv 2\nsendfile64 -1 ECONNRESET\n");
}
END_TEST

/* A copy made with fcntl64 is the same connection. */
START_TEST(fcntl64_copy_is_the_same_connection)
{
	struct scenario sc = { .prog = "tests/prog_calls", .interactive = 1 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, "fcntl64", AF_INET, NULL, NULL, local, peer);
	peer_resets(&sc, a, "recv ");
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "fcntl64 0\nsend 2\nrecv 2\n"
				   "send -1 ECONNRESET\n");
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "peer_reset", "send",
			"ECONNRESET", local, peer);
	TL_ASSERT_FIELD(line, "conn", "1");
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	sc_free(&sc);
}
END_TEST

/*
 * Scenario name of prog passes the connection with SCM_RIGHTS to a child
 * and lets go of its own copy with data unread, saying so with a line
 * that starts with gone; the child reads to the end and exits, its close
 * orderly.  The other process held it all along: no RST leaves, and
 * nothing is logged.  out: all the program prints.
 */
static void passed(const char *prog, const char *name, const char *gone,
		   const char *out)
{
	struct scenario sc = { .prog = prog, .interactive = 1 };
	char local[64], peer[64], buf[8], said[64];
	int a;

	a = sc_start_accept(&sc, name, AF_INET, NULL, NULL, local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(write(a, "data", 4), 4);
	ck_assert_int_eq(tl_expect(&sc.p, gone, 10000, said, sizeof(said)), 0);
	ck_assert_int_eq(write(a, "more", 4), 4);
	shutdown(a, SHUT_WR);
	ck_assert_int_eq(tl_poll(a, POLLIN, 10000), 0);
	ck_assert_int_eq(read(a, buf, sizeof(buf)), 0);
	close(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, out);
	ck_assert_str_eq(said, gone);
	ck_assert_str_eq(sc.log, "");
	sc_free(&sc);
}

/* Passed, then closed here. */
START_TEST(socket_passed_with_scm_rights_is_not_reset_here)
{
	passed("tests/prog_calls", "rights", "close 0",
	       "send 2\nsendmsg 1\nclose 0\nchild 0\n");
}
END_TEST

/*
 * Passed over a socket pair that took the number of a TCP socket closed
 * where no wrapper saw it (fclose), the child forked before the
 * connection; then the program exits with the connection open.
 */
START_TEST(socket_passed_over_a_reused_number_is_not_reset_at_exit)
{
	passed("tests/prog_unix", "rights-stale", "sendmsg 1",
	       "send 2\nsendmsg 1\n");
}
END_TEST

/*
 * The send calls ask the kernel for no SIGPIPE on every socket and raise
 * it themselves: on a socket tcpshim does not track (a Unix socket), the
 * signal still does what it does without the shim, and nothing is
 * logged.
 */
static void unix_sigpipe(const char *call)
{
	static const struct {
		const char *how;
		int status;
		const char *out;
	} cases[] = {
		{ "default", 128 + SIGPIPE, "" },
		{ "ignore", 0, " -1 EPIPE\nsignals 0\n" },
		{ "handler", 0, " -1 EPIPE\nsignals 1\n" },
		{ "nosignal", 0, " -1 EPIPE\nsignals 0\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scenario sc = { .prog = "tests/prog_unix" };
		char arg[64], out[64];

		snprintf(arg, sizeof(arg), "%s,%s", cases[i].how, call);
		snprintf(out, sizeof(out), "%s%s", *cases[i].out ? call : "",
			 cases[i].out);
		sc_start(&sc, "sigpipe", AF_INET, 0, arg, NULL);
		sc_finish(&sc);
		ck_assert_msg(sc.p.status == cases[i].status, "%s: status %d",
			      arg, sc.p.status);
		ck_assert_str_eq(sc.p.out, out);
		ck_assert_str_eq(sc.log, "");
		sc_free(&sc);
	}
}

/* EPIPE without SIGPIPE, as the kernel has it, on sockets that are no
 * streams: the program lives. */
static void no_sigpipe(const char *how, const char *call)
{
	struct scenario sc = { .prog = "tests/prog_unix" };
	char arg[64], out[64];

	snprintf(arg, sizeof(arg), "%s,%s", how, call);
	snprintf(out, sizeof(out), "%s -1 EPIPE\nalive\n", call);
	sc_start(&sc, "sigpipe", AF_INET, 0, arg, NULL);
	sc_finish(&sc);
	ck_assert_msg(sc.p.status == 0, "%s: status %d", arg, sc.p.status);
	ck_assert_str_eq(sc.p.out, out);
	ck_assert_str_eq(sc.log, "");
	sc_free(&sc);
}

START_TEST(sigpipe_on_an_untracked_socket_as_without_the_shim)
{
	no_sigpipe("seqpacket", "send");
	no_sigpipe("udp", "send");
	no_sigpipe("udp", "sendto");
	unix_sigpipe("send");
	unix_sigpipe("sendto");
	unix_sigpipe("sendmsg");
	unix_sigpipe("sendmmsg");
}
END_TEST

/*
 * Handed to a worker with SCM_RIGHTS, which ends the connection by how
 * (tests/programs/prog_calls.c): the worker logs the event, with the totals the
 * kernel counted before the handoff (the program sent "hi") and the peer
 * it learnt when the socket arrived.
 */
struct handoff_case {
	const char *calls, *sent;		/* SEND,RECV,HOW; SEND */
	const char *event, *cause, *call, *err;
	const char *received;			/* bytes_received */
};

static void handed_off(const struct handoff_case *h)
{
	struct scenario sc = { .prog = "tests/prog_calls", .interactive = 1 };
	char line[1024], local[64], peer[64], out[128], buf[8];
	int a, worker;

	a = sc_start_accept(&sc, "handoff", AF_INET, h->calls, NULL, local,
			    peer);
	if (strcmp(h->cause, "peer_reset") == 0) {
		ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
		ck_assert_int_eq(write(a, "data", 4), 4);
		ck_assert_int_eq(tl_expect(&sc.p, "close 0", 10000, buf,
					   sizeof(buf)), 0);
		tl_reset(a);
	} else {
		sc_peer_sees_rst(a, "data");
	}
	sc_finish(&sc);
	ck_assert_int_eq(sscanf(strstr(sc.p.out, "worker "), "worker %d",
				&worker), 1);
	snprintf(out, sizeof(out), "send 2\n%s 1\nclose 0\nworker %d 0\n",
		 h->sent, worker);
	ck_assert_str_eq(sc.p.out, out);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, h->event, h->cause, h->call, h->err, local,
			peer);
	TL_ASSERT_FIELD(line, "pid", tl_str("%d", worker));
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	TL_ASSERT_FIELD(line, "bytes_received", h->received);
	sc_free(&sc);
}

START_TEST(socket_received_with_recvmsg_is_logged_by_its_worker)
{
	handed_off(&(struct handoff_case){
		"sendmsg,recvmsg,unread", "sendmsg", "rst_sent",
		"unread_data", "close", "null", "1" });
}
END_TEST

START_TEST(socket_received_with_recvmmsg_is_logged_by_its_worker)
{
	handed_off(&(struct handoff_case){
		"sendmmsg,recvmmsg,unread", "sendmmsg", "rst_sent",
		"unread_data", "close", "null", "1" });
}
END_TEST

/* SO_LINGER {1, 0}, set before the handoff, goes with the socket. */
START_TEST(received_socket_keeps_its_linger0)
{
	handed_off(&(struct handoff_case){
		"sendmsg,recvmsg,linger0", "sendmsg", "rst_sent", "linger0",
		"close", "null", "4" });
}
END_TEST

/* The peer's reset, met by the worker, names the peer: it was learnt
 * when the socket arrived (after a reset, getpeername fails). */
START_TEST(received_socket_reset_by_its_peer_names_it)
{
	handed_off(&(struct handoff_case){
		"sendmsg,recvmsg,reset", "sendmsg", "rst_received",
		"peer_reset", "read", "ECONNRESET", "4" });
}
END_TEST

/*
 * A process that holds one socket under two records (it gave the socket
 * to itself) and closes both at once, from two threads, many times: both
 * closes may find the socket gone, and still one event per socket.
 */
START_TEST(socket_closed_twice_at_once_is_logged_once)
{
	struct scenario sc = { .prog = "tests/prog_calls" };
	char line[1024], cookie[32], event[32], seen[300][32];
	int sent = 0, n;

	sc_start(&sc, "selfpass", AF_INET, 0, "300", NULL);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "selfpass 300\n");
	/* Each connection: the reset its server end sent, and the one its
	 * client end received. */
	n = tl_count_lines(sc.log);
	ck_assert_int_eq(n, 600);
	for (int i = 0; i < n; i++) {
		ck_assert(tl_line(sc.log, i, line, sizeof(line)));
		ck_assert(tl_json(line, "event", event, sizeof(event)));
		if (strcmp(event, "rst_sent") != 0)
			continue;
		TL_ASSERT_FIELD(line, "cause", "unread_data");
		ck_assert(tl_json(line, "cookie", cookie, sizeof(cookie)));
		for (int j = 0; j < sent; j++)
			ck_assert_msg(strcmp(seen[j], cookie) != 0,
				      "cookie %s logged twice", cookie);
		snprintf(seen[sent++], sizeof(seen[0]), "%s", cookie);
	}
	ck_assert_int_eq(sent, 300);
	sc_free(&sc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("calls");
	TCase *tc = tcase_create("calls");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, sendmsg_and_recvmsg);
	tcase_add_test(tc, sendmmsg_and_recvmmsg);
	tcase_add_test(tc, writev_and_readv);
	tcase_add_test(tc, sendfile_and_sendfile64);
	tcase_add_test(tc, fcntl64_copy_is_the_same_connection);
	tcase_add_test(tc, socket_passed_with_scm_rights_is_not_reset_here);
	tcase_add_test(tc,
		       socket_passed_over_a_reused_number_is_not_reset_at_exit);
	tcase_add_test(tc, sigpipe_on_an_untracked_socket_as_without_the_shim);
	tcase_add_test(tc, socket_received_with_recvmsg_is_logged_by_its_worker);
	tcase_add_test(tc,
		       socket_received_with_recvmmsg_is_logged_by_its_worker);
	tcase_add_test(tc, received_socket_keeps_its_linger0);
	tcase_add_test(tc, received_socket_reset_by_its_peer_names_it);
	tcase_add_test(tc, socket_closed_twice_at_once_is_logged_once);
	suite_add_tcase(s, tc);
	return tl_main(s);
}
