/*
 * report.c - "tcpshim report [LOG...]": what a JSON log says, per
 * connection.
 *
 * Reads the JSON Lines that TCPSHIM_FORMAT=json writes, from files or
 * stdin, and prints four tables: one row per connection; event counts
 * by cause; event counts by peer address; the notices.  Then one summary
 * line.  Every line is parsed by jansson; one that is not JSON, or is
 * JSON but neither an event nor a notice, is named on stderr with its
 * file and line number and skipped.  Nothing else is dropped: fields the
 * report does not know are ignored, unknown event and cause names are
 * counted like the known ones.
 *
 * A connection is named by pid and conn (conn numbers connections within
 * one process).  When a pid comes back in a long log, the cookie (the
 * kernel's, unique while the machine runs) tells the two apart.
 */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN "-"

static void *grow(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fputs("tcpshim report: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *copy(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(grow(NULL, n), s, n);
}

/* A string that grows, for comma lists. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = grow(t->s, t->cap);
	}
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

static void list_add(struct text *t, const char *s)
{
	if (t->len > 0)
		text_add(t, ",");
	text_add(t, s);
}

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

static void table_add(struct table *t, char **row)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = grow(t->cells, t->cap * t->ncols * sizeof(char *));
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

static void table_print(const struct table *t, const char *title)
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

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

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
	size_t first;		/* order of first sight, for stable sorting */
	struct tally *sub;
};

struct tally {
	struct tally_entry *entry;
	size_t len, cap;
	json_t *index;
};

static struct tally_entry *tally_count(struct tally *t, const char *name,
				       const char *what)
{
	json_t *at;
	struct tally_entry *e;

	if (t->index == NULL)
		t->index = json_object();
	at = json_object_get(t->index, name);
	if (at != NULL) {
		e = &t->entry[json_integer_value(at)];
		e->n++;
		return e;
	}
	if (t->len == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->entry = grow(t->entry, t->cap * sizeof(*t->entry));
	}
	e = &t->entry[t->len];
	*e = (struct tally_entry){ copy(name), copy(what), 1, t->len, NULL };
	json_object_set_new(t->index, name, json_integer((json_int_t)t->len));
	t->len++;
	return e;
}

