/*
 * event.c - events: filled from what the wrappers saw, and handed to the
 * log and to the tcp_on_event() callbacks.
 */
#include "event/event.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/fdtable.h"
#include "core/names.h"
#include "core/tally.h"
#include "event/callbacks.h"
#include "event/debug.h"
#include "event/log.h"
#include "event/log_fail.h"
#include "event/rate.h"
#include "event/track.h"
#include "os/probe.h"
#include "os/process.h"
#include "os/real.h"

void event_call_failed(int fd, struct conn *c, const char *call, int err)
{
	int saved = errno;
	struct observation o;
	struct verdict v;

	if (shim_is_sandboxed())
		return;
	if (c == NULL)
		c = track_adopt(fd);
	if (c == NULL) {
		DEBUG_NOTE(fd, call, err, "not a TCP socket: nothing to log");
		goto out;
	}
	probe_observe(fd, c, err, &o);
	if (o.state < 0) {
		/*
		 * No TCP socket at fd any more: it was closed where no
		 * wrapper saw it (fclose of an fdopen'd socket) and the
		 * number now holds something else.  Forget the record.
		 */
		struct conn *stale = fdt_take(fd);

		if (stale != NULL)
			conn_put(stale);
		DEBUG_NOTE(fd, call, err,
			   "no TCP socket at this number now: record dropped");
		goto out;
	}
	v = classify_error(&o);
	if (v.set_flags)
		conn_set(c, v.set_flags);
	if (!v.event) {
		DEBUG_VERDICT(fd, call, &o, v, "no event");
	} else if (!conn_claim_report(c)) {
		DEBUG_VERDICT(fd, call, &o, v, DEBUG_REPORTED);
	} else {
		/* A reset sent (killed) carries no TCP_INFO: the disconnect
		 * that made it cleared those counters. */
		int out = event_emit(fd, c, v, call, err,
				     v.kind == TCP_EVENT_RST_SENT ? NULL : &o);

		DEBUG_VERDICT(fd, call, &o, v, debug_emitted(out));
	}
out:
	errno = saved;
}

/* Is ev to be written to the log: 1 yes, 0 not a kind the log takes,
 * or why not, negated: -EVENT_HELD held back (TCPSHIM_RATE), -EVENT_LOST
 * lost (nowhere to write it).  Counted unless 0; needs only its kind,
 * cause and time. */
static int log_admits(const struct tcp_event *ev)
{
	if (!(shim_config.events & (1u << ev->kind)) ||
	    shim_config.log == LOG_OFF)
		return 0;
	if (log_gone()) {
		rate_lost(ev);
		return -EVENT_LOST;
	}
	return rate_admit(ev) ? 1 : -EVENT_HELD;
}

static void dispatch(const struct tcp_event *ev, int write)
{
	if (write > 0 && log_event(ev) != 0)
		tally_lost();
	callbacks_call(ev);
}

/*
 * The cookies of the sockets whose close was dispatched lately, one slot
 * per hash.  A socket this process holds under two records (it received
 * its own connection back with SCM_RIGHTS) closes twice; two threads
 * closing both at once would each find it gone.  An exchange lets only
 * the first through: cookies are never reused while the system runs.
 */
#define CLOSED_SLOTS 64
static _Atomic uint64_t closed_lately[CLOSED_SLOTS];

static int first_close_of(const struct tcp_event *ev)
{
	uint64_t k = ev->cookie;

	if (!ev->has_cookie || k == 0)
		return 1;
	return atomic_exchange(&closed_lately[(k * 0x9e3779b97f4a7c15ull) >>
					      58],
			       k) != k;
}

void event_dispatch(const struct tcp_event *ev)
{
	if (!atomic_load_explicit(&shim_ready, memory_order_acquire))
		return;
	dispatch(ev, log_admits(ev));
}

void event_dispatch_closed(const struct tcp_event *ev)
{
	if (first_close_of(ev))
		event_dispatch(ev);
}

/* Is a the wildcard address (0.0.0.0 or ::)? */
static int unspecified(const struct sockaddr_storage *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &any6, sizeof(any6)) == 0;
	return 0;
}

/*
 * A disconnected socket keeps its local port but forgets its address:
 * the address it had is the one the kernel picks to reach the peer, as a
 * UDP socket connected there finds (no datagram is sent).
 */
