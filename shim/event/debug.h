/*
 * debug.h - TCPSHIM_DEBUG=1: one line on stderr per observation and
 * verdict, on the cold paths only (a failed call, a last close, the
 * kernel's confirmation of a reset), so that a user can see why an event
 * was or was not logged.  Async-signal-safe like the log.  When unset,
 * each macro is one test of a flag that is read anyway on those paths.
 *
 *   tcpshim[PID] debug fd=5 call=close state=ESTABLISHED err=-
 *       flags=established probes=0 retransmits=0 unread=12 unacked=0
 *       idle_ms=3 verdict=rst_sent/unread_data: to confirm after the close
 */
#ifndef SHIM_EVENT_DEBUG_H
#define SHIM_EVENT_DEBUG_H

#include "core/classify.h"
#include "core/compiler.h"
#include "core/config.h"
#include "tcpshim.h"

#define DEBUG_REPORTED "not logged: the connection's event is out already"

/* What was observed on fd at call, the verdict, and what came of it. */
#define DEBUG_VERDICT(fd, call, o, v, outcome) \
	do { \
		if (unlikely(shim_config.debug)) \
			debug_verdict((fd), (call), (o), (v), (outcome)); \
	} while (0)
/* Why nothing was observed on fd at call (err: the program's errno). */
#define DEBUG_NOTE(fd, call, err, why) \
	do { \
		if (unlikely(shim_config.debug)) \
			debug_note((fd), (call), (err), (why)); \
	} while (0)
/* The kernel's answer to a reset predicted at a close (ev), found: what
 * it still holds under the addresses, in state, or -1 for nothing. */
#define DEBUG_CONFIRM(ev, state, outcome) \
	do { \
		if (unlikely(shim_config.debug)) \
			debug_confirm((ev), (state), (outcome)); \
	} while (0)

/* "logged", or why not, after event_emit returned emitted. */
const char *debug_emitted(int emitted);

void debug_verdict(int fd, const char *call, const struct observation *o,
		   struct verdict v, const char *outcome)
	__attribute__((cold, noinline));
void debug_note(int fd, const char *call, int err, const char *why)
	__attribute__((cold, noinline));
void debug_confirm(const struct tcp_event *ev, int state,
		   const char *outcome) __attribute__((cold, noinline));

#endif