/* Most first; ties in the order first seen. */
static int by_count(const void *a, const void *b)
{
	const struct tally_entry *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void tally_sort(struct tally *t)
{
	if (t->len > 1)
		qsort(t->entry, t->len, sizeof(*t->entry), by_count);
}

static void tally_free(struct tally *t)
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

struct conn_row {
	size_t order;		/* its first line's place in all the input */
	char *time;		/* of its first event */
	char *pid, *conn, *cookie, *local, *peer;
	struct text events, causes;
	char *sent, *received;	/* totals as of its last event */
};

struct report {
	struct conn_row *row;
	size_t nrows, cap;
	json_t *latest;		/* "pid/conn" -> index of its latest row */
	struct tally causes, peers;
	struct table notices;
	size_t lines, events, skipped;
	int unreadable;
};

/* Control characters would break the table: show them as '?'. */
static char *printable(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* obj's key as a table shows it: "-" when missing, null or empty. */
static char *shown(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	char buf[64];
	char *dump;

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		if (json_string_length(v) == 0)
			break;
		return printable(copy(json_string_value(v)));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return copy(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return copy(buf);
	case JSON_TRUE:
		return copy("true");
	case JSON_FALSE:
		return copy("false");
	case JSON_OBJECT:
	case JSON_ARRAY:
		dump = json_dumps(v, JSON_COMPACT);
		if (dump != NULL) {
			char *s = printable(copy(dump));

			free(dump);
			return s;
		}
		break;
	case JSON_NULL:
		break;
	}
	return copy(UNKNOWN);
}

static int known(const char *s)
{
	return strcmp(s, UNKNOWN) != 0;
}

/* Replace *slot by value, unless value is unknown and *slot is not. */
static void update(char **slot, char *value)
{
	if (*slot != NULL && known(*slot) && !known(value)) {
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
	char *pid = shown(ev, "pid"), *conn = shown(ev, "conn");
	char *cookie = shown(ev, "cookie");
	char key[160];
	struct conn_row *row;
	json_t *at = NULL;

	snprintf(key, sizeof(key), "%s/%s", pid, conn);
	if (known(pid) && known(conn))
		at = json_object_get(r->latest, key);
	if (at != NULL) {
		row = &r->row[json_integer_value(at)];
		if (!known(row->cookie) || !known(cookie) ||
		    strcmp(row->cookie, cookie) == 0) {
			free(pid);
			free(conn);
			update(&row->cookie, cookie);
			return row;
		}
	}
	if (r->nrows == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->row = grow(r->row, r->cap * sizeof(*r->row));
	}
	row = &r->row[r->nrows];
	*row = (struct conn_row){ .order = r->lines, .pid = pid, .conn = conn,
				  .cookie = cookie };
	if (known(pid) && known(conn))
		json_object_set_new(r->latest, key,
				    json_integer((json_int_t)r->nrows));
	r->nrows++;
	return row;
}

/* "127.0.0.1:80" -> "127.0.0.1", "[::1]:80" -> "[::1]": the host, so that
 * a server's clients from one machine count together. */
static char *host_of(const char *peer)
{
	char *h = copy(peer);
	char *colon = strrchr(h, ':');

	if (colon != NULL && colon > h &&
	    (h[0] != '[' || colon[-1] == ']'))
		*colon = '\0';
	return h;
}

static void take_event(struct report *r, json_t *ev)
{
	struct conn_row *row = row_of(r, ev);
	char *event = shown(ev, "event"), *cause = shown(ev, "cause");
	struct tally_entry *peer;
	char *key, *host;

	if (row->time == NULL)
		row->time = shown(ev, "time");
	update(&row->local, shown(ev, "local"));
	update(&row->peer, shown(ev, "peer"));
	update(&row->sent, shown(ev, "bytes_sent"));
	update(&row->received, shown(ev, "bytes_received"));
	list_add(&row->events, event);
	list_add(&row->causes, cause);
	/* A cause is counted under its event: the same name under two
	 * events would be two causes.  \x1f is in neither: both were made
	 * printable. */
	key = grow(NULL, strlen(event) + strlen(cause) + 2);
	sprintf(key, "%s\x1f%s", event, cause);
	tally_count(&r->causes, key, event);
	free(key);
	host = host_of(row->peer);
	peer = tally_count(&r->peers, host, "");
	if (peer->sub == NULL) {
		peer->sub = grow(NULL, sizeof(*peer->sub));
		*peer->sub = (struct tally){ 0 };
	}
	tally_count(peer->sub, cause, event);
	free(host);
	free(event);
	free(cause);
	r->events++;
}

static void take_notice(struct report *r, json_t *n)
{
	char *cells[] = {
		shown(n, "time"), shown(n, "pid"), shown(n, "conn"),
		shown(n, "fd"), shown(n, "notice"), shown(n, "option"),
		shown(n, "value"), shown(n, "policy"),
	};

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

static void take_line(struct report *r, const char *file, size_t lineno,
		      const char *line, size_t len, int *hinted)
{
	static const char text_hint[] =
		"this looks like a text-format log: log with tcpshim --json "
		"(TCPSHIM_FORMAT=json) to report on it";
	json_error_t err;
	json_t *obj, *event, *notice;

	if (strspn(line, " \t\r") == len)
		return;		/* a blank line holds nothing to lose */
	obj = json_loadb(line, len, 0, &err);
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

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		lineno++;
		r->lines++;
		take_line(r, name, lineno, line, len, &hinted);
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

/* By time of first event (RFC 3339 UTC sorts as text), then as read. */
static int by_time(const void *a, const void *b)
{
	const struct conn_row *x = a, *y = b;
	int c;

	if (known(x->time) != known(y->time))
		return known(x->time) ? -1 : 1;
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

static void print_causes(struct report *r)
{
	static const char *const head[] = { "CAUSE", "EVENT", "COUNT" };
	struct table t = { head, "llr", 3, NULL, 0, 0 };
	char num[32];

	tally_sort(&r->causes);
	for (size_t i = 0; i < r->causes.len; i++) {
		struct tally_entry *e = &r->causes.entry[i];

		const char *cause = strchr(e->name, '\x1f') + 1;

		snprintf(num, sizeof(num), "%zu", e->n);
		table_add(&t, (char *[]){ copy(cause), copy(e->what),
					  copy(num) });
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
		table_add(&t, (char *[]){ copy(e->name), copy(num),
					  causes.s });
	}
	table_print(&t, "Counts by peer");
	table_free(&t);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
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

	print_connections(&r);
	print_causes(&r);
	print_peers(&r);
	table_print(&r.notices, "Notices");
	printf("%zu %s, %zu %s, %zu %s", r.nrows,
	       plural(r.nrows, "connection", "connections"), r.events,
	       plural(r.events, "event", "events"), r.notices.nrows,
	       plural(r.notices.nrows, "notice", "notices"));
	if (r.skipped > 0)
		printf(", %zu %s skipped", r.skipped,
		       plural(r.skipped, "line", "lines"));
	putchar('\n');

	table_free(&r.notices);
	tally_free(&r.causes);
	tally_free(&r.peers);
	json_decref(r.latest);
	free(r.row);
	return r.unreadable || r.skipped > 0 ? 1 : 0;
}
