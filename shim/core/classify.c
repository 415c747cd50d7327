/*
 * classify.c - the rules that name an event and its cause.
 *
 * Received resets.  A reset shows as ECONNREFUSED before the connection
 * was established, then as ECONNRESET, or as EPIPE when it arrived in
 * CLOSE_WAIT.  EPIPE alone proves nothing (a local shutdown(SHUT_WR) gives
 * it too, and so does every send after a reset already reported), so it
 * counts only in state CLOSE, with no shutdown and no other failure.
 *
 * Which peer reset.  It is halfopen_reset, a peer that lost the
 * connection (crashed and restarted), when the RST answered a keepalive
 * probe (probes were unanswered when it came) or answered data we sent
 * after HALFOPEN_SILENCE_MS without any ACK from the peer.  Otherwise the
 * peer was alive and aborted: peer_reset.  A reset after the peer's FIN
 * (EPIPE) is always peer_reset: the peer closed; it knew the connection.
 *
 * Killed.  A connection torn down on this host, not by its peer: by
 * SOCK_DESTROY (ss -K), which the program sees as ECONNABORTED, or by
 * another process that holds the socket too and disconnected it
 * (connect(AF_UNSPEC), as tcp_abort does), which the program sees as
 * ECONNRESET, like a peer's reset.  The kernel's disconnect clears the
 * connection's counters: no segment received (tcpi_segs_in 0) on a
 * connection that was up means no peer's RST ended it.  rst_sent, cause
 * killed: the RST left from here.
 *
 * Dead peers.  ETIMEDOUT on an established connection is halfopen:
 * user_timeout when sent data stayed unacknowledged (retransmissions ran
 * out: TCP_USER_TIMEOUT, or the kernel's tcp_retries2 without it),
 * keepalive_timeout when keepalive probes went unanswered.
 */
#include "core/classify.h"

#include <errno.h>

#include "core/conn.h"

/* An event; the connection remembers a reset received or a dead peer. */
static struct verdict event(enum tcp_event_kind kind, enum tcp_event_cause cause)
{
	unsigned int set = kind == TCP_EVENT_RST_RECEIVED ? CONN_RESET
			   : kind == TCP_EVENT_HALFOPEN	  ? CONN_DEAD
							  : 0;

	return (struct verdict){ .event = 1, .kind = kind, .cause = cause,
				 .set_flags = set };
}

static struct verdict flags_only(unsigned int set)
{
	return (struct verdict){ .event = 0, .set_flags = set };
}

int classify_wants(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return 1;
	default:
		return 0;
	}
}

/* Disconnected on this host (see the top of the file). */
static int killed(const struct observation *o)
{
	return (o->flags & CONN_ESTABLISHED) && o->state == TCPS_CLOSE &&
	       o->disconnected;
}

static struct verdict reset(const struct observation *o)
{
	if (killed(o))
		return event(TCP_EVENT_RST_SENT, TCP_CAUSE_KILLED);
	if (o->probes > 0 ||
	    (o->unacked > 0 && o->silence_ms >= HALFOPEN_SILENCE_MS))
		return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_HALFOPEN_RESET);
	return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET);
}

static struct verdict timeout(const struct observation *o)
{
	if (o->unacked > 0 || o->retransmits > 0)
		return event(TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT);
	if (o->probes > 0)
		return event(TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT);
	return flags_only(CONN_FAILED);
}

