/*
 * wrap.h - what every wrapper shares: the export marker and the fast
 * path that counts bytes on success and looks closer only on failure.
 */
#ifndef SHIM_WRAP_H
#define SHIM_WRAP_H

#include <errno.h>

#include "classify.h"
#include "event.h"
#include "fdtable.h"
#include "log.h"
#include "real.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

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
 * what they would have seen.  wrap_quiet says whether to ask; it costs a
 * lookup, no system call.
 */
static inline int wrap_quiet(int fd, int flags)
{
	return !(flags & MSG_NOSIGNAL) && fdt_get(fd) != NULL;
}

/* A send (quiet: made with MSG_NOSIGNAL by wrap_quiet) failed.  Out of
 * line, off the hot path. */
void wrap_send_failed(int fd, const char *call, int quiet)
	__attribute__((cold, noinline));

/* After a send: wrap_io_done, and the SIGPIPE the kernel held back. */
static inline void wrap_send_done(int fd, ssize_t ret, int quiet,
				  const char *call)
{
	if (likely(ret >= 0))
		wrap_io_done(fd, ret, 1, call);
	else
		wrap_send_failed(fd, call, quiet);
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

/*
 * What closing a connection's last descriptor may leave to do once the
 * real close has run: a reset the close was to send, filled in while the
 * socket was open, for the kernel to confirm.
 */
struct release {
	struct tcp_event ev;
	int ifindex;
	int shared;	/* another process may hold the connection too */
};

/* wrap_release for a descriptor the table holds: out of line. */
int wrap_release_tracked(int fd, const char *call, struct release *rel);

/*
 * The program is about to close fd or put another file at its number:
 * drop fd from the table and, if it was the connection's last
 * descriptor, log what the close does.  fd must still be open.  Returns
 * 1 when rel holds a reset to confirm: then call wrap_release_done once
 * fd is closed.  Inline, so that close() of anything but a tracked socket
 * costs a lookup.
 */
static inline int wrap_release(int fd, const char *call,
			       struct release *rel)
{
	log_release_fd(fd);
	if (unlikely(fdt_get(fd) != NULL))
		return wrap_release_tracked(fd, call, rel);
	return 0;
}

/*
 * The process is ending, and the kernel will close fd: wrap_release for
 * it, with call "exit", for a reset only, and without the abort policy.
 * The caller has ruled out a vfork child.
 */
int wrap_release_at_exit(int fd, struct release *rel);
/*
 * The same prediction for exit(), which must leave the table as it is
 * (later destructors may still use the socket): fd stays tracked, and
 * a reset predicted is claimed, so that a later close logs nothing more.
 */
int wrap_predict_at_exit(int fd, struct release *rel);

/* After the close that wrap_release prepared: log the reset if the
 * kernel sent it.  errno may change. */
void wrap_release_done(struct release *rel);

/* Resets to confirm after a close_range with CLOSE_RANGE_UNSHARE. */
#define RANGE_PENDING 4
struct range_release {
	int n;
	struct release rel[RANGE_PENDING];
};

/*
 * Every tracked descriptor from first to last (close_range's flags: only
 * 0 and CLOSE_RANGE_UNSHARE close anything) is about to close: each is
 * released, and closed here unless flags unshare.  Then make the call,
 * then wrap_release_range_done.
 */
void wrap_release_range(unsigned int first, unsigned int last, int flags,
			const char *call, struct range_release *r);
void wrap_release_range_done(struct range_release *r);

/* shutdown(fd, how) succeeded. */
void wrap_shutdown_done(int fd, int how);

/*
 * Reset fd's connection now with connect(AF_UNSPEC), whatever other
 * descriptors refer to it, and log rst_sent/abort if a RST left (state:
 * tcpi_state before).
 * Returns what connect returned.
 */
int abort_disconnect(int fd, struct conn *c, int state, const char *call);

/*
 * TCPSHIM_KEEPALIVE and TCPSHIM_USER_TIMEOUT, on a new TCP socket.
 * Accepted sockets inherit them from their listener.  Preserves errno.
 */
void keepalive_apply_policy(int fd);

#endif
