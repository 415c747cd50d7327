/*
 * report_event.c - one event line into the report's fixed-size record:
 * time as ns, addresses in binary (IPv4 as v4-mapped IPv6, so that a
 * dual-stack peer's "::ffff:10.0.0.1" and "10.0.0.1" are one address),
 * names interned.  Fields the report does not use are not kept; a
 * field of the wrong type counts as missing.
 *
 * Each preload connection (host, pid, conn) has a head, its first
 * event; later events of it (a close after nothing else, say) hang off
 * it through next.  When a pid comes back in a long log, a different
 * cookie makes a new connection.
 */
#include "cmd/report_event.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int report_parse_time(const char *s, int64_t *ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, scale = 1000000000, t;
	const char *p = s + 19;

	if (strlen(s) < 19 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec) || mo < 1 || mo > 12 ||
	    d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    y < REPORT_YEAR_MIN || y > REPORT_YEAR_MAX)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om))
			return -1;
		if (*p == '-') {
			oh = -oh;
			om = -om;
		}
		p += 6;
	} else if (*p != '\0') {
		return -1;
	}
	if (*p != '\0')
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    oh * 3600 - om * 60;
	*ns = t * 1000000000 + frac;
	return 0;
}

char *report_format_time(int64_t ns, char *buf)
{
	int64_t s = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
	int64_t us = (ns - s * 1000000000) / 1000;
	int64_t z = s >= 0 ? s / 86400 : (s - 86399) / 86400;
	int64_t sod = s - z * 86400, era, doe, yoe, doy, mp, d, m, y;
	char tmp[96];

	/* civil_from_days */
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		 (int)y, (int)m, (int)d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60), (int)us);
	memcpy(buf, tmp, 27);	/* the year has 4 digits up to 9999 */
	buf[27] = '\0';
	return buf;
}

int report_parse_addr(const char *s, uint8_t addr[16], uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hlen;
	char *end;
	unsigned long p;
	struct in_addr v4;

	if (colon == NULL || colon == s)
		return -1;
	hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (colon[-1] != ']')
			return -1;
		h = s + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || p > 65535)
		return -1;
	*port = (uint16_t)p;
	if (inet_pton(AF_INET, host, &v4) == 1) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, host, addr) == 1 ? 0 : -1;
}

static int is_v4(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, prefix, 12) == 0;
}

char *report_format_addr(const uint8_t addr[16], uint16_t port, char *buf)
{
	char h[INET6_ADDRSTRLEN];

	if (is_v4(addr)) {
		inet_ntop(AF_INET, addr + 12, h, sizeof(h));
		snprintf(buf, 64, "%s:%u", h, port);
	} else {
		inet_ntop(AF_INET6, addr, h, sizeof(h));
		snprintf(buf, 64, "[%s]:%u", h, port);
	}
	return buf;
}

int64_t report_json_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (*s < '0' || *s > '9')
		return -1;
	n = strtoll(s, &end, 10);
	return *end == '\0' ? n : -1;
}

/* A string field, interned: 0 when missing, null or empty.  Control
 * characters (which would break a table's rows) become '?'. */
static uint32_t str_of(struct report *r, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	char small[512], *buf = small;
	size_t n;
	uint32_t id;

	if (!json_is_string(v))
		return 0;
	n = json_string_length(v);
	if (n >= sizeof(small))
		buf = report_grow(NULL, n);
	memcpy(buf, json_string_value(v), n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	id = intern_n(&r->strings, buf, n);
	if (buf != small)
		free(buf);
	return id;
}

static int32_t int32_of(json_t *obj, const char *key)
{
	int64_t v = report_json_int(obj, key);

	return v >= 0 && v <= INT32_MAX ? (int32_t)v : -1;
}

static enum rev_kind kind_of(const char *event)
{
	if (strcmp(event, "rst_sent") == 0)
		return RK_SENT;
	if (strcmp(event, "rst_received") == 0)
		return RK_RECEIVED;
	if (strcmp(event, "halfopen") == 0)
		return RK_HALFOPEN;
	if (strcmp(event, "close") == 0)
		return RK_CLOSE;
	return RK_OTHER;
}

static void addr_of(json_t *obj, const char *key, uint8_t a[16],
		    uint16_t *port, uint8_t *flags, uint8_t flag)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s != NULL && report_parse_addr(s, a, port) == 0)
		*flags |= flag;
}

void report_event_take(struct report *r, json_t *obj, uint32_t host)
{
	const char *s = json_string_value(json_object_get(obj, "source"));
	const char *t = json_string_value(json_object_get(obj, "time"));
	int64_t cookie = report_json_int(obj, "cookie");
	struct rev e = {
		.sent = report_json_int(obj, "bytes_sent"),
		.received = report_json_int(obj, "bytes_received"),
		.conn = report_json_int(obj, "conn"),
		.pid = int32_of(obj, "pid"),
		.fd = int32_of(obj, "fd"),
		.actor_pid = int32_of(obj, "actor_pid"),
		.probes = int32_of(obj, "probes"),
		.host = host,
		.event = str_of(r, obj, "event"),
		.cause = str_of(r, obj, "cause"),
		.call = str_of(r, obj, "call"),
		.err = str_of(r, obj, "errno"),
		.reason = str_of(r, obj, "reason"),
		.comm = str_of(r, obj, "comm"),
		.actor_comm = str_of(r, obj, "actor_comm"),
		.cgroup = str_of(r, obj, "cgroup"),
		.layer = REV_NONE, .next = REV_NONE, .end = REV_NONE,
	};
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t any6[16];

	e.kind = (uint8_t)kind_of(rev_str(r, e.event));
	if (s != NULL && strcmp(s, "kernel") == 0)
		e.flags |= REV_KERNEL;
	if (t != NULL && report_parse_time(t, &e.ns) == 0)
		e.flags |= REV_TIME;
	if (cookie >= 0) {
		e.cookie = (uint64_t)cookie;
		e.flags |= REV_COOKIE;
	}
	addr_of(obj, "local", e.local, &e.lport, &e.flags, REV_LOCAL);
	addr_of(obj, "peer", e.peer, &e.pport, &e.flags, REV_PEER);
	if ((e.flags & REV_LOCAL) && (memcmp(e.local, any4, 16) == 0 ||
				      memcmp(e.local, any6, 16) == 0))
		e.flags |= REV_LOCAL_ANY;
	report_add(r, &e);
}
