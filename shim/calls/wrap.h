/*
 * wrap.h - what the interposed calls share: the fast path that counts
 * bytes on success and looks closer only on failure (its cold half is in
 * wrap.c).  A wrapper calls the real function through os/real.h (the
 * calls that move bytes through calls/inject_hooks.h), then one of
 * these.
 */
#ifndef SHIM_CALLS_WRAP_H
#define SHIM_CALLS_WRAP_H

#include <errno.h>
#include <sys/socket.h>

#include "core/compiler.h"
#include "core/fdtable.h"
#include "os/process.h"
#include "os/real.h"

/* The process ends now, with no destructor to run (_exit, _Exit,
 * syscall(SYS_exit_group)): the resets its exit sends are logged, then
 * the summary (exit.c). */
void wrap_exit_now(void) __attribute__((cold, noinline));

/* The program is about to enter a seccomp sandbox, after which the shim
 * writes nothing: the held_back notice goes out first (prctl.c). */
void wrap_sandbox_entering(void) __attribute__((cold, noinline));

/* A call on fd failed: ret (-1) is what it returned, errno says how.
 * Returns ret, errno intact.  Out of line, off the hot path. */
ssize_t wrap_io_failed(int fd, const char *call, ssize_t ret)
	__attribute__((cold, noinline));

/* After ret > 0 bytes moved on fd: the table lookup and the atomic add. */
static inline void wrap_count(int fd, ssize_t ret, int sending)
{
	struct conn *c = fdt_get_valid(fd);

	if (c != NULL)
		atomic_fetch_add_explicit(sending ? &c->bytes_sent
						  : &c->bytes_received,
					  (uint64_t)ret, memory_order_relaxed);
}

/*
 * After a call that moved bytes on fd, returning what the wrapper
 * returns.  The healthy path is a table lookup and an atomic add: no
 * system call, and a fd that a call just succeeded on needs no range
 * check.  A wrapper returns what this returns (return wrap_moved(fd,
 * real.read(...), ...)), so that only fd lives across the real call.
 */
static inline ssize_t wrap_moved(int fd, ssize_t ret, int sending,
				 const char *call)
{
	if (likely(ret > 0)) {
		wrap_count(fd, ret, sending);
		return ret;
	}
	return ret < 0 ? wrap_io_failed(fd, call, ret) : ret;
}

/* The same, for a wrapper that goes on after it and returns ret itself. */
static inline void wrap_io_done(int fd, ssize_t ret, int sending,
				const char *call)
{
	wrap_moved(fd, ret, sending, call);
}

/*
 * SIGPIPE.  The kernel raises it the moment a send fails with EPIPE, and
 * its default action ends the program before the wrapper could log what
 * the EPIPE revealed.  So every send asks the kernel for none
 * (MSG_NOSIGNAL), and when the program did not ask for none itself, the
 * wrapper raises it on EPIPE, to the same thread, once the event is out:
 * handlers, SIG_IGN and blocked masks see what they would have seen.
 * Asking on every socket, tracked or not, costs no lookup before the
 * call, so a send keeps only its descriptor across it, like a write.
 */
#define WRAP_QUIET(flags) likely(!((flags) & MSG_NOSIGNAL))

/* A send made quiet by the wrapper failed (wrap_io_failed, then the
 * SIGPIPE the kernel held back).  Out of line, off the hot path. */
ssize_t wrap_send_failed(int fd, const char *call, ssize_t ret)
	__attribute__((cold, noinline));

/* After a send made quiet by the wrapper: wrap_moved, with the SIGPIPE
 * on failure. */
static inline ssize_t wrap_sent(int fd, ssize_t ret, const char *call)
{
	if (likely(ret > 0)) {
		wrap_count(fd, ret, 1);
		return ret;
	}
	return ret < 0 ? wrap_send_failed(fd, call, ret) : ret;
}

/* A send or receive on the descriptor of slot (fdt_slot0) failed: quiet
 * says whether the wrapper asked for no SIGPIPE.  Out of line. */
ssize_t wrap_slot_failed(_Atomic(struct conn *) *slot, const char *call,
			 int quiet, ssize_t ret) __attribute__((cold, noinline));

/*
 * After a send on a tracked descriptor below FDT_FANOUT, with only its
 * slot kept across the call: the record there now takes the bytes (the
 * one seen before the call, unless another thread closed the descriptor
 * meanwhile).
 */
static inline ssize_t wrap_slot_sent(_Atomic(struct conn *) *slot,
				     ssize_t ret, int quiet, const char *call)
{
	if (likely(ret > 0)) {
		struct conn *c = atomic_load_explicit(slot, memory_order_acquire);

		if (c != NULL)
			atomic_fetch_add_explicit(&c->bytes_sent, (uint64_t)ret,
						  memory_order_relaxed);
		return ret;
	}
	return ret < 0 ? wrap_slot_failed(slot, call, quiet, ret) : ret;
}

/* After a peek (or a read of the error queue): no bytes of the stream
 * moved, so only a failure counts.  Returns ret, errno intact. */
static inline ssize_t wrap_peeked(int fd, ssize_t ret, const char *call)
{
	return ret < 0 ? wrap_io_failed(fd, call, ret) : ret;
}

/* After sendmmsg or recvmmsg: ret messages, their lengths in vec. */
static inline void wrap_mmsg_done(int fd, int ret, const struct mmsghdr *vec,
				  int flags, int sending, const char *call)
{
	ssize_t bytes = 0;

	/* Only a TCP socket's stream bytes are counted: skip the sum for
	 * other sockets, and for peeks (neither flag is one send takes). */
	if (ret > 0 && fdt_get(fd) != NULL &&
	    !(flags & (MSG_PEEK | MSG_ERRQUEUE)))
		for (int i = 0; i < ret; i++)
			bytes += vec[i].msg_len;
	wrap_io_done(fd, ret < 0 ? -1 : bytes, sending, call);
}

/* A call sent (or received) msg, whose control messages may pass
 * descriptors with SCM_RIGHTS: those sent are shared from now on, those
 * received are tracked (rights.c).  errno is preserved. */
void wrap_rights_sent(const struct msghdr *msg) __attribute__((noinline));
void wrap_rights_received(const struct msghdr *msg)
	__attribute__((cold, noinline));

/*
 * After a receive that filled msg.  Most messages carry no control data.
 * A UDP or QUIC server's carry IP_PKTINFO, ECN or GRO sizes on every
 * datagram, and timestamps (SOL_SOCKET) on some.  Descriptors come only
 * over a Unix socket, whose control messages are all SOL_SOCKET: so a
 * first message of another level says there are none, and so does a
 * sender's address from the Internet.  Anything else is walked.
 */
static inline void wrap_received_control(const struct msghdr *msg)
{
	const struct cmsghdr *cm;
	const struct sockaddr *from;

	if (likely(msg->msg_controllen == 0))
		return;
	cm = (const struct cmsghdr *)msg->msg_control;
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET)
		return;
	from = (const struct sockaddr *)msg->msg_name;
	if (from != NULL && msg->msg_namelen >= sizeof(from->sa_family) &&
	    (from->sa_family == AF_INET || from->sa_family == AF_INET6))
		return;
	wrap_rights_received(msg);
}

/* shutdown(fd, how) succeeded. */
void wrap_shutdown_done(int fd, int how);

#endif
