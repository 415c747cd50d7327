/*
 * send.c - the calls that send: send, sendto, sendmsg, sendmmsg, write,
 * writev and sendfile.  On a healthy socket each adds table lookups and
 * an atomic add, never a system call; a failure is classified.  The send
 * calls ask for no SIGPIPE, and raise it themselves once the reset is
 * logged (wrap.h).  Each calls the real function through inject_hooks,
 * where TCPSHIM_INJECT's hooks can stand in (inject_hooks.h).
 */
#include "calls/inject_hooks.h"
#include "calls/wrap.h"

/*
 * Each send has two call sites of the real function, one per
 * MSG_NOSIGNAL case, so that neither keeps the program's flags alive
 * across the call (the Makefile builds this file with -fno-code-hoisting,
 * which would otherwise load the real function's address once for both,
 * an instruction more on each path).
 */
SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (WRAP_QUIET(flags))
		return wrap_sent(fd, inject_hooks.send(fd, buf, len,
						       flags | MSG_NOSIGNAL),
				 "send");
	return wrap_moved(fd, inject_hooks.send(fd, buf, len, flags), 1,
			  "send");
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *addr, socklen_t alen)
{
	if (WRAP_QUIET(flags))
		return wrap_sent(fd, inject_hooks.sendto(fd, buf, len,
							 flags | MSG_NOSIGNAL,
							 addr, alen),
				 "sendto");
	return wrap_moved(fd, inject_hooks.sendto(fd, buf, len, flags, addr,
						  alen),
			  1, "sendto");
}

/*
 * Any socket but a tracked one: a Unix socket may pass descriptors, so
 * msg is looked at after the call, which keeps it alive across it.
 */
static __attribute__((noinline)) ssize_t
sendmsg_passing(int fd, const struct msghdr *msg, int flags)
{
	ssize_t ret = inject_hooks.sendmsg(fd, msg, flags | MSG_NOSIGNAL);

	if (ret >= 0 && msg != NULL && msg->msg_controllen != 0)
		wrap_rights_sent(msg);
	if (WRAP_QUIET(flags))
		return wrap_sent(fd, ret, "sendmsg");
	return wrap_moved(fd, ret, 1, "sendmsg");
}

/*
 * A tracked socket is a TCP socket, which passes no descriptors (the
 * kernel ignores SCM_RIGHTS there): its path keeps only the table's slot
 * across the call, the descriptor below FDT_FANOUT being where it lies.
 */
SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	_Atomic(struct conn *) *slot = fdt_slot0(fd);

	if (slot == NULL)
		return sendmsg_passing(fd, msg, flags);
	if (WRAP_QUIET(flags))
		return wrap_slot_sent(slot,
				      inject_hooks.sendmsg(
					      fd, msg, flags | MSG_NOSIGNAL),
				      1, "sendmsg");
	return wrap_slot_sent(slot, inject_hooks.sendmsg(fd, msg, flags), 0,
			      "sendmsg");
}

/*
 * sendmmsg asks for no SIGPIPE only on a tracked socket: when a message
 * after the first meets EPIPE, the call returns the count sent, and the
 * error, and with it the signal the kernel would raise, is gone.
 */
SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags)
{
	int quiet = WRAP_QUIET(flags) && fdt_get(fd) != NULL;
	int ret = inject_hooks.sendmmsg(fd, vec, n,
					quiet ? flags | MSG_NOSIGNAL : flags);

	for (int i = 0; i < ret; i++)
		if (vec[i].msg_hdr.msg_controllen != 0)
			wrap_rights_sent(&vec[i].msg_hdr);
	if (ret < 0)
		return (int)(quiet ? wrap_send_failed(fd, "sendmmsg", ret)
				   : wrap_io_failed(fd, "sendmmsg", ret));
	wrap_mmsg_done(fd, ret, vec, flags, 1, "sendmmsg");
	return ret;
}

/*
 * write and writev keep their own system calls, even on a socket: a
 * seccomp filter (sshd's sandbox) may allow write and kill for sendto.
 * So they cannot ask for no SIGPIPE (docs/limits.md).
 */
SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	return wrap_moved(fd, inject_hooks.write(fd, buf, len), 1, "write");
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return wrap_moved(fd, inject_hooks.writev(fd, iov, n), 1, "writev");
}

SHIM_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	return wrap_moved(out, inject_hooks.sendfile(out, in, off, count),
			  1, "sendfile");
}

SHIM_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t count)
{
	return wrap_moved(out, inject_hooks.sendfile64(out, in, off, count),
			  1, "sendfile");
}
