/*
 * report_cell.h - a value of a log line as a cell of "tcpshim report"'s
 * tables shows it.
 */
#ifndef SHIM_CMD_REPORT_CELL_H
#define SHIM_CMD_REPORT_CELL_H

#include <jansson.h>

/* The cell of a value the log did not give. */
#define UNKNOWN "-"

/* obj's key as a table shows it (malloc'd): UNKNOWN when missing, null
 * or empty. */
char *report_cell(json_t *obj, const char *key);

/* Is s a value the log gave (not UNKNOWN)? */
int report_cell_known(const char *s);

/* s with each control character, which would break a table's rows,
 * shown as '?'; s itself. */
char *report_cell_printable(char *s);

#endif
