/*
 * rate.c - TCPSHIM_RATE: the limit applied, and the held_back notices.
 */
#include "event/rate.h"

#include <time.h>

#include "core/config.h"
#include "core/format.h"
#include "event/log.h"
#include "event/log_fail.h"
#include "os/process.h"

static void notice_held(const struct timespec *now)
{
	struct shim_counts n = { .time = *now, .what = "held_back" };

	if (tally_take_held(&n.counts, &n.since) == 0)
		return;
	/* A clock stepped back: the notice does not end before it began. */
	if (n.since.tv_sec > n.time.tv_sec ||
	    (n.since.tv_sec == n.time.tv_sec &&
	     n.since.tv_nsec > n.time.tv_nsec))
		n.since = n.time;
	n.pid = getpid();
	n.held_back = n.counts.total;
	log_counts(&n);
}

int rate_admit(const struct tcp_event *ev)
{
	/* The notice of an earlier second first, as time goes. */
	if (tally_held_due(&ev->time))
		notice_held(&ev->time);
	/* Counted for the totals whether or not a summary was asked for:
	 * a line at exit tells of lost events out of how many. */
	return tally_event(ev->cause, &ev->time, log_rate(), 1);
}

void rate_flush_due(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (tally_held_due(&now))
		notice_held(&now);
}

void rate_lost(const struct tcp_event *ev)
{
	tally_event(ev->cause, &ev->time, TALLY_UNLIMITED, 1);
	tally_lost();
}

void rate_flush(void)
{
	struct timespec now;

	if (!tally_held_pending())
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	notice_held(&now);
}
