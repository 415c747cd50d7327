/*
 * send.c - the calls that send: send, sendto, sendmsg, sendmmsg, write,
 * writev and sendfile.  On a healthy socket each adds table lookups and
 * an atomic add, never a system call; a failure is classified.  The send
 * calls on a tracked socket ask for no SIGPIPE, and raise it themselves
 * once the reset is logged (wrap.h).
 */
#include "calls/wrap.h"

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	struct conn *c = fdt_get(fd);
	uint64_t key = wrap_send_key(c, fd, flags);
	ssize_t ret = real.send(fd, buf, len, wrap_quiet_flags(c, flags));

	wrap_send_done(c, key, ret, "send");
	return ret;
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *addr, socklen_t alen)
{
	struct conn *c = fdt_get(fd);
	uint64_t key = wrap_send_key(c, fd, flags);
	ssize_t ret = real.sendto(fd, buf, len, wrap_quiet_flags(c, flags),
				  addr, alen);

	wrap_send_done(c, key, ret, "sendto");
	return ret;
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct conn *c = fdt_get(fd);
	uint64_t key = wrap_send_key(c, fd, flags);
	ssize_t ret = real.sendmsg(fd, msg, wrap_quiet_flags(c, flags));

	if (ret >= 0 && msg != NULL && msg->msg_controllen != 0)
		wrap_rights_sent(msg);
	wrap_send_done(c, key, ret, "sendmsg");
	return ret;
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags)
{
	int quiet = wrap_quiet(fdt_get(fd), flags);
	int ret = real.sendmmsg(fd, vec, n, quiet ? flags | MSG_NOSIGNAL
						  : flags);

	for (int i = 0; i < ret; i++)
		if (vec[i].msg_hdr.msg_controllen != 0)
			wrap_rights_sent(&vec[i].msg_hdr);
	if (ret < 0)
		wrap_send_failed(fd, "sendmmsg", quiet);
	else
		wrap_mmsg_done(fd, ret, vec, flags, 1, "sendmmsg");
	return ret;
}

/*
 * write and writev keep their own system calls, even on a socket: a
 * seccomp filter (sshd's sandbox) may allow write and kill for sendto.
 * So they cannot ask for no SIGPIPE (README, limits).
 */
SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	ssize_t ret = real.write(fd, buf, len);

	wrap_io_done(fd, ret, 1, "write");
	return ret;
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	ssize_t ret = real.writev(fd, iov, n);

	wrap_io_done(fd, ret, 1, "writev");
	return ret;
}

SHIM_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	ssize_t ret = real.sendfile(out, in, off, count);

	wrap_io_done(out, ret, 1, "sendfile");
	return ret;
}

SHIM_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t count)
{
	ssize_t ret = real.sendfile64(out, in, off, count);

	wrap_io_done(out, ret, 1, "sendfile");
	return ret;
}
