/*
 * live_diag.h - every TCP socket on the host, from sock_diag (the
 * interface ss(8) uses; no privilege needed), with its TCP_INFO.
 */
#ifndef SHIM_CMD_LIVE_DIAG_H
#define SHIM_CMD_LIVE_DIAG_H

#include "cmd/live.h"

/*
 * Called for each socket the dump reports (fd is -1 in c); return
 * nonzero to stop.
 */
typedef int (*live_diag_fn)(const struct live_conn *c, void *arg);

/* Dump family's TCP sockets (AF_INET or AF_INET6) to fn: 0, or -1 with
 * errno. */
int live_diag_dump(int family, live_diag_fn fn, void *arg);

#endif