static void local_address_again(struct sockaddr_storage *local,
				const struct sockaddr_storage *peer)
{
	struct sockaddr_storage found;
	socklen_t len = sizeof(found);
	int fd = real.socket(peer->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	in_port_t port;

	if (fd < 0)
		return;
	if (real.connect(fd, (const struct sockaddr *)peer,
			 peer->ss_family == AF_INET
				 ? sizeof(struct sockaddr_in)
				 : sizeof(struct sockaddr_in6)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&found, &len) == 0 &&
	    found.ss_family == local->ss_family) {
		if (local->ss_family == AF_INET) {
			port = ((struct sockaddr_in *)local)->sin_port;
			((struct sockaddr_in *)&found)->sin_port = port;
		} else {
			port = ((struct sockaddr_in6 *)local)->sin6_port;
			((struct sockaddr_in6 *)&found)->sin6_port = port;
		}
		*local = found;
	}
	real.close(fd);
}

void event_fill(struct tcp_event *ev, int fd, struct conn *c,
		struct verdict v, const char *call, int err,
		const struct observation *o)
{
	socklen_t len = sizeof(ev->cookie);

	memset(ev, 0, sizeof(*ev));
	clock_gettime(CLOCK_REALTIME, &ev->time);
	ev->pid = getpid();
	ev->fd = fd;
	ev->conn = __atomic_load_n(&c->id, __ATOMIC_ACQUIRE);
	ev->has_cookie = real.getsockopt(fd, SOL_SOCKET, SO_COOKIE, &ev->cookie,
					&len) == 0;
	ev->kind = v.kind;
	ev->cause = v.cause;
	ev->event = names_kind(v.kind);
	ev->cause_name = names_cause(v.cause);
	ev->call = call;
	len = sizeof(ev->local);
	if (getsockname(fd, (struct sockaddr *)&ev->local, &len) != 0)
		ev->local.ss_family = AF_UNSPEC;
	/* The kernel's own peer first (a connect to 0.0.0.0 reaches
	 * 127.0.0.1); the one kept, once the connection is gone. */
	len = sizeof(ev->peer);
	if (getpeername(fd, (struct sockaddr *)&ev->peer, &len) != 0) {
		if (c->peer.family != AF_UNSPEC)
			conn_addr_to_sockaddr(&c->peer, &ev->peer);
		else
			ev->peer.ss_family = AF_UNSPEC;
	}
	if (v.cause == TCP_CAUSE_KILLED && unspecified(&ev->local) &&
	    ev->peer.ss_family == ev->local.ss_family)
		local_address_again(&ev->local, &ev->peer);
	ev->error = err;
	ev->bytes_sent = atomic_load_explicit(&c->bytes_sent,
					     memory_order_relaxed);
	ev->bytes_received = atomic_load_explicit(&c->bytes_received,
						 memory_order_relaxed);
	ev->probes = ev->retransmits = ev->idle_ms = ev->unacked = -1;
	if (o != NULL) {
		ev->probes = o->probes;
		ev->retransmits = o->retransmits;
		/* Before the handshake completed there was no data: the
		 * kernel's receive clock and the SYN in the send sequence
		 * would only mislead. */
		if (v.cause == TCP_CAUSE_REFUSED) {
			ev->unacked = 0;
		} else {
			ev->idle_ms = o->idle_ms;
			ev->unacked = o->unacked;
		}
	}
}

int event_wanted(enum tcp_event_kind kind)
{
	if (shim_config.log != LOG_OFF && (shim_config.events & (1u << kind)))
		return 1;
	return callbacks_any();
}

int event_emit(int fd, struct conn *c, struct verdict v, const char *call,
		int err, const struct observation *o)
{
	struct tcp_event ev = { .kind = v.kind, .cause = v.cause };
	struct timespec when;
	int write;

	/* Filling one costs system calls (the cookie, the address): not
	 * for an event nobody reads, such as every orderly close. */
	if (!event_wanted(v.kind))
		return 0;
	if (!atomic_load_explicit(&shim_ready, memory_order_acquire))
		return 1;
	/* Nor for one held back in a storm, or lost for want of a log,
	 * with no callback to take it: its kind, cause and time are all
	 * its count needs. */
	clock_gettime(CLOCK_REALTIME, &ev.time);
	write = log_admits(&ev);
	if (write < 0 && !callbacks_any())
		return -write;
	when = ev.time;
	event_fill(&ev, fd, c, v, call, err, o);
	ev.time = when;
	dispatch(&ev, write);
	return write < 0 ? -write : 1;
}
