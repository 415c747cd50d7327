/*
 * close.c - the end of a descriptor: close, close_range, closefrom, and
 * shutdown (syscall.c sends the same system calls made through
 * syscall() here).  When the last descriptor of a connection in this process
 * goes, the close is classified: a RST for unread data, SO_LINGER {1, 0}
 * or the abort policy, a reset nobody had noticed, or an orderly close.
 *
 * close() of anything but a tracked socket is one table lookup: no
 * system call is added.  Do not log from here for untracked descriptors:
 * some programs close every descriptor up to their limit.
 */
#include <linux/close_range.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "config.h"
#include "format.h"
#include "log.h"
#include "sockdiag.h"
#include "wrap.h"

/*
 * Can sock_diag confirm a reset here?  Without it (no inet_diag in the
 * kernel, a seccomp filter, another network namespace) a lookup after the
 * close would find nothing and confirm every prediction, so the first
 * prediction looks its still open socket up: -1 no, 1 yes, 0 not known.
 */
static atomic_int diag_works;

static void check_diag(const struct release *rel)
{
	struct sockdiag_found f;

	if (atomic_load_explicit(&diag_works, memory_order_relaxed) != 0)
		return;
	atomic_store_explicit(&diag_works,
			      sockdiag_find(&rel->ev.local, &rel->ev.peer,
					    SOCKDIAG_ANY_COOKIE, rel->ifindex,
					    &f) > 0
				      ? 1
				      : -1,
			      memory_order_relaxed);
}

/*
 * Can data still arrive, and was it arriving as the program closed?  The
 * peer has sent no FIN, and its last data came less than
 * STILL_SENDING_MS ago.
 */
#define STILL_SENDING_MS 10

static int still_sending(const struct observation *o)
{
	return (o->state == TCPS_ESTABLISHED || o->state == TCPS_FIN_WAIT1 ||
		o->state == TCPS_FIN_WAIT2) &&
	       o->idle_ms < STILL_SENDING_MS;
}

/* The interface the socket is bound to (SO_BINDTODEVICE), or 0: the
 * kernel's lookup after the close needs it. */
static int bound_ifindex(int fd)
{
	int ifindex = 0;
	socklen_t len = sizeof(ifindex);

	if (real.getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex,
			    &len) != 0)
		ifindex = 0;
	return ifindex;
}

/* The orderly close predicted was one after all: its close event. */
static void orderly_after_all(struct release *rel)
{
	rel->ev.kind = TCP_EVENT_CLOSE;
	rel->ev.cause = TCP_CAUSE_NORMAL;
	rel->ev.event = format_kind_name(TCP_EVENT_CLOSE);
	rel->ev.cause_name = format_cause_name(TCP_CAUSE_NORMAL);
	event_dispatch(&rel->ev);
}

/*
 * An orderly close, predicted while the peer was still sending: what
 * arrived since the look is unread data, and the kernel resets.  So look
 * again, as late as can be, once the event is filled: data unread now is
 * a reset to confirm like any other.  (Whatever arrives after the close
 * meets an orphaned socket, which resets it unseen: a limit.)
 */
static int close_while_sending(int fd, struct conn *c, const char *call,
			       const struct observation *o,
			       struct release *rel)
{
	struct verdict v = { .event = 1, .kind = TCP_EVENT_RST_SENT,
			     .cause = TCP_CAUSE_UNREAD_DATA };
	int unread = 0;

	event_fill(&rel->ev, fd, c, v, call, 0, NULL);
	rel->ifindex = bound_ifindex(fd);
	rel->shared = (o->flags & CONN_SHARED) != 0;
	if (ioctl(fd, SIOCINQ, &unread) == 0 && unread > 0 &&
	    conn_claim_report(c)) {
		check_diag(rel);
		return 1;
	}
	if (event_wanted(TCP_EVENT_CLOSE))
		orderly_after_all(rel);
	return 0;
}

/*
 * fd is c's last descriptor here and is about to close: log what the
 * close does.  A reset it is to send is only filled in (rel), for
 * wrap_release_done to log once the kernel has confirmed it: returns 1
 * then.
 */
