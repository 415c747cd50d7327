/*
 * event.c - build events and dispatch them to the log and to the
 * tcp_on_event() callbacks.
 *
 * It observes a socket only in ways that consume nothing the program may
 * still read: SO_COOKIE, TCP_INFO, getsockname and SIOCOUTQ.  Never
 * SO_ERROR or MSG_PEEK, which would swallow a pending ECONNRESET.
 */
#include "event.h"

#include <errno.h>
#include <linux/sockios.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fdtable.h"
#include "format.h"
#include "log.h"
#include "real.h"
#include "wrap.h"

atomic_int shim_ready;
int shim_passive;
atomic_uint shim_fork_gen;
atomic_int shim_pid;

#define MAX_CALLBACKS 8

/*
 * A slot is published under a sequence count, odd while it changes: a
 * reader takes fn and arg only as a pair written together, and skips a
 * slot that is changing rather than wait (it may be a signal handler
 * that interrupted the writer).
 */
static struct callback {
	atomic_int used;
	atomic_uint seq;
	_Atomic(tcp_event_fn) fn;
	void *_Atomic arg;
} callbacks[MAX_CALLBACKS];

static void slot_write(struct callback *cb, tcp_event_fn fn, void *arg)
{
	atomic_fetch_add(&cb->seq, 1);
	atomic_store(&cb->fn, fn);
	atomic_store(&cb->arg, arg);
	atomic_fetch_add(&cb->seq, 1);
}

/* fn and arg as written together, or 0 if the slot is changing. */
static int slot_read(struct callback *cb, tcp_event_fn *fn, void **arg)
{
	unsigned int seq = atomic_load(&cb->seq);

	if (seq & 1)
		return 0;
	*fn = atomic_load(&cb->fn);
	*arg = atomic_load(&cb->arg);
	return atomic_load(&cb->seq) == seq;
}

unsigned int event_conn_flags(void)
{
	unsigned int gen = atomic_load_explicit(&shim_fork_gen,
						memory_order_relaxed);

	return (gen & 0xffff) << CONN_GEN_SHIFT;
}

unsigned int event_flags(const struct conn *c)
{
	unsigned int f = conn_flags(c);
	unsigned int gen = atomic_load_explicit(&shim_fork_gen,
						memory_order_relaxed);

	if ((f >> CONN_GEN_SHIFT) != (gen & 0xffff))
		f |= CONN_SHARED;
	return f & ((1u << CONN_GEN_SHIFT) - 1);
}

int event_tcp_info(int fd, struct tcp_info *info)
{
	struct tcp_info local;
	socklen_t len = sizeof(local);

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (real.getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len) != 0)
		return -1;
	return info->tcpi_state;
}

int event_tcp_domain(int fd)
{
	int protocol, domain, type;
	socklen_t len = sizeof(int);

	/* EBADF and ENOTSOCK come from the kernel as they are. */
	if (real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0)
		return -1;
	if (real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
	    real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    protocol != IPPROTO_TCP || type != SOCK_STREAM ||
	    (domain != AF_INET && domain != AF_INET6)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return domain;
}

struct conn *event_adopt(int fd)
{
	int saved = errno;
	int domain = shim_passive ? -1 : event_tcp_domain(fd);
	struct conn *c = NULL;

	errno = saved;
	if (domain < 0)
		return NULL;
	c = conn_new(event_conn_flags() | CONN_ESTABLISHED);
	if (c != NULL)
		fdt_track(fd, c);
	return fdt_get(fd);
}

static int64_t unacked_bytes(int fd, const struct tcp_info *info)
{
	int outq;

	if (ioctl(fd, SIOCOUTQ, &outq) != 0)
		return -1;
	/* SIOCOUTQ counts unsent bytes too; TCP_INFO knows how many. */
	return outq >= (int)info->tcpi_notsent_bytes
		       ? outq - (int64_t)info->tcpi_notsent_bytes
		       : 0;
}

void event_observe(int fd, struct conn *c, int err, struct observation *o)
{
	struct tcp_info info;

	memset(o, 0, sizeof(*o));
	o->err = err;
	o->flags = event_flags(c);
	o->state = event_tcp_info(fd, &info);
	/* Up once: it said so, it moved bytes, or the handshake gave an
	 * RTT sample (a refused or timed-out SYN gives none). */
	if (atomic_load_explicit(&c->bytes_sent, memory_order_relaxed) ||
	    atomic_load_explicit(&c->bytes_received, memory_order_relaxed) ||
	    info.tcpi_rtt > 0)
		o->flags |= CONN_ESTABLISHED;
	o->probes = info.tcpi_probes;
	o->retransmits = info.tcpi_retransmits;
	o->silence_ms = (int64_t)info.tcpi_last_ack_recv -
			(int64_t)info.tcpi_last_data_sent;
	o->idle_ms = info.tcpi_last_data_recv;
	o->kernel_received = info.tcpi_bytes_received;
	o->disconnected = o->state >= 0 && info.tcpi_segs_in == 0 &&
			  info.tcpi_segs_out == 0;
	/* Only an ended connection, or a failed call, needs the count: a
	 * healthy close does without the ioctl. */
	o->unacked = (o->flags & CONN_ESTABLISHED) &&
				     (err != 0 || o->state == TCPS_CLOSE)
			     ? unacked_bytes(fd, &info)
			     : 0;
}

void event_observe_keepalive(int fd, struct observation *o)
{
	socklen_t len = sizeof(int);
	int v;

	if (o->probes == 0)
		return;
	if (real.getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &len) == 0)
		o->keepcnt = v;
	len = sizeof(int);
	if (real.getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &len) == 0)
		o->user_timeout_ms = v;
}

