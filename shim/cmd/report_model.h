/*
 * report_model.h - what "tcpshim report" gathers from a log before it
 * prints it.
 */
#ifndef SHIM_CMD_REPORT_MODEL_H
#define SHIM_CMD_REPORT_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "cmd/report_table.h"

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
	struct table held;		/* held_back notices */
	struct table summaries;		/* summary notices */
	json_t *pid_events;		/* pid -> its event lines */
	size_t held_back;		/* events held back, by the notices */
	size_t lines, events, skipped;
	size_t cut;			/* last lines cut short */
	int unreadable;
};

#endif
