/*
 * names.h - the names of event kinds and causes, as the log writes them
 * and TCPSHIM_EVENTS reads them; of peer states and TCP states.
 */
#ifndef SHIM_CORE_NAMES_H
#define SHIM_CORE_NAMES_H

#include "tcpshim.h"

/*
 * Causes only tcpshim watch gives, numbered after enum tcp_event_cause
 * (the preload never counts them): a reset this host sent for no socket,
 * to a SYN or to any other segment, and a reset whose cause is not known
 * (null in an event, "unknown" in counts).
 */
#define NAMES_CAUSE_NO_LISTENER (TCP_CAUSE_INJECTED + 1)
#define NAMES_CAUSE_NO_CONNECTION (TCP_CAUSE_INJECTED + 2)
#define NAMES_CAUSE_UNKNOWN (TCP_CAUSE_INJECTED + 3)
#define NAMES_CAUSES (TCP_CAUSE_INJECTED + 4)

/* "rst_sent", ...; "unknown" for a value out of range. */
const char *names_kind(enum tcp_event_kind kind);
/* "abort", ..., "no_listener", "no_connection"; "unknown" for
 * NAMES_CAUSE_UNKNOWN or a value out of range. */
const char *names_cause(enum tcp_event_cause cause);
/* The event name of a cause name ("refused" -> "rst_received"); NULL for
 * a name that is no cause. */
const char *names_kind_of_cause(const char *cause);
/* "alive", ... (tcp_peer_status); "unknown" for a value out of range. */
const char *names_peer_state(enum tcp_peer_state state);
/* "ESTABLISHED", ... for a tcpi_state; "-" for none (-1) or unknown. */
const char *names_tcp_state(int state);

#endif
