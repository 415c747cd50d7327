/*
 * classify.h - which event, if any, a failed call or a close reveals.
 * Pure functions of what the shim observed: testable without sockets.
 */
#ifndef SHIM_CORE_CLASSIFY_H
#define SHIM_CORE_CLASSIFY_H

#include <stdint.h>

#include "tcpshim.h"

/*
 * A reset that meets data we sent after this much silence from the peer
 * (no ACK for this long before the data went out) answers data the peer
 * no longer knows: the peer lost the connection (halfopen_reset), it did
 * not abort it.
 */
#define HALFOPEN_SILENCE_MS 1000

struct verdict {
	int event;			/* 1: log kind/cause; 0: nothing */
	enum tcp_event_kind kind;
	enum tcp_event_cause cause;
	unsigned int set_flags;		/* conn flags to set either way */
};

/* TCP states as TCP_INFO's tcpi_state gives them (include/net/tcp_states.h). */
enum {
	TCPS_ESTABLISHED = 1, TCPS_SYN_SENT, TCPS_SYN_RECV, TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2, TCPS_TIME_WAIT, TCPS_CLOSE, TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK, TCPS_LISTEN, TCPS_CLOSING,
};

/* What the shim knows of a connection when a call fails or it closes. */
struct observation {
	unsigned int flags;	/* enum conn_flag; CONN_ESTABLISHED if it
				 * ever was (the caller works that out) */
	int err;		/* errno the program saw; 0 at close */
	int state;		/* tcpi_state, -1 if unknown */
	int probes;		/* tcpi_probes: keepalive probes unanswered */
	int keepcnt;		/* TCP_KEEPCNT (read at close only), or 0 */
	int retransmits;	/* tcpi_retransmits */
	int64_t unacked;	/* bytes sent and not acknowledged */
	int64_t silence_ms;	/* no ACK for this long before our last
				 * data was sent: tcpi_last_ack_recv -
				 * tcpi_last_data_sent, which does not grow
				 * while the shim waits to look */
	int64_t user_timeout_ms;	/* TCP_USER_TIMEOUT (read at close
					 * only), or 0 */
	int64_t idle_ms;	/* tcpi_last_data_recv */
	uint64_t kernel_received;	/* tcpi_bytes_received (a FIN
					 * counts as one) */
	int disconnected;	/* tcpi_segs_in is 0: a disconnect on this
				 * host cleared the counters */
	int unread;		/* close: SIOCINQ */
	int answered;		/* tcpi_segs_in > 0: a segment came back
				 * (the RST that refuses a connect counts) */
	int policy_abort;	/* close: TCPSHIM_CLOSE=abort */
};

/* Does err, from a call on a TCP socket, need classify_error()? */
int classify_wants(int err);

/* A call on the connection failed with o->err. */
struct verdict classify_error(const struct observation *o);

/*
 * The last descriptor of the connection in this process is about to be
 * closed.  An rst_sent verdict is a prediction, to be confirmed after the
 * close: what arrives meanwhile, or another holder, can change it.
 */
struct verdict classify_close(const struct observation *o);

/* Has the peer's FIN arrived, in this state?  TCP_INFO's
 * tcpi_bytes_received then counts it as one byte. */
static inline int classify_fin_received(int state)
{
	return state == TCPS_CLOSE_WAIT || state == TCPS_LAST_ACK ||
	       state == TCPS_CLOSING || state == TCPS_TIME_WAIT;
}

/* Would closing in this state with SO_LINGER {1, 0} send a RST? */
int classify_state_resets(int state);

#endif
