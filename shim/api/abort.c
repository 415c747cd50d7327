/*
 * abort.c - the abortive close, tcp_abort(): the reset now
 * (event/abort_disconnect.c), then the descriptor released.
 */
#include <errno.h>

#include "core/classify.h"
#include "core/compiler.h"
#include "event/abort_disconnect.h"
#include "event/release.h"
#include "event/track.h"
#include "os/probe.h"
#include "os/real.h"

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
