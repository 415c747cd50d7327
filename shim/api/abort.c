/*
 * abort.c - the abortive close: tcp_abort(), and the reset a program
 * makes itself with connect(AF_UNSPEC).
 *
 * SO_LINGER {1, 0} plus close() resets only when the last reference to
 * the socket goes, which a dup or a forked child can delay forever.
 * connect() with AF_UNSPEC runs tcp_disconnect() at once: the RST leaves
 * now, both queues are purged, and every descriptor stays valid.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "api/api.h"
#include "core/classify.h"
#include "core/compiler.h"
#include "event/event.h"
#include "event/release.h"
#include "event/track.h"
#include "os/probe.h"
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

SHIM_EXPORT int tcp_abort(int fd)
{
	int saved = errno;
	struct conn *c;
	int state;

	if (probe_tcp_domain(fd) < 0)
		return -1;
	c = track_lookup(fd);
	/* A listener is left alone: disconnecting it would stop it
	 * listening for every other holder. */
	state = probe_tcp_info(fd, NULL);
	if (classify_state_resets(state))
		abort_disconnect(fd, c, state, "tcp_abort", NULL);
	/* The connection is gone: closing now logs nothing more. */
	if (c != NULL)
		conn_set(c, CONN_REPORTED);
	/* The close's result and errno are not tcp_abort's: fd was open. */
	release_close(fd, "tcp_abort", release_real_close, NULL);
	errno = saved;
	return 0;
}

extern __typeof__(tcp_abort) abort_here __attribute__((alias("tcp_abort")));
