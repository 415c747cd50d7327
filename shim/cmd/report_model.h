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
	struct table held;		/* held_back notices */
	struct table summaries;		/* summary notices */
	json_t *pid_events;		/* pid -> its event lines */
	size_t held_back;		/* events held back, by the notices */
	size_t lines, events, skipped;
	size_t cut;			/* last lines cut short */
	int unreadable;
};

/* obj's key as a table shows it (malloc'd): "-" when missing, null or
 * empty. */
char *report_shown(json_t *obj, const char *key);

/* Is s a value the log gave (not UNKNOWN)? */
int report_known(const char *s);
/* A held_back or summary notice (TCPSHIM_RATE, TCPSHIM_EVENTS=summary):
 * taken in, and 1; 0 for any other notice. */
int report_take_counts(struct report *r, json_t *n);
/* One more event line from pid. */
void report_pid_event(struct report *r, const char *pid);
/* The tables of held_back and summary notices. */
void report_print_counts(struct report *r);

/* Print every table and the summary line, then free what r holds. */
void report_print(struct report *r);

#endif
