/*
 * report.c - "tcpshim report [options] [LOG...]": one story per reset.
 *
 * Reads the JSON Lines that TCPSHIM_FORMAT=json and tcpshim watch --json
 * write, and journalctl -o json output of TCPSHIM_LOG=journal, from
 * files or stdin; joins each reset's two ends and two layers
 * (report_join.c says how); prints one row per connection with its
 * verdict, a timeline, counts by cause and by peer, the clock offsets,
 * possible gaps and the notices (report_print.c), or the rows as JSON
 * Lines (--json).  Every line is parsed by jansson and freed at once:
 * only the event's fixed-size record is kept (report_event.c).  A line
 * that is not JSON, or is JSON but neither an event nor a notice, is
 * named on stderr with its file and line number and skipped (a file's
 * last line cut short, as a log still being written has it, is named
 * too, but is no error).  Fields the report does not know are ignored,
 * unknown event and cause names are counted like the known ones.
 */
#include "cmd/report.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_cell.h"
#include "cmd/report_counts.h"
#include "cmd/report_event.h"
#include "cmd/report_filter.h"
#include "cmd/report_html.h"
#include "cmd/report_join.h"
#include "cmd/report_journal.h"
#include "cmd/report_model.h"
#include "cmd/report_print.h"
#include "cmd/report_rows.h"
#include "cmd/report_table.h"

static void take_event(struct report *r, json_t *ev, uint32_t host)
{
	int64_t pid = report_json_int(ev, "pid");
	const char *source = json_string_value(json_object_get(ev, "source"));
	char key[32];

	report_event_take(r, ev, host);
	if (source != NULL && strcmp(source, "kernel") == 0) {
		r->kernel_events++;
	} else if (pid >= 0) {
		snprintf(key, sizeof(key), "%lld", (long long)pid);
		report_counts_pid_event(r, key);
	}
}

static void take_notice(struct report *r, json_t *n)
{
	static const char *const keys[] = {
		"time", "pid", "conn", "fd", "notice", "option", "value",
		"policy",
	};
	char *cells[8];

	if (report_counts_take(r, n))
		return;
	for (int i = 0; i < 8; i++)
		cells[i] = report_cell(n, keys[i]);
	table_add(&r->notices, cells);
}

static void skip(struct report *r, const char *file, size_t lineno,
		 const char *why, const char *detail, const char *hint)
{
	fprintf(stderr, "tcpshim report: %s:%zu: %s%s%s%s; line skipped\n",
		file, lineno, why, detail ? " (" : "", detail ? detail : "",
		detail ? ")" : "");
	if (hint != NULL)
		fprintf(stderr, "tcpshim report: %s\n", hint);
	r->skipped++;
}

/* The last line of a file, with no newline and not JSON: a log still
 * being written, or one a full disk cut.  Named, and not held against
 * the log. */
static void cut_short(struct report *r, const char *file, size_t lineno)
{
	fprintf(stderr, "tcpshim report: %s:%zu: last line cut short (a log "
		"still being written, or cut by a full disk); line skipped\n",
		file, lineno);
	r->cut++;
}

/* A journal entry: tcpshim's taken as a log line, journald's
 * suppressed messages kept as gaps, other programs' passed over. */
static int take_journal(struct report *r, json_t *obj, uint32_t host)
{
	json_t *line = NULL;
	enum journal_entry what = report_journal(r, obj, &line, &host);

	if (what == JOURNAL_NOT)
		return 0;
	if (what == JOURNAL_OTHER)
		r->other_entries++;
	if (what != JOURNAL_TCPSHIM)
		return 1;
	if (json_object_get(line, "event") != NULL)
		take_event(r, line, host);
	else
		take_notice(r, line);
	json_decref(line);
	return 1;
}

static void take_line(struct report *r, const char *file, size_t lineno,
		      const char *line, size_t len, int *hinted, int cut,
		      uint32_t host)
{
	static const char text_hint[] =
		"this looks like a text-format log: log with tcpshim --json "
		"(TCPSHIM_FORMAT=json) to report on it";
	json_error_t err;
	json_t *obj, *event, *notice;

	if (strspn(line, " \t\r") == len)
		return;		/* a blank line holds nothing to lose */
	obj = json_loadb(line, len, 0, &err);
	if (obj == NULL && cut) {
		cut_short(r, file, lineno);
		return;
	}
	if (obj == NULL) {
		int text = strncmp(line, "tcpshim[", 8) == 0 && !*hinted;

		*hinted |= text;
		skip(r, file, lineno, "not valid JSON", err.text,
		     text ? text_hint : NULL);
		return;
	}
	event = json_object_get(obj, "event");
	notice = json_object_get(obj, "notice");
	if (take_journal(r, obj, host))
		;
	else if (json_is_string(event) && json_string_length(event) > 0)
		take_event(r, obj, host);
	else if (json_is_string(notice) && json_string_length(notice) > 0)
		take_notice(r, obj);
	else
		skip(r, file, lineno, "neither a tcpshim event nor a notice",
		     NULL, NULL);
	json_decref(obj);
}

