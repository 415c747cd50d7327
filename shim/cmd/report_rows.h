/*
 * report_rows.h - the report's rows: one per connection, its two ends
 * and two layers joined, with its verdict; as a table or JSON Lines.
 */
#ifndef SHIM_CMD_REPORT_ROWS_H
#define SHIM_CMD_REPORT_ROWS_H

#include <stdio.h>

#include "cmd/report_model.h"

/* The "Connections" table of the rows that pass the filter; how many. */
size_t report_rows_print(const struct report *r, FILE *out);

/* One JSON object per row that passes the filter, one per line. */
void report_rows_json(const struct report *r, FILE *out);

/* The row's addresses as the reset went: from its sender's end to its
 * receiver's (64 bytes each; "-" where not known). */
void report_row_path(const struct report *r, uint32_t i, char *from,
		     char *to);

#endif
