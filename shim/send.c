/*
 * send.c - the calls that send: send, sendto, sendmsg, sendmmsg, write,
 * writev and sendfile.  On a healthy socket each adds a table lookup and
 * an atomic add, never a system call; a failure is classified.
 */
#include "wrap.h"

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t ret = real.send(fd, buf, len, flags);

	wrap_io_done(fd, ret, 1, "send");
	return ret;
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *addr, socklen_t alen)
{
	ssize_t ret = real.sendto(fd, buf, len, flags, addr, alen);

	wrap_io_done(fd, ret, 1, "sendto");
	return ret;
}

/* Descriptors passed with SCM_RIGHTS now live in another process too. */
static void passing_rights(const struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR((struct msghdr *)msg);
	     cm != NULL; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const int *fds = (const int *)CMSG_DATA(cm);

		for (size_t i = 0; i < n; i++) {
			struct conn *c = fdt_get(fds[i]);

			if (c != NULL)
				conn_set(c, CONN_SHARED);
		}
	}
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t ret = real.sendmsg(fd, msg, flags);

	if (ret >= 0 && msg != NULL && msg->msg_controllen != 0)
		passing_rights(msg);
	wrap_io_done(fd, ret, 1, "sendmsg");
	return ret;
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags)
{
	int ret = real.sendmmsg(fd, vec, n, flags);

	for (int i = 0; i < ret; i++)
		if (vec[i].msg_hdr.msg_controllen != 0)
			passing_rights(&vec[i].msg_hdr);
	wrap_mmsg_done(fd, ret, vec, flags, 1, "sendmmsg");
	return ret;
}

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
