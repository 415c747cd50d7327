/*
 * report_table.h - growing strings, aligned tables and counts by name,
 * for "tcpshim report".
 */
#ifndef SHIM_CMD_REPORT_TABLE_H
#define SHIM_CMD_REPORT_TABLE_H

#include <jansson.h>
#include <stddef.h>

/* realloc, or the command ends with "out of memory". */
void *report_grow(void *p, size_t n);
/* A copy of s, from report_grow. */
char *report_copy(const char *s);

/* A string that grows, for comma lists. */
struct text {
	char *s;
	size_t len, cap;
};

void text_add(struct text *t, const char *s);
/* s after a comma, unless t is empty. */
void list_add(struct text *t, const char *s);

/*
 * A table printed in aligned columns, two spaces apart.  align has one
 * letter per column: 'l' or 'r'.  Cells are malloc'd and owned here.
 */
struct table {
	const char *const *head;
	const char *align;
	size_t ncols;
	char **cells;
	size_t nrows, cap;
};

/* Add one row of ncols cells, which the table then owns. */
void table_add(struct table *t, char **row);
/* Print the table under title; nothing when it has no row. */
void table_print(const struct table *t, const char *title);
void table_free(struct table *t);

/*
 * Counts by name, in the order first seen, with an index (a JSON object
 * mapping each name to its place) so that a log of many peers is not
 * searched line by line.  Each entry may count sub-names (a peer's
 * causes).
 */
struct tally;

struct tally_entry {
	char *name;
	char *what;		/* shown beside the name (a cause's event) */
	size_t n;
	size_t held;		/* a cause's events held back (TCPSHIM_RATE) */
	size_t first;		/* order of first sight, for stable sorting */
	struct tally *sub;
};

struct tally {
	struct tally_entry *entry;
	size_t len, cap;
	json_t *index;
};

/* The entry of name (what: shown beside it), made with no count if new. */
struct tally_entry *tally_find(struct tally *t, const char *name,
			       const char *what);
/* Count one more of name (what: shown beside it); its entry. */
struct tally_entry *tally_count(struct tally *t, const char *name,
				const char *what);
/* Most first (held back ones included); ties in the order first seen. */
void tally_sort(struct tally *t);
void tally_free(struct tally *t);

#endif
