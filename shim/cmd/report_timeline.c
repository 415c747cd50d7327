/*
 * report_timeline.c - the report's picture in the terminal: resets per
 * interval, a bar each, and the causes that made them.  The interval is
 * the shortest of 1 ms, 10 ms, 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h,
 * 6 h, 1 day, 7, 30, 365 and 7300 days that covers the span in
 * TIMELINE_BINS lines (times are within 1900 to 2200: the last always
 * does).  Bins are counted in steps, not ns, so that no sum overflows.
 */
#include "cmd/report_timeline.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/report_event.h"
#include "cmd/report_filter.h"
#include "cmd/report_join.h"
#include "cmd/report_verdict.h"

static const struct {
	int64_t ns;
	const char *name;
} steps[] = {
	{ 1000000LL, "1 ms" },		{ 10000000LL, "10 ms" },
	{ 100000000LL, "100 ms" },	{ 1000000000LL, "1 s" },
	{ 10000000000LL, "10 s" },	{ 60000000000LL, "1 min" },
	{ 600000000000LL, "10 min" },	{ 3600000000000LL, "1 h" },
	{ 21600000000000LL, "6 h" },	{ 86400000000000LL, "1 day" },
	{ 604800000000000LL, "7 days" },	{ 2592000000000000LL, "30 days" },
	{ 31536000000000000LL, "365 days" },
	{ 630720000000000000LL, "7300 days" },
};
#define NSTEPS (sizeof(steps) / sizeof(*steps))

/* a / b rounded down (times before 1970 are negative). */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && a < 0);
}

uint32_t report_row_main_cause(const struct report *r, uint32_t i)
{
	uint32_t s, x;
	const struct rev *p;

	report_row_ends(r, i, &s, &x);
	for (int k = 0; k < 2; k++) {
		uint32_t e = k == 0 ? s : x;

		if (e == REV_NONE)
			continue;
		p = report_program(r, e);
		if (p != NULL && p->cause != 0)
			return p->cause;
		p = report_kernel(r, e);
		if (p != NULL && p->cause != 0)
			return p->cause;
	}
	return 0;
}

static int is_reset(const struct report *r, uint32_t i)
{
	int k = r->ev[i].kind;

	return k == RK_SENT || k == RK_RECEIVED || k == RK_HALFOPEN;
}

int64_t report_timeline_at(const struct timeline *t, size_t b)
{
	return (t->first + (int64_t)b) * t->step;
}

const char *report_timeline_step(const struct timeline *t)
{
	for (size_t k = 0; k < NSTEPS; k++)
		if (steps[k].ns == t->step)
			return steps[k].name;
	return "?";
}

static size_t cause_index(struct timeline *t, uint32_t id)
{
	for (size_t k = 0; k < t->ncauses; k++)
		if (t->cause[k] == id)
			return k;
	t->cause = report_grow(t->cause, (t->ncauses + 1) * sizeof(*t->cause));
	t->cause[t->ncauses] = id;
	return t->ncauses++;
}

void report_timeline(const struct report *r, struct timeline *t)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t k;

	*t = (struct timeline){ 0 };
	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n];
		int64_t at = report_end_time(r, i);

		if (at == INT64_MIN || !is_reset(r, i) ||
		    !report_filter_pass(r, i))
			continue;
		lo = at < lo ? at : lo;
		hi = at > hi ? at : hi;
		cause_index(t, report_row_main_cause(r, i));
		t->resets++;
	}
	if (t->resets == 0)
		return;
	for (k = 0; k + 1 < NSTEPS; k++)
		if (floor_div(hi, steps[k].ns) - floor_div(lo, steps[k].ns) <
		    TIMELINE_BINS)
			break;
	t->step = steps[k].ns;
	t->first = floor_div(lo, t->step);
	t->nbins = (size_t)(floor_div(hi, t->step) - t->first) + 1;
	t->count = report_grow(NULL, t->nbins * t->ncauses * sizeof(size_t));
	t->total = report_grow(NULL, t->nbins * sizeof(size_t));
	memset(t->count, 0, t->nbins * t->ncauses * sizeof(size_t));
	memset(t->total, 0, t->nbins * sizeof(size_t));
	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n];
		int64_t at = report_end_time(r, i);
		size_t b;

		if (at == INT64_MIN || !is_reset(r, i) ||
		    !report_filter_pass(r, i))
			continue;
		b = (size_t)(floor_div(at, t->step) - t->first);
		t->count[b * t->ncauses +
			 cause_index(t, report_row_main_cause(r, i))]++;
		if (++t->total[b] > t->max)
			t->max = t->total[b];
	}
}

void report_timeline_free(struct timeline *t)
{
	free(t->cause);
	free(t->count);
	free(t->total);
}

void report_timeline_print(const struct report *r, FILE *out)
{
	struct timeline t;
	char when[32];

	report_timeline(r, &t);
	if (t.resets == 0)
		return;
	fprintf(out, "Timeline (resets per %s, by cause)\n",
		report_timeline_step(&t));
	for (size_t b = 0; b < t.nbins; b++) {
		size_t bar = (t.total[b] * 40 + t.max - 1) / t.max;
		const char *sep = "";

		fprintf(out, "%s  %6zu",
			report_format_time(report_timeline_at(&t, b), when),
			t.total[b]);
		if (bar > 0)
			fprintf(out, "  %-40.*s  ", (int)bar,
				"########################################");
		for (size_t c = 0; c < t.ncauses; c++) {
			size_t n = t.count[b * t.ncauses + c];

			if (n == 0)
				continue;
			fprintf(out, "%s%s %zu", sep,
				t.cause[c] ? rev_str(r, t.cause[c]) : "-", n);
			sep = ", ";
		}
		fputc('\n', out);
	}
	fputc('\n', out);
	report_timeline_free(&t);
}
