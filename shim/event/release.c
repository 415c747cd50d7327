/*
 * release.c - classifying the close of a connection's last descriptor:
 * a RST for unread data, SO_LINGER {1, 0} or the abort policy, a reset
 * nobody had noticed, or an orderly close; and the close itself, whose
 * reset close_confirm.c confirms with the kernel once it has run.
 *
 * Never logs for an untracked descriptor: some programs close every
 * descriptor up to their limit.
 */
#include "event/release.h"

#include <errno.h>
#include <linux/close_range.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "core/classify.h"
#include "core/config.h"
#include "core/names.h"
#include "event/close_confirm.h"
#include "event/debug.h"
#include "event/event.h"
#include "event/rate.h"
#include "os/probe.h"
#include "os/process.h"
#include "os/real.h"

/*
 * Can data still arrive, and was it arriving as the program closed?  The
 * peer has sent data and no FIN, and its last data came less than
 * STILL_SENDING_MS ago.  A peer that has sent nothing yet is not judged
 * by its idle time (which then counts from the handshake): a young
 * connection's close needs no second look.
 */
#define STILL_SENDING_MS 10

static int still_sending(const struct observation *o)
{
	return (o->state == TCPS_ESTABLISHED || o->state == TCPS_FIN_WAIT1 ||
		o->state == TCPS_FIN_WAIT2) &&
	       o->kernel_received > 0 && o->idle_ms < STILL_SENDING_MS;
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
	rel->ev.event = names_kind(TCP_EVENT_CLOSE);
	rel->ev.cause_name = names_cause(TCP_CAUSE_NORMAL);
	event_dispatch(&rel->ev);
}

/* Fill rel for the reset v that closing fd (c, observed as o) is to
 * send: the addresses and the cookie go with the socket. */
static void prepare(struct release *rel, int fd, struct conn *c,
		    struct verdict v, const char *call,
		    const struct observation *o)
{
	event_fill(&rel->ev, fd, c, v, call, 0, NULL);
	rel->ifindex = bound_ifindex(fd);
	rel->shared = (o->flags & CONN_SHARED) != 0;
	rel->fin_sent = o->state == TCPS_FIN_WAIT1 ||
			o->state == TCPS_FIN_WAIT2 || o->state == TCPS_CLOSING;
}

/*
 * An orderly close, predicted while the peer was still sending: what
 * arrived since the look is unread data, and the kernel resets.  So look
 * again, as late as can be, once the event is filled: data unread now is
 * a reset to confirm like any other.  (Whatever arrives after the close
 * meets an orphaned socket, which resets it unseen: a limit.)
 */
static int close_while_sending(int fd, struct conn *c, const char *call,
			       struct observation *o, struct release *rel)
{
	struct verdict v = { .event = 1, .kind = TCP_EVENT_RST_SENT,
			     .cause = TCP_CAUSE_UNREAD_DATA };

	prepare(rel, fd, c, v, call, o);
	if (ioctl(fd, SIOCINQ, &o->unread) == 0 && o->unread > 0 &&
	    conn_claim_report(c)) {
		close_confirm_check(rel);
		DEBUG_VERDICT(fd, call, o, v,
			      "data arrived as it closed: to confirm after "
			      "the close");
		return 1;
	}
	v.kind = TCP_EVENT_CLOSE;
	v.cause = TCP_CAUSE_NORMAL;
	DEBUG_VERDICT(fd, call, o, v,
		      debug_emitted(event_wanted(TCP_EVENT_CLOSE)));
	if (event_wanted(TCP_EVENT_CLOSE))
		orderly_after_all(rel);
	return 0;
}

/* What a close needs beyond probe_observe: the unread bytes, the
 * keepalive settings, and the abort policy, applied here. */
