/*
 * unit_diag_msg.c - sock_diag's messages as bytes (core/diag_msg.c): the
 * requests built for a dump and for one connection, and answers written
 * here the way the kernel writes them, read back.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>

#include "core/diag_msg.h"

/* Answers, one after another, as one datagram holds them. */
struct answers {
	char buf[4096] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *add_message(struct answers *a, uint16_t type,
				    size_t payload)
{
	struct nlmsghdr *h = (void *)(a->buf + a->len);

	memset(h, 0, NLMSG_SPACE(payload));
	h->nlmsg_len = NLMSG_LENGTH(payload);
	h->nlmsg_type = type;
	a->len += NLMSG_SPACE(payload);
	return h;
}

/* A socket of the answer: 127.0.0.1:port to 127.0.0.2:80, with info_len
 * bytes of TCP_INFO when info is given. */
static struct inet_diag_msg *add_socket(struct answers *a, uint16_t port,
					const struct tcp_info *info,
					size_t info_len)
{
	size_t payload = NLMSG_ALIGN(sizeof(struct inet_diag_msg)) +
			 (info ? RTA_SPACE(info_len) : 0);
	struct nlmsghdr *h = add_message(a, SOCK_DIAG_BY_FAMILY, payload);
	struct inet_diag_msg *m = NLMSG_DATA(h);

	m->idiag_family = AF_INET;
	m->idiag_state = 1;
	m->idiag_inode = 4242;
	m->idiag_wqueue = 7;
	m->idiag_timer = 2;
	m->id.idiag_sport = htons(port);
	m->id.idiag_dport = htons(80);
	m->id.idiag_src[0] = htonl(INADDR_LOOPBACK);
	m->id.idiag_dst[0] = htonl(INADDR_LOOPBACK + 1);
	m->id.idiag_cookie[0] = 0x89abcdef;
	m->id.idiag_cookie[1] = 0x01234567;
	if (info != NULL) {
		struct rtattr *r = (void *)((char *)m +
					     NLMSG_ALIGN(sizeof(*m)));

		r->rta_type = INET_DIAG_INFO;
		r->rta_len = (unsigned short)RTA_LENGTH(info_len);
		memcpy(RTA_DATA(r), info, info_len);
	}
	return m;
}

static void add_error(struct answers *a, int error)
{
	struct nlmsghdr *h = add_message(a, NLMSG_ERROR,
					 sizeof(struct nlmsgerr));
	struct nlmsgerr *e = NLMSG_DATA(h);

	e->error = error;
}

START_TEST(dump_asks_for_every_tcp_socket_with_its_info)
{
	struct diag_msg_request m;

	memset(&m, 0xa5, sizeof(m));
	diag_msg_dump(&m, AF_INET6);
	ck_assert_uint_eq(m.nlh.nlmsg_len, sizeof(m));
	ck_assert_uint_eq(m.nlh.nlmsg_type, SOCK_DIAG_BY_FAMILY);
	ck_assert_uint_eq(m.nlh.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	ck_assert_uint_eq(m.nlh.nlmsg_seq, 1);
	ck_assert_uint_eq(m.req.sdiag_family, AF_INET6);
	ck_assert_uint_eq(m.req.sdiag_protocol, IPPROTO_TCP);
	ck_assert_uint_eq(m.req.idiag_states, ~0u);
	ck_assert_uint_eq(m.req.idiag_ext, 1u << (INET_DIAG_INFO - 1));
	ck_assert_uint_eq(m.req.id.idiag_sport, 0);
	ck_assert_uint_eq(m.req.id.idiag_cookie[0], 0);
}
END_TEST

START_TEST(lookup_asks_for_one_connection)
{
	struct sockaddr_storage local = { 0 }, peer = { 0 };
	struct sockaddr_in6 *l = (void *)&local, *p = (void *)&peer;
	struct diag_msg_request m;
	uint8_t want[16];

	l->sin6_family = p->sin6_family = AF_INET6;
	l->sin6_port = htons(5000);
	p->sin6_port = htons(80);
	inet_pton(AF_INET6, "::1", &l->sin6_addr);
	inet_pton(AF_INET6, "2001:db8::2", &p->sin6_addr);
	ck_assert_int_eq(diag_msg_lookup(&m, &local, &peer,
					 0x0123456789abcdefull, 3), 0);
	ck_assert_uint_eq(m.nlh.nlmsg_flags, NLM_F_REQUEST);
	ck_assert_uint_eq(m.nlh.nlmsg_type, SOCK_DIAG_BY_FAMILY);
	ck_assert_uint_eq(m.req.sdiag_family, AF_INET6);
	ck_assert_uint_eq(m.req.sdiag_protocol, IPPROTO_TCP);
	ck_assert_uint_eq(m.req.idiag_ext, 0);
	ck_assert_uint_eq(ntohs(m.req.id.idiag_sport), 5000);
	ck_assert_uint_eq(ntohs(m.req.id.idiag_dport), 80);
	ck_assert_mem_eq(m.req.id.idiag_src, &l->sin6_addr, 16);
	inet_pton(AF_INET6, "2001:db8::2", want);
	ck_assert_mem_eq(m.req.id.idiag_dst, want, 16);
	ck_assert_uint_eq(m.req.id.idiag_if, 3);
	ck_assert_uint_eq(m.req.id.idiag_cookie[0], 0x89abcdef);
	ck_assert_uint_eq(m.req.id.idiag_cookie[1], 0x01234567);
	/* Two families, or one that is not IP: nothing to ask. */
	p->sin6_family = AF_INET;
	ck_assert_int_eq(diag_msg_lookup(&m, &local, &peer, 0, 0), -1);
	l->sin6_family = p->sin6_family = AF_UNIX;
	ck_assert_int_eq(diag_msg_lookup(&m, &local, &peer, 0, 0), -1);
}
END_TEST

START_TEST(dump_answers_are_read_socket_by_socket)
{
	static struct answers a;
	struct tcp_info info = { .tcpi_state = 1, .tcpi_probes = 3 }, got;
	struct sockaddr_storage ss;
	const struct sockaddr_in *in = (const void *)&ss;
	struct diag_msg_socket s;
	size_t at = 0;
	int err = 0;

	a.len = 0;
	add_socket(&a, 5000, &info, sizeof(info));
	add_message(&a, NLMSG_NOOP, 0);		/* of no use: passed over */
	add_socket(&a, 5001, &info, 8);		/* an older kernel's */
	add_socket(&a, 5002, NULL, 0);
	add_message(&a, NLMSG_DONE, sizeof(int));
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_SOCKET);
	ck_assert_uint_eq(s.msg->idiag_inode, 4242);
	ck_assert_uint_eq(diag_msg_cookie(s.msg), 0x0123456789abcdefull);
	diag_msg_local(s.msg, &ss);
	ck_assert_uint_eq(in->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(in->sin_port), 5000);
	ck_assert_uint_eq(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
	diag_msg_peer(s.msg, &ss);
	ck_assert_uint_eq(ntohs(in->sin_port), 80);
	ck_assert_uint_eq(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK + 1);
	ck_assert_int_eq(diag_msg_tcp_info(&s, &got), 1);
	ck_assert_mem_eq(&got, &info, sizeof(info));
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_SOCKET);
	ck_assert_uint_eq(ntohs(s.msg->id.idiag_sport), 5001);
	ck_assert_int_eq(diag_msg_tcp_info(&s, &got), 1);
	ck_assert_uint_eq(got.tcpi_state, 1);
	ck_assert_uint_eq(got.tcpi_probes, 3);
	ck_assert_uint_eq(got.tcpi_rtt, 0);	/* beyond what it gave */
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_SOCKET);
	ck_assert_int_eq(diag_msg_tcp_info(&s, &got), 0);
	ck_assert_uint_eq(got.tcpi_probes, 0);
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_DONE);
	ck_assert_uint_eq(at, a.len);
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_END);
}
END_TEST

