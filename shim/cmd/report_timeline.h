/*
 * report_timeline.h - resets over time, by cause: the rows' times in
 * equal intervals, the interval chosen from the log's span.
 */
#ifndef SHIM_CMD_REPORT_TIMELINE_H
#define SHIM_CMD_REPORT_TIMELINE_H

#include <stdio.h>

#include "cmd/report_model.h"

#define TIMELINE_BINS 24	/* at most */

struct timeline {
	int64_t first, step;	/* the first bin's start in steps; ns */
	size_t nbins;
	uint32_t *cause;	/* the causes seen, most first */
	size_t ncauses;
	size_t *count;		/* [bin * ncauses + cause] */
	size_t *total;		/* per bin */
	size_t max, resets;
};

/* The timeline of the rows that pass the filter (resets only, with a
 * time).  resets is 0 when there is none. */
void report_timeline(const struct report *r, struct timeline *t);
void report_timeline_free(struct timeline *t);

/* Where bin b starts (b may be nbins: where the last ends), in ns. */
int64_t report_timeline_at(const struct timeline *t, size_t b);

/* The interval as words: "10 s", "1 min". */
const char *report_timeline_step(const struct timeline *t);

/* "Timeline" with one line per interval. */
void report_timeline_print(const struct report *r, FILE *out);

/* The row's cause for counting: its sender's, else its one end's. */
uint32_t report_row_main_cause(const struct report *r, uint32_t i);

#endif
