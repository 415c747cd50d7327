/*
 * confirm.h - once a close predicted to reset has run, what the kernel
 * still holds of the connection (sock_diag): nothing when the close sent
 * the reset.
 */
#ifndef SHIM_EVENT_CONFIRM_H
#define SHIM_EVENT_CONFIRM_H

#include "event/release.h"
#include "os/sockdiag.h"

/*
 * Can sock_diag confirm a reset here?  Asked once per process, with the
 * first prediction's socket still open.
 */
void confirm_check(const struct release *rel);

/* 0 when sock_diag cannot tell here: a prediction then stands. */
int confirm_usable(void);

/*
 * The socket of rel's connection, if the kernel still holds it after the
 * close: 1 (into *f), 0 when it holds none, -1 when it cannot be asked.
 */
int confirm_held(const struct release *rel, struct sockdiag_found *f);

#endif
