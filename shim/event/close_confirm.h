/*
 * close_confirm.h - once a close predicted to reset has run, what the
 * kernel still holds of the connection (sock_diag): nothing when the
 * close sent the reset, which is then logged.
 */
#ifndef SHIM_EVENT_CLOSE_CONFIRM_H
#define SHIM_EVENT_CLOSE_CONFIRM_H

#include "event/release.h"

/*
 * Can sock_diag confirm a reset here?  Asked once per process, with the
 * first prediction's socket still open: call it before the close.
 */
void close_confirm_check(const struct release *rel);

/*
 * The close that rel predicted a reset for has run: log the reset if the
 * kernel sent it.  errno may change.
 */
void close_confirm_done(struct release *rel);

#endif
