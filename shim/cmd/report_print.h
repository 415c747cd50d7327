/*
 * report_print.h - what "tcpshim report" prints once every log is read.
 */
#ifndef SHIM_CMD_REPORT_PRINT_H
#define SHIM_CMD_REPORT_PRINT_H

#include "cmd/report_model.h"

/* Print every table and the summary line, then free what r holds. */
void report_print(struct report *r);

#endif
