/*
 * recv.c - the calls that receive: recv, recvfrom, recvmsg, recvmmsg,
 * read, readv, and the fortified __recv_chk, __recvfrom_chk and
 * __read_chk that -D_FORTIFY_SOURCE=2 builds call instead.
 */
#include "calls/wrap.h"

/* A receive with MSG_PEEK or MSG_ERRQUEUE moves no stream bytes: its
 * result counts nothing (its error still counts).  Tested before the
 * call, so the common path keeps nothing alive across it. */
#define PEEKING(flags) unlikely((flags) & (MSG_PEEK | MSG_ERRQUEUE))

static __attribute__((noinline)) ssize_t peek(int fd, void *buf, size_t len,
					       int flags)
{
	return wrap_peeked(fd, real.recv(fd, buf, len, flags), "recv");
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t ret;

	if (PEEKING(flags))
		return peek(fd, buf, len, flags);
	ret = real.recv(fd, buf, len, flags);
	wrap_io_done(fd, ret, 0, "recv");
	return ret;
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			     struct sockaddr *addr, socklen_t *alen)
{
	ssize_t ret;

	if (PEEKING(flags))
		return wrap_peeked(fd, real.recvfrom(fd, buf, len, flags, addr,
						     alen),
				   "recvfrom");
	ret = real.recvfrom(fd, buf, len, flags, addr, alen);
	wrap_io_done(fd, ret, 0, "recvfrom");
	return ret;
}

/* A recvmsg with MSG_PEEK: a peek at a Unix socket installs the
 * descriptors a message carries, as a read does. */
static __attribute__((noinline)) ssize_t peek_msg(int fd, struct msghdr *msg,
						  int flags)
{
	ssize_t ret = real.recvmsg(fd, msg, flags);

	if (ret >= 0)
		wrap_received_control(msg);
	return wrap_peeked(fd, ret, "recvmsg");
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t ret;

	if (PEEKING(flags))
		return peek_msg(fd, msg, flags);
	ret = real.recvmsg(fd, msg, flags);
	/* Descriptors that arrived are tracked from now on (a datagram may
	 * carry them in no bytes at all). */
	if (likely(ret > 0))
		wrap_received_control(msg);
	else if (ret == 0)
		wrap_received_control(msg);
	wrap_io_done(fd, ret, 0, "recvmsg");
	return ret;
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags, struct timespec *timeout)
{
	int ret = real.recvmmsg(fd, vec, n, flags, timeout);

	for (int i = 0; i < ret; i++)
		wrap_received_control(&vec[i].msg_hdr);
	wrap_mmsg_done(fd, ret, vec, flags, 0, "recvmmsg");
	return ret;
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	ssize_t ret = real.read(fd, buf, len);

	wrap_io_done(fd, ret, 0, "read");
	return ret;
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	ssize_t ret = real.readv(fd, iov, n);

	wrap_io_done(fd, ret, 0, "readv");
	return ret;
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
			       int flags)
{
	ssize_t ret;

	if (PEEKING(flags))
		return wrap_peeked(fd, real.__recv_chk(fd, buf, len, buflen,
						       flags),
				   "recv");
	ret = real.__recv_chk(fd, buf, len, buflen, flags);
	wrap_io_done(fd, ret, 0, "recv");
	return ret;
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len,
				   size_t buflen, int flags,
				   struct sockaddr *addr, socklen_t *alen)
{
	ssize_t ret;

	if (PEEKING(flags))
		return wrap_peeked(fd, real.__recvfrom_chk(fd, buf, len, buflen,
							   flags, addr, alen),
				   "recvfrom");
	ret = real.__recvfrom_chk(fd, buf, len, buflen, flags, addr, alen);
	wrap_io_done(fd, ret, 0, "recvfrom");
	return ret;
}

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	ssize_t ret = real.__read_chk(fd, buf, len, buflen);

	wrap_io_done(fd, ret, 0, "read");
	return ret;
}
