/*
 * report_html.c - "tcpshim report --html FILE": the report as one page
 * that needs nothing else (no script, style or font from elsewhere):
 * the summary, an SVG timeline of resets by cause, counts by cause and
 * by peer, the clock offsets, and the rows with their verdicts,
 * filtered as one types in a search box.  Its size is bounded: past
 * HTML_ROWS rows, and past HTML_PEERS peers, the rest are counted
 * together instead of listed.
 */
#include "cmd/report_html.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_event.h"
#include "cmd/report_filter.h"
#include "cmd/report_join.h"
#include "cmd/report_rows.h"
#include "cmd/report_table.h"
#include "cmd/report_timeline.h"
#include "cmd/report_verdict.h"

#define HTML_ROWS 2000
#define HTML_PEERS 50
#define CHART_W 960
#define CHART_H 200

/* Each known cause keeps its colour from page to page. */
static const struct {
	const char *cause, *color;
} colors[] = {
	{ "unread_data", "#d62728" },	{ "linger0", "#1f77b4" },
	{ "abort", "#ff7f0e" },		{ "refused", "#2ca02c" },
	{ "policy", "#9467bd" },	{ "killed", "#8c564b" },
	{ "injected", "#e377c2" },	{ "peer_reset", "#17becf" },
	{ "halfopen_reset", "#bcbd22" }, { "keepalive_timeout", "#7f7f7f" },
	{ "user_timeout", "#aec7e8" },	{ "no_listener", "#98df8a" },
	{ "no_connection", "#ffbb78" },
};

static const char *color_of(const char *cause)
{
	for (size_t i = 0; i < sizeof(colors) / sizeof(*colors); i++)
		if (strcmp(colors[i].cause, cause) == 0)
			return colors[i].color;
	return "#c7c7c7";
}

static void esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}"
	"h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
	"table{border-collapse:collapse}td,th{padding:3px 10px;text-align:left;"
	"border-bottom:1px solid #ddd;vertical-align:top}"
	"td.n,th.n{text-align:right}td.t{white-space:nowrap;font-family:monospace}"
	"input{font-size:14px;padding:4px;width:28em}.key span{display:inline-block;"
	"width:12px;height:12px;margin:0 4px 0 14px;vertical-align:middle}";

/* Filter the rows as one types: each row's text holds the words. */
static const char script[] =
	"document.getElementById('search').addEventListener('input',function(){"
	"var q=this.value.toLowerCase(),n=0;"
	"document.querySelectorAll('#rows tbody tr').forEach(function(r){"
	"var on=r.textContent.toLowerCase().indexOf(q)>=0;"
	"r.style.display=on?'':'none';if(on)n++});"
	"document.getElementById('shown').textContent=n});";

static void timeline(FILE *f, const struct report *r, const struct timeline *t)
{
	double bw = (double)CHART_W / (double)t->nbins;
	char when[32];

	fprintf(f, "<h2>Timeline: resets per %s, by cause</h2>\n"
		"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" role=\"img\">\n",
		report_timeline_step(t), CHART_W + 60, CHART_H + 40);
	fprintf(f, "<line x1=\"50\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"#888\"/>\n<text x=\"45\" y=\"14\" font-size=\"11\" "
		"text-anchor=\"end\">%zu</text>\n", CHART_H + 5, CHART_W + 50,
		CHART_H + 5, t->max);
	for (size_t b = 0; b < t->nbins; b++) {
		double y = CHART_H + 5;

		report_format_time(report_timeline_at(t, b), when);
		for (size_t c = 0; c < t->ncauses; c++) {
			size_t n = t->count[b * t->ncauses + c];
			double h = (double)n * CHART_H / (double)t->max;

			if (n == 0)
				continue;
			y -= h;
			fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
				"width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
				"<title>%s: ", 50 + b * bw, y,
				bw > 2 ? bw - 1 : bw, h,
				color_of(rev_str(r, t->cause[c])), when);
			esc(f, t->cause[c] ? rev_str(r, t->cause[c]) : "-");
			fprintf(f, " %zu</title></rect>\n", n);
		}
	}
	fprintf(f, "<text x=\"50\" y=\"%d\" font-size=\"11\">%s</text>\n",
		CHART_H + 22, report_format_time(report_timeline_at(t, 0), when));
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
		"text-anchor=\"end\">%s</text>\n</svg>\n<p class=\"key\">",
		CHART_W + 50, CHART_H + 22, report_format_time(
			report_timeline_at(t, t->nbins), when));
	for (size_t c = 0; c < t->ncauses; c++) {
		fprintf(f, "<span style=\"background:%s\"></span>",
			color_of(rev_str(r, t->cause[c])));
		esc(f, t->cause[c] ? rev_str(r, t->cause[c]) : "-");
	}
	fputs("</p>\n", f);
}

/* A tally's names and counts, most first; past max, the rest as one
 * line. */
static void count_table(FILE *f, const char *id, const char *title,
			const char *what, struct tally *t, size_t max)
{
	size_t rest = 0;

	tally_sort(t);
	fprintf(f, "<h2>%s</h2>\n<table id=\"%s\"><thead><tr><th>%s</th>"
		"<th class=\"n\">rows</th></tr></thead><tbody>\n", title, id,
		what);
	for (size_t i = 0; i < t->len; i++) {
		if (i >= max) {
			rest += t->entry[i].n;
			continue;
		}
		fputs("<tr><td>", f);
		esc(f, t->entry[i].name);
		fprintf(f, "</td><td class=\"n\">%zu</td></tr>\n",
			t->entry[i].n);
	}
	if (rest > 0)
		fprintf(f, "<tr><td>%zu others</td><td class=\"n\">%zu</td>"
			"</tr>\n", t->len - max, rest);
	fputs("</tbody></table>\n", f);
}

