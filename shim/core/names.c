/*
 * names.c - the name tables of event kinds and causes.
 */
#include "core/names.h"

#include <string.h>

#include "core/classify.h"

static const char *const kind_names[] = {
	[TCP_EVENT_RST_SENT] = "rst_sent",
	[TCP_EVENT_RST_RECEIVED] = "rst_received",
	[TCP_EVENT_HALFOPEN] = "halfopen",
	[TCP_EVENT_CLOSE] = "close",
};

static const char *const cause_names[] = {
	[TCP_CAUSE_ABORT] = "abort",
	[TCP_CAUSE_LINGER0] = "linger0",
	[TCP_CAUSE_UNREAD_DATA] = "unread_data",
	[TCP_CAUSE_POLICY] = "policy",
	[TCP_CAUSE_REFUSED] = "refused",
	[TCP_CAUSE_PEER_RESET] = "peer_reset",
	[TCP_CAUSE_HALFOPEN_RESET] = "halfopen_reset",
	[TCP_CAUSE_KEEPALIVE_TIMEOUT] = "keepalive_timeout",
	[TCP_CAUSE_USER_TIMEOUT] = "user_timeout",
	[TCP_CAUSE_NORMAL] = "normal",
	[TCP_CAUSE_KILLED] = "killed",
	[TCP_CAUSE_INJECTED] = "injected",
	[NAMES_CAUSE_NO_LISTENER] = "no_listener",
	[NAMES_CAUSE_NO_CONNECTION] = "no_connection",
};

/* The event each cause belongs to. */
static const enum tcp_event_kind cause_kinds[] = {
	[TCP_CAUSE_ABORT] = TCP_EVENT_RST_SENT,
	[TCP_CAUSE_LINGER0] = TCP_EVENT_RST_SENT,
	[TCP_CAUSE_UNREAD_DATA] = TCP_EVENT_RST_SENT,
	[TCP_CAUSE_POLICY] = TCP_EVENT_RST_SENT,
	[TCP_CAUSE_REFUSED] = TCP_EVENT_RST_RECEIVED,
	[TCP_CAUSE_PEER_RESET] = TCP_EVENT_RST_RECEIVED,
	[TCP_CAUSE_HALFOPEN_RESET] = TCP_EVENT_RST_RECEIVED,
	[TCP_CAUSE_KEEPALIVE_TIMEOUT] = TCP_EVENT_HALFOPEN,
	[TCP_CAUSE_USER_TIMEOUT] = TCP_EVENT_HALFOPEN,
	[TCP_CAUSE_NORMAL] = TCP_EVENT_CLOSE,
	[TCP_CAUSE_KILLED] = TCP_EVENT_RST_SENT,
	[TCP_CAUSE_INJECTED] = TCP_EVENT_RST_SENT,
	[NAMES_CAUSE_NO_LISTENER] = TCP_EVENT_RST_SENT,
	[NAMES_CAUSE_NO_CONNECTION] = TCP_EVENT_RST_SENT,
};

const char *names_kind_of_cause(const char *cause)
{
	for (unsigned int i = 0; i < sizeof(cause_kinds) / sizeof(*cause_kinds);
	     i++)
		if (strcmp(cause, cause_names[i]) == 0)
			return kind_names[cause_kinds[i]];
	return NULL;
}

const char *names_kind(enum tcp_event_kind kind)
{
	return (unsigned int)kind < sizeof(kind_names) / sizeof(*kind_names)
		       ? kind_names[kind]
		       : "unknown";
}

const char *names_cause(enum tcp_event_cause cause)
{
	return (unsigned int)cause < sizeof(cause_names) / sizeof(*cause_names)
		       ? cause_names[cause]
		       : "unknown";
}

static const char *const peer_state_names[] = {
	[TCP_PEER_ALIVE] = "alive",
	[TCP_PEER_PROBING] = "probing",
	[TCP_PEER_DEAD] = "dead",
	[TCP_PEER_RESET] = "reset",
	[TCP_PEER_CLOSED] = "closed",
};

const char *names_peer_state(enum tcp_peer_state state)
{
	return (unsigned int)state < sizeof(peer_state_names) /
						 sizeof(*peer_state_names)
		       ? peer_state_names[state]
		       : "unknown";
}

static const char *const tcp_state_names[] = {
	[TCPS_ESTABLISHED] = "ESTABLISHED", [TCPS_SYN_SENT] = "SYN_SENT",
	[TCPS_SYN_RECV] = "SYN_RECV",	    [TCPS_FIN_WAIT1] = "FIN_WAIT1",
	[TCPS_FIN_WAIT2] = "FIN_WAIT2",	    [TCPS_TIME_WAIT] = "TIME_WAIT",
	[TCPS_CLOSE] = "CLOSE",		    [TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPS_LAST_ACK] = "LAST_ACK",	    [TCPS_LISTEN] = "LISTEN",
	[TCPS_CLOSING] = "CLOSING",
};

const char *names_tcp_state(int state)
{
	size_t n = sizeof(tcp_state_names) / sizeof(*tcp_state_names);

	return state > 0 && (size_t)state < n ? tcp_state_names[state] : "-";
}
