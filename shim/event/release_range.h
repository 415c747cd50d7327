/*
 * release_range.h - close_range and closefrom, which end many descriptors
 * in one call: each tracked one among them is released, closed and its
 * reset confirmed, as at close().
 */
#ifndef SHIM_EVENT_RELEASE_RANGE_H
#define SHIM_EVENT_RELEASE_RANGE_H

#include "event/release.h"

/* Resets to confirm after a close_range with CLOSE_RANGE_UNSHARE. */
#define RANGE_PENDING 4
struct release_range_pending {
	int n;
	struct release rel[RANGE_PENDING];
};

/*
 * Every tracked descriptor from first to last (close_range's flags: only
 * 0 and CLOSE_RANGE_UNSHARE close anything) is about to close: each is
 * closed here with release_close, unless flags unshare.  Then make the
 * call, then release_range_done.
 */
void release_range(unsigned int first, unsigned int last, int flags,
		   const char *call, struct release_range_pending *r);
/* After the call: confirm the resets left pending.  errno as the call
 * left it. */
void release_range_done(struct release_range_pending *r);

#endif
