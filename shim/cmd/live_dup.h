/*
 * live_dup.h - a socket of a running process reached, for an action,
 * through a duplicate of its descriptor taken with pidfd_getfd(2).
 */
#ifndef SHIM_CMD_LIVE_DUP_H
#define SHIM_CMD_LIVE_DUP_H

#include "cmd/live.h"

/*
 * A duplicate of the target's descriptor fd, for an action; -1 with the
 * reason said on stderr (not permitted and why, a kernel without
 * pidfd_getfd, the descriptor gone).
 */
int live_dup_fd(struct live_target *t, int fd);

/*
 * c's keepalive and user-timeout settings, read through a duplicate that
 * lives only for the getsockopt calls (sock_diag does not report them).
 * 0, or -1 with the reason said.
 */
int live_dup_read_options(struct live_target *t, struct live_conn *c);

#endif
