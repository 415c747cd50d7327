/*
 * peer_state.c - the peer's state from an observation of its connection.
 */
#include "core/peer_state.h"

#include "core/conn.h"

int peer_state_wants_keepalive(const struct observation *o)
{
	return o->state == TCPS_CLOSE &&
	       !(o->flags & (CONN_DEAD | CONN_RESET));
}

/*
 * A connection in CLOSE: what the shim saw, or else what the close
 * classifier would say of it now, whether or not it was logged already.
 */
static enum tcp_peer_state closed_state(const struct observation *o)
{
	struct observation judged = *o;
	struct verdict v;

	if (o->flags & CONN_DEAD)
		return TCP_PEER_DEAD;
	if (o->flags & CONN_RESET)
		return TCP_PEER_RESET;
	judged.flags &= ~(unsigned int)CONN_REPORTED;
	v = classify_close(&judged);
	if (v.event && v.kind == TCP_EVENT_HALFOPEN)
		return TCP_PEER_DEAD;
	if (v.event && v.kind == TCP_EVENT_RST_RECEIVED)
		return TCP_PEER_RESET;
	return TCP_PEER_CLOSED;
}

enum tcp_peer_state peer_state_of(const struct observation *o)
{
	switch (o->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT1:
	case TCPS_FIN_WAIT2:
		/* Probes or retransmissions unanswered right now. */
		return o->probes > 0 || o->retransmits > 0 ? TCP_PEER_PROBING
							   : TCP_PEER_ALIVE;
	case TCPS_CLOSE:
		return closed_state(o);
	default:
		return TCP_PEER_CLOSED;
	}
}
