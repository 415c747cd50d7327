/*
 * callbacks.h - the functions registered with tcp_on_event().  Safe from
 * any thread and from signal handlers: no lock, no allocation.
 */
#ifndef SHIM_EVENT_CALLBACKS_H
#define SHIM_EVENT_CALLBACKS_H

#include "tcpshim.h"

/* As many as tcp_on_event() promises in tcpshim.h. */
#define CALLBACKS_MAX 8

/* Register fn with arg (once: a pair already there is left as it is).
 * 0, or -1 when all CALLBACKS_MAX slots are taken. */
int callbacks_add(tcp_event_fn fn, void *arg);
/* Remove every callback. */
void callbacks_clear(void);
/* Is any callback registered? */
int callbacks_any(void);
/* Call every registered callback with ev. */
void callbacks_call(const struct tcp_event *ev);

#endif
