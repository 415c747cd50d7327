/*
 * format.c - event lines.
 *
 * Text:  tcpshim[PID] TIME EVENT cause=... call=... errno=... fd=...
 *        conn=... cookie=... local=... peer=... bytes_sent=...
 *        bytes_received=... [probes=... retransmits=... idle_ms=...
 *        unacked=...]
 * JSON:  one object per line with the same names; unknown values are
 *        null (text: -).
 * Notices, text: tcpshim[PID] TIME notice WHAT fd=... conn=... option=...
 *        value=... policy=...; JSON: "notice":WHAT instead of "event".
 */
#include "format.h"

#include <arpa/inet.h>
#include <string.h>

static const char *const kind_names[] = {
	[TCP_EVENT_RST_SENT] = "rst_sent",
	[TCP_EVENT_RST_RECEIVED] = "rst_received",
	[TCP_EVENT_HALFOPEN] = "halfopen",
	[TCP_EVENT_CLOSE] = "close",
};

static const char *const cause_names[] = {
	[TCP_CAUSE_ABORT] = "abort",
	[TCP_CAUSE_LINGER0] = "linger0",
	[TCP_CAUSE_UNREAD_DATA] = "unread_data",
	[TCP_CAUSE_POLICY] = "policy",
	[TCP_CAUSE_REFUSED] = "refused",
	[TCP_CAUSE_PEER_RESET] = "peer_reset",
	[TCP_CAUSE_HALFOPEN_RESET] = "halfopen_reset",
	[TCP_CAUSE_KEEPALIVE_TIMEOUT] = "keepalive_timeout",
	[TCP_CAUSE_USER_TIMEOUT] = "user_timeout",
	[TCP_CAUSE_NORMAL] = "normal",
	[TCP_CAUSE_KILLED] = "killed",
};

const char *format_kind_name(enum tcp_event_kind kind)
{
	return (unsigned int)kind < sizeof(kind_names) / sizeof(*kind_names)
		       ? kind_names[kind]
		       : "unknown";
}

const char *format_cause_name(enum tcp_event_cause cause)
{
	return (unsigned int)cause < sizeof(cause_names) / sizeof(*cause_names)
		       ? cause_names[cause]
		       : "unknown";
}

static void out_mem(struct outbuf *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

void out_str(struct outbuf *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

void out_char(struct outbuf *o, char c)
{
	out_mem(o, &c, 1);
}

void out_u64(struct outbuf *o, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	out_mem(o, tmp + sizeof(tmp) - n, n);
}

void out_i64(struct outbuf *o, int64_t v)
{
	if (v < 0) {
		out_char(o, '-');
		out_u64(o, -(uint64_t)v);
	} else {
		out_u64(o, (uint64_t)v);
	}
}

/* Zero-padded to width digits. */
static void out_padded(struct outbuf *o, uint64_t v, int width)
{
	char tmp[20];

	for (int i = width - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out_mem(o, tmp, (size_t)width);
}

static void out_ipv4(struct outbuf *o, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			out_char(o, '.');
		out_u64(o, a[i]);
	}
}

/* RFC 5952: lower case, no leading zeros, the longest run of two or more
 * zero groups (the first if tied) as "::", IPv4-mapped as ::ffff:a.b.c.d */
static void out_ipv6(struct outbuf *o, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	uint16_t g[8];
	int best = -1, best_len = 1;

	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff) {
		out_str(o, "::ffff:");
		out_ipv4(o, a + 12);
		return;
	}
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			out_str(o, "::");
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			out_char(o, ':');
		int started = 0;

		for (int shift = 12; shift >= 0; shift -= 4) {
			int d = (g[i] >> shift) & 0xf;

			if (d || started || shift == 0) {
				out_char(o, hex[d]);
				started = 1;
			}
		}
	}
}

void out_sockaddr(struct outbuf *o, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		out_ipv4(o, (const uint8_t *)&in->sin_addr);
		out_char(o, ':');
		out_u64(o, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		out_char(o, '[');
		out_ipv6(o, in6->sin6_addr.s6_addr);
		out_str(o, "]:");
		out_u64(o, ntohs(in6->sin6_port));
	} else {
		out_char(o, '-');
	}
}

void out_time(struct outbuf *o, const struct timespec *ts)
{
	/* Days to civil date: H. Hinnant, "chrono-Compatible Low-Level Date
	 * Algorithms", civil_from_days. */
	int64_t secs = ts->tv_sec;
	int64_t days = secs / 86400;
	int64_t rem = secs % 86400;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	if (y > 9999)
		out_u64(o, (uint64_t)y);
	else
		out_padded(o, (uint64_t)y, 4);
	out_char(o, '-');
	out_padded(o, (uint64_t)m, 2);
	out_char(o, '-');
	out_padded(o, (uint64_t)d, 2);
	out_char(o, 'T');
	out_padded(o, (uint64_t)(rem / 3600), 2);
	out_char(o, ':');
	out_padded(o, (uint64_t)(rem / 60 % 60), 2);
	out_char(o, ':');
	out_padded(o, (uint64_t)(rem % 60), 2);
	out_char(o, '.');
	out_padded(o, (uint64_t)(ts->tv_nsec / 1000), 6);
	out_char(o, 'Z');
}

