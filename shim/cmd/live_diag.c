/*
 * live_diag.c - a sock_diag dump of TCP sockets, with INET_DIAG_INFO.
 */
#include "cmd/live_diag.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <unistd.h>

#include "core/diag_msg.h"

static int request(int fd, int family)
{
	struct diag_msg_request msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	diag_msg_dump(&msg, family);
	return sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) == (ssize_t)sizeof(msg)
		       ? 0
		       : -1;
}

/* One socket of the dump into c. */
static void take(const struct diag_msg_socket *s, struct live_conn *c)
{
	const struct inet_diag_msg *m = s->msg;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->inode = m->idiag_inode;
	c->state = m->idiag_state;
	c->cookie = diag_msg_cookie(m);
	c->wqueue = m->idiag_wqueue;
	c->timer = m->idiag_timer;
	diag_msg_local(m, &c->local);
	diag_msg_peer(m, &c->peer);
	c->has_info = diag_msg_tcp_info(s, &c->info);
}

/* The answers in buf (n bytes): 1 when the dump is done, 0 to read on,
 * -1 on an error (errno set). */
static int answers(const char *buf, ssize_t n, live_diag_fn fn, void *arg)
{
	struct diag_msg_socket s;
	size_t at = 0;
	int err;

	for (;;) {
		struct live_conn c;

		switch (diag_msg_next(buf, (size_t)n, &at, &s, &err)) {
		case DIAG_MSG_SOCKET:
			take(&s, &c);
			if (fn(&c, arg))
				return 1;
			break;
		case DIAG_MSG_DONE:
			return 1;
		case DIAG_MSG_ERROR:
			errno = err;
			return -1;
		case DIAG_MSG_END:
			return 0;
		}
	}
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
