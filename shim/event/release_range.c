/*
 * release_range.c - the end of many descriptors at once: close_range and
 * closefrom (release_range.h).  Each tracked descriptor in the range
 * closes through release_close, as close() would, except under
 * CLOSE_RANGE_UNSHARE.
 */
#include "event/release_range.h"

#include <errno.h>
#include <linux/close_range.h>

#include "event/close_confirm.h"
#include "event/event.h"
#include "os/real.h"

/* A close in a range, which keeps errno: close_range sets its own. */
static int close_keeping_errno(int fd, void *unused)
{
	int err = errno;

	(void)unused;
	real.close(fd);
	errno = err;
	return 0;
}

void release_range(unsigned int first, unsigned int last, int flags,
		   const char *call, struct release_range_pending *r)
{
	struct release rel;

	r->n = 0;
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE)) != 0)
		return;		/* nothing closes: CLOEXEC, or an error */
	log_release(first, last);
	FDT_FOR_EACH(fd, first, last) {
		/*
		 * Each tracked descriptor closes here, as the range would
		 * close it: so the last one of a connection is really its
		 * last when its reset is confirmed.
		 */
		if (!(flags & CLOSE_RANGE_UNSHARE)) {
			release_close(fd, call, close_keeping_errno, NULL);
			continue;
		}
		/*
		 * With CLOSE_RANGE_UNSHARE the range closes in a copy of the
		 * descriptor table (other threads keep theirs), which only the
		 * call itself makes: no descriptor can be closed here, so
		 * release_close does not fit.  Each is released here and
		 * confirmed after the call, as a socket another table may
		 * hold.
		 */
		if (!release_fd(fd, call, &rel))
			continue;
		rel.shared = 1;
		if (r->n < RANGE_PENDING)
			r->rel[r->n++] = rel;
		else
			event_dispatch(&rel.ev);
	}
}

void release_range_done(struct release_range_pending *r)
{
	int err = errno;

	for (int i = 0; i < r->n; i++)
		close_confirm_done(&r->rel[i]);
	errno = err;
}