START_TEST(errors_carry_the_kernels_errno)
{
	static struct answers a;
	struct diag_msg_socket s;
	size_t at = 0;
	int err = 0;

	a.len = 0;
	add_error(&a, -ENOENT);
	add_error(&a, 0);
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_ERROR);
	ck_assert_int_eq(err, ENOENT);
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_ERROR);
	ck_assert_int_eq(err, EPROTO);
	/* Too short to hold the error. */
	a.len = at = 0;
	add_message(&a, NLMSG_ERROR, 2);
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_ERROR);
	ck_assert_int_eq(err, EPROTO);
}
END_TEST

/* A message cut short, or longer than the bytes read, ends the reading. */
START_TEST(cut_messages_end_the_answers)
{
	static struct answers a;
	struct diag_msg_socket s;
	struct nlmsghdr *h;
	size_t at = 0;
	int err = 0;

	a.len = 0;
	add_socket(&a, 5000, NULL, 0);
	ck_assert_int_eq(diag_msg_next(a.buf, a.len - 1, &at, &s, &err),
			 DIAG_MSG_END);
	at = 0;
	ck_assert_int_eq(diag_msg_next(a.buf, 8, &at, &s, &err),
			 DIAG_MSG_END);
	/* Too short for a socket's message: passed over. */
	a.len = at = 0;
	add_message(&a, SOCK_DIAG_BY_FAMILY, 4);
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_END);
	/* A length below the header's own. */
	a.len = at = 0;
	h = add_message(&a, NLMSG_DONE, 0);
	h->nlmsg_len = 4;
	ck_assert_int_eq(diag_msg_next(a.buf, a.len, &at, &s, &err),
			 DIAG_MSG_END);
}
END_TEST

Suite *unit_diag_msg_suite(void)
{
	Suite *s = suite_create("diag msg");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, dump_asks_for_every_tcp_socket_with_its_info);
	tcase_add_test(tc, lookup_asks_for_one_connection);
	tcase_add_test(tc, dump_answers_are_read_socket_by_socket);
	tcase_add_test(tc, errors_carry_the_kernels_errno);
	tcase_add_test(tc, cut_messages_end_the_answers);
	suite_add_tcase(s, tc);
	return s;
}
