/*
 * summary.c - the notices at exit.
 *
 * The summary: connections seen, events of the kinds logged by cause
 * (written or not), how many TCPSHIM_RATE held back and how many the log
 * could not take (a daemon that stayed full, a failed write).  Lines
 * written, held back and lost add up to the events counted, so a reader
 * can tell a limited log from one that lost lines on the way.
 *
 * When events were lost, one line says so even without "summary": on
 * stderr, where whoever runs the program looks, unless stderr is gone;
 * then the summary notice in the log, in the log's own format, so that
 * tcpshim report reads it.
 */
#include "event/summary.h"

#include <time.h>

#include "core/config.h"
#include "core/format.h"
#include "core/tally.h"
#include "event/log.h"
#include "event/log_fail.h"
#include "event/rate.h"
#include "os/process.h"

void summary_at_exit(void)
{
	struct shim_counts n = { .what = "summary" };
	int summary;

	if (shim_config.log == LOG_OFF)
		return;
	/* Events after this point (a destructor's close) are written, not
	 * held: no later notice would tell of them. */
	tally_end();
	rate_flush();
	n.connections = tally_connections();
	tally_totals(&n.counts, &n.held_back, &n.lost);
	/* A process that never opened a connection has nothing to say:
	 * a shell script's every command would log a line otherwise. */
	summary = shim_config.summary &&
		  (n.connections != 0 || n.counts.total != 0);
	if ((!summary && n.lost == 0) || !tally_claim_summary())
		return;
	clock_gettime(CLOCK_REALTIME, &n.time);
	n.pid = getpid();
	if (summary)
		log_counts(&n);
	if (n.lost > 0 &&
	    !log_fail_tell_lost(n.pid, n.lost, n.counts.total, n.held_back) &&
	    !summary)
		log_counts(&n);
}