struct verdict classify_error(const struct observation *o)
{
	if (o->flags & CONN_REPORTED)
		return flags_only(0);
	switch (o->err) {
	case ECONNREFUSED:
		if (o->flags & CONN_ESTABLISHED)
			return flags_only(CONN_FAILED);
		return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_REFUSED);
	case ECONNRESET:
		return reset(o);
	case ECONNABORTED:
		/* Only a connection that ended (not accept() on a listener,
		 * whose next connection went away first). */
		if (!(o->flags & CONN_ESTABLISHED) || o->state != TCPS_CLOSE)
			return flags_only(CONN_FAILED);
		return event(TCP_EVENT_RST_SENT, TCP_CAUSE_KILLED);
	case EPIPE:
		/* A socket never connected gives EPIPE too. */
		if (!(o->flags & CONN_ESTABLISHED) ||
		    (o->flags & (CONN_SHUT_WR | CONN_FAILED)) ||
		    o->state != TCPS_CLOSE)
			return flags_only(0);
		if (killed(o))
			return event(TCP_EVENT_RST_SENT, TCP_CAUSE_KILLED);
		return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET);
	case ETIMEDOUT:
		if (o->flags & CONN_ESTABLISHED)
			return timeout(o);
		return flags_only(CONN_FAILED);
	default:
		/* Unreachable networks: no reset, no verdict on the peer. */
		return flags_only(CONN_FAILED);
	}
}

int classify_state_resets(int state)
{
	/* tcp_need_reset() in the kernel's net/ipv4/tcp.c */
	switch (state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT1:
	case TCPS_FIN_WAIT2:
	case TCPS_SYN_RECV:
		return 1;
	default:
		return 0;
	}
}

/*
 * A connection that was up, that the program never shut down and that
 * failed in no way the program saw, is in CLOSE only because it died
 * unnoticed.  The errno that would say how is still pending (reading it
 * would consume it), so TCP_INFO decides, as a best guess: retransmissions
 * ran out (a user timeout); keepalive gave up (as many probes as
 * TCP_KEEPCNT, or, with a user timeout, which replaces the count, that
 * much silence); or else a reset.
 */
static struct verdict died_unnoticed(const struct observation *o)
{
	if (o->retransmits > 0)
		return event(TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT);
	if (o->probes > 0 &&
	    ((o->keepcnt > 0 && o->probes >= o->keepcnt) ||
	     (o->user_timeout_ms > 0 && o->idle_ms >= o->user_timeout_ms)))
		return event(TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT);
	return reset(o);
}

struct verdict classify_close(const struct observation *o)
{
	if (o->flags & CONN_REPORTED)
		return flags_only(0);
	switch (o->state) {
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		return flags_only(0);
	case TCPS_CLOSE:
		/* Shared, it may have been shut down, or reset and reported,
		 * by the other holder: its outcome is not this one's. */
		if (o->flags & (CONN_FAILED | CONN_SHARED))
			return flags_only(0);
		/* Never established, yet a segment came back: the RST that
		 * refused its connect, which no call of the program's
		 * revealed (it polled and closed, or its connect was
		 * interrupted).  A connect that timed out heard nothing. */
		if (!(o->flags & CONN_ESTABLISHED))
			return o->answered
				       ? event(TCP_EVENT_RST_RECEIVED,
					       TCP_CAUSE_REFUSED)
				       : flags_only(0);
		if (o->flags & CONN_SHUT_WR)
			return event(TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL);
		return died_unnoticed(o);
	default:
		break;
	}
	/*
	 * A reset predicted here is what the close will send if nothing
	 * changes until then; the caller confirms it once the socket is
	 * closed (close.c), since a FIN or RST may still arrive, and another
	 * process may hold the connection too (it was open across fork, or
	 * sent with SCM_RIGHTS): then this close sends nothing.
	 */
	/* The kernel resets a close with unread data in any of these. */
	if (o->unread > 0)
		return event(TCP_EVENT_RST_SENT, TCP_CAUSE_UNREAD_DATA);
	if (classify_state_resets(o->state)) {
		if (o->policy_abort)
			return event(TCP_EVENT_RST_SENT, TCP_CAUSE_POLICY);
		if (o->flags & CONN_LINGER0)
			return event(TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0);
	}
	/* A descriptor of a shared connection goes; the connection stays. */
	if (o->flags & CONN_SHARED)
		return flags_only(0);
	return event(TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL);
}
