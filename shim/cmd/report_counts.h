/*
 * report_counts.h - the notices that count events, in "tcpshim report":
 * held_back (TCPSHIM_RATE) and summary (a process's totals at exit),
 * and the check of each summary against the lines of its process.
 */
#ifndef SHIM_CMD_REPORT_COUNTS_H
#define SHIM_CMD_REPORT_COUNTS_H

#include <jansson.h>

#include "cmd/report_model.h"

/* A held_back or summary notice: taken in, and 1; 0 for any other
 * notice. */
int report_counts_take(struct report *r, json_t *n);
/* One more event line from pid. */
void report_counts_pid_event(struct report *r, const char *pid);
/* Free the notices unprinted (--json). */
void report_counts_discard(struct report *r);
/* Add the events held back, by cause, to causes. */
void report_counts_held(struct report *r, struct tally *causes);
/* The tables of held_back and summary notices; then what they hold is
 * freed. */
void report_counts_print(struct report *r);

#endif
