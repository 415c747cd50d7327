/*
 * report_print.c - what "tcpshim report" prints: the connections (one
 * row each, both ends joined, with a verdict), the timeline, counts by
 * cause and by peer, the clock offsets it estimated, possible gaps, the
 * notices, and one summary line.  Counts are of the rows shown: each end
 * once, whether the preload, watch or both logged it.
 */
#include "cmd/report_print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_cell.h"
#include "cmd/report_counts.h"
#include "cmd/report_event.h"
#include "cmd/report_filter.h"
#include "cmd/report_rows.h"
#include "cmd/report_timeline.h"
#include "cmd/report_verdict.h"

struct counts {
	struct tally causes, peers;
	size_t events, rows, both;
};

/* "127.0.0.1" or "[::1]": the peer's host, so that a server's clients
 * from one machine count together. */
static void peer_host(const struct rev *e, char *buf)
{
	char *colon;

	if (!(e->flags & REV_PEER)) {
		strcpy(buf, UNKNOWN);
		return;
	}
	report_format_addr(e->peer, e->pport, buf);
	colon = strrchr(buf, ':');
	*colon = '\0';
}

static void count_event(const struct report *r, struct counts *c,
			const struct rev *e, const struct rev *peer)
{
	const char *event = e->event ? rev_str(r, e->event) : UNKNOWN;
	const char *cause = e->cause ? rev_str(r, e->cause) : UNKNOWN;
	char *key = report_grow(NULL, strlen(event) + strlen(cause) + 2);
	char host[64];
	struct tally_entry *p;

	/* A cause is counted under its event: the same name under two
	 * events would be two causes.  \x1f is in neither. */
	sprintf(key, "%s\x1f%s", event, cause);
	tally_count(&c->causes, key, event);
	free(key);
	peer_host(peer, host);
	p = tally_count(&c->peers, host, "");
	if (p->sub == NULL) {
		p->sub = report_grow(NULL, sizeof(*p->sub));
		*p->sub = (struct tally){ 0 };
	}
	tally_count(p->sub, cause, event);
	c->events++;
}

static void count_end(const struct report *r, struct counts *c, uint32_t i)
{
	const struct rev *p = report_program(r, i);
	const struct rev *e = p != NULL ? p : report_kernel(r, i);

	count_event(r, c, e, &r->ev[i]);
	if (p != NULL)
		for (uint32_t n = p->next; n != REV_NONE; n = r->ev[n].next)
			count_event(r, c, &r->ev[n], &r->ev[n]);
}

static void count(const struct report *r, struct counts *c)
{
	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n], s, x;

		if (!report_filter_pass(r, i))
			continue;
		report_row_ends(r, i, &s, &x);
		if (s != REV_NONE)
			count_end(r, c, s);
		if (x != REV_NONE)
			count_end(r, c, x);
		c->rows++;
		c->both += s != REV_NONE && x != REV_NONE;
	}
}

/* With events held back (TCPSHIM_RATE), the counts by cause say how
 * many were logged, how many held back, and both. */
static void print_causes(struct report *r, struct counts *c)
{
	static const char *const head[] = { "CAUSE", "EVENT", "COUNT" };
	static const char *const held_head[] = { "CAUSE", "EVENT", "LOGGED",
						 "HELD_BACK", "COUNT" };
	int held = r->held_back > 0;
	struct table t = { held ? held_head : head, held ? "llrrr" : "llr",
			   held ? 5 : 3, NULL, 0, 0 };
	char num[3][32];

	report_counts_held(r, &c->causes);
	tally_sort(&c->causes);
	for (size_t i = 0; i < c->causes.len; i++) {
		struct tally_entry *e = &c->causes.entry[i];
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

static void print_peers(struct counts *c)
{
	static const char *const head[] = { "PEER", "EVENTS", "CAUSES" };
	struct table t = { head, "lrl", 3, NULL, 0, 0 };
	char num[32];

	tally_sort(&c->peers);
	for (size_t i = 0; i < c->peers.len; i++) {
		struct tally_entry *e = &c->peers.entry[i];
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

static const char *host_name(const struct report *r, uint32_t id)
{
	return id ? rev_str(r, id) : "(unnamed)";
}

static void print_offsets(const struct report *r)
{
	static const char *const head[] = { "HOST", "LESS HOST", "OFFSET",
					    "MEDIAN DELAY", "PAIRS" };
	struct table t = { head, "llrrr", 5, NULL, 0, 0 };
	char a[32], b[32], n[32];

	for (size_t i = 0; i < r->noffsets; i++) {
		const struct rep_offset *o = &r->offset[i];

		snprintf(a, sizeof(a), "%+.3f ms", (double)o->ns / 1e6);
		snprintf(b, sizeof(b), "%.3f ms", (double)o->spread_ns / 1e6);
		snprintf(n, sizeof(n), "%zu", o->pairs);
		table_add(&t, (char *[]){ report_copy(host_name(r, o->b)),
					  report_copy(host_name(r, o->a)),
					  report_copy(a), report_copy(b),
					  report_copy(n) });
	}
	table_print(&t, "Clock offsets (estimated from resets with one "
			"candidate each way)");
	table_free(&t);
}

static void print_gaps(const struct report *r)
{
	static const char *const head[] = { "TIME", "HOST", "JOURNALD SAID" };
	struct table t = { head, "lll", 3, NULL, 0, 0 };
	char when[32];

	for (size_t i = 0; i < r->ngaps; i++)
		table_add(&t, (char *[]){
			report_copy(report_format_time(r->gap[i].ns, when)),
			report_copy(host_name(r, r->gap[i].host)),
			report_copy(r->gap[i].text) });
	table_print(&t, "Possible gaps (journald suppressed messages: "
			"events may be missing)");
	table_free(&t);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void report_print(struct report *r)
{
	struct counts c = { 0 };
	size_t notices = r->notices.nrows + r->held.nrows +
			 r->summaries.nrows;

	count(r, &c);
	report_rows_print(r, stdout);
	report_timeline_print(r, stdout);
	print_causes(r, &c);
	print_peers(&c);
	print_offsets(r);
	print_gaps(r);
	table_print(&r->notices, "Notices");
	report_counts_print(r);
	printf("%zu %s", c.rows, plural(c.rows, "connection", "connections"));
	if (c.both > 0)
		printf(" (%zu seen from both ends)", c.both);
	printf(", %zu %s, %zu %s", c.events,
	       plural(c.events, "event", "events"), notices,
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
	tally_free(&c.causes);
	tally_free(&c.peers);
}
