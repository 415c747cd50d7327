/*
 * classify.h - which event, if any, a failed call or a close reveals.
 * Pure functions of what the shim knows: testable without sockets.
 */
#ifndef SHIM_CLASSIFY_H
#define SHIM_CLASSIFY_H

#include "tcpshim.h"

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

/* Does err, from a call on a TCP socket, need classify_error()? */
int classify_wants(int err);

/*
 * A call on a connection with these flags failed with err; state is
 * tcpi_state now, or -1 if unknown.
 */
struct verdict classify_error(unsigned int flags, int err, int state);

/*
 * The last descriptor of a connection is being closed.  state is
 * tcpi_state, unread the bytes SIOCINQ reports, policy_abort whether
 * TCPSHIM_CLOSE=abort is in force.
 */
struct verdict classify_close(unsigned int flags, int state, int unread,
			      int policy_abort);

/* Would closing in this state with SO_LINGER {1, 0} send a RST? */
int classify_state_resets(int state);

#endif
