/*
 * outbuf.c - formatting values into a fixed buffer, by hand, so that a
 * signal handler may do it.
 */
#include "core/outbuf.h"

#include <arpa/inet.h>
#include <string.h>

/* The fourth and fifth groups of ::ffff:a.b.c.d, an IPv4-mapped address. */
#define IPV4_MAPPED_GROUP 0xffff

static void append(struct outbuf *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

void outbuf_str(struct outbuf *o, const char *s)
{
	append(o, s, strlen(s));
}

void outbuf_char(struct outbuf *o, char c)
{
	append(o, &c, 1);
}

void outbuf_u64(struct outbuf *o, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	append(o, tmp + sizeof(tmp) - n, n);
}

void outbuf_i64(struct outbuf *o, int64_t v)
{
	if (v < 0) {
		outbuf_char(o, '-');
		outbuf_u64(o, -(uint64_t)v);
	} else {
		outbuf_u64(o, (uint64_t)v);
	}
}

/* Zero-padded to width digits. */
static void append_padded(struct outbuf *o, uint64_t v, int width)
{
	char tmp[20];

	for (int i = width - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + v % 10);
		v /= 10;
	}
	append(o, tmp, (size_t)width);
}

static void append_ipv4(struct outbuf *o, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			outbuf_char(o, '.');
		outbuf_u64(o, a[i]);
	}
}

/* RFC 5952: lower case, no leading zeros, the longest run of two or more
 * zero groups (the first if tied) as "::", IPv4-mapped as ::ffff:a.b.c.d */
static void append_ipv6(struct outbuf *o, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	uint16_t g[8];
	int best = -1, best_len = 1;

	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] &&
	    g[5] == IPV4_MAPPED_GROUP) {
		outbuf_str(o, "::ffff:");
		append_ipv4(o, a + 12);
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
			outbuf_str(o, "::");
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			outbuf_char(o, ':');
		int started = 0;

		for (int shift = 12; shift >= 0; shift -= 4) {
			int d = (g[i] >> shift) & 0xf;

			if (d || started || shift == 0) {
				outbuf_char(o, hex[d]);
				started = 1;
			}
		}
	}
}

void outbuf_sockaddr(struct outbuf *o, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		append_ipv4(o, (const uint8_t *)&in->sin_addr);
		outbuf_char(o, ':');
		outbuf_u64(o, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		outbuf_char(o, '[');
		append_ipv6(o, in6->sin6_addr.s6_addr);
		outbuf_str(o, "]:");
		outbuf_u64(o, ntohs(in6->sin6_port));
	} else {
		outbuf_char(o, '-');
	}
}

void outbuf_time(struct outbuf *o, const struct timespec *ts)
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
		outbuf_u64(o, (uint64_t)y);
	else
		append_padded(o, (uint64_t)y, 4);
	outbuf_char(o, '-');
	append_padded(o, (uint64_t)m, 2);
	outbuf_char(o, '-');
	append_padded(o, (uint64_t)d, 2);
	outbuf_char(o, 'T');
	append_padded(o, (uint64_t)(rem / 3600), 2);
	outbuf_char(o, ':');
	append_padded(o, (uint64_t)(rem / 60 % 60), 2);
	outbuf_char(o, ':');
	append_padded(o, (uint64_t)(rem % 60), 2);
	outbuf_char(o, '.');
	append_padded(o, (uint64_t)(ts->tv_nsec / 1000), 6);
	outbuf_char(o, 'Z');
}

void outbuf_errno(struct outbuf *o, int err)
{
	/* A table lookup in glibc: no locale, no lock. */
	const char *name = strerrorname_np(err);

	if (name != NULL) {
		outbuf_str(o, name);
	} else {
		outbuf_char(o, 'E');
		outbuf_i64(o, err);
	}
}
