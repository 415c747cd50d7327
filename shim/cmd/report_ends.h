/*
 * report_ends.h - pair the two ends of each reset (report_join.c says
 * the rule), after estimating each host pair's clock offset.
 */
#ifndef SHIM_CMD_REPORT_ENDS_H
#define SHIM_CMD_REPORT_ENDS_H

#include "cmd/report_model.h"

void report_ends(struct report *r);

#endif