/* The host of the row's far end, for the counts by peer: the address
 * the reset came from, as the receiver's side names it. */
static void peer_of(const struct report *r, uint32_t i, char *buf)
{
	char to[64], *colon;

	report_row_path(r, i, buf, to);
	colon = strrchr(buf, ':');
	if (colon != NULL && colon != buf)
		*colon = '\0';
}

static void rows(FILE *f, const struct report *r, size_t shown)
{
	char time[32], from[64], to[64], cause[96];
	char *verdict = report_grow(NULL, 2048);
	struct tally rest = { 0 };
	size_t listed = 0;

	fprintf(f, "<h2>Connections</h2>\n<p><input id=\"search\" "
		"placeholder=\"show rows holding...\" aria-label=\"filter "
		"rows\"> <span id=\"shown\">%zu</span> rows shown</p>\n"
		"<table id=\"rows\"><thead><tr><th>time</th><th>from</th>"
		"<th>to</th><th>cause</th><th>verdict</th></tr></thead>"
		"<tbody>\n", shown < HTML_ROWS ? shown : HTML_ROWS);
	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n];
		int64_t t;

		if (!report_filter_pass(r, i))
			continue;
		report_row_cause(r, i, cause, sizeof(cause));
		if (listed == HTML_ROWS) {
			tally_count(&rest, cause, "");
			continue;
		}
		listed++;
		t = report_end_time(r, i);
		report_row_path(r, i, from, to);
		report_verdict(r, i, verdict, 2048);
		fprintf(f, "<tr><td class=\"t\">%s</td><td class=\"t\">",
			t == INT64_MIN ? "-" : report_format_time(t, time));
		esc(f, from);
		fputs("</td><td class=\"t\">", f);
		esc(f, to);
		fputs("</td><td>", f);
		esc(f, cause);
		fputs("</td><td>", f);
		esc(f, verdict);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	if (rest.len > 0) {
		fprintf(f, "<p id=\"more\">%zu more rows are not listed; "
			"their causes:</p>\n", shown - listed);
		count_table(f, "more_causes", "Rows not listed", "cause",
			    &rest, SIZE_MAX);
	}
	tally_free(&rest);
	free(verdict);
}

static void offsets(FILE *f, const struct report *r)
{
	if (r->noffsets == 0)
		return;
	fputs("<h2>Clock offsets</h2>\n<table id=\"offsets\"><thead><tr>"
	      "<th>host</th><th>less host</th><th class=\"n\">offset</th>"
	      "<th class=\"n\">pairs</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < r->noffsets; i++) {
		const struct rep_offset *o = &r->offset[i];

		fputs("<tr><td>", f);
		esc(f, o->b ? rev_str(r, o->b) : "(unnamed)");
		fputs("</td><td>", f);
		esc(f, o->a ? rev_str(r, o->a) : "(unnamed)");
		fprintf(f, "</td><td class=\"n\">%+.3f ms</td><td class=\"n\">"
			"%zu</td></tr>\n", (double)o->ns / 1e6, o->pairs);
	}
	fputs("</tbody></table>\n", f);
}

/* journald's suppressed messages, and what the notices held back: a
 * reader of the page must know that events may be missing. */
static void gaps(FILE *f, const struct report *r)
{
	char when[32];

	if (r->held_back > 0)
		fprintf(f, "<p id=\"held\">%zu events were held back by "
			"TCPSHIM_RATE: counted by the programs, not logged.</p>\n",
			r->held_back);
	if (r->ngaps == 0)
		return;
	fputs("<h2>Possible gaps</h2>\n<p>journald suppressed messages: "
	      "events may be missing.</p>\n<table id=\"gaps\"><thead><tr>"
	      "<th>time</th><th>host</th><th>journald said</th></tr></thead>"
	      "<tbody>\n", f);
	for (size_t i = 0; i < r->ngaps; i++) {
		fprintf(f, "<tr><td class=\"t\">%s</td><td>",
			report_format_time(r->gap[i].ns, when));
		esc(f, r->gap[i].host ? rev_str(r, r->gap[i].host)
				      : "(unnamed)");
		fputs("</td><td>", f);
		esc(f, r->gap[i].text);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void page(FILE *f, const struct report *r)
{
	struct tally causes = { 0 }, peers = { 0 };
	size_t shown = 0, both = 0;
	struct timeline t;
	char host[64], cause[96];

	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n], s, x;

		if (!report_filter_pass(r, i))
			continue;
		shown++;
		report_row_ends(r, i, &s, &x);
		both += s != REV_NONE && x != REV_NONE;
		report_row_cause(r, i, cause, sizeof(cause));
		tally_count(&causes, cause, "");
		peer_of(r, i, host);
		tally_count(&peers, host, "");
	}
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		"charset=\"utf-8\"><title>tcpshim report</title><style>%s"
		"</style></head>\n<body>\n<h1>tcpshim report</h1>\n<p id=\""
		"summary\">%zu connections, %zu seen from both ends.</p>\n",
		style, shown, both);
	gaps(f, r);
	report_timeline(r, &t);
	if (t.resets > 0)
		timeline(f, r, &t);
	report_timeline_free(&t);
	count_table(f, "causes", "Counts by cause", "cause", &causes,
		    SIZE_MAX);
	count_table(f, "peers", "Counts by peer", "reset from", &peers,
		    HTML_PEERS);
	offsets(f, r);
	rows(f, r, shown);
	fprintf(f, "<script>%s</script>\n</body></html>\n", script);
	tally_free(&causes);
	tally_free(&peers);
}

int report_html(const struct report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (f == NULL) {
		fprintf(stderr, "tcpshim report: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	page(f, r);
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "tcpshim report: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}
