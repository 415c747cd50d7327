/*
 * rate.h - TCPSHIM_RATE: which events reach the log, and the held_back
 * notices that count the others.
 *
 * Past the limit in one second an event is counted, not written; one
 * notice, once that second is over, says how many of which cause were
 * held back.  It comes with the next event, the next close of a
 * connection, or at exit, whichever is first.  Callbacks registered
 * with tcp_on_event() receive every event.  Signal-safe, like the log.
 */
#ifndef SHIM_EVENT_RATE_H
#define SHIM_EVENT_RATE_H

#include "core/compiler.h"
#include "core/tally.h"
#include "tcpshim.h"

/* Count ev (one of the kinds logged): 1 if it is to be written. */
int rate_admit(const struct tcp_event *ev);

/* Count ev (one of the kinds logged) as lost: the log cannot take it. */
void rate_lost(const struct tcp_event *ev);

/* Write the held_back notice now, if any event was held back. */
void rate_flush(void);

/* The held_back notice, if one is due now. */
void rate_flush_due(void);
/* A cold path (the last close of a connection): the held_back notice, if
 * one is due.  One load when nothing was held back. */
static inline void rate_tick(void)
{
	if (unlikely(tally_held_pending()))
		rate_flush_due();
}

#endif
