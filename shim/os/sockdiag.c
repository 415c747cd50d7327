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
#include <linux/netlink.h>
#include <sys/syscall.h>

#include "core/diag_msg.h"
#include "os/real.h"

/* The answer: 1 (the socket, into *found), 0 for none, -1 if it says
 * nothing. */
static int read_answer(const char *buf, long n, struct sockdiag_found *found)
{
	struct diag_msg_socket s;
	size_t at = 0;
	int err;

	if (n < 0)
		return -1;
	switch (diag_msg_next(buf, (size_t)n, &at, &s, &err)) {
	case DIAG_MSG_SOCKET:
		found->state = s.msg->idiag_state;
		found->inode = s.msg->idiag_inode;
		return 1;
	case DIAG_MSG_ERROR:
		/* No such socket, or one that is not this connection. */
		return err == ENOENT || err == ESTALE ? 0 : -1;
	default:
		return -1;
	}
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
	struct diag_msg_request msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[512] __attribute__((aligned(8)));
	int saved = errno, answer = -1;
	long fd, n;

	/* SOCKDIAG_ANY_COOKIE is the kernel's INET_DIAG_NOCOOKIE. */
	if (diag_msg_lookup(&msg, local, peer, cookie, ifindex) != 0)
		return -1;
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
