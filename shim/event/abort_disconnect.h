/*
 * abort_disconnect.h - the reset behind tcp_abort(), a program's own
 * connect(AF_UNSPEC), and TCPSHIM_INJECT (abort_disconnect.c).
 */
#ifndef SHIM_EVENT_ABORT_DISCONNECT_H
#define SHIM_EVENT_ABORT_DISCONNECT_H

#include <stdint.h>

#include "core/conn.h"
#include "tcpshim.h"

/* Why an abort happens, when the program did not ask for it. */
struct abort_why {
	enum tcp_event_cause cause;
	const char *rule;		/* injected: the rule that fired */
	uint64_t sent, received;	/* moved by the call under way, and
					 * not yet in c's totals */
};

/*
 * Reset fd's connection now with connect(AF_UNSPEC), whatever other
 * descriptors refer to it, and log rst_sent if a RST left (state:
 * tcpi_state before): cause abort, or as why says (why may be NULL).
 * Returns what connect returned.
 */
int abort_disconnect(int fd, struct conn *c, int state, const char *call,
		     const struct abort_why *why);

#endif