void out_errno(struct outbuf *o, int err)
{
	/* A table lookup in glibc: no locale, no lock. */
	const char *name = strerrorname_np(err);

	if (name != NULL) {
		out_str(o, name);
	} else {
		out_char(o, 'E');
		out_i64(o, err);
	}
}

/* One field: text "name=value", JSON "name":value. */
struct line {
	struct outbuf o;
	int json;
	int fields;
};

static void key(struct line *l, const char *name)
{
	if (l->json) {
		out_str(&l->o, l->fields++ ? ",\"" : "{\"");
		out_str(&l->o, name);
		out_str(&l->o, "\":");
	} else {
		out_char(&l->o, ' ');
		out_str(&l->o, name);
		out_char(&l->o, '=');
	}
}

static void null_value(struct line *l)
{
	out_str(&l->o, l->json ? "null" : "-");
}

/* Strings here are names and addresses: nothing needs escaping. */
static void quote(struct line *l)
{
	if (l->json)
		out_char(&l->o, '"');
}

static void str_field(struct line *l, const char *name, const char *v)
{
	key(l, name);
	quote(l);
	out_str(&l->o, v);
	quote(l);
}

static void u64_field(struct line *l, const char *name, uint64_t v)
{
	key(l, name);
	out_u64(&l->o, v);
}

static void opt_field(struct line *l, const char *name, int64_t v)
{
	key(l, name);
	if (v < 0)
		null_value(l);
	else
		out_i64(&l->o, v);
}

static void addr_field(struct line *l, const char *name,
		       const struct sockaddr_storage *ss)
{
	key(l, name);
	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
		null_value(l);
		return;
	}
	quote(l);
	out_sockaddr(&l->o, ss);
	quote(l);
}

/* fd, conn and cookie: who the event is about. */
static void ident_fields(struct line *l, const struct tcp_event *ev)
{
	u64_field(l, "fd", (uint64_t)ev->fd);
	u64_field(l, "conn", ev->conn);
	key(l, "cookie");
	if (ev->has_cookie)
		out_u64(&l->o, ev->cookie);
	else
		null_value(l);
}

/*
 * What every line starts with.  JSON: time, pid, then the identity
 * fields, then "name":kind.  Text: tcpshim[PID] TIME [name] kind (the
 * identity fields come later, after the facts a reader wants first).
 */
static void head(struct line *l, const struct timespec *time, int pid,
		 const char *name, const char *kind,
		 void (*ident)(struct line *, const void *), const void *arg)
{
	if (l->json) {
		key(l, "time");
		quote(l);
		out_time(&l->o, time);
		quote(l);
		u64_field(l, "pid", (uint64_t)pid);
		ident(l, arg);
		str_field(l, name, kind);
	} else {
		out_str(&l->o, "tcpshim[");
		out_u64(&l->o, (uint64_t)pid);
		out_str(&l->o, "] ");
		out_time(&l->o, time);
		if (strcmp(name, "event") != 0) {
			out_char(&l->o, ' ');
			out_str(&l->o, name);
		}
		out_char(&l->o, ' ');
		out_str(&l->o, kind);
	}
}

/* Close the line: '}' for JSON, and the newline room was kept back. */
static size_t tail(struct line *l, size_t size)
{
	if (l->json)
		out_char(&l->o, '}');
	if (size == 0)
		return 0;
	l->o.p[l->o.len++] = '\n';
	return l->o.len;
}

static void event_ident(struct line *l, const void *ev)
{
	ident_fields(l, ev);
}

size_t format_event(char *buf, size_t size, const struct tcp_event *ev,
		    int json)
{
	struct line l = { .o = { buf, 0, size ? size - 1 : 0 }, .json = json };
	int info = json || ev->kind == TCP_EVENT_RST_RECEIVED ||
		   ev->kind == TCP_EVENT_HALFOPEN;

	head(&l, &ev->time, ev->pid, "event", format_kind_name(ev->kind),
	     event_ident, ev);
	str_field(&l, "cause", format_cause_name(ev->cause));
	str_field(&l, "call", ev->call);
	key(&l, "errno");
	if (ev->error) {
		quote(&l);
		out_errno(&l.o, ev->error);
		quote(&l);
	} else {
		null_value(&l);
	}
	if (!json)
		ident_fields(&l, ev);
	addr_field(&l, "local", &ev->local);
	addr_field(&l, "peer", &ev->peer);
	u64_field(&l, "bytes_sent", ev->bytes_sent);
	u64_field(&l, "bytes_received", ev->bytes_received);
	if (info) {
		opt_field(&l, "probes", ev->probes);
		opt_field(&l, "retransmits", ev->retransmits);
		opt_field(&l, "idle_ms", ev->idle_ms);
		opt_field(&l, "unacked", ev->unacked);
	}
	return tail(&l, size);
}

static void notice_ident(struct line *l, const void *arg)
{
	const struct shim_notice *n = arg;

	u64_field(l, "fd", (uint64_t)n->fd);
	u64_field(l, "conn", n->conn);
}

size_t format_notice(char *buf, size_t size, const struct shim_notice *n,
		     int json)
{
	struct line l = { .o = { buf, 0, size ? size - 1 : 0 }, .json = json };

	head(&l, &n->time, n->pid, "notice", n->what, notice_ident, n);
	if (!json)
		notice_ident(&l, n);
	str_field(&l, "option", n->option);
	key(&l, "value");
	out_i64(&l.o, n->value);
	str_field(&l, "policy", n->policy);
	return tail(&l, size);
}
