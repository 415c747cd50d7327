/*
 * report_filter.c - the report's filters, applied to whole rows after
 * the joins (so that a filter never splits a reset from its other end):
 * a row passes --cause when either end has that cause or event name,
 * --peer when either end's address is ADDR (and PORT, if given), and
 * --since/--until by its time (the sender's, or its one end's).
 */
#include "cmd/report_filter.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cmd/report_event.h"
#include "cmd/report_join.h"
#include "cmd/report_verdict.h"

/* "ADDR", "ADDR:PORT", "[ADDR]" or "[ADDR]:PORT". */
static int parse_peer(struct rep_filter *f, const char *s)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	struct in_addr v4;
	/* An IPv6 address without brackets has no port: 2001:db8::5:1. */
	int bare6 = s[0] != '[' && strchr(s, ':') != strrchr(s, ':');

	if (!bare6 && report_parse_addr(s, f->peer, &f->port) == 0) {
		f->has_peer = f->has_port = 1;
		return 0;
	}
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		memset(f->peer, 0, 10);
		f->peer[10] = f->peer[11] = 0xff;
		memcpy(f->peer + 12, &v4, 4);
	} else if (inet_pton(AF_INET6, buf, f->peer) != 1) {
		return -1;
	}
	f->has_peer = 1;
	return 0;
}

int report_filter_set(struct rep_filter *f, int opt, const char *value)
{
	int64_t *t = opt == 's' ? &f->since : &f->until;

	switch (opt) {
	case 's':
	case 'u':
		if (report_parse_time(value, t) == 0)
			return 0;
		fprintf(stderr, "tcpshim report: --%s '%s': not a time "
			"(RFC 3339: 2026-11-24T00:59:10Z, or with .fraction "
			"or +hh:mm)\n", opt == 's' ? "since" : "until", value);
		return -1;
	case 'c':
		f->cause = value;
		return 0;
	default:
		if (parse_peer(f, value) == 0)
			return 0;
		fprintf(stderr, "tcpshim report: --peer '%s': not an address "
			"(ADDR, ADDR:PORT or [ADDR]:PORT)\n", value);
		return -1;
	}
}

static int cause_is(const struct report *r, uint32_t i, uint32_t id)
{
	const struct rev *p, *k;

	if (i == REV_NONE)
		return 0;
	p = report_program(r, i);
	k = report_kernel(r, i);
	return (p != NULL && (p->cause == id || p->event == id)) ||
	       (k != NULL && (k->cause == id || k->event == id));
}

static int addr_is(const struct rep_filter *f, const uint8_t a[16],
		   uint16_t port)
{
	return memcmp(a, f->peer, 16) == 0 && (!f->has_port || port == f->port);
}

static int peer_is(const struct report *r, uint32_t i)
{
	const struct rev *e;

	if (i == REV_NONE)
		return 0;
	e = &r->ev[i];
	return ((e->flags & REV_LOCAL) && addr_is(r->filter, e->local, e->lport)) ||
	       ((e->flags & REV_PEER) && addr_is(r->filter, e->peer, e->pport));
}

int report_filter_pass(const struct report *r, uint32_t i)
{
	const struct rep_filter *f = r->filter;
	uint32_t s, x;
	int64_t t;

	if (f == NULL)
		return 1;
	report_row_ends(r, i, &s, &x);
	t = report_end_time(r, i);
	if ((f->since != INT64_MIN || f->until != INT64_MAX) &&
	    (t == INT64_MIN || t < f->since || t >= f->until))
		return 0;
	if (f->cause != NULL) {
		uint32_t id = intern_find(&r->strings, f->cause);

		if (id == UINT32_MAX || (!cause_is(r, s, id) && !cause_is(r, x, id)))
			return 0;
	}
	if (f->has_peer && !peer_is(r, s) && !peer_is(r, x))
		return 0;
	return 1;
}
