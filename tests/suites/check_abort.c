/*
 * check_abort - tcp_abort() as the contract gives it: the RST leaves now
 * even while a dup or a forked child holds the connection; bad
 * descriptors get EBADF, ENOTSOCK or EOPNOTSUPP and stay open; sockets
 * with no connection are released quietly.  Also the program's own reset
 * with connect(AF_UNSPEC).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

static void aborting(int family, const char *how, const char *want_out)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, "abort", family, how, NULL, local, peer);
	/* The peer sees the RST while the other holder is still there. */
	ck_assert_int_eq(sc_peer_end(a), -ECONNRESET);
	close(a);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_msg(strncmp(sc.p.out, want_out, strlen(want_out)) == 0,
		      "output: %s", sc.p.out);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_sent", "abort", "tcp_abort", "null", local,
			peer);
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	TL_ASSERT_FIELD(line, "bytes_received", "2");
	sc_free(&sc);
}

START_TEST(abort_sends_rst_and_releases_fd)
{
	aborting(AF_INET, "plain", "tcp_abort 0\nfcntl -1 EBADF\n");
}
END_TEST

START_TEST(abort_sends_rst_and_releases_fd_ipv6)
{
	aborting(AF_INET6, "plain", "tcp_abort 0\nfcntl -1 EBADF\n");
}
END_TEST

/* The dup stays open on a connection that is gone: its send fails. */
START_TEST(abort_resets_while_a_dup_holds_the_connection)
{
	aborting(AF_INET, "dup",
		 "tcp_abort 0\nfcntl -1 EBADF\ndup_fcntl 0\ndup_send -1 E");
}
END_TEST

/* The child's copy is in state CLOSE (7) before the child lets go. */
START_TEST(abort_resets_while_a_forked_child_holds_the_connection)
{
	aborting(AF_INET, "fork", "tcp_abort 0\nfcntl -1 EBADF\nchild 7\n");
}
END_TEST

START_TEST(abort_refuses_what_is_not_tcp_and_leaves_it_open)
{
	struct scenario sc = { 0 };

	sc_start(&sc, "abort-bad", AF_INET, 0, NULL, NULL);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out,
			 "pipe -1 ENOTSOCK open\n"
			 "udp -1 EOPNOTSUPP open\n"
			 "unix -1 EOPNOTSUPP open\n"
			 "closed -1 EBADF closed\n"
			 "negative -1 EBADF closed\n"
			 /* no connection to reset: released, 0, no event */
			 "listener 0 - closed\n"
			 "unconnected 0 - closed\n");
	ck_assert_str_eq(sc.log, "");
	sc_free(&sc);
}
END_TEST

START_TEST(program_disconnect_with_af_unspec_is_an_abort)
{
	struct scenario sc = { 0 };
	char line[1024], local[64], peer[64];
	int a;

	a = sc_start_accept(&sc, "unspec", AF_INET, NULL, NULL, local, peer);
	ck_assert_int_eq(sc_peer_end(a), -ECONNRESET);
	close(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "connect 0\nclose 0\n");
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_sent", "abort", "connect", "null", local,
			peer);
	sc_free(&sc);
}
END_TEST

Suite *abort_suite(void)
{
	Suite *s = suite_create("abort");
	TCase *tc = tcase_create("tcp_abort");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, abort_sends_rst_and_releases_fd);
	tcase_add_test(tc, abort_sends_rst_and_releases_fd_ipv6);
	tcase_add_test(tc, abort_resets_while_a_dup_holds_the_connection);
	tcase_add_test(tc, abort_resets_while_a_forked_child_holds_the_connection);
	tcase_add_test(tc, abort_refuses_what_is_not_tcp_and_leaves_it_open);
	tcase_add_test(tc, program_disconnect_with_af_unspec_is_an_abort);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_main(abort_suite());
}
