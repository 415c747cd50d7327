/*
 * report_counts.c - the notices that count events in "tcpshim report":
 * held_back (events TCPSHIM_RATE kept out of the log) and summary (a
 * process's totals at exit).
 *
 * Held-back events join the counts by cause, so those still add up to
 * every event the processes saw.  Each summary is checked against the
 * log: its events less those held back and those it could not write are
 * the lines its process wrote, and the report counts the lines it read
 * from that pid; a difference means lines went missing after they were
 * written (a rotated file, a collector that dropped them), or that two
 * logs share a pid.  watch's summary (it has ring_lost) counts the
 * kernel's events of every process: it is checked against the kernel
 * events read.
 */
#include "cmd/report_counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_cell.h"
#include "core/names.h"

void report_counts_pid_event(struct report *r, const char *pid)
{
	json_t *n;

	if (!report_cell_known(pid))
		return;
	if (r->pid_events == NULL)
		r->pid_events = json_object();
	n = json_object_get(r->pid_events, pid);
	json_object_set_new(r->pid_events, pid,
			    json_integer(n ? json_integer_value(n) + 1 : 1));
}

/* A notice's counts by cause: "refused 3, peer_reset 1", each held back
 * one counted under its cause when held is set. */
static char *causes_of(struct report *r, json_t *n, int held)
{
	json_t *causes = json_object_get(n, "causes"), *v;
	struct text t = { 0 };
	const char *cause;
	char num[32];

	json_object_foreach(causes, cause, v) {
		json_int_t count = json_is_integer(v) ? json_integer_value(v)
						      : 0;
		const char *kind = names_kind_of_cause(cause);
		char name[96], key[128];

		snprintf(name, sizeof(name), "%s", cause);
		report_cell_printable(name);
		snprintf(num, sizeof(num), " %lld", (long long)count);
		if (t.len > 0)
			text_add(&t, ", ");
		text_add(&t, name);
		text_add(&t, num);
		if (!held || count <= 0)
			continue;
		snprintf(key, sizeof(key), "%s\x1f%s", kind ? kind : UNKNOWN,
			 name);
		tally_find(&r->held_causes, key, kind ? kind : UNKNOWN)->held +=
			(size_t)count;
		r->held_back += (size_t)count;
	}
	if (t.s == NULL)
		text_add(&t, UNKNOWN);
	return t.s;
}

static void take_held(struct report *r, json_t *n)
{
	static const char *const head[] = { "TIME", "PID", "SINCE",
					    "HELD_BACK", "CAUSES" };
	char *cells[] = {
		report_cell(n, "time"), report_cell(n, "pid"),
		report_cell(n, "since"), report_cell(n, "held_back"),
		causes_of(r, n, 1),
	};

	if (r->held.head == NULL)
		r->held = (struct table){ head, "lrlrl", 5, NULL, 0, 0 };
	table_add(&r->held, cells);
}

static void take_summary(struct report *r, json_t *n)
{
	static const char *const head[] = { "TIME", "PID", "CONNECTIONS",
					    "EVENTS", "HELD_BACK", "LOST",
					    "CAUSES" };
	char *cells[] = {
		report_cell(n, "time"), report_cell(n, "pid"),
		report_cell(n, "connections"), report_cell(n, "events"),
		report_cell(n, "held_back"), report_cell(n, "lost"),
		causes_of(r, n, 0),
	};

	if (r->summaries.head == NULL)
		r->summaries = (struct table){ head, "lrrrrrl", 7, NULL, 0, 0 };
	/* watch's summary counts the kernel's events, not its own pid's. */
	if (json_object_get(n, "ring_lost") != NULL && report_cell_known(cells[1])) {
		if (r->watch_pids == NULL)
			r->watch_pids = json_object();
		json_object_set_new(r->watch_pids, cells[1], json_true());
	}
	table_add(&r->summaries, cells);
}

int report_counts_take(struct report *r, json_t *n)
{
	const char *what = json_string_value(json_object_get(n, "notice"));

	if (strcmp(what, "held_back") == 0)
		take_held(r, n);
	else if (strcmp(what, "summary") == 0)
		take_summary(r, n);
	else
		return 0;
	return 1;
}

/* A row's number at col, or -1 when it is not one. */
static long long number(char **row, int col)
{
	char *end;
	long long v = strtoll(row[col], &end, 10);

	return report_cell_known(row[col]) && *end == '\0' && v >= 0 ? v : -1;
}

/* A summary's events less those held back and lost, against the lines
 * read. */
static char *check(struct report *r, char **row)
{
	json_t *n = r->pid_events ? json_object_get(r->pid_events, row[1])
				  : NULL;
	long long in_log = n ? (long long)json_integer_value(n) : 0;
	long long events = number(row, 3), held = number(row, 4);
	long long lost = number(row, 5), written;
	char buf[96];

	if (events < 0 || held < 0 || lost < 0)
		return report_copy(UNKNOWN);
	if (r->watch_pids != NULL && json_object_get(r->watch_pids, row[1]))
		in_log = (long long)r->kernel_events;
	written = events - held - lost;
	if (written < 0)
		snprintf(buf, sizeof(buf),
			 "%lld held back and lost of %lld: does not add up",
			 held + lost, events);
	else if (in_log == written)
		snprintf(buf, sizeof(buf), "%lld written, all here", in_log);
	else if (in_log < written)
		snprintf(buf, sizeof(buf), "%lld written, %lld not here",
			 written, written - in_log);
	else
		snprintf(buf, sizeof(buf), "%lld written, %lld more here",
			 written, in_log - written);
	return report_copy(buf);
}

void report_counts_print(struct report *r)
{
	static const char *const head[] = { "TIME", "PID", "CONNECTIONS",
					    "EVENTS", "HELD_BACK", "LOST",
					    "LOG", "CAUSES" };
	struct table t = { head, "lrrrrrll", 8, NULL, 0, 0 };

	table_print(&r->held, "Held back (TCPSHIM_RATE)");
	for (size_t i = 0; i < r->summaries.nrows; i++) {
		char **row = &r->summaries.cells[i * 7];
		char *cells[] = {
			report_copy(row[0]), report_copy(row[1]),
			report_copy(row[2]), report_copy(row[3]),
			report_copy(row[4]), report_copy(row[5]),
			check(r, row), report_copy(row[6]),
		};

		table_add(&t, cells);
	}
	table_print(&t, "Summaries at exit");
	table_free(&t);
	table_free(&r->held);
	table_free(&r->summaries);
	json_decref(r->pid_events);
	json_decref(r->watch_pids);
	tally_free(&r->held_causes);
}

void report_counts_discard(struct report *r)
{
	table_free(&r->notices);
	table_free(&r->held);
	table_free(&r->summaries);
	json_decref(r->pid_events);
	json_decref(r->watch_pids);
	tally_free(&r->held_causes);
}

void report_counts_held(struct report *r, struct tally *causes)
{
	for (size_t i = 0; i < r->held_causes.len; i++) {
		struct tally_entry *e = &r->held_causes.entry[i];

		tally_find(causes, e->name, e->what)->held += e->held;
	}
}
