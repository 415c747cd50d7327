/*
 * names.h - the names of event kinds and causes, as the log writes them
 * and TCPSHIM_EVENTS reads them.
 */
#ifndef SHIM_CORE_NAMES_H
#define SHIM_CORE_NAMES_H

#include "tcpshim.h"

/* "rst_sent", ...; "unknown" for a value out of range. */
const char *names_kind(enum tcp_event_kind kind);
/* "abort", ...; "unknown" for a value out of range. */
const char *names_cause(enum tcp_event_cause cause);

#endif
