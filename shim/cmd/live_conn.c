/*
 * live_conn.c - what the kernel's report of one socket says: the peer's
 * state, judged by the library's own rules (core/peer_state.c), whether
 * the peer is dead, the bytes sent and unacknowledged, the keepalive
 * timer.
 */
#include "cmd/live_conn.h"

#include <string.h>

#include "core/classify.h"
#include "core/conn.h"
#include "core/names.h"
#include "core/peer_state.h"
#include "core/tcpinfo.h"

/* The observation the library's own classifier takes, from TCP_INFO. */
static void observe(const struct live_conn *c, struct observation *o)
{
	memset(o, 0, sizeof(*o));
	o->flags = CONN_ESTABLISHED;
	tcpinfo_observe(o, c->state, &c->info);
	o->unacked = live_conn_unacked(c);
}

const char *live_conn_peer_state(const struct live_conn *c)
{
	struct observation o;

	/* A listener has no peer. */
	if (c->state == TCPS_LISTEN)
		return "-";
	observe(c, &o);
	return names_peer_state(peer_state_of(&o));
}

/*
 * The kernel counts unanswered keepalive probes and clears the count at
 * any ACK: a second probe means the first went a whole interval without
 * an answer.
 */
#define DEAD_PROBES 2
/* This many retransmission timeouts in a row mean a dead peer. */
#define DEAD_RETRANSMITS 3

int live_conn_peer_dead(const struct live_conn *c)
{
	const struct tcp_info *i = &c->info;

	if (!classify_state_resets(c->state) || c->state == TCPS_LISTEN)
		return 0;
	return i->tcpi_probes >= DEAD_PROBES ||
	       i->tcpi_retransmits >= DEAD_RETRANSMITS;
}

int64_t live_conn_unacked(const struct live_conn *c)
{
	/* A listener's "write queue" is its backlog limit. */
	if (c->state == TCPS_LISTEN)
		return 0;
	return tcpinfo_unacked(c->wqueue, &c->info);
}

uint64_t live_conn_bytes_sent(const struct live_conn *c)
{
	return tcpinfo_sent(&c->info);
}

/* sock_diag's idiag_timer values (the kernel's inet_diag.c). */
#define DIAG_TIMER_KEEPALIVE 2

int live_conn_keepalive_timer(const struct live_conn *c)
{
	return c->timer == DIAG_TIMER_KEEPALIVE;
}
