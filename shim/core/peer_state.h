/*
 * peer_state.h - what is known of a connection's peer, from what was
 * observed of the connection: the state tcp_peer_status() reports, and
 * "tcpshim ls" shows.
 */
#ifndef SHIM_CORE_PEER_STATE_H
#define SHIM_CORE_PEER_STATE_H

#include "core/classify.h"
#include "tcpshim.h"

/*
 * Does judging o's peer need TCP_KEEPCNT and TCP_USER_TIMEOUT in o first
 * (os/probe.h: probe_keepalive)?  Only for a connection in CLOSE whose
 * end the shim did not see: the classifier then works out how it died.
 */
int peer_state_wants_keepalive(const struct observation *o);

/*
 * The peer's state: alive or probing (probes or retransmissions
 * unanswered right now) while the connection is open; in CLOSE, dead or
 * reset as the shim saw it end, or else as the close classifier judges
 * it from o; closed otherwise.  o->flags may hold CONN_DEAD, CONN_RESET
 * and CONN_REPORTED: a verdict already logged still counts here.
 */
enum tcp_peer_state peer_state_of(const struct observation *o);

#endif
