/*
 * names.h - the names of event kinds and causes, as the log writes them
 * and TCPSHIM_EVENTS reads them; of peer states and TCP states.
 */
#ifndef SHIM_CORE_NAMES_H
#define SHIM_CORE_NAMES_H

#include "tcpshim.h"

/* "rst_sent", ...; "unknown" for a value out of range. */
const char *names_kind(enum tcp_event_kind kind);
/* "abort", ...; "unknown" for a value out of range. */
const char *names_cause(enum tcp_event_cause cause);
/* The event name of a cause name ("refused" -> "rst_received"); NULL for
 * a name that is no cause. */
const char *names_kind_of_cause(const char *cause);
/* "alive", ... (tcp_peer_status); "unknown" for a value out of range. */
const char *names_peer_state(enum tcp_peer_state state);
/* "ESTABLISHED", ... for a tcpi_state; "-" for none (-1) or unknown. */
const char *names_tcp_state(int state);

#endif
