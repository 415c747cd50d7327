/*
 * report_rows.c - the rows, printed.  A million rows are printed
 * without being kept as text: the columns' widths come from a first
 * pass, the lines from a second.
 */
#include "cmd/report_rows.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_event.h"
#include "cmd/report_filter.h"
#include "cmd/report_join.h"
#include "cmd/report_verdict.h"

#define VERDICT_MAX 2048

static void addr_or_unknown(const struct rev *e, int local, char *buf)
{
	if (!(e->flags & (local ? REV_LOCAL : REV_PEER)))
		strcpy(buf, "-");
	else if (local)
		report_format_addr(e->local, e->lport, buf);
	else
		report_format_addr(e->peer, e->pport, buf);
}

void report_row_path(const struct report *r, uint32_t i, char *from,
		     char *to)
{
	const struct rev *e = &r->ev[i];
	int received = e->kind == RK_RECEIVED;

	addr_or_unknown(e, !received, from);
	addr_or_unknown(e, received, to);
}

static void cells(const struct report *r, uint32_t i, char *time,
		  char *from, char *to, char *cause)
{
	int64_t t = report_end_time(r, i);

	if (t == INT64_MIN)
		strcpy(time, "-");
	else
		report_format_time(t, time);
	report_row_path(r, i, from, to);
	report_row_cause(r, i, cause, 96);
}

static size_t max(size_t a, size_t b)
{
	return a > b ? a : b;
}

size_t report_rows_print(const struct report *r, FILE *out)
{
	char time[32], from[64], to[64], cause[96];
	size_t w[4] = { 4, 4, 2, 5 }, shown = 0;
	char *verdict;

	for (size_t n = 0; n < r->nrows; n++) {
		if (!report_filter_pass(r, r->rows[n]))
			continue;
		cells(r, r->rows[n], time, from, to, cause);
		w[0] = max(w[0], strlen(time));
		w[1] = max(w[1], strlen(from));
		w[2] = max(w[2], strlen(to));
		w[3] = max(w[3], strlen(cause));
		shown++;
	}
	if (shown == 0)
		return 0;
	verdict = report_grow(NULL, VERDICT_MAX);
	fprintf(out, "Connections\n%-*s  %-*s  %-*s  %-*s  VERDICT\n",
		(int)w[0], "TIME", (int)w[1], "FROM", (int)w[2], "TO",
		(int)w[3], "CAUSE");
	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n];

		if (!report_filter_pass(r, i))
			continue;
		cells(r, i, time, from, to, cause);
		report_verdict(r, i, verdict, VERDICT_MAX);
		fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], time,
			(int)w[1], from, (int)w[2], to, (int)w[3], cause,
			verdict);
	}
	fputc('\n', out);
	free(verdict);
	return shown;
}

static json_t *num(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *str(const struct report *r, uint32_t id)
{
	return id != 0 ? json_string(rev_str(r, id)) : json_null();
}

static void set_addr(json_t *o, const char *key, const struct rev *e,
		     int local)
{
	char a[64];

	addr_or_unknown(e, local, a);
	json_object_set_new(o, key, strcmp(a, "-") ? json_string(a)
						   : json_null());
}

static void set_time(json_t *o, const char *key, const struct rev *e)
{
	char t[32];

	if (e != NULL && (e->flags & REV_TIME))
		json_object_set_new(o, key,
				    json_string(report_format_time(e->ns, t)));
}

/* One end: the program's view (the preload's event) beside the
 * kernel's (watch's). */
static json_t *end_json(const struct report *r, uint32_t i, const char *role)
{
	const struct rev *p = report_program(r, i), *k = report_kernel(r, i);
	const struct rev *e = p != NULL ? p : k;
	json_t *o = json_object(), *layers = json_array();

	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "host", str(r, e->host));
	set_time(o, "time", e);
	json_object_set_new(o, "event", str(r, e->event));
	json_object_set_new(o, "cause", str(r, e->cause));
	json_object_set_new(o, "pid", num(e->pid >= 0 ? e->pid
				      : k != NULL ? k->pid : -1));
	json_object_set_new(o, "fd", num(e->fd >= 0 ? e->fd
				     : k != NULL ? k->fd : -1));
	json_object_set_new(o, "conn", num(p != NULL ? p->conn : -1));
	json_object_set_new(o, "cookie", (e->flags & REV_COOKIE)
		? json_integer((json_int_t)e->cookie) : json_null());
	set_addr(o, "local", e, 1);
	set_addr(o, "peer", e, 0);
	json_object_set_new(o, "call", str(r, p != NULL ? p->call : 0));
	json_object_set_new(o, "errno", str(r, p != NULL ? p->err : 0));
	json_object_set_new(o, "bytes_sent", num(e->sent));
	json_object_set_new(o, "bytes_received", num(e->received));
	if (p != NULL)
		json_array_append_new(layers, json_string("preload"));
	if (k != NULL) {
		json_array_append_new(layers, json_string("kernel"));
		if (p != NULL)
			set_time(o, "kernel_time", k);
		json_object_set_new(o, "kernel_cause", str(r, k->cause));
		json_object_set_new(o, "reason", str(r, k->reason));
		json_object_set_new(o, "comm", str(r, k->comm));
		json_object_set_new(o, "owner_pid", num(k->pid));
		json_object_set_new(o, "owner_fd", num(k->fd));
		json_object_set_new(o, "actor_pid", num(k->actor_pid));
		json_object_set_new(o, "actor_comm", str(r, k->actor_comm));
		json_object_set_new(o, "cgroup", str(r, k->cgroup));
	}
	json_object_set_new(o, "layers", layers);
	return o;
}

void report_rows_json(const struct report *r, FILE *out)
{
	char *verdict = report_grow(NULL, VERDICT_MAX);
	char time[32], from[64], to[64], cause[96];

	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n], s, x;
		json_t *o, *ends;

		if (!report_filter_pass(r, i))
			continue;
		report_row_ends(r, i, &s, &x);
		cells(r, i, time, from, to, cause);
		report_verdict(r, i, verdict, VERDICT_MAX);
		o = json_object();
		ends = json_array();
		json_object_set_new(o, "time", strcmp(time, "-")
			? json_string(time) : json_null());
		json_object_set_new(o, "from", json_string(from));
		json_object_set_new(o, "to", json_string(to));
		json_object_set_new(o, "cause", json_string(cause));
		json_object_set_new(o, "verdict", json_string(verdict));
		if (s != REV_NONE)
			json_array_append_new(ends, end_json(r, s,
				r->ev[s].kind == RK_CLOSE ? "closed" : "sent"));
		if (x != REV_NONE)
			json_array_append_new(ends, end_json(r, x, "received"));
		if (s != REV_NONE && x != REV_NONE) {
			int64_t ts = report_end_time(r, s);
			int64_t tx = report_end_time(r, x);
			int64_t off = report_offset(r, r->ev[s].host,
						    r->ev[x].host);

			if (ts != INT64_MIN && tx != INT64_MIN)
				json_object_set_new(o, "late_ms", json_real(
					(double)(tx - ts - off) / 1e6));
			if (r->ev[s].host != r->ev[x].host)
				json_object_set_new(o, "clock_offset_ms",
					json_real((double)off / 1e6));
		}
		json_object_set_new(o, "ends", ends);
		json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER |
				   JSON_REAL_PRECISION(9));
		fputc('\n', out);
		json_decref(o);
	}
	free(verdict);
}
