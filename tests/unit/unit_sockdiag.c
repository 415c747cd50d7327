/*
 * unit_sockdiag.c - sockdiag_find(): what the kernel holds of a
 * connection after its descriptor closed, on real loopback sockets.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/classify.h"
#include "os/sockdiag.h"
#include "testlib.h"

struct pair {
	int client, server;
	struct sockaddr_storage local, peer;	/* the client's */
	uint64_t cookie;
};

/* A connected pair on loopback; the client's addresses and cookie. */
static void connect_pair(struct pair *p, int family)
{
	socklen_t len = sizeof(p->local);
	int port, lfd = tl_listen(family, &port);
	struct sockaddr_storage to;

	ck_assert_int_ge(lfd, 0);
	p->client = socket(family, SOCK_STREAM, 0);
	ck_assert_int_ge(p->client, 0);
	len = sizeof(to);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&to, &len), 0);
	ck_assert_int_eq(connect(p->client, (struct sockaddr *)&to, len), 0);
	p->server = tl_accept(lfd, 10000);
	ck_assert_int_ge(p->server, 0);
	close(lfd);
	len = sizeof(p->local);
	ck_assert_int_eq(getsockname(p->client, (struct sockaddr *)&p->local,
				     &len), 0);
	len = sizeof(p->peer);
	ck_assert_int_eq(getpeername(p->client, (struct sockaddr *)&p->peer,
				     &len), 0);
	len = sizeof(p->cookie);
	ck_assert_int_eq(getsockopt(p->client, SOL_SOCKET, SO_COOKIE,
				    &p->cookie, &len), 0);
}

/* The state found, 0 for none, -1 when the kernel could not be asked. */
static int state_of(const struct pair *p, uint64_t cookie)
{
	struct sockdiag_found f;
	int found = sockdiag_find(&p->local, &p->peer, cookie, 0, &f);

	return found > 0 ? f.state : found;
}

/* The client closed first and the server's FIN came: its side enters
 * TIME-WAIT as the softirq gets to it (a second at most). */
static void until_time_wait(const struct pair *p)
{
	for (int i = 0; i < 1000 && state_of(p, p->cookie) != TCPS_TIME_WAIT;
	     i++)
		tl_poll(-1, 0, 1);
}

START_TEST(open_connection_is_found_with_its_state)
{
	struct pair p;

	connect_pair(&p, _i ? AF_INET6 : AF_INET);
	ck_assert_int_eq(state_of(&p, p.cookie), TCPS_ESTABLISHED);
	ck_assert_int_eq(state_of(&p, SOCKDIAG_ANY_COOKIE), TCPS_ESTABLISHED);
	/* Another cookie: another connection, whatever its ports. */
	ck_assert_int_eq(state_of(&p, p.cookie + 1), 0);
	close(p.client);
	close(p.server);
}
END_TEST

/* An open socket has a file; TIME-WAIT has none. */
START_TEST(inode_tells_a_file_from_time_wait)
{
	struct sockdiag_found f;
	struct pair p;
	char c;

	connect_pair(&p, AF_INET);
	ck_assert_int_eq(sockdiag_find(&p.local, &p.peer, p.cookie, 0, &f), 1);
	ck_assert_uint_ne(f.inode, 0);
	close(p.client);
	ck_assert_int_eq(read(p.server, &c, 1), 0);
	close(p.server);
	until_time_wait(&p);
	ck_assert_int_eq(sockdiag_find(&p.local, &p.peer, p.cookie, 0, &f), 1);
	ck_assert_int_eq(f.state, TCPS_TIME_WAIT);
	ck_assert_uint_eq(f.inode, 0);
}
END_TEST

START_TEST(orderly_close_leaves_time_wait_with_the_cookie)
{
	struct pair p;
	char c;

	connect_pair(&p, _i ? AF_INET6 : AF_INET);
	close(p.client);
	/* The server's FIN, answered: the client's side enters TIME-WAIT. */
	ck_assert_int_eq(read(p.server, &c, 1), 0);
	close(p.server);
	until_time_wait(&p);
	ck_assert_int_eq(state_of(&p, p.cookie), TCPS_TIME_WAIT);
}
END_TEST

START_TEST(reset_connection_is_gone)
{
	struct pair p;

	connect_pair(&p, _i ? AF_INET6 : AF_INET);
	tl_reset(p.client);
	ck_assert_int_eq(state_of(&p, p.cookie), 0);
	close(p.server);
}
END_TEST

START_TEST(errno_is_kept_and_bad_addresses_are_refused)
{
	struct sockaddr_storage none = { .ss_family = AF_UNIX };
	errno = EIO;
	struct sockdiag_found f;

	ck_assert_int_eq(sockdiag_find(&none, &none, 1, 0, &f), -1);
	ck_assert_int_eq(errno, EIO);
}
END_TEST

Suite *unit_sockdiag_suite(void)
{
	Suite *s = suite_create("sockdiag");
	TCase *tc = tcase_create("lookup");

	tcase_add_loop_test(tc, open_connection_is_found_with_its_state, 0, 2);
	tcase_add_loop_test(tc, orderly_close_leaves_time_wait_with_the_cookie,
			    0, 2);
	tcase_add_loop_test(tc, reset_connection_is_gone, 0, 2);
	tcase_add_test(tc, inode_tells_a_file_from_time_wait);
	tcase_add_test(tc, errno_is_kept_and_bad_addresses_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
