/*
 * classify.c - the rules that name a reset and its cause.
 *
 * A reset received shows as ECONNREFUSED (before the connection was
 * established), ECONNRESET, or EPIPE when it arrived in CLOSE_WAIT.  EPIPE
 * alone proves nothing: a local shutdown(SHUT_WR) also gives it, and after
 * a reset already reported every later send gives it too; so EPIPE counts
 * only when the socket is in CLOSE, the program never shut it down for
 * writing, and no other failure (a timeout) explains it.
 */
#include "classify.h"

#include <errno.h>

#include "conn.h"

static struct verdict event(enum tcp_event_kind kind, enum tcp_event_cause cause)
{
	return (struct verdict){ .event = 1, .kind = kind, .cause = cause };
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

struct verdict classify_error(unsigned int flags, int err, int state)
{
	if (flags & CONN_REPORTED)
		return flags_only(0);
	switch (err) {
	case ECONNREFUSED:
		if (flags & CONN_ESTABLISHED)
			return flags_only(CONN_FAILED);
		return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_REFUSED);
	case ECONNRESET:
		return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET);
	case EPIPE:
		if (flags & (CONN_SHUT_WR | CONN_FAILED) || state != TCPS_CLOSE)
			return flags_only(0);
		return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET);
	default:
		/* Timeouts and unreachable networks: no reset. */
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

struct verdict classify_close(unsigned int flags, int state, int unread,
			      int policy_abort)
{
	if (flags & CONN_REPORTED)
		return flags_only(0);
	switch (state) {
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		return flags_only(0);
	case TCPS_CLOSE:
		/*
		 * A connection that was up, that the program never shut
		 * down and that failed in no other way can only have
		 * reached CLOSE by a reset no call revealed.
		 */
		if (!(flags & CONN_ESTABLISHED) || (flags & CONN_FAILED))
			return flags_only(0);
		if (flags & CONN_SHUT_WR)
			return event(TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL);
		return event(TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET);
	default:
		break;
	}
	/*
	 * Another process may hold the connection too (it was open across
	 * fork): then this close sends nothing, and whether the last one
	 * will cannot be known here.
	 */
	if (flags & CONN_SHARED)
		return flags_only(0);
	/* The kernel resets a close with unread data in any of these. */
	if (unread > 0)
		return event(TCP_EVENT_RST_SENT, TCP_CAUSE_UNREAD_DATA);
	if (classify_state_resets(state)) {
		if (policy_abort)
			return event(TCP_EVENT_RST_SENT, TCP_CAUSE_POLICY);
		if (flags & CONN_LINGER0)
			return event(TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0);
	}
	return event(TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL);
}
