/*
 * report_verdict.c - one sentence per row: the sender's side of it (why
 * its reset left, in the program's words where the preload saw it, the
 * kernel's where only watch did), then the receiver's (what it saw, and
 * how long after).  An end not in the logs is said to be missing; a
 * cause the report does not know is named as it was logged.
 */
#include "cmd/report_verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/report_event.h"
#include "cmd/report_join.h"

const struct rev *report_program(const struct report *r, uint32_t i)
{
	const struct rev *e = &r->ev[i];

	if (!(e->flags & REV_KERNEL))
		return e;
	return e->layer != REV_NONE ? &r->ev[e->layer] : NULL;
}

const struct rev *report_kernel(const struct report *r, uint32_t i)
{
	const struct rev *e = &r->ev[i];

	if (e->flags & REV_KERNEL)
		return e;
	return e->layer != REV_NONE ? &r->ev[e->layer] : NULL;
}

void report_row_ends(const struct report *r, uint32_t i, uint32_t *sender,
		     uint32_t *receiver)
{
	const struct rev *e = &r->ev[i];

	*sender = *receiver = REV_NONE;
	if (e->kind == RK_RECEIVED)
		*receiver = i;
	else
		*sender = i;
	if (e->end != REV_NONE)
		*receiver = e->end;
}

static const char *cause_of(const struct report *r, uint32_t i)
{
	return rev_str(r, report_end_cause(r, i));
}

size_t report_utf8_whole(const char *s, size_t len)
{
	size_t k = len, need;
	unsigned char lead;

	while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0)
		return len;
	lead = (unsigned char)s[k - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return k - 1 + need <= len ? len : k - 1;
}

void report_row_cause(const struct report *r, uint32_t i, char *buf,
		      size_t size)
{
	uint32_t s, x;
	const char *a, *b;

	report_row_ends(r, i, &s, &x);
	a = s != REV_NONE ? cause_of(r, s) : "";
	b = x != REV_NONE ? cause_of(r, x) : "";
	if (s != REV_NONE && x != REV_NONE)
		snprintf(buf, size, "%s/%s", *a ? a : "-", *b ? b : "-");
	else
		snprintf(buf, size, "%s", *a ? a : *b ? b : "-");
	buf[report_utf8_whole(buf, strlen(buf))] = '\0';
}

char *report_duration(int64_t ns, char *buf)
{
	if (ns < 1000000)
		snprintf(buf, 32, "%.3f ms", (double)ns / 1e6);
	else if (ns < 1000000000)
		snprintf(buf, 32, "%.1f ms", (double)ns / 1e6);
	else if (ns < 120000000000LL)
		snprintf(buf, 32, "%.1f s", (double)ns / 1e9);
	else
		snprintf(buf, 32, "%lld min %lld s",
			 (long long)(ns / 60000000000LL),
			 (long long)(ns / 1000000000 % 60));
	return buf;
}

struct out {
	char *p;
	size_t len, cap;
};

static void say(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < o->cap - o->len) {
		o->len += (size_t)n;
	} else if (n > 0) {
		o->len = report_utf8_whole(o->p, o->cap - 1);
		o->p[o->len] = '\0';
	}
}

/* "curl (pid 12, fd 5) on web1": the end's process, as far as known. */
static void who(struct out *o, const struct report *r, uint32_t i)
{
	const struct rev *p = report_program(r, i), *k = report_kernel(r, i);
	const struct rev *e = &r->ev[i];
	uint32_t comm = k != NULL ? k->comm : 0;
	int32_t pid = p != NULL && p->pid >= 0 ? p->pid
					       : k != NULL ? k->pid : -1;
	int32_t fd = p != NULL && p->fd >= 0 ? p->fd : k != NULL ? k->fd : -1;

	if (comm != 0 && pid >= 0)
		say(o, "%s (pid %d", rev_str(r, comm), pid);
	else if (pid >= 0)
		say(o, "pid %d", pid);
	else if (p != NULL)
		say(o, "a process the log does not name");
	else
		say(o, "a socket no process held");
	if (pid >= 0 && fd >= 0)
		say(o, comm != 0 ? ", fd %d)" : " (fd %d)", fd);
	else if (comm != 0 && pid >= 0)
		say(o, ")");
	if (e->host != 0)
		say(o, " on %s", rev_str(r, e->host));
}

