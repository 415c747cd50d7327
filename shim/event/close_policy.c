/*
 * close_policy.c - what the abort policy (TCPSHIM_CLOSE=abort) does to a
 * close: it makes it abortive (close_policy.h).
 */
#include "event/close_policy.h"

#include <sys/socket.h>

#include "os/real.h"

void close_policy_abort(int fd)
{
	/* Abortive even if another process holds it: the RST then leaves
	 * when the last holder closes. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	real.setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}
