/*
 * watch_cause.c - one kernel record judged: which process owns the
 * socket, which one caused the reset, the event and its cause, by the
 * preload's rules (core/classify.c) where the kernel's facts allow.
 *
 * Sent resets.  The kernel's reason names unread data at close
 * (TCP_ABORT_ON_CLOSE) and keepalive giving up (TCP_KEEPALIVE_TIMEOUT:
 * event halfopen, cause keepalive_timeout).  TCP_STATE covers three
 * paths, told apart by the kernel stack (watch_stack.c):
 *   the last close      linger0; the owner is the process that closed,
 *                       with the fd it passed to close(2);
 *   connect(AF_UNSPEC)  abort when the owner did it (tcp_abort()), else
 *                       killed, and the process that did it is the actor;
 *   SOCK_DESTROY        killed (ss -K), the actor named.
 * An unknown path gives a null cause, never a guessed one.  No socket:
 * a SYN answered is no_listener, any other segment no_connection.
 *
 * Received resets: refused in SYN_SENT; after the peer's FIN, peer_reset;
 * halfopen_reset when keepalive probes were unanswered, or data was
 * unacknowledged and had been sent after HALFOPEN_SILENCE_MS without an
 * ACK from the peer; otherwise peer_reset.
 *
 * Owners.  The process found holding the socket once the reset was read,
 * or the one that closed it before (watch_holders.c); the closer, for a
 * reset its close sent or one that came in during that close.  A socket
 * no process held when its reset came (an orphan finishing its FIN) has
 * no owner.
 */
#include "cmd/watch.h"

#include <string.h>
#include <sys/syscall.h>

#include "core/classify.h"
#include "core/names.h"

/* The kernel's TCP states that matter here, from its BTF. */
static long watch_cause_syn_sent = -1;
static long watch_cause_after_fin[3] = { -1, -1, -1 };

void watch_cause_init(void)
{
	watch_cause_syn_sent = watch_btf_enumerator("TCP_SYN_SENT");
	watch_cause_after_fin[0] = watch_btf_enumerator("TCP_CLOSE_WAIT");
	watch_cause_after_fin[1] = watch_btf_enumerator("TCP_LAST_ACK");
	watch_cause_after_fin[2] = watch_btf_enumerator("TCP_CLOSING");
}

static int watch_cause_reason_is(const struct watch_event *ev,
				 const char *name)
{
	return ev->reason != NULL && strcmp(ev->reason, name) == 0;
}

static void watch_cause_received(const struct watch_record *r,
				 struct watch_event *ev)
{
	int after_fin = 0;

	ev->kind = TCP_EVENT_RST_RECEIVED;
	if (!(r->flags & WATCH_FULL_SOCK))
		return;
	/* Came in while a process was closing it: that process, whose
	 * descriptor is gone. */
	if (!ev->owned && (r->flags & WATCH_NO_FILE) &&
	    (r->flags & WATCH_LOCKED) && (r->flags & WATCH_HAS_ACTOR) &&
	    r->actor.pid != 0) {
		ev->owned = 1;
		ev->owner.pid = r->actor.pid;
		ev->owner.fd = -1;
		memcpy(ev->owner.comm, r->actor.comm, sizeof(ev->owner.comm));
	}
	for (int i = 0; i < 3; i++)
		after_fin |= (long)r->state == watch_cause_after_fin[i];
	if ((long)r->state == watch_cause_syn_sent)
		ev->cause = TCP_CAUSE_REFUSED;
	else if (!after_fin && (r->probes > 0 ||
		 (r->unacked > 0 && r->silence_ms >= HALFOPEN_SILENCE_MS)))
		ev->cause = TCP_CAUSE_HALFOPEN_RESET;
	else
		ev->cause = TCP_CAUSE_PEER_RESET;
}

/* The actor is the owner: the process that let go of the last
 * reference, with the fd it passed to close(2) if that close did it. */
static void watch_cause_closer(const struct watch_record *r,
			       struct watch_event *ev)
{
	const struct watch_actor *a = &r->actor;