static void observe_close(int fd, struct conn *c, int at_exit,
			  struct observation *o)
{
	/*
	 * Unread data?  The kernel counts what arrived (a FIN as one byte);
	 * only if that is more than the program read through the wrappers
	 * (stdio reads are not seen) does SIOCINQ say how much is left.
	 */
	if (o->state != TCPS_LISTEN && o->state != TCPS_CLOSE &&
	    o->state != TCPS_SYN_SENT &&
	    o->kernel_received > atomic_load_explicit(&c->bytes_received,
						      memory_order_relaxed) +
					 (uint64_t)classify_fin_received(
						 o->state) &&
	    ioctl(fd, SIOCINQ, &o->unread) != 0)
		o->unread = 0;
	if (o->state == TCPS_CLOSE)
		probe_keepalive(fd, o);
	/* The abort policy is for close(); exit delivers what is queued. */
	o->policy_abort = at_exit ? 0 : shim_config.close_abort;
	if (o->policy_abort && classify_state_resets(o->state)) {
		/* Abortive even if another process holds it: the RST then
		 * leaves when the last holder closes. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		real.setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
}

/* The verdict on closing fd, observed as o, and what is done with it:
 * returns 1 when rel holds a reset to confirm. */
static int judge_close(int fd, struct conn *c, const char *call,
		       int at_exit, struct observation *o,
		       struct release *rel)
{
	struct verdict v = classify_close(o);

	/* At exit, only the resets the kernel's own close will send: a
	 * connection that ended already is for whoever closes it to
	 * report. */
	if (!v.event || (at_exit && (v.kind != TCP_EVENT_RST_SENT ||
				     o->state == TCPS_CLOSE))) {
		DEBUG_VERDICT(fd, call, o, v,
			      v.event ? "not logged: at exit, only a reset "
					"the kernel's close sends is"
				      : "no event");
		return 0;
	}
	if (v.kind != TCP_EVENT_CLOSE && !conn_claim_report(c)) {
		DEBUG_VERDICT(fd, call, o, v, DEBUG_REPORTED);
		return 0;
	}
	if (v.kind == TCP_EVENT_CLOSE && !at_exit && still_sending(o) &&
	    event_wanted(TCP_EVENT_RST_SENT))
		return close_while_sending(fd, c, call, o, rel);
	if (v.kind != TCP_EVENT_RST_SENT) {
		int with_info = v.kind == TCP_EVENT_RST_RECEIVED ||
				v.kind == TCP_EVENT_HALFOPEN;
		int out = event_emit(fd, c, v, call, 0, with_info ? o : NULL);

		DEBUG_VERDICT(fd, call, o, v, debug_emitted(out));
		return 0;
	}
	if (!event_wanted(v.kind)) {
		DEBUG_VERDICT(fd, call, o, v, debug_emitted(0));
		return 0;
	}
	prepare(rel, fd, c, v, call, o);
	close_confirm_check(rel);
	DEBUG_VERDICT(fd, call, o, v, "to confirm after the close");
	return 1;
}

/*
 * fd is c's last descriptor here and is about to close: log what the
 * close does.  A reset it is to send is only filled in (rel), for
 * close_confirm_done to log once the kernel has confirmed it: returns 1
 * then.
 */
static int close_last(int fd, struct conn *c, const char *call,
		      int at_exit, struct release *rel)
{
	struct observation o;

	if (shim_is_sandboxed())
		return 0;
	/* Closes of connections already reported tick too: in a storm of
	 * refused connects, they are most of the closes. */
	rate_tick();
	if (conn_flags(c) & CONN_REPORTED) {
		DEBUG_NOTE(fd, call, 0, DEBUG_REPORTED);
		return 0;
	}
	probe_observe(fd, c, 0, &o);
	if (o.state < 0) {
		DEBUG_NOTE(fd, call, 0, "no TCP socket at this number now");
		return 0;
	}
	observe_close(fd, c, at_exit, &o);
	return judge_close(fd, c, call, at_exit, &o, rel);
}

static inline int release(int fd, const char *call, int at_exit,
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

int release_tracked(int fd, const char *call, struct release *rel)
{
	/* getpid() is a system call too: not under a sandbox, where a
	 * vfork child, about to exec or _exit, is no concern. */
	if (!shim_is_sandboxed() && shim_in_vfork_child())
		return 0;
	return release(fd, call, 0, rel);
}

/*
 * The protocol every close follows: release fd, close it, and confirm the
 * reset predicted once the close has run, with the close's result and
 * errno kept across the confirmation.  At exit the kernel closes what has
 * no reset to confirm.  Inline into each entry below, as if written out
 * there: a call less on every close of a tracked socket.
 */
static inline __attribute__((always_inline)) int
release_and_close(int fd, const char *call, int at_exit,
		  release_close_fn *do_close, void *ctx)
{
	struct release rel;
	int ret, err;

	if (!release(fd, call, at_exit, &rel))
		return at_exit ? 0 : do_close(fd, ctx);
	ret = do_close(fd, ctx);
	err = errno;
	close_confirm_done(&rel);
	errno = err;
	return ret;
}

int release_close_tracked(int fd, const char *call,
			  release_close_fn *do_close, void *ctx)
{
	/* A vfork child closes, and leaves the table alone (as above). */
	if (!shim_is_sandboxed() && shim_in_vfork_child())
		return do_close(fd, ctx);
	return release_and_close(fd, call, 0, do_close, ctx);
}

void release_close_at_exit(int fd, release_close_fn *do_close, void *ctx)
{
	release_and_close(fd, "exit", 1, do_close, ctx);
}

int release_predict_at_exit(int fd, struct release *rel)
{
	struct conn *c = fdt_get(fd);
	int saved = errno, pending;

	if (c == NULL)
		return 0;
	pending = close_last(fd, c, "exit", 1, rel);
	errno = saved;
	return pending;
}

/* A close in a range, which keeps errno: close_range sets its own. */
static int close_keeping_errno(int fd, void *unused)
{
	int err = errno;

	(void)unused;
	real.close(fd);
	errno = err;
	return 0;
}

void release_range(unsigned int first, unsigned int last, int flags,
		   const char *call, struct range_release *r)
{
	struct release rel;

	r->n = 0;
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE)) != 0)
		return;		/* nothing closes: CLOEXEC, or an error */
	log_release(first, last);
	FDT_FOR_EACH(fd, first, last) {
		/*
		 * Each tracked descriptor closes here, as the range would
		 * close it: so the last one of a connection is really its
		 * last when its reset is confirmed.
		 */
		if (!(flags & CLOSE_RANGE_UNSHARE)) {
			release_close(fd, call, close_keeping_errno, NULL);
			continue;
		}
		/*
		 * With CLOSE_RANGE_UNSHARE the range closes in a copy of the
		 * descriptor table (other threads keep theirs), which only the
		 * call itself makes: no descriptor can be closed here, so
		 * release_close does not fit.  Each is released here and
		 * confirmed after the call, as a socket another table may
		 * hold.
		 */
		if (!release_fd(fd, call, &rel))
			continue;
		rel.shared = 1;
		if (r->n < RANGE_PENDING)
			r->rel[r->n++] = rel;
		else
			event_dispatch(&rel.ev);
	}
}

void release_range_done(struct range_release *r)
{
	int err = errno;

	for (int i = 0; i < r->n; i++)
		close_confirm_done(&r->rel[i]);
	errno = err;
}