/* "web1", or "the host at 10.0.0.2" where the log names no host. */
static void host_of(struct out *o, const struct report *r, uint32_t i)
{
	char a[64], *colon;

	if (r->ev[i].host != 0) {
		say(o, "%s", rev_str(r, r->ev[i].host));
		return;
	}
	report_format_addr(r->ev[i].local, 0, a);
	colon = strrchr(a, ':');
	*colon = '\0';
	say(o, "the host at %s", a[0] == '[' ? a + 1 : a);
	if (a[0] == '[')
		o->len--;	/* the closing bracket */
	o->p[o->len] = '\0';
}

static uint16_t port_of(const struct rev *e)
{
	return e->lport;
}

/* Bytes the sender's program had not read: what the receiver's program
 * wrote, less what the sender's read (both the preload's counts). */
static int64_t unread(const struct report *r, uint32_t s, uint32_t x)
{
	const struct rev *ps = report_program(r, s);
	const struct rev *px = x != REV_NONE ? report_program(r, x) : NULL;

	if (ps == NULL || px == NULL || ps->received < 0 || px->sent < 0 ||
	    px->sent <= ps->received)
		return -1;
	return px->sent - ps->received;
}

static void sender(struct out *o, const struct report *r, uint32_t s,
		   uint32_t x)
{
	const char *cause = cause_of(r, s);
	const struct rev *k = report_kernel(r, s), *e = &r->ev[s];
	int64_t n;

	if (strcmp(cause, "abort") == 0) {
		who(o, r, s);
		say(o, " aborted the connection (tcp_abort): a reset left at once");
	} else if (strcmp(cause, "linger0") == 0) {
		who(o, r, s);
		say(o, " closed with SO_LINGER {1, 0}: its kernel reset the connection");
	} else if (strcmp(cause, "unread_data") == 0) {
		who(o, r, s);
		n = unread(r, s, x);
		if (n > 0)
			say(o, " closed with %lld bytes unread", (long long)n);
		else
			say(o, " closed with data it had not read");
		say(o, ": its kernel reset the connection");
	} else if (strcmp(cause, "policy") == 0) {
		who(o, r, s);
		say(o, " closed, and TCPSHIM_CLOSE=abort made the close an abort");
	} else if (strcmp(cause, "killed") == 0) {
		say(o, "the connection of ");
		who(o, r, s);
		say(o, " was torn down from outside the process");
		if (k != NULL && k->actor_comm != 0)
			say(o, " (by %s, pid %d)", rev_str(r, k->actor_comm),
			    k->actor_pid);
	} else if (strcmp(cause, "injected") == 0) {
		say(o, "a TCPSHIM_INJECT rule reset the connection of ");
		who(o, r, s);
	} else if (strcmp(cause, "no_listener") == 0) {
		char a[64];

		say(o, "nothing listened on %s", report_format_addr(
			e->local, port_of(e), a));
		if (e->host != 0)
			say(o, " on %s", rev_str(r, e->host));
		say(o, ": its kernel answered the connection request with a reset");
	} else if (strcmp(cause, "no_connection") == 0) {
		host_of(o, r, s);
		say(o, " did not know the connection (it had restarted, or "
		       "dropped it): its kernel answered with a reset");
	} else if (strcmp(cause, "keepalive_timeout") == 0) {
		say(o, "the keepalive probes of ");
		who(o, r, s);
		say(o, " went unanswered: the peer is gone, and its kernel "
		       "gave up on the connection");
	} else if (strcmp(cause, "user_timeout") == 0) {
		say(o, "data sent by ");
		who(o, r, s);
		say(o, " stayed unacknowledged past TCP_USER_TIMEOUT: the "
		       "peer is gone, and its kernel gave up on the connection");
	} else {
		who(o, r, s);
		say(o, " sent a reset");
		if (*cause)
			say(o, " (%s)", cause);
		else if (k != NULL && k->reason != 0)
			say(o, " (the kernel's reason: %s)",
			    rev_str(r, k->reason));
	}
}