void wrap_io_failed(int fd, const char *call)
{
	int err = errno;

	if (classify_wants(err))
		event_call_failed(fd, fdt_get(fd), call, err);
}

void event_call_failed(int fd, struct conn *c, const char *call, int err)
{
	int saved = errno;
	struct observation o;
	struct verdict v;

	if (atomic_load_explicit(&shim_sandboxed, memory_order_relaxed))
		return;
	if (c == NULL)
		c = event_adopt(fd);
	if (c == NULL)
		goto out;
	event_observe(fd, c, err, &o);
	if (o.state < 0) {
		/*
		 * No TCP socket at fd any more: it was closed where no
		 * wrapper saw it (fclose of an fdopen'd socket) and the
		 * number now holds something else.  Forget the record.
		 */
		struct conn *stale = fdt_take(fd);

		if (stale != NULL)
			conn_put(stale);
		goto out;
	}
	v = classify_error(&o);
	if (v.set_flags)
		conn_set(c, v.set_flags);
	/* A reset sent (killed) carries no TCP_INFO: the disconnect that
	 * made it cleared those counters. */
	if (v.event && conn_claim_report(c))
		event_emit(fd, c, v, call, err,
			   v.kind == TCP_EVENT_RST_SENT ? NULL : &o);
out:
	errno = saved;
}

void event_dispatch(const struct tcp_event *ev)
{
	if (!atomic_load_explicit(&shim_ready, memory_order_acquire))
		return;
	if (shim_config.events & (1u << ev->kind))
		log_event(ev);
	for (int i = 0; i < MAX_CALLBACKS; i++) {
		tcp_event_fn fn;
		void *arg;

		if (slot_read(&callbacks[i], &fn, &arg) && fn != NULL)
			fn(ev, arg);
	}
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
	ev->event = format_kind_name(v.kind);
	ev->cause_name = format_cause_name(v.cause);
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
	for (int i = 0; i < MAX_CALLBACKS; i++)
		if (atomic_load_explicit(&callbacks[i].used,
					 memory_order_relaxed))
			return 1;
	return 0;
}

void event_emit(int fd, struct conn *c, struct verdict v, const char *call,
		int err, const struct observation *o)
{
	struct tcp_event ev;

	/* Filling one costs system calls (the cookie, the address): not
	 * for an event nobody reads, such as every orderly close. */
	if (!event_wanted(v.kind))
		return;
	event_fill(&ev, fd, c, v, call, err, o);
	event_dispatch(&ev);
}

SHIM_EXPORT int tcp_on_event(tcp_event_fn fn, void *arg)
{
	if (fn == NULL) {
		if (arg != NULL) {
			errno = EINVAL;
			return -1;
		}
		for (int i = 0; i < MAX_CALLBACKS; i++) {
			slot_write(&callbacks[i], NULL, NULL);
			atomic_store(&callbacks[i].used, 0);
		}
		return 0;
	}
	for (int i = 0; i < MAX_CALLBACKS; i++) {
		tcp_event_fn f;
		void *a;

		if (slot_read(&callbacks[i], &f, &a) && f == fn && a == arg)
			return 0;
	}
	for (int i = 0; i < MAX_CALLBACKS; i++) {
		int free_slot = 0;

		if (atomic_compare_exchange_strong(&callbacks[i].used,
						   &free_slot, 1)) {
			slot_write(&callbacks[i], fn, arg);
			return 0;
		}
	}
	errno = ENOMEM;
	return -1;
}
