/*
 * names.c - the name tables of event kinds and causes.
 */
#include "core/names.h"

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
};

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
