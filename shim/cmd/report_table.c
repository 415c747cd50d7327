/*
 * report_table.c - what "tcpshim report" prints with: growing strings,
 * aligned tables, and counts by name.  Out of memory ends the command.
 */
#include "cmd/report_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *report_grow(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fputs("tcpshim report: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

char *report_copy(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(report_grow(NULL, n), s, n);
}

void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = report_grow(t->s, t->cap);
	}
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

void list_add(struct text *t, const char *s)
{
	if (t->len > 0)
		text_add(t, ",");
	text_add(t, s);
}

void table_add(struct table *t, char **row)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = report_grow(t->cells,
				       t->cap * t->ncols * sizeof(char *));
	}
	memcpy(t->cells + t->nrows * t->ncols, row, t->ncols * sizeof(char *));
	t->nrows++;
}

static void print_row(const struct table *t, const size_t *width,
		      const char *const *cell)
{
	for (size_t c = 0; c < t->ncols; c++) {
		int w = (int)width[c];
		const char *sep = c + 1 < t->ncols ? "  " : "\n";

		if (t->align[c] == 'r')
			printf("%*s%s", w, cell[c], sep);
		else if (c + 1 < t->ncols)
			printf("%-*s%s", w, cell[c], sep);
		else
			printf("%s%s", cell[c], sep);	/* no trailing blanks */
	}
}

void table_print(const struct table *t, const char *title)
{
	size_t width[16] = { 0 };

	if (t->nrows == 0)
		return;
	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);

			if (n > width[c])
				width[c] = n;
		}
	}
	printf("%s\n", title);
	print_row(t, width, t->head);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(t, width,
			  (const char *const *)t->cells + r * t->ncols);
	putchar('\n');
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

#define TALLY_LINEAR 16

struct tally_entry *tally_find(struct tally *t, const char *name,
			       const char *what)
{
	json_t *at;
	struct tally_entry *e;

	/* A few names are searched in turn (a peer's causes: many small
	 * tallies); past TALLY_LINEAR, through the index. */
	if (t->index == NULL) {
		for (size_t i = 0; i < t->len; i++)
			if (strcmp(t->entry[i].name, name) == 0)
				return &t->entry[i];
		if (t->len >= TALLY_LINEAR) {
			t->index = json_object();
			for (size_t i = 0; i < t->len; i++)
				json_object_set_new(t->index, t->entry[i].name,
						    json_integer((json_int_t)i));
		}
	} else {
		at = json_object_get(t->index, name);
		if (at != NULL)
			return &t->entry[json_integer_value(at)];
	}
	if (t->len == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 2;
		t->entry = report_grow(t->entry, t->cap * sizeof(*t->entry));
	}
	e = &t->entry[t->len];
	*e = (struct tally_entry){ .name = report_copy(name),
				   .what = report_copy(what),
				   .first = t->len };
	if (t->index != NULL)
		json_object_set_new(t->index, name,
				    json_integer((json_int_t)t->len));
	t->len++;
	return e;
}

struct tally_entry *tally_count(struct tally *t, const char *name,
				const char *what)
{
	struct tally_entry *e = tally_find(t, name, what);

	e->n++;
	return e;
}

/* Most first; ties in the order first seen. */
static int by_count(const void *a, const void *b)
{
	const struct tally_entry *x = a, *y = b;

	if (x->n + x->held != y->n + y->held)
		return x->n + x->held > y->n + y->held ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

void tally_sort(struct tally *t)
{
	if (t->len > 1)
		qsort(t->entry, t->len, sizeof(*t->entry), by_count);
}

void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->len; i++) {
		free(t->entry[i].name);
		free(t->entry[i].what);
		if (t->entry[i].sub != NULL) {
			tally_free(t->entry[i].sub);
			free(t->entry[i].sub);
		}
	}
	free(t->entry);
	json_decref(t->index);
}
