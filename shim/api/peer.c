/*
 * peer.c - tcp_peer_status(): what is known of a peer right now, from
 * TCP_INFO and the send queue, without consuming a pending error.
 */
#include <errno.h>
#include <string.h>

#include "core/classify.h"
#include "core/compiler.h"
#include "core/names.h"
#include "event/track.h"
#include "os/probe.h"

/*
 * A connection in CLOSE: what the shim revealed, or else what the close
 * classifier would say of it now, from TCP_INFO alone.
 */
static enum tcp_peer_state closed_state(int fd, struct observation *o)
{
	struct verdict v;

	if (o->flags & CONN_DEAD)
		return TCP_PEER_DEAD;
	if (o->flags & CONN_RESET)
		return TCP_PEER_RESET;
	probe_keepalive(fd, o);
	o->flags &= ~(unsigned int)CONN_REPORTED;
	v = classify_close(o);
	if (v.event && v.kind == TCP_EVENT_HALFOPEN)
		return TCP_PEER_DEAD;
	if (v.event && v.kind == TCP_EVENT_RST_RECEIVED)
		return TCP_PEER_RESET;
	return TCP_PEER_CLOSED;
}

SHIM_EXPORT int tcp_peer_status(int fd, struct tcp_peer *out)
{
	int saved = errno;
	struct observation o;
	struct conn *c;

	if (probe_tcp_domain(fd) < 0)
		return -1;
	if (out == NULL) {
		errno = EFAULT;
		return -1;
	}
	c = track_lookup(fd);
	if (c == NULL) {
		errno = ENOMEM;
		return -1;
	}
	probe_observe(fd, c, 0, &o);
	memset(out, 0, sizeof(*out));
	switch (o.state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT1:
	case TCPS_FIN_WAIT2:
		/* Probes or retransmissions unanswered right now. */
		out->state = o.probes > 0 || o.retransmits > 0
				     ? TCP_PEER_PROBING
				     : TCP_PEER_ALIVE;
		break;
	case TCPS_CLOSE:
		out->state = closed_state(fd, &o);
		break;
	default:
		out->state = TCP_PEER_CLOSED;
		break;
	}
	out->state_name = names_peer_state(out->state);
	out->probes = o.probes;
	out->retransmits = o.retransmits;
	out->idle_ms = o.idle_ms;
	out->unacked = o.unacked < 0 ? 0 : o.unacked;
	out->bytes_sent = atomic_load(&c->bytes_sent);
	out->bytes_received = atomic_load(&c->bytes_received);
	errno = saved;
	return 0;
}
