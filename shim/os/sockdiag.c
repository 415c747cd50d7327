/*
 * sockdiag.c - what the kernel still holds of a connection after its
 * last descriptor here closed, asked through sock_diag (NETLINK_SOCK_DIAG,
 * the interface ss(8) uses; no privilege needed).
 *
 * One exact lookup by local and peer address, and the socket cookie when
 * it is known: a TIME-WAIT entry or an orphaned socket keeps the cookie
 * the socket had (if it had one yet).  A close that reset the connection
 * destroyed it: the lookup finds nothing, or the listener on the local
 * port.
 *
 * System calls only, raw, on a stack buffer: safe in a signal handler,
 * and no cancellation point.
 */
#include "os/sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>

#include <sys/syscall.h>

#include "os/real.h"

/* The request: which socket, by its four addresses and cookie. */
static int fill_request(struct inet_diag_req_v2 *req,
			const struct sockaddr_storage *local,
			const struct sockaddr_storage *peer, uint64_t cookie,
			int ifindex)
{
	memset(req, 0, sizeof(*req));
	if (local->ss_family != peer->ss_family)
		return -1;
	req->sdiag_family = (uint8_t)local->ss_family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = ~0u;
	if (local->ss_family == AF_INET) {
		const struct sockaddr_in *l = (const void *)local;
		const struct sockaddr_in *p = (const void *)peer;

		req->id.idiag_sport = l->sin_port;
		req->id.idiag_dport = p->sin_port;
		memcpy(req->id.idiag_src, &l->sin_addr, 4);
		memcpy(req->id.idiag_dst, &p->sin_addr, 4);
	} else if (local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *l = (const void *)local;
		const struct sockaddr_in6 *p = (const void *)peer;

		req->id.idiag_sport = l->sin6_port;
		req->id.idiag_dport = p->sin6_port;
		memcpy(req->id.idiag_src, &l->sin6_addr, 16);
		memcpy(req->id.idiag_dst, &p->sin6_addr, 16);
	} else {
		return -1;
	}
	req->id.idiag_if = (uint32_t)ifindex;
	/* SOCKDIAG_ANY_COOKIE is the kernel's INET_DIAG_NOCOOKIE. */
	req->id.idiag_cookie[0] = (uint32_t)cookie;
	req->id.idiag_cookie[1] = (uint32_t)(cookie >> 32);
	return 0;
}

/* The answer: 1 (the socket, into *found), 0 for none, -1 if it says
 * nothing. */
static int read_answer(const char *buf, ssize_t n,
		       struct sockdiag_found *found)
{
	const struct nlmsghdr *h = (const void *)buf;

	if (n < (ssize_t)sizeof(*h) || h->nlmsg_len > (size_t)n)
		return -1;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -1;
		/* No such socket, or one that is not this connection. */
		return e->error == -ENOENT || e->error == -ESTALE ? 0 : -1;
	}
	if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
	    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);

		found->state = m->idiag_state;
		found->inode = m->idiag_inode;
		return 1;
	}
	return -1;
}

/* The system calls, raw: no wrapper, no cancellation point inside a
 * close(). */
#define SYS(nr, a, b, c, d, e, f) \
	shim_raw_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), \
			 (long)(e), (long)(f))

int sockdiag_find(const struct sockaddr_storage *local,
		  const struct sockaddr_storage *peer, uint64_t cookie,
		  int ifindex, struct sockdiag_found *found)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[512] __attribute__((aligned(8)));
	int saved = errno, answer = -1;
	long fd, n;

	if (fill_request(&msg.req, local, peer, cookie, ifindex) != 0)
		return -1;
	memset(&msg.nlh, 0, sizeof(msg.nlh));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.nlh.nlmsg_seq = 1;
	fd = SYS(SYS_socket, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		 NETLINK_SOCK_DIAG, 0, 0, 0);
	if (fd < 0)
		goto out;
	/* The kernel answers before sendto returns: nothing to wait for. */
	if (SYS(SYS_sendto, fd, &msg, sizeof(msg), 0, &kernel,
		sizeof(kernel)) == (long)sizeof(msg)) {
		n = SYS(SYS_recvfrom, fd, buf, sizeof(buf), MSG_DONTWAIT, 0, 0);
		answer = read_answer(buf, n, found);
	}
	SYS(SYS_close, fd, 0, 0, 0, 0, 0);
out:
	errno = saved;
	return answer;
}
