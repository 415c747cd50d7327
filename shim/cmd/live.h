/*
 * live.h - the connections of a running process, for "tcpshim ls",
 * "tcpshim abort" and "tcpshim keepalive": found through /proc and
 * sock_diag without touching them (reached, when an action needs it,
 * through cmd/live_dup.h).
 */
#ifndef SHIM_CMD_LIVE_H
#define SHIM_CMD_LIVE_H

#include <stddef.h>
#include <sys/types.h>

#include "cmd/live_conn.h"

struct live_target {
	pid_t pid;
	int pidfd;			/* -1 until an action needs it */
	struct live_conn *conn;
	size_t n;
};

/*
 * Every TCP socket of process pid (descriptors from /proc/PID/fd, facts
 * from sock_diag: nothing is asked of the sockets themselves).  0, or -1
 * with the reason said on stderr.
 */
int live_open(pid_t pid, struct live_target *t);
void live_close(struct live_target *t);

#endif
