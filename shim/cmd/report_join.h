/*
 * report_join.h - the report's joins: events of one connection, the two
 * layers of one end (watch's and the preload's), the two ends of one
 * reset, and each host pair's clock offset.
 */
#ifndef SHIM_CMD_REPORT_JOIN_H
#define SHIM_CMD_REPORT_JOIN_H

#include <stdint.h>

#include "cmd/report_model.h"

/* A receiver may log its reset this long before its sender (after the
 * clock offset is taken off), this long after it as its prompt answer,
 * and this long after it at most (its next call on an idle connection). */
#define JOIN_EARLY_NS 1000000000LL
#define JOIN_PROMPT_NS 1000000000LL
#define JOIN_LATE_NS 3600000000000LL

/* Join everything read; then r->rows holds one head per row, by time. */
void report_join(struct report *r);

/* The time of an end: its kernel layer's (when the reset happened), else
 * its own; INT64_MIN when neither is known. */
int64_t report_end_time(const struct report *r, uint32_t i);

/* The cause of an end: its program's (the preload's), else its
 * kernel's; 0 when neither gave one. */
uint32_t report_end_cause(const struct report *r, uint32_t i);

/* b's clock less a's, as estimated (0 for one host, or no estimate). */
int64_t report_offset(const struct report *r, uint32_t a, uint32_t b);

#endif
