/*
 * report_cell.c - a log's values as the report's tables show them.
 */
#include "cmd/report_cell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_table.h"

char *report_cell_printable(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

char *report_cell(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	char buf[64];
	char *dump;

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		if (json_string_length(v) == 0)
			break;
		return report_cell_printable(
			report_copy(json_string_value(v)));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return report_copy(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return report_copy(buf);
	case JSON_TRUE:
		return report_copy("true");
	case JSON_FALSE:
		return report_copy("false");
	case JSON_OBJECT:
	case JSON_ARRAY:
		dump = json_dumps(v, JSON_COMPACT);
		if (dump != NULL) {
			char *s = report_cell_printable(report_copy(dump));

			free(dump);
			return s;
		}
		break;
	case JSON_NULL:
		break;
	}
	return report_copy(UNKNOWN);
}

int report_cell_known(const char *s)
{
	return strcmp(s, UNKNOWN) != 0;
}
