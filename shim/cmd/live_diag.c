/*
 * live_diag.c - a sock_diag dump of TCP sockets, with INET_DIAG_INFO.
 */
#include "cmd/live_diag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

static int request(int fd, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = 1;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = ~0u;
	msg.req.idiag_ext = 1u << (INET_DIAG_INFO - 1);
	return sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) == (ssize_t)sizeof(msg)
		       ? 0
		       : -1;
}

static void address(struct sockaddr_storage *ss, int family,
		    const uint32_t *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		in->sin_port = port;
		memcpy(&in->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		memcpy(&in6->sin6_addr, addr, 16);
	}
}

/* One answer of the dump into c. */
static void take(const struct nlmsghdr *h, struct live_conn *c)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->inode = m->idiag_inode;
	c->state = m->idiag_state;
	c->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
		    m->id.idiag_cookie[0];
	c->wqueue = m->idiag_wqueue;
	c->timer = m->idiag_timer;
	address(&c->local, m->idiag_family, m->id.idiag_src,
		m->id.idiag_sport);
	address(&c->peer, m->idiag_family, m->id.idiag_dst,
		m->id.idiag_dport);
	for (const struct rtattr *a = (const void *)(m + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a);

		if (a->rta_type != INET_DIAG_INFO)
			continue;
		/* An older kernel's tcp_info is shorter: the rest stays 0. */
		memcpy(&c->info, RTA_DATA(a),
		       n < sizeof(c->info) ? n : sizeof(c->info));
		c->has_info = 1;
	}
}

/* The answers in buf (n bytes): 1 when the dump is done, 0 to read on,
 * -1 on an error (errno set). */
static int answers(const char *buf, ssize_t n, live_diag_fn fn, void *arg)
{
	int len = (int)n;

	for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		struct live_conn c;

		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			errno = e->error ? -e->error : EPROTO;
			return -1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			continue;
		take(h, &c);
		if (fn(&c, arg))
			return 1;
	}
	return 0;
}

int live_diag_dump(int family, live_diag_fn fn, void *arg)
{
	char buf[32768] __attribute__((aligned(8)));
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	int done = 0, err;

	if (fd < 0)
		return -1;
	if (request(fd, family) != 0)
		done = -1;
	while (done == 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		done = n <= 0 ? -1 : answers(buf, n, fn, arg);
	}
	err = errno;
	close(fd);
	errno = err;
	return done < 0 ? -1 : 0;
}
