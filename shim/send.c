/*
 * send.c - the calls that send: send, sendto, sendmsg, sendmmsg, write,
 * writev and sendfile.  On a healthy socket each adds table lookups and
 * an atomic add, never a system call; a failure is classified.  write and
 * writev on a tracked socket are made as send and sendmsg, so that they
 * too can ask for no SIGPIPE (wrap.h).
 */
#include <limits.h>
#include <signal.h>
#include <sys/uio.h>

#include "wrap.h"

void wrap_send_failed(int fd, const char *call, int quiet)
{
	int err = errno;

	wrap_io_failed(fd, call);
	if (quiet && err == EPIPE)
		tgkill(getpid(), gettid(), SIGPIPE);
	errno = err;
}

/*
 * The record at fd was stale: the socket was closed where no wrapper saw
 * it (fclose of an fdopen'd socket), and fd is a file now.
 */
static void forget_stale(int fd)
{
	struct conn *stale = fdt_take(fd);

	if (stale != NULL)
		conn_put(stale);
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	int quiet = wrap_quiet(fd, flags);
	ssize_t ret = real.send(fd, buf, len, quiet ? flags | MSG_NOSIGNAL
						    : flags);

	wrap_send_done(fd, ret, quiet, "send");
	return ret;
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *addr, socklen_t alen)
{
	int quiet = wrap_quiet(fd, flags);
	ssize_t ret = real.sendto(fd, buf, len,
				  quiet ? flags | MSG_NOSIGNAL : flags, addr,
				  alen);

	wrap_send_done(fd, ret, quiet, "sendto");
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
	int quiet = wrap_quiet(fd, flags);
	ssize_t ret = real.sendmsg(fd, msg, quiet ? flags | MSG_NOSIGNAL
						  : flags);

	if (ret >= 0 && msg != NULL && msg->msg_controllen != 0)
		passing_rights(msg);
	wrap_send_done(fd, ret, quiet, "sendmsg");
	return ret;
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags)
{
	int quiet = wrap_quiet(fd, flags);
	int ret = real.sendmmsg(fd, vec, n, quiet ? flags | MSG_NOSIGNAL
						  : flags);

	for (int i = 0; i < ret; i++)
		if (vec[i].msg_hdr.msg_controllen != 0)
			passing_rights(&vec[i].msg_hdr);
	if (ret < 0)
		wrap_send_failed(fd, "sendmmsg", quiet);
	else
		wrap_mmsg_done(fd, ret, vec, flags, 1, "sendmmsg");
	return ret;
}

/* write on a tracked socket: the same as send with no flags. */
static ssize_t write_socket(int fd, const void *buf, size_t len)
{
	ssize_t ret = real.send(fd, buf, len, MSG_NOSIGNAL);

	if (unlikely(ret < 0 && errno == ENOTSOCK)) {
		forget_stale(fd);
		ret = real.write(fd, buf, len);
		wrap_io_done(fd, ret, 1, "write");
		return ret;
	}
	wrap_send_done(fd, ret, 1, "write");
	return ret;
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	ssize_t ret;

	if (unlikely(fdt_get(fd) != NULL))
		return write_socket(fd, buf, len);
	ret = real.write(fd, buf, len);
	wrap_io_done(fd, ret, 1, "write");
	return ret;
}

/* writev on a tracked socket: the same as sendmsg with no flags. */
static ssize_t writev_socket(int fd, const struct iovec *iov, int n)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov,
			      .msg_iovlen = n < 0 ? 0 : (size_t)n };
	ssize_t ret;

	/* What writev refuses with EINVAL, sendmsg would refuse with
	 * EMSGSIZE. */
	if (n < 0 || n > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	ret = real.sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (unlikely(ret < 0 && errno == ENOTSOCK)) {
		forget_stale(fd);
		ret = real.writev(fd, iov, n);
		wrap_io_done(fd, ret, 1, "writev");
		return ret;
	}
	wrap_send_done(fd, ret, 1, "writev");
	return ret;
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	ssize_t ret;

	if (unlikely(fdt_get(fd) != NULL))
		return writev_socket(fd, iov, n);
	ret = real.writev(fd, iov, n);
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