/* "curl (pid 12, fd 5) saw ECONNRESET in recv": what the receiving
 * program saw, or that its kernel took the reset. */
static void saw(struct out *o, const struct report *r, uint32_t x)
{
	const struct rev *p = report_program(r, x);

	who(o, r, x);
	if (p != NULL && p->err != 0)
		say(o, " saw %s", rev_str(r, p->err));
	else if (p != NULL)
		say(o, " saw the reset");
	else
		say(o, "'s kernel took the reset");
	if (p != NULL && p->call != 0)
		say(o, " in %s", rev_str(r, p->call));
}

static void receiver_alone(struct out *o, const struct report *r, uint32_t x)
{
	const char *cause = cause_of(r, x);
	const struct rev *p = report_program(r, x), *e = &r->ev[x];
	char a[64];

	if (strcmp(cause, "refused") == 0) {
		say(o, "the connection request of ");
		who(o, r, x);
		say(o, " to %s was refused: nothing listened there",
		    report_format_addr(e->peer, e->pport, a));
		if (p != NULL && p->err != 0)
			say(o, " (%s)", rev_str(r, p->err));
	} else if (strcmp(cause, "halfopen_reset") == 0) {
		say(o, "the peer host did not know the connection (it had "
		       "restarted): its kernel answered ");
		if (p != NULL && p->probes > 0)
			say(o, "a keepalive probe of ");
		else
			say(o, "the data of ");
		who(o, r, x);
		say(o, " with a reset");
		if (p != NULL && p->err != 0)
			say(o, " (%s", rev_str(r, p->err));
		if (p != NULL && p->err != 0 && p->call != 0)
			say(o, " in %s", rev_str(r, p->call));
		if (p != NULL && p->err != 0)
			say(o, ")");
	} else {
		saw(o, r, x);
		if (strcmp(cause, "peer_reset") == 0)
			say(o, ": the peer reset the connection");
		else if (*cause)
			say(o, " (%s)", cause);
		say(o, "; the sender's end is not in these logs");
	}
}

int64_t report_seen_time(const struct report *r, uint32_t x)
{
	const struct rev *p = report_program(r, x);

	return p != NULL && (p->flags & REV_TIME) ? p->ns
						  : report_end_time(r, x);
}

void report_verdict(const struct report *r, uint32_t i, char *buf,
		    size_t size)
{
	struct out o = { buf, 0, size };
	uint32_t s, x;
	char d[32];

	buf[0] = '\0';
	report_row_ends(r, i, &s, &x);
	if (s == REV_NONE) {
		receiver_alone(&o, r, x);
		return;
	}
	if (r->ev[s].kind == RK_CLOSE) {
		who(&o, r, s);
		say(&o, " closed the connection in order: no reset");
		return;
	}
	if (r->ev[s].kind == RK_OTHER) {
		who(&o, r, s);
		say(&o, " logged %s", rev_str(r, r->ev[s].event));
		return;
	}
	sender(&o, r, s, x);
	if (x == REV_NONE) {
		if (r->ev[s].kind == RK_SENT)
			say(&o, "; the receiver's end is not in these logs");
		return;
	}
	say(&o, "; ");
	saw(&o, r, x);
	/* When the reset left, and when the program saw it. */
	int64_t ts = report_end_time(r, s), tx = report_seen_time(r, x);

	if (ts != INT64_MIN && tx != INT64_MIN) {
		int64_t late = tx - ts - report_offset(r, r->ev[s].host,
						       r->ev[x].host);

		if (late > 0)
			say(&o, " %s later", report_duration(late, d));
		else
			say(&o, " at once");
	}
}
