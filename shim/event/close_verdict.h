/*
 * close_verdict.h - the verdict on the close of a connection's last
 * descriptor, while it is still open: what the close does, and whether
 * it sends a reset to confirm once it has run.
 */
#ifndef SHIM_EVENT_CLOSE_VERDICT_H
#define SHIM_EVENT_CLOSE_VERDICT_H

#include "core/conn.h"
#include "event/release.h"

/*
 * fd is c's last descriptor and about to close: what will the close do?
 * It is looked at, the close policy applied (close_policy.h), and the
 * verdict given.  An event the close reveals is logged now; a reset the
 * close is to send is only filled in (rel), to be confirmed once the
 * close has run: returns 1 then.  At exit (at_exit), only a reset the
 * kernel's own close sends counts, and the policy is not applied.
 */
int close_verdict_predict(int fd, struct conn *c, const char *call,
			  int at_exit, struct release *rel);

#endif
