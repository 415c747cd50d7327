/*
 * abort_disconnect.c - the reset now, by connect(AF_UNSPEC): what
 * tcp_abort() sends, what a program's own connect(AF_UNSPEC) sends, and
 * what a TCPSHIM_INJECT rule sends, with its rst_sent event.
 *
 * SO_LINGER {1, 0} plus close() resets only when the last reference to
 * the socket goes, which a dup or a forked child can delay forever.
 * connect() with AF_UNSPEC runs tcp_disconnect() at once: the RST leaves
 * now, both queues are purged, and every descriptor stays valid.
 */
#include "event/abort_disconnect.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/classify.h"
#include "event/event.h"
#include "os/real.h"

int abort_disconnect(int fd, struct conn *c, int state, const char *call,
		     const struct abort_why *why)
{
	struct sockaddr unspec;
	struct tcp_event ev;
	int logged = 0, ret, err;

	/* Capture before: the disconnect forgets the local address. */
	if (c != NULL && classify_state_resets(state) && conn_claim_report(c)) {
		struct verdict v = { .event = 1, .kind = TCP_EVENT_RST_SENT,
				     .cause = why ? why->cause
						  : TCP_CAUSE_ABORT };

		event_fill(&ev, fd, c, v, call, 0, NULL);
		if (why != NULL) {
			ev.rule = why->rule;
			ev.bytes_sent += why->sent;
			ev.bytes_received += why->received;
		}
		logged = 1;
	}
	memset(&unspec, 0, sizeof(unspec));
	unspec.sa_family = AF_UNSPEC;
	ret = real.connect(fd, &unspec, sizeof(unspec));
	err = errno;
	if (logged)
		event_dispatch(&ev);
	errno = err;
	return ret;
}
