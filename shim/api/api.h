/*
 * api.h - what the C API (tcpshim.h) offers the interposed calls: the
 * disconnect behind tcp_abort, and the keepalive policy.
 */
#ifndef SHIM_API_API_H
#define SHIM_API_API_H

#include "core/conn.h"

/*
 * Reset fd's connection now with connect(AF_UNSPEC), whatever other
 * descriptors refer to it, and log rst_sent/abort if a RST left (state:
 * tcpi_state before).  Returns what connect returned.
 */
int abort_disconnect(int fd, struct conn *c, int state, const char *call);

/*
 * TCPSHIM_KEEPALIVE and TCPSHIM_USER_TIMEOUT, on a new TCP socket.
 * Accepted sockets inherit them from their listener.  Preserves errno.
 */
void keepalive_apply_policy(int fd);

#endif
