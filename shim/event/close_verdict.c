/*
 * close_verdict.c - what the close of a connection's last descriptor
 * does, told while the socket is still open: a RST for unread data,
 * SO_LINGER {1, 0} or the abort policy, a reset nobody had noticed, or an
 * orderly close (close_verdict.h).
 *
 * Never logs for an untracked descriptor: some programs close every
 * descriptor up to their limit.
 */
#include "event/close_verdict.h"

#include <linux/sockios.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "core/classify.h"
#include "core/names.h"
#include "event/close_policy.h"
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

/*
 * Unread data?  The kernel counts what arrived (a FIN as one byte); only
 * if that is more than the program read through the wrappers (stdio
 * reads are not seen) does SIOCINQ say how much is left.
 */
static void observe_unread(int fd, struct conn *c, struct observation *o)
{
	if (o->state != TCPS_LISTEN && o->state != TCPS_CLOSE &&
	    o->state != TCPS_SYN_SENT &&
	    o->kernel_received > atomic_load_explicit(&c->bytes_received,
						      memory_order_relaxed) +
					 (uint64_t)classify_fin_received(
						 o->state) &&
	    ioctl(fd, SIOCINQ, &o->unread) != 0)
		o->unread = 0;
}

/*
 * Look at fd, c's last descriptor, about to close, into o: probe_observe,
 * the unread bytes and, for a connection the kernel ended, the keepalive
 * settings.  Returns 0 when there is nothing to judge: a sandbox, a
 * connection whose event is out already, no TCP socket at fd.
 */
static int observe_close(int fd, struct conn *c, const char *call,
			 struct observation *o)
{
	if (shim_is_sandboxed())
		return 0;
	/* Closes of connections already reported tick too: in a storm of
	 * refused connects, they are most of the closes. */
	rate_tick();
	if (conn_flags(c) & CONN_REPORTED) {
		DEBUG_NOTE(fd, call, 0, DEBUG_REPORTED);
		return 0;
	}
	probe_observe(fd, c, 0, o);
	if (o->state < 0) {
		DEBUG_NOTE(fd, call, 0, "no TCP socket at this number now");
		return 0;
	}
	observe_unread(fd, c, o);
	if (o->state == TCPS_CLOSE)
		probe_keepalive(fd, o);
	return 1;
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
	DEBUG_VERDICT(fd, call, o, v, "to confirm after the close");
	return 1;
}

int close_verdict_predict(int fd, struct conn *c, const char *call,
			  int at_exit, struct release *rel)
{
	struct observation o;

	if (!observe_close(fd, c, call, &o))
		return 0;
	close_policy_apply(fd, at_exit, &o);
	return judge_close(fd, c, call, at_exit, &o, rel);
}
