/*
 * wrap.c - the cold half of wrap.h: a call on a socket failed.
 */
#include "calls/wrap.h"

#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#include "core/classify.h"
#include "event/event.h"

ssize_t wrap_io_failed(int fd, const char *call, ssize_t ret)
{
	int err = errno;

	if (classify_wants(err))
		event_call_failed(fd, fdt_get(fd), call, err);
	return ret;
}

/*
 * Would the kernel have raised SIGPIPE with this EPIPE?  On a stream
 * socket (TCP, a Unix stream) and on SCTP, yes; on a datagram or
 * sequenced-packet Unix socket, or UDP, never.  A tracked socket is TCP;
 * under a seccomp sandbox the shim asks nothing, and takes it for a
 * stream.
 */
static int kernel_raises(int fd)
{
	int type, protocol;
	socklen_t len = sizeof(int);

	if (fdt_get(fd) != NULL || shim_is_sandboxed())
		return 1;
	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return 0;
	if (type == SOCK_STREAM)
		return 1;
	len = sizeof(int);
	return real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol,
			       &len) == 0 &&
	       protocol == IPPROTO_SCTP;
}

/*
 * SIGPIPE to this thread, as the kernel sends it (SI_USER, from this
 * process and user), for a handler that reads its siginfo.  A seccomp
 * sandbox may allow only tgkill, which says SI_TKILL.
 */
static void raise_sigpipe(void)
{
	int pid = shim_getpid(), tid = gettid();
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGPIPE;
	si.si_code = SI_USER;
	si.si_pid = pid;
	si.si_uid = getuid();
	if (shim_is_sandboxed() ||
	    shim_raw_syscall(SYS_rt_tgsigqueueinfo, pid, tid, SIGPIPE,
			     (long)&si, 0, 0) != 0)
		tgkill(pid, tid, SIGPIPE);
}

ssize_t wrap_send_failed(int fd, const char *call, ssize_t ret)
{
	int err = errno;

	wrap_io_failed(fd, call, ret);
	if (err == EPIPE && kernel_raises(fd))
		raise_sigpipe();
	errno = err;
	return ret;
}

ssize_t wrap_slot_failed(_Atomic(struct conn *) *slot, const char *call,
			 int quiet, ssize_t ret)
{
	int fd = fdt_slot0_fd(slot);

	return quiet ? wrap_send_failed(fd, call, ret)
		     : wrap_io_failed(fd, call, ret);
}
