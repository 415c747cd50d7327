/*
 * report.c - "tcpshim report [LOG...]": what a JSON log says, per
 * connection.
 *
 * Reads the JSON Lines that TCPSHIM_FORMAT=json writes, from files or
 * stdin, and prints four tables: one row per connection; event counts
 * by cause; event counts by peer address; the notices.  Then one summary
 * line.  Every line is parsed by jansson; one that is not JSON, or is
 * JSON but neither an event nor a notice, is named on stderr with its
 * file and line number and skipped (a file's last line cut short, as a
 * log still being written has it, is named too, but is no error).
 * Nothing else is dropped: fields the
 * report does not know are ignored, unknown event and cause names are
 * counted like the known ones.
 *
 * A connection is named by pid and conn (conn numbers connections within
 * one process).  When a pid comes back in a long log, the cookie (the
 * kernel's, unique while the machine runs) tells the two apart.
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
#include "cmd/report_model.h"
#include "cmd/report_print.h"
#include "cmd/report_table.h"

/* Replace *slot by value, unless value is unknown and *slot is not. */
static void update(char **slot, char *value)
{
	if (*slot != NULL && report_cell_known(*slot) && !report_cell_known(value)) {
		free(value);
		return;
	}
	free(*slot);
	*slot = value;
}

/* The connection ev belongs to: the latest row of its pid and conn,
 * unless the cookies say it is another; else a new row. */
static struct conn_row *row_of(struct report *r, json_t *ev)
{
	char *pid = report_cell(ev, "pid"), *conn = report_cell(ev, "conn");
	char *cookie = report_cell(ev, "cookie");
	char key[160];
	struct conn_row *row;
	json_t *at = NULL;

	snprintf(key, sizeof(key), "%s/%s", pid, conn);
	if (report_cell_known(pid) && report_cell_known(conn))
		at = json_object_get(r->latest, key);
	if (at != NULL) {
		row = &r->row[json_integer_value(at)];
		if (!report_cell_known(row->cookie) || !report_cell_known(cookie) ||
		    strcmp(row->cookie, cookie) == 0) {
			free(pid);
			free(conn);
			update(&row->cookie, cookie);
			return row;
		}
	}
	if (r->nrows == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->row = report_grow(r->row, r->cap * sizeof(*r->row));
	}
	row = &r->row[r->nrows];
	*row = (struct conn_row){ .order = r->lines, .pid = pid, .conn = conn,
				  .cookie = cookie };
	if (report_cell_known(pid) && report_cell_known(conn))
		json_object_set_new(r->latest, key,
				    json_integer((json_int_t)r->nrows));
	r->nrows++;
	return row;
}

/* "127.0.0.1:80" -> "127.0.0.1", "[::1]:80" -> "[::1]": the host, so that
 * a server's clients from one machine count together. */
static char *host_of(const char *peer)
{
	char *h = report_copy(peer);
	char *colon = strrchr(h, ':');

	if (colon != NULL && colon > h &&
	    (h[0] != '[' || colon[-1] == ']'))
		*colon = '\0';
	return h;
}

static void take_event(struct report *r, json_t *ev)
{
	struct conn_row *row = row_of(r, ev);
	char *event = report_cell(ev, "event");
	char *cause = report_cell(ev, "cause");
	struct tally_entry *peer;
	char *key, *host;

	if (row->time == NULL)
		row->time = report_cell(ev, "time");
	update(&row->local, report_cell(ev, "local"));
	update(&row->peer, report_cell(ev, "peer"));
	update(&row->sent, report_cell(ev, "bytes_sent"));
	update(&row->received, report_cell(ev, "bytes_received"));
	list_add(&row->events, event);
	list_add(&row->causes, cause);
	/* A cause is counted under its event: the same name under two
	 * events would be two causes.  \x1f is in neither: both were made
	 * printable. */
	key = report_grow(NULL, strlen(event) + strlen(cause) + 2);
	sprintf(key, "%s\x1f%s", event, cause);
	tally_count(&r->causes, key, event);
	free(key);
	host = host_of(row->peer);
	peer = tally_count(&r->peers, host, "");
	if (peer->sub == NULL) {
		peer->sub = report_grow(NULL, sizeof(*peer->sub));
		*peer->sub = (struct tally){ 0 };
	}
	tally_count(peer->sub, cause, event);
	free(host);
	free(event);
	free(cause);
	report_counts_pid_event(r, row->pid);
	r->events++;
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

static void take_line(struct report *r, const char *file, size_t lineno,
		      const char *line, size_t len, int *hinted, int cut)
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
	if (json_is_string(event) && json_string_length(event) > 0)
		take_event(r, obj);
	else if (json_is_string(notice) && json_string_length(notice) > 0)
		take_notice(r, obj);
	else
		skip(r, file, lineno, "neither a tcpshim event nor a notice",
		     NULL, NULL);
	json_decref(obj);
}

static void read_log(struct report *r, const char *path)
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
		take_line(r, name, lineno, line, len, &hinted, cut);
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
	fputs("usage: tcpshim report [LOG...]\n"
	      "Summarise tcpshim JSON logs (tcpshim --json, "
	      "TCPSHIM_FORMAT=json), read from\neach LOG in turn, or "
	      "from stdin when there is none or LOG is -: one row per\n"
	      "connection, counts by cause and by peer, and the notices.\n",
	      out);
}

int report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const notice_head[] = {
		"TIME", "PID", "CONN", "FD", "NOTICE", "OPTION", "VALUE",
		"POLICY",
	};
	struct report r = { 0 };
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		fprintf(stderr, "tcpshim report: unknown option '%s' "
			"(see tcpshim report --help)\n", argv[optind - 1]);
		return 2;
	}
	r.latest = json_object();
	r.notices = (struct table){ notice_head, "lrrrllrl", 8, NULL, 0, 0 };
	if (optind == argc)
		read_log(&r, "-");
	for (int i = optind; i < argc; i++)
		read_log(&r, argv[i]);

	report_print(&r);
	return r.unreadable || r.skipped > 0 ? 1 : 0;
}
