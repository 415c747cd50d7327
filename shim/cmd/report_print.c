/*
 * report_print.c - what "tcpshim report" prints: connections, counts by
 * cause and by peer, the notices, and one summary line.
 */
#include "cmd/report_print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_cell.h"
#include "cmd/report_counts.h"

/* By time of first event (RFC 3339 UTC sorts as text), then as read. */
static int by_time(const void *a, const void *b)
{
	const struct conn_row *x = a, *y = b;
	int c;

	if (report_cell_known(x->time) != report_cell_known(y->time))
		return report_cell_known(x->time) ? -1 : 1;
	c = strcmp(x->time, y->time);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void print_connections(struct report *r)
{
	static const char *const head[] = {
		"TIME", "PID", "CONN", "COOKIE", "LOCAL", "PEER", "EVENTS",
		"CAUSE", "SENT", "RECEIVED",
	};
	struct table t = { head, "lrrrllllrr", 10, NULL, 0, 0 };

	if (r->nrows > 1)
		qsort(r->row, r->nrows, sizeof(*r->row), by_time);
	for (size_t i = 0; i < r->nrows; i++) {
		struct conn_row *c = &r->row[i];
		char *cells[] = {
			c->time, c->pid, c->conn, c->cookie, c->local,
			c->peer, c->events.s, c->causes.s, c->sent,
			c->received,
		};

		table_add(&t, cells);	/* the table owns them now */
	}
	table_print(&t, "Connections");
	table_free(&t);
}

/* With events held back (TCPSHIM_RATE), the counts by cause say how
 * many were logged, how many held back, and both. */
static void print_causes(struct report *r)
{
	static const char *const head[] = { "CAUSE", "EVENT", "COUNT" };
	static const char *const held_head[] = { "CAUSE", "EVENT", "LOGGED",
						 "HELD_BACK", "COUNT" };
	int held = r->held_back > 0;
	struct table t = { held ? held_head : head, held ? "llrrr" : "llr",
			   held ? 5 : 3, NULL, 0, 0 };
	char num[3][32];

	tally_sort(&r->causes);
	for (size_t i = 0; i < r->causes.len; i++) {
		struct tally_entry *e = &r->causes.entry[i];
		const char *cause = strchr(e->name, '\x1f') + 1;

		snprintf(num[0], sizeof(num[0]), "%zu", e->n);
		snprintf(num[1], sizeof(num[1]), "%zu", e->held);
		snprintf(num[2], sizeof(num[2]), "%zu", e->n + e->held);
		if (held)
			table_add(&t, (char *[]){ report_copy(cause),
						  report_copy(e->what),
						  report_copy(num[0]),
						  report_copy(num[1]),
						  report_copy(num[2]) });
		else
			table_add(&t, (char *[]){ report_copy(cause),
						  report_copy(e->what),
						  report_copy(num[0]) });
	}
	table_print(&t, "Counts by cause");
	table_free(&t);
}

static void print_peers(struct report *r)
{
	static const char *const head[] = { "PEER", "EVENTS", "CAUSES" };
	struct table t = { head, "lrl", 3, NULL, 0, 0 };
	char num[32];

	tally_sort(&r->peers);
	for (size_t i = 0; i < r->peers.len; i++) {
		struct tally_entry *e = &r->peers.entry[i];
		struct text causes = { 0 };

		tally_sort(e->sub);
		for (size_t k = 0; k < e->sub->len; k++) {
			snprintf(num, sizeof(num), " %zu", e->sub->entry[k].n);
			if (k > 0)
				text_add(&causes, ", ");
			text_add(&causes, e->sub->entry[k].name);
			text_add(&causes, num);
		}
		snprintf(num, sizeof(num), "%zu", e->n);
		table_add(&t, (char *[]){ report_copy(e->name),
					  report_copy(num), causes.s });
	}
	table_print(&t, "Counts by peer");
	table_free(&t);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The tables and the summary line; then everything is freed. */
void report_print(struct report *r)
{
	size_t notices = r->notices.nrows + r->held.nrows +
			 r->summaries.nrows;

	print_connections(r);
	print_causes(r);
	print_peers(r);
	table_print(&r->notices, "Notices");
	report_counts_print(r);
	printf("%zu %s, %zu %s, %zu %s", r->nrows,
	       plural(r->nrows, "connection", "connections"), r->events,
	       plural(r->events, "event", "events"), notices,
	       plural(notices, "notice", "notices"));
	if (r->held_back > 0)
		printf(", %zu held back", r->held_back);
	if (r->skipped > 0)
		printf(", %zu %s skipped", r->skipped,
		       plural(r->skipped, "line", "lines"));
	if (r->cut > 0)
		printf(", %zu last %s cut short", r->cut,
		       plural(r->cut, "line", "lines"));
	putchar('\n');

	table_free(&r->notices);
	tally_free(&r->causes);
	tally_free(&r->peers);
	json_decref(r->latest);
	free(r->row);
}
