/*
 * report_model.h - what "tcpshim report" gathers from a log before it
 * prints it.
 */
#ifndef SHIM_CMD_REPORT_MODEL_H
#define SHIM_CMD_REPORT_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "cmd/report_table.h"

#define UNKNOWN "-"

struct conn_row {
	size_t order;		/* its first line's place in all the input */
	char *time;		/* of its first event */
	char *pid, *conn, *cookie, *local, *peer;
	struct text events, causes;
	char *sent, *received;	/* totals as of its last event */
};

struct report {
	struct conn_row *row;
	size_t nrows, cap;
	json_t *latest;		/* "pid/conn" -> index of its latest row */
	struct tally causes, peers;
	struct table notices;
	size_t lines, events, skipped;
	int unreadable;
};

/* Is s a value the log gave (not UNKNOWN)? */
int report_known(const char *s);
/* Print every table and the summary line, then free what r holds. */
void report_print(struct report *r);

#endif
