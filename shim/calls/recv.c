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
	if (PEEKING(flags))
		return peek(fd, buf, len, flags);
	return wrap_moved(fd, real.recv(fd, buf, len, flags), 0, "recv");
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			     struct sockaddr *addr, socklen_t *alen)
{
	if (PEEKING(flags))
		return wrap_peeked(fd, real.recvfrom(fd, buf, len, flags, addr,
						     alen),
				   "recvfrom");
	return wrap_moved(fd, real.recvfrom(fd, buf, len, flags, addr, alen),
			  0, "recvfrom");
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (PEEKING(flags))
		return wrap_peeked(fd, real.recvmsg(fd, msg, flags), "recvmsg");
	return wrap_moved(fd, real.recvmsg(fd, msg, flags), 0, "recvmsg");
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags, struct timespec *timeout)
{
	int ret = real.recvmmsg(fd, vec, n, flags, timeout);

	wrap_mmsg_done(fd, ret, vec, flags, 0, "recvmmsg");
	return ret;
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	return wrap_moved(fd, real.read(fd, buf, len), 0, "read");
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return wrap_moved(fd, real.readv(fd, iov, n), 0, "readv");
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
			       int flags)
{
	if (PEEKING(flags))
		return wrap_peeked(fd, real.__recv_chk(fd, buf, len, buflen,
						       flags),
				   "recv");
	return wrap_moved(fd, real.__recv_chk(fd, buf, len, buflen, flags),
			  0, "recv");
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len,
				   size_t buflen, int flags,
				   struct sockaddr *addr, socklen_t *alen)
{
	if (PEEKING(flags))
		return wrap_peeked(fd, real.__recvfrom_chk(fd, buf, len, buflen,
							   flags, addr, alen),
				   "recvfrom");
	return wrap_moved(fd, real.__recvfrom_chk(fd, buf, len, buflen,
						  flags, addr, alen),
			  0, "recvfrom");
}

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	return wrap_moved(fd, real.__read_chk(fd, buf, len, buflen), 0,
			  "read");
}