static void read_log(struct report *r, const char *path, uint32_t host)
{
	int from_stdin = strcmp(path, "-") == 0;
	const char *name = from_stdin ? "stdin" : path;
	FILE *f = from_stdin ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int hinted = 0;

	if (f == NULL) {
		fprintf(stderr, "tcpshim report: cannot open %s: %s\n", path,
			strerror(errno));
		r->unreadable = 1;
		return;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;
		/* Only a file's last line can lack its newline. */
		int cut = len > 0 && line[len - 1] != '\n';

		if (len > 0 && !cut)
			line[--len] = '\0';
		lineno++;
		r->lines++;
		take_line(r, name, lineno, line, len, &hinted, cut, host);
	}
	if (ferror(f)) {
		fprintf(stderr, "tcpshim report: cannot read %s: %s\n", name,
			strerror(errno));
		r->unreadable = 1;
	}
	free(line);
	if (!from_stdin)
		fclose(f);
}

static void usage(FILE *out)
{
	fputs("usage: tcpshim report [options] [LOG...]\n"
	      "One row per connection of tcpshim's JSON logs (tcpshim --json, "
	      "tcpshim watch\n--json) and journalctl -o json output, read "
	      "from each LOG in turn, or from\nstdin when there is none or "
	      "LOG is -: each reset's two ends and two layers\njoined, with "
	      "a verdict; a timeline; counts by cause and by peer; notices.\n"
	      "  --host NAME=LOG   read LOG as host NAME's (repeatable)\n"
	      "  --json            the rows as JSON Lines, nothing else\n"
	      "  --html FILE       also write one self-contained page to FILE\n"
	      "  --since TIME      rows at or after TIME (RFC 3339)\n"
	      "  --until TIME      rows before TIME\n"
	      "  --cause NAME      rows with this cause or event at either end\n"
	      "  --peer ADDR[:PORT]  rows with this address at either end\n",
	      out);
}

/* --host NAME=LOG */
static int host_log(const char *arg, const char **name, const char **log)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fprintf(stderr, "tcpshim report: --host '%s': expected "
			"NAME=LOG\n", arg);
		return -1;
	}
	*name = arg;
	*log = eq + 1;
	return (int)(eq - arg);
}

/* Is log named by a --host too?  Then it was read as that host's: a
 * log read twice would join with itself. */
static int named_already(int argc, char **argv, const char *log)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v = strncmp(argv[i], "--host=", 7) == 0 ? argv[i] + 7
			: strcmp(argv[i], "--host") == 0 && i + 1 < argc ? argv[++i]
			: NULL;
		const char *eq = v != NULL ? strchr(v, '=') : NULL;

		if (eq != NULL && strcmp(eq + 1, log) == 0)
			return 1;
	}
	return 0;
}

static void free_report(struct report *r)
{
	for (size_t i = 0; i < r->ngaps; i++)
		free(r->gap[i].text);
	free(r->gap);
	free(r->offset);
	free(r->rows);
	free(r->ev);
	intern_free(&r->strings);
}

int report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "host", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "cause", required_argument, NULL, 'c' },
		{ "peer", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const notice_head[] = {
		"TIME", "PID", "CONN", "FD", "NOTICE", "OPTION", "VALUE",
		"POLICY",
	};
	struct report r = { 0 };
	struct rep_filter f = { .since = INT64_MIN, .until = INT64_MAX };
	const char *html = NULL, *name, *log;
	int c, json = 0, filtered = 0, status, n, named = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			json = 1;
			break;
		case 'H':
			html = optarg;
			break;
		case 'n':
			if (host_log(optarg, &name, &log) < 0)
				return 2;
			break;
		case 's':
		case 'u':
		case 'c':
		case 'p':
			if (report_filter_set(&f, c, optarg) < 0)
				return 2;
			filtered = 1;
			break;
		case ':':
			fprintf(stderr, "tcpshim report: option '%s' needs a "
				"value (see tcpshim report --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "tcpshim report: unknown option '%s' "
				"(see tcpshim report --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	r.notices = (struct table){ notice_head, "lrrrllrl", 8, NULL, 0, 0 };
	if (filtered)
		r.filter = &f;
	/* The logs of --host first, then the others, each read once. */
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (c == 'n' && (n = host_log(optarg, &name, &log)) > 0) {
			read_log(&r, log, intern_n(&r.strings, name, (size_t)n));
			named++;
		}
	if (optind == argc && named == 0)
		read_log(&r, "-", 0);
	for (int i = optind; i < argc; i++)
		if (!named_already(argc, argv, argv[i]))
			read_log(&r, argv[i], 0);

	report_join(&r);
	status = r.unreadable || r.skipped > 0 ? 1 : 0;
	if (html != NULL && report_html(&r, html) < 0)
		status = 1;
	if (json) {
		report_rows_json(&r, stdout);
		report_counts_discard(&r);
	} else {
		report_print(&r);
	}
	free_report(&r);
	return status;
}
