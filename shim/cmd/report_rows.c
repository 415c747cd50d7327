/*
 * report_rows.c - the rows, printed.  A million rows are printed
 * without being kept as text: the columns' widths come from a first
 * pass, the lines from a second.
 */
#include "cmd/report_rows.h"

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

/* JSON written directly: a million rows through jansson's objects took
 * half again as long as the table. */
static void jstr(FILE *out, const char *s)
{
	const char *run = s;

	fputc_unlocked('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		fwrite_unlocked(run, 1, (size_t)(s - run), out);
		run = s + 1;
		if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fprintf(out, "\\%c", c);
	}
	fwrite_unlocked(run, 1, (size_t)(s - run), out);
	fputc_unlocked('"', out);
}

static void key(FILE *out, const char *k, int *first)
{
	fprintf(out, "%s\"%s\":", *first ? "" : ",", k);
	*first = 0;
}

static void jnum(FILE *out, const char *k, int64_t v, int *first)
{
	key(out, k, first);
	if (v >= 0)
		fprintf(out, "%lld", (long long)v);
	else
		fputs("null", out);
}

static void jid(FILE *out, const struct report *r, const char *k,
		uint32_t id, int *first)
{
	key(out, k, first);
	if (id != 0)
		jstr(out, rev_str(r, id));
	else
		fputs("null", out);
}

static void jaddr(FILE *out, const char *k, const struct rev *e, int local,
		  int *first)
{
	char a[64];

	addr_or_unknown(e, local, a);
	key(out, k, first);
	if (strcmp(a, "-") != 0)
		jstr(out, a);
	else
		fputs("null", out);
}

static void jtime(FILE *out, const char *k, const struct rev *e, int *first)
{
	char t[32];

	key(out, k, first);
	if (e != NULL && (e->flags & REV_TIME))
		jstr(out, report_format_time(e->ns, t));
	else
		fputs("null", out);
}

/* One end: the program's view (the preload's event) beside the
 * kernel's (watch's). */
static void end_json(FILE *out, const struct report *r, uint32_t i,
		     const char *role)
{
	const struct rev *p = report_program(r, i), *k = report_kernel(r, i);
	const struct rev *e = p != NULL ? p : k;
	int first = 1;

	fputc('{', out);
	key(out, "role", &first);
	jstr(out, role);
	jid(out, r, "host", e->host, &first);
	jtime(out, "time", e, &first);
	jid(out, r, "event", e->event, &first);
	jid(out, r, "cause", e->cause, &first);
	jnum(out, "pid", e->pid >= 0 ? e->pid : k != NULL ? k->pid : -1, &first);
	jnum(out, "fd", e->fd >= 0 ? e->fd : k != NULL ? k->fd : -1, &first);
	jnum(out, "conn", p != NULL ? p->conn : -1, &first);
	key(out, "cookie", &first);
	if (e->flags & REV_COOKIE)
		fprintf(out, "%llu", (unsigned long long)e->cookie);
	else
		fputs("null", out);
	jaddr(out, "local", e, 1, &first);
	jaddr(out, "peer", e, 0, &first);
	jid(out, r, "call", p != NULL ? p->call : 0, &first);
	jid(out, r, "errno", p != NULL ? p->err : 0, &first);
	jnum(out, "bytes_sent", e->sent, &first);
	jnum(out, "bytes_received", e->received, &first);
	if (k != NULL) {
		if (p != NULL)
			jtime(out, "kernel_time", k, &first);
		jid(out, r, "kernel_cause", k->cause, &first);
		jid(out, r, "reason", k->reason, &first);
		jid(out, r, "comm", k->comm, &first);
		jnum(out, "owner_pid", k->pid, &first);
		jnum(out, "owner_fd", k->fd, &first);
		jnum(out, "actor_pid", k->actor_pid, &first);
		jid(out, r, "actor_comm", k->actor_comm, &first);
		jid(out, r, "cgroup", k->cgroup, &first);
	}
	key(out, "layers", &first);
	fprintf(out, "[%s%s%s]}", p != NULL ? "\"preload\"" : "",
		p != NULL && k != NULL ? "," : "",
		k != NULL ? "\"kernel\"" : "");
}

void report_rows_json(const struct report *r, FILE *out)
{
	char *verdict = report_grow(NULL, VERDICT_MAX);
	char time[32], from[64], to[64], cause[96];

	for (size_t n = 0; n < r->nrows; n++) {
		uint32_t i = r->rows[n], s, x;
		int first = 1;

		if (!report_filter_pass(r, i))
			continue;
		report_row_ends(r, i, &s, &x);
		cells(r, i, time, from, to, cause);
		report_verdict(r, i, verdict, VERDICT_MAX);
		fputc('{', out);
		key(out, "time", &first);
		if (strcmp(time, "-") != 0)
			jstr(out, time);
		else
			fputs("null", out);
		key(out, "from", &first);
		jstr(out, from);
		key(out, "to", &first);
		jstr(out, to);
		key(out, "cause", &first);
		jstr(out, cause);
		key(out, "verdict", &first);
		jstr(out, verdict);
		if (s != REV_NONE && x != REV_NONE) {
			int64_t ts = report_end_time(r, s);
			int64_t tx = report_seen_time(r, x);
			int64_t off = report_offset(r, r->ev[s].host,
						    r->ev[x].host);

			if (ts != INT64_MIN && tx != INT64_MIN) {
				key(out, "late_ms", &first);
				fprintf(out, "%.6f", (double)(tx - ts - off) / 1e6);
			}
			if (r->ev[s].host != r->ev[x].host) {
				key(out, "clock_offset_ms", &first);
				fprintf(out, "%.6f", (double)off / 1e6);
			}
		}
		key(out, "ends", &first);
		fputc('[', out);
		if (s != REV_NONE)
			end_json(out, r, s, r->ev[s].kind == RK_CLOSE ? "closed"
								       : "sent");
		if (s != REV_NONE && x != REV_NONE)
			fputc(',', out);
		if (x != REV_NONE)
			end_json(out, r, x, "received");
		fputs("]}\n", out);
	}
	free(verdict);
}
