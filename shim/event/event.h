/*
 * event.h - turning what a wrapper saw into an event: the one place that
 * fills a struct tcp_event and hands it to the log and the callbacks.
 */
#ifndef SHIM_EVENT_EVENT_H
#define SHIM_EVENT_EVENT_H

#include "core/classify.h"
#include "core/conn.h"
#include "tcpshim.h"

/*
 * A call on fd failed with err: classify it and log what it reveals.
 * c may be NULL (a socket the shim did not see created: it is looked at
 * and, if TCP, tracked from now on).  Preserves errno.
 */
void event_call_failed(int fd, struct conn *c, const char *call, int err);

/*
 * Fill ev for fd and c, while the descriptor is still open and connected.
 * o is what was observed, or NULL to leave the TCP_INFO fields unknown.
 */
void event_fill(struct tcp_event *ev, int fd, struct conn *c,
		struct verdict v, const char *call, int err,
		const struct observation *o);
/* Does anyone want an event of this kind: the log, or a callback? */
int event_wanted(enum tcp_event_kind kind);
/* Hand a filled event to the log and the callbacks. */
void event_dispatch(const struct tcp_event *ev);
/* The same, for the reset a close confirmed: once per socket in this
 * process, however many records and threads closed it at once. */
void event_dispatch_closed(const struct tcp_event *ev);
/* event_fill, then event_dispatch, if the event is wanted: returns 1
 * then, EVENT_HELD when the log held it back (TCPSHIM_RATE; callbacks
 * still had it), EVENT_LOST when the log had nowhere to write it (its
 * stderr gone), 0 when nobody wanted it.  The same two values are the
 * log's own verdict on an event (event.c), and what debug.c tells. */
#define EVENT_HELD 2
#define EVENT_LOST 3
int event_emit(int fd, struct conn *c, struct verdict v, const char *call,
	       int err, const struct observation *o);

#endif