	ev->closed = 1;
	if (watch_cause_reason_is(ev, "TCP_ABORT_ON_CLOSE"))
		ev->cause = TCP_CAUSE_UNREAD_DATA;
	else if (watch_cause_reason_is(ev, "TCP_STATE"))
		ev->cause = TCP_CAUSE_LINGER0;
	if (r->flags & WATCH_NO_FILE) {
		/* A connection never accepted, reset as its listener closed:
		 * nobody owns it, the closer acted. */
		ev->owned = 0;
		ev->cause = NAMES_CAUSE_UNKNOWN;
		ev->acted = a->pid != 0;
		return;
	}
	if (a->pid == 0) {
		/* A kernel worker closed it: nobody to name. */
		ev->owned = 0;
		return;
	}
	ev->owned = 1;
	ev->owner.pid = a->pid;
	memcpy(ev->owner.comm, a->comm, sizeof(ev->owner.comm));
	if (a->nr == SYS_close && !watch_stack_deferred(r))
		ev->owner.fd = (__s32)a->arg0;
	else if (!(r->flags & WATCH_HAS_OWNER) || r->owner.pid != a->pid)
		ev->owner.fd = -1;
}

/* connect(AF_UNSPEC) or SOCK_DESTROY: abort by the owner, else killed. */
static void watch_cause_disconnect(const struct watch_record *r,
				   struct watch_event *ev, enum watch_path path)
{
	const struct watch_actor *a = &r->actor;

	if (!ev->owned && path == WATCH_PATH_DISCONNECT && a->pid != 0) {
		/* Nobody else holds it: the caller, at connect's fd. */
		ev->owned = 1;
		ev->owner.pid = a->pid;
		ev->owner.fd = a->nr == SYS_connect ? (__s32)a->arg0 : -1;
		memcpy(ev->owner.comm, a->comm, sizeof(ev->owner.comm));
	}
	if (path == WATCH_PATH_DISCONNECT && ev->owned &&
	    a->pid == ev->owner.pid) {
		ev->cause = TCP_CAUSE_ABORT;
	} else {
		ev->cause = TCP_CAUSE_KILLED;
		ev->acted = a->pid != 0;
	}
}

static void watch_cause_sent(const struct watch_record *r,
			     struct watch_event *ev)
{
	/* The stack tells the path only when the task that ran holds the
	 * socket: a softirq run on top of another task's call does not. */
	enum watch_path path = r->flags & WATCH_LOCKED ? watch_stack_path(r)
						      : WATCH_PATH_UNKNOWN;

	ev->kind = TCP_EVENT_RST_SENT;
	if (watch_cause_reason_is(ev, "TCP_KEEPALIVE_TIMEOUT")) {
		ev->kind = TCP_EVENT_HALFOPEN;
		ev->cause = TCP_CAUSE_KEEPALIVE_TIMEOUT;
	} else if (path == WATCH_PATH_CLOSE) {
		watch_cause_closer(r, ev);
	} else if (path == WATCH_PATH_DISCONNECT || path == WATCH_PATH_DESTROY) {
		watch_cause_disconnect(r, ev, path);
	} else if (watch_cause_reason_is(ev, "TCP_ABORT_ON_CLOSE")) {
		ev->cause = TCP_CAUSE_UNREAD_DATA;
	}
}

void watch_cause_judge(const struct watch_record *r, struct watch_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->r = r;
	ev->cause = NAMES_CAUSE_UNKNOWN;
	ev->reason = r->flags & WATCH_HAS_REASON ? watch_btf_reason(r->reason)
						 : NULL;
	/* pid 0: a process outside watch's pid namespace. */
	ev->owned = (r->flags & WATCH_HAS_OWNER) && r->owner.pid != 0;
	ev->owner = r->owner;
	ev->actor = r->actor;
	if (r->kind == WATCH_RST_RECEIVED)
		watch_cause_received(r, ev);
	else if (r->flags & WATCH_HAS_SOCK)
		watch_cause_sent(r, ev);
	else if (r->family != 0)
		ev->cause = r->flags & WATCH_SYN ? NAMES_CAUSE_NO_LISTENER
						 : NAMES_CAUSE_NO_CONNECTION;
	if (ev->acted && ev->owned && ev->actor.pid == ev->owner.pid)
		ev->acted = 0;
}
