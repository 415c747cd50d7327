/*
 * recv.c - the calls that receive: recv, recvfrom, recvmsg, recvmmsg,
 * read, readv, and the fortified __recv_chk, __recvfrom_chk and
 * __read_chk that -D_FORTIFY_SOURCE=2 builds call instead.
 */
#include "wrap.h"

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t ret = real.recv(fd, buf, len, flags);

	wrap_recv_done(fd, ret, flags, "recv");
	return ret;
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			     struct sockaddr *addr, socklen_t *alen)
{
	ssize_t ret = real.recvfrom(fd, buf, len, flags, addr, alen);

	wrap_recv_done(fd, ret, flags, "recvfrom");
	return ret;
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t ret = real.recvmsg(fd, msg, flags);

	wrap_recv_done(fd, ret, flags, "recvmsg");
	return ret;
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
	ssize_t ret = real.__recv_chk(fd, buf, len, buflen, flags);

	wrap_recv_done(fd, ret, flags, "recv");
	return ret;
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len,
				   size_t buflen, int flags,
				   struct sockaddr *addr, socklen_t *alen)
{
	ssize_t ret = real.__recvfrom_chk(fd, buf, len, buflen, flags, addr,
					  alen);

	wrap_recv_done(fd, ret, flags, "recvfrom");
	return ret;
}

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	ssize_t ret = real.__read_chk(fd, buf, len, buflen);

	wrap_io_done(fd, ret, 0, "read");
	return ret;
}
