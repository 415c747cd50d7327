/*
 * wrap.h - what the interposed calls share: the fast path that counts
 * bytes on success and looks closer only on failure (its cold half is in
 * wrap.c).  A wrapper calls the real function through os/real.h, then
 * one of these.
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

/* A call on fd failed: errno says how.  Out of line, off the hot path. */
void wrap_io_failed(int fd, const char *call)
	__attribute__((cold, noinline));

/*
 * After a call that moved bytes on fd.  The healthy path is a table
 * lookup and an atomic add: no system call, and a fd that a call just
 * succeeded on needs no range check.
 */
static inline void wrap_io_done(int fd, ssize_t ret, int sending,
				const char *call)
{
	if (likely(ret > 0)) {
		struct conn *c = fdt_get_valid(fd);

		if (c != NULL)
			atomic_fetch_add_explicit(sending ? &c->bytes_sent
							  : &c->bytes_received,
						  (uint64_t)ret,
						  memory_order_relaxed);
	} else if (ret < 0) {
		wrap_io_failed(fd, call);
	}
}

/*
 * SIGPIPE.  The kernel raises it the moment a send fails with EPIPE, and
 * its default action ends the program before the wrapper could log what
 * the EPIPE revealed.  So a send on a tracked socket asks the kernel for
 * none (MSG_NOSIGNAL), and the wrapper raises it itself, to the same
 * thread, once the event is out: handlers, SIG_IGN and blocked masks see
 * what they would have seen.
 *
 * The one lookup before the call says whether to ask (c is NULL for
 * anything but a tracked socket), and its record takes the bytes after
 * it.  Records are never unmapped, so a descriptor another thread closes
 * during the send is safe to count on; if its record was reused
 * meanwhile (for a connection made during the send), that one send's
 * bytes land in the new connection's total, a race only a program that
 * closes what it is sending on can start.
 */
/* The flags to send with on fd, whose record (or NULL) c is: with
 * MSG_NOSIGNAL on a tracked socket (already there or not). */
static inline int wrap_quiet_flags(const struct conn *c, int flags)
{
	return c != NULL ? flags | MSG_NOSIGNAL : flags;
}

/* Was the SIGPIPE held back, for the program's flags? */
static inline int wrap_quiet(const struct conn *c, int flags)
{
	return c != NULL && !(flags & MSG_NOSIGNAL);
}

/* A send (quiet: made with MSG_NOSIGNAL by wrap_quiet) failed.  Out of
 * line, off the hot path. */
void wrap_send_failed(int fd, const char *call, int quiet)
	__attribute__((cold, noinline));

/* What a failed send needs, in one word that the call keeps alive: the
 * descriptor, and whether the SIGPIPE was held back (wrap_quiet). */
static inline uint64_t wrap_send_key(const struct conn *c, int fd, int flags)
{
	return (uint32_t)fd | (uint64_t)wrap_quiet(c, flags) << 32;
}

/* After a send whose record (or NULL) c was, and key wrap_send_key: the
 * bytes, or on failure the event and the SIGPIPE the kernel held back. */
static inline void wrap_send_done(struct conn *c, uint64_t key, ssize_t ret,
				  const char *call)
{
	if (likely(ret > 0)) {
		if (c != NULL)
			atomic_fetch_add_explicit(&c->bytes_sent, (uint64_t)ret,
						  memory_order_relaxed);
	} else if (ret < 0) {
		wrap_send_failed((int)(uint32_t)key, call, (int)(key >> 32));
	}
}

/* After a peek (or a read of the error queue): no bytes of the stream
 * moved, so only a failure counts.  Returns ret, errno intact. */
static inline ssize_t wrap_peeked(int fd, ssize_t ret, const char *call)
{
	if (ret < 0)
		wrap_io_failed(fd, call);
	return ret;
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

/* TCPSHIM_INJECT's hooks, put in the table of real functions once, by
 * the constructor, when rules are set (inject.c). */
void inject_install(void);

#endif