static int close_last(int fd, struct conn *c, const char *call,
		      int at_exit, struct release *rel)
{
	struct observation o;
	struct verdict v;

	if ((conn_flags(c) & CONN_REPORTED) ||
	    atomic_load_explicit(&shim_sandboxed, memory_order_relaxed))
		return 0;
	event_observe(fd, c, 0, &o);
	if (o.state < 0)
		return 0;
	/*
	 * Unread data?  The kernel counts what arrived (a FIN as one byte);
	 * only if that is more than the program read through the wrappers
	 * (stdio reads are not seen) does SIOCINQ say how much is left.
	 */
	if (o.state != TCPS_LISTEN && o.state != TCPS_CLOSE &&
	    o.state != TCPS_SYN_SENT &&
	    o.kernel_received > atomic_load_explicit(&c->bytes_received,
						     memory_order_relaxed) +
					1 &&
	    ioctl(fd, SIOCINQ, &o.unread) != 0)
		o.unread = 0;
	if (o.state == TCPS_CLOSE)
		event_observe_keepalive(fd, &o);
	/* The abort policy is for close(); an exit delivers what is
	 * queued. */
	o.policy_abort = at_exit ? 0 : shim_config.close_abort;
	if (o.policy_abort && classify_state_resets(o.state)) {
		/* Abortive even if another process holds it: the RST then
		 * leaves when the last holder closes. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		real.setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	v = classify_close(&o);
	/* At exit, only the resets the kernel's own close will send: a
	 * connection that ended already is for whoever closes it to
	 * report. */
	if (!v.event || (at_exit && (v.kind != TCP_EVENT_RST_SENT ||
				     o.state == TCPS_CLOSE)))
		return 0;
	if (v.kind != TCP_EVENT_CLOSE && !conn_claim_report(c))
		return 0;
	if (v.kind == TCP_EVENT_CLOSE && !at_exit && still_sending(&o) &&
	    event_wanted(TCP_EVENT_RST_SENT))
		return close_while_sending(fd, c, call, &o, rel);
	if (v.kind != TCP_EVENT_RST_SENT) {
		event_emit(fd, c, v, call, 0,
			   v.kind == TCP_EVENT_RST_RECEIVED ||
					   v.kind == TCP_EVENT_HALFOPEN
				   ? &o
				   : NULL);
		return 0;
	}
	/* Filled now: the addresses and the cookie go with the socket. */
	if (!event_wanted(v.kind))
		return 0;
	event_fill(&rel->ev, fd, c, v, call, 0, NULL);
	rel->ifindex = bound_ifindex(fd);
	rel->shared = (o.flags & CONN_SHARED) != 0;
	check_diag(rel);
	return 1;
}

static int release(int fd, const char *call, int at_exit,
		   struct release *rel)
{
	struct conn *c;
	int saved, pending;

	c = fdt_take(fd);
	if (c == NULL || !conn_put_last(c))
		return 0;
	saved = errno;
	pending = close_last(fd, c, call, at_exit, rel);
	errno = saved;
	conn_free(c);
	return pending;
}

int wrap_release_tracked(int fd, const char *call, struct release *rel)
{
	/* getpid() is a system call too: not under a sandbox, where a
	 * vfork child, about to exec or _exit, is no concern. */
	if (!atomic_load_explicit(&shim_sandboxed, memory_order_relaxed) &&
	    shim_in_vfork_child())
		return 0;
	return release(fd, call, 0, rel);
}

int wrap_release_at_exit(int fd, struct release *rel)
{
	return release(fd, "exit", 1, rel);
}

int wrap_predict_at_exit(int fd, struct release *rel)
{
	struct conn *c = fdt_get(fd);
	int saved = errno, pending;

	if (c == NULL)
		return 0;
	pending = close_last(fd, c, "exit", 1, rel);
	errno = saved;
	return pending;
}

/*
 * The close has run.  If the kernel still holds the connection (in
 * TIME-WAIT, because the peer's FIN came first; orphaned, closing with a
 * FIN; or open, held by another process) no reset left; if it holds
 * nothing, the close destroyed the connection with the reset predicted.
 * Where the kernel cannot be asked, the prediction stands.
 */
void wrap_release_done(struct release *rel)
{
	struct sockdiag_found f;
	int found;

	if (atomic_load_explicit(&diag_works, memory_order_relaxed) < 0) {
		event_dispatch(&rel->ev);
		return;
	}
	/*
	 * By addresses alone, not the cookie: the kernel makes a cookie
	 * only when first asked, so a TIME-WAIT entry made from the socket
	 * before the shim asked has none, and would not match.  Nothing
	 * else can hold these four addresses so soon after the close; but
	 * the listener on the local port answers for a server's connection
	 * that is gone.
	 */
	found = sockdiag_find(&rel->ev.local, &rel->ev.peer,
			      SOCKDIAG_ANY_COOKIE, rel->ifindex, &f);
	if (found > 0 && f.state == TCPS_LISTEN)
		found = 0;
	/*
	 * Still a file's: a call of another thread still holds it (a recv
	 * blocked on it), and the close happens, with the reset predicted,
	 * when that call returns; unless another process, or another
	 * descriptor table, holds the socket.
	 */
	if (found > 0 && f.inode != 0 && !rel->shared)
		found = 0;
	if (found <= 0)
		event_dispatch(&rel->ev);
}

SHIM_EXPORT int close(int fd)
{
	struct release rel;
	int ret, err;

	if (likely(!wrap_release(fd, "close", &rel)))
		return real.close(fd);
	ret = real.close(fd);
	err = errno;
	wrap_release_done(&rel);
	errno = err;
	return ret;
}

void wrap_release_range(unsigned int first, unsigned int last, int flags,
			const char *call, struct range_release *r)
{
	struct release rel;

	r->n = 0;
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE)) != 0)
		return;		/* nothing closes: CLOEXEC, or an error */
	log_release(first, last);
	for (int fd = fdt_next(first, last); fd >= 0;
	     fd = (unsigned int)fd < last ? fdt_next((unsigned int)fd + 1, last)
					  : -1) {
		int pending = wrap_release(fd, call, &rel);

		/*
		 * With CLOSE_RANGE_UNSHARE the range closes in a copy of the
		 * descriptor table (other threads keep theirs): confirm
		 * after the call, as a socket another table may hold.
		 */
		if (flags & CLOSE_RANGE_UNSHARE) {
			if (!pending)
				continue;
			rel.shared = 1;
			if (r->n < RANGE_PENDING)
				r->rel[r->n++] = rel;
			else
				event_dispatch(&rel.ev);
			continue;
		}
		/*
		 * Otherwise each tracked descriptor closes here, as the range
		 * would close it: so the last one of a connection is really
		 * its last when its reset is confirmed.
		 */
		int err = errno;

		real.close(fd);
		if (pending)
			wrap_release_done(&rel);
		errno = err;
	}
}

void wrap_release_range_done(struct range_release *r)
{
	int err = errno;

	for (int i = 0; i < r->n; i++)
		wrap_release_done(&r->rel[i]);
	errno = err;
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	struct range_release r;
	int ret;

	wrap_release_range(first, last, flags, "close_range", &r);
	ret = real.close_range(first, last, flags);
	wrap_release_range_done(&r);
	return ret;
}

SHIM_EXPORT void closefrom(int lowfd)
{
	struct range_release r = { .n = 0 };

	if (lowfd >= 0)
		wrap_release_range((unsigned int)lowfd, ~0u, 0, "closefrom",
				   &r);
	real.closefrom(lowfd);
}

void wrap_shutdown_done(int fd, int how)
{
	if (how == SHUT_WR || how == SHUT_RDWR) {
		struct conn *c = fdt_get(fd);

		if (c != NULL)
			conn_set(c, CONN_SHUT_WR);
	}
}

SHIM_EXPORT int shutdown(int fd, int how)
{
	int ret = real.shutdown(fd, how);

	if (ret == 0)
		wrap_shutdown_done(fd, how);
	return ret;
}
