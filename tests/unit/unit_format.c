/*
 * unit_format.c - event lines (format.c), text and JSON.
 *
 * Covers exact lines for events built by hand, unknown values (no
 * cookie, AF_UNSPEC addresses, no errno, -1 TCP_INFO fields), which
 * kinds carry the TCP_INFO fields, IPv4 and IPv6 (RFC 5952) addresses,
 * errno names, RFC 3339 times checked against gmtime_r() (before 1970,
 * leap days, century years), and truncation into small buffers.
 *
 * Why one file: it is the suite of one file of the library, as every unit
 * suite is; whole lines, names, addresses, times and truncation all go
 * through the same formatter, from the same events built by hand.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/format.h"
#include "core/journal.h"
#include "core/names.h"
#include "testlib.h"
#include "core/outbuf.h"
#include "core/syslog_line.h"

/* The line format_event() writes, NUL-terminated for comparing. */
static char line[FORMAT_LINE_MAX + 1];

static const char *format(const struct tcp_event *ev, int json)
{
	size_t n = format_event(line, FORMAT_LINE_MAX, ev, json);

	ck_assert_uint_le(n, FORMAT_LINE_MAX);
	line[n] = '\0';
	ck_assert_uint_eq(strlen(line), n);
	return line;
}

static void set_in(struct sockaddr_storage *ss, const char *addr,
		   uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &in->sin_addr), 1);
}

static void set_in6(struct sockaddr_storage *ss, const char *addr,
		    uint16_t port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
}

/* 2026-11-30T00:33:13.123456789Z, every field known. */
static struct tcp_event sample(enum tcp_event_kind kind,
			       enum tcp_event_cause cause, const char *call,
			       int error)
{
	struct tcp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time.tv_sec = 1795998793;
	ev.time.tv_nsec = 123456789;
	ev.pid = 4242;
	ev.fd = 7;
	ev.conn = 3;
	ev.cookie = 12345;
	ev.has_cookie = 1;
	ev.kind = kind;
	ev.cause = cause;
	ev.call = call;
	set_in(&ev.local, "192.0.2.1", 40000);
	set_in(&ev.peer, "198.51.100.7", 80);
	ev.error = error;
	ev.bytes_sent = 512;
	ev.bytes_received = 1024;
	ev.probes = 0;
	ev.retransmits = 2;
	ev.idle_ms = 1500;
	ev.unacked = 100;
	return ev;
}

/* Nothing known but the kind, cause, call and counters. */
static struct tcp_event unknowns(enum tcp_event_kind kind,
				 enum tcp_event_cause cause)
{
	struct tcp_event ev = sample(kind, cause, "close", 0);

	ev.has_cookie = 0;
	ev.cookie = 999;	/* must not show: has_cookie says invalid */
	memset(&ev.local, 0, sizeof(ev.local));
	memset(&ev.peer, 0, sizeof(ev.peer));
	ev.local.ss_family = AF_UNSPEC;
	ev.peer.ss_family = AF_UNSPEC;
	ev.bytes_sent = 0;
	ev.bytes_received = 0;
	ev.probes = -1;
	ev.retransmits = -1;
	ev.idle_ms = -1;
	ev.unacked = -1;
	return ev;
}

/* --- whole lines --- */

START_TEST(text_rst_received_line_has_every_field)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_PEER_RESET, "recv", ECONNRESET);

	ck_assert_str_eq(format(&ev, 0),
			 "tcpshim[4242] 2026-11-30T00:33:13.123456Z "
			 "rst_received cause=peer_reset call=recv "
			 "errno=ECONNRESET fd=7 conn=3 cookie=12345 "
			 "local=192.0.2.1:40000 peer=198.51.100.7:80 "
			 "bytes_sent=512 bytes_received=1024 probes=0 "
			 "retransmits=2 idle_ms=1500 unacked=100\n");
}
END_TEST

START_TEST(json_rst_received_line_has_every_field)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_PEER_RESET, "recv", ECONNRESET);

	ck_assert_str_eq(format(&ev, 1),
			 "{\"time\":\"2026-11-30T00:33:13.123456Z\","
			 "\"pid\":4242,\"fd\":7,\"conn\":3,\"cookie\":12345,"
			 "\"event\":\"rst_received\",\"cause\":\"peer_reset\","
			 "\"call\":\"recv\",\"errno\":\"ECONNRESET\","
			 "\"local\":\"192.0.2.1:40000\","
			 "\"peer\":\"198.51.100.7:80\","
			 "\"bytes_sent\":512,\"bytes_received\":1024,"
			 "\"probes\":0,\"retransmits\":2,\"idle_ms\":1500,"
			 "\"unacked\":100}\n");
}
END_TEST

START_TEST(text_halfopen_line_carries_tcp_info)
{
	struct tcp_event ev = sample(TCP_EVENT_HALFOPEN,
				     TCP_CAUSE_KEEPALIVE_TIMEOUT, "recv",
				     ETIMEDOUT);

	ev.probes = 5;
	ev.retransmits = 0;
	ev.idle_ms = 110000;
	ev.unacked = 0;
	ck_assert_str_eq(format(&ev, 0),
			 "tcpshim[4242] 2026-11-30T00:33:13.123456Z "
			 "halfopen cause=keepalive_timeout call=recv "
			 "errno=ETIMEDOUT fd=7 conn=3 cookie=12345 "
			 "local=192.0.2.1:40000 peer=198.51.100.7:80 "
			 "bytes_sent=512 bytes_received=1024 probes=5 "
			 "retransmits=0 idle_ms=110000 unacked=0\n");
}
END_TEST

START_TEST(text_rst_sent_line_leaves_out_tcp_info)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_SENT, TCP_CAUSE_ABORT,
				     "tcp_abort", 0);

	ck_assert_str_eq(format(&ev, 0),
			 "tcpshim[4242] 2026-11-30T00:33:13.123456Z "
			 "rst_sent cause=abort call=tcp_abort errno=- fd=7 "
			 "conn=3 cookie=12345 local=192.0.2.1:40000 "
			 "peer=198.51.100.7:80 bytes_sent=512 "
			 "bytes_received=1024\n");
}
END_TEST

START_TEST(text_close_line_leaves_out_tcp_info)
{
	struct tcp_event ev = sample(TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
				     "close", 0);

	ck_assert_str_eq(format(&ev, 0),
			 "tcpshim[4242] 2026-11-30T00:33:13.123456Z "
			 "close cause=normal call=close errno=- fd=7 "
			 "conn=3 cookie=12345 local=192.0.2.1:40000 "
			 "peer=198.51.100.7:80 bytes_sent=512 "
			 "bytes_received=1024\n");
}
END_TEST

START_TEST(json_rst_sent_line_still_carries_tcp_info)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0,
				     "close", 0);

	ck_assert_str_eq(format(&ev, 1),
			 "{\"time\":\"2026-11-30T00:33:13.123456Z\","
			 "\"pid\":4242,\"fd\":7,\"conn\":3,\"cookie\":12345,"
			 "\"event\":\"rst_sent\",\"cause\":\"linger0\","
			 "\"call\":\"close\",\"errno\":null,"
			 "\"local\":\"192.0.2.1:40000\","
			 "\"peer\":\"198.51.100.7:80\","
			 "\"bytes_sent\":512,\"bytes_received\":1024,"
			 "\"probes\":0,\"retransmits\":2,\"idle_ms\":1500,"
			 "\"unacked\":100}\n");
}
END_TEST

START_TEST(tcp_info_fields_appear_per_kind)
{
	static const struct {
		enum tcp_event_kind kind;
		int in_text;
	} kinds[] = {
		{ TCP_EVENT_RST_SENT, 0 },
		{ TCP_EVENT_RST_RECEIVED, 1 },
		{ TCP_EVENT_HALFOPEN, 1 },
		{ TCP_EVENT_CLOSE, 0 },
	};
	static const char *const fields[] = {
		"probes", "retransmits", "idle_ms", "unacked",
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		struct tcp_event ev = sample(kinds[i].kind, TCP_CAUSE_NORMAL,
					     "send", 0);

		for (size_t f = 0; f < sizeof(fields) / sizeof(*fields); f++) {
			char key[32];

			snprintf(key, sizeof(key), " %s=", fields[f]);
			ck_assert_msg((strstr(format(&ev, 0), key) != NULL) ==
					      kinds[i].in_text,
				      "text %s: %s", names_kind(
						      kinds[i].kind), line);
			snprintf(key, sizeof(key), ",\"%s\":", fields[f]);
			ck_assert_msg(strstr(format(&ev, 1), key) != NULL,
				      "json %s: %s",
				      names_kind(kinds[i].kind), line);
		}
	}
}
END_TEST

START_TEST(text_unknown_values_show_as_dash)
{
	struct tcp_event ev = unknowns(TCP_EVENT_HALFOPEN,
				       TCP_CAUSE_USER_TIMEOUT);

	ck_assert_str_eq(format(&ev, 0),
			 "tcpshim[4242] 2026-11-30T00:33:13.123456Z "
			 "halfopen cause=user_timeout call=close errno=- "
			 "fd=7 conn=3 cookie=- local=- peer=- bytes_sent=0 "
			 "bytes_received=0 probes=- retransmits=- idle_ms=- "
			 "unacked=-\n");
}
END_TEST

START_TEST(json_unknown_values_are_null)
{
	struct tcp_event ev = unknowns(TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL);

	ck_assert_str_eq(format(&ev, 1),
			 "{\"time\":\"2026-11-30T00:33:13.123456Z\","
			 "\"pid\":4242,\"fd\":7,\"conn\":3,\"cookie\":null,"
			 "\"event\":\"close\",\"cause\":\"normal\","
			 "\"call\":\"close\",\"errno\":null,\"local\":null,"
			 "\"peer\":null,\"bytes_sent\":0,"
			 "\"bytes_received\":0,\"probes\":null,"
			 "\"retransmits\":null,\"idle_ms\":null,"
			 "\"unacked\":null}\n");
}
END_TEST

START_TEST(ipv6_endpoints_are_bracketed_in_both_formats)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_REFUSED, "connect",
				     ECONNREFUSED);

	set_in6(&ev.local, "::1", 51000);
	set_in6(&ev.peer, "2001:db8::1", 443);
	ck_assert_ptr_nonnull(strstr(format(&ev, 0),
				     " local=[::1]:51000 "
				     "peer=[2001:db8::1]:443 "));
	ck_assert_ptr_nonnull(strstr(format(&ev, 1),
				     ",\"local\":\"[::1]:51000\","
				     "\"peer\":\"[2001:db8::1]:443\","));
}
END_TEST

START_TEST(largest_values_print_in_full_and_fit_the_line)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_HALFOPEN_RESET,
				     "sendmmsg", EHOSTUNREACH);

	ev.pid = INT32_MAX;
	ev.fd = INT32_MAX;
	ev.conn = UINT64_MAX;
	ev.cookie = UINT64_MAX;
	set_in6(&ev.local, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	set_in6(&ev.peer, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	ev.bytes_sent = UINT64_MAX;
	ev.bytes_received = UINT64_MAX - 1;
	ev.probes = INT64_MAX;
	ev.retransmits = INT64_MAX;
	ev.idle_ms = INT64_MAX;
	ev.unacked = INT64_MAX;
	for (int json = 0; json <= 1; json++) {
		static char big[4 * FORMAT_LINE_MAX];
		const char *l = format(&ev, json);
		size_t n = strlen(l);

		/* Not cut short: a far longer buffer gives the same line. */
		ck_assert_uint_lt(n, FORMAT_LINE_MAX);
		ck_assert_uint_eq(format_event(big, sizeof(big), &ev, json), n);
		ck_assert_mem_eq(big, l, n);
		ck_assert_ptr_nonnull(strstr(l, "18446744073709551615"));
		ck_assert_ptr_nonnull(strstr(l, "18446744073709551614"));
		ck_assert_ptr_nonnull(strstr(l, "9223372036854775807"));
		ck_assert_ptr_nonnull(strstr(l, "2147483647"));
		ck_assert_ptr_nonnull(strstr(l, "[ffff:ffff:ffff:ffff:ffff:"
						"ffff:ffff:ffff]:65535"));
		ck_assert_ptr_nonnull(strstr(l, "halfopen_reset"));
		ck_assert_ptr_nonnull(strstr(l, "EHOSTUNREACH"));
	}
}
END_TEST

START_TEST(line_is_one_line_without_nul)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_PEER_RESET, "recv", ECONNRESET);

	for (int json = 0; json <= 1; json++) {
		size_t n = format_event(line, FORMAT_LINE_MAX, &ev, json);

		ck_assert_ptr_eq(memchr(line, '\0', n), NULL);
		ck_assert_ptr_eq(memchr(line, '\n', n), line + n - 1);
	}
}
END_TEST

/* --- names --- */

START_TEST(kind_and_cause_names_match_the_contract)
{
	static const char *const kinds[] = {
		[TCP_EVENT_RST_SENT] = "rst_sent",
		[TCP_EVENT_RST_RECEIVED] = "rst_received",
		[TCP_EVENT_HALFOPEN] = "halfopen",
		[TCP_EVENT_CLOSE] = "close",
	};
	static const char *const causes[] = {
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
		[TCP_CAUSE_INJECTED] = "injected",
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		ck_assert_str_eq(names_kind((enum tcp_event_kind)i),
				 kinds[i]);
	for (size_t i = 0; i < sizeof(causes) / sizeof(*causes); i++)
		ck_assert_str_eq(names_cause((enum tcp_event_cause)i),
				 causes[i]);
}
END_TEST

START_TEST(out_of_range_kind_and_cause_are_unknown)
{
	struct tcp_event ev = sample((enum tcp_event_kind)4,
				     (enum tcp_event_cause)NAMES_CAUSES, "recv",
				     0);

	ck_assert_str_eq(names_kind((enum tcp_event_kind)4), "unknown");
	ck_assert_str_eq(names_kind((enum tcp_event_kind)-1),
			 "unknown");
	ck_assert_str_eq(names_cause((enum tcp_event_cause)NAMES_CAUSES),
			 "unknown");
	ck_assert_str_eq(names_cause((enum tcp_event_cause)NAMES_CAUSE_UNKNOWN),
			 "unknown");
	ck_assert_str_eq(names_cause((enum tcp_event_cause)
				     NAMES_CAUSE_NO_LISTENER), "no_listener");
	ck_assert_str_eq(names_cause((enum tcp_event_cause)-1),
			 "unknown");
	ck_assert_ptr_nonnull(strstr(format(&ev, 0),
				     "Z unknown cause=unknown call=recv "));
	ck_assert_ptr_nonnull(strstr(format(&ev, 1),
				     "\"event\":\"unknown\","
				     "\"cause\":\"unknown\","));
}
END_TEST

/* What one outbuf_* call writes into a fresh buffer. */
#define OUT(call, ...) ({ \
	static char buf_[128]; \
	struct outbuf o_ = { buf_, 0, sizeof(buf_) - 1 }; \
	call(&o_, __VA_ARGS__); \
	buf_[o_.len] = '\0'; \
	buf_; })

START_TEST(errno_is_named_or_given_as_e_and_number)
{
	ck_assert_str_eq(OUT(outbuf_errno, ECONNRESET), "ECONNRESET");
	ck_assert_str_eq(OUT(outbuf_errno, ECONNREFUSED), "ECONNREFUSED");
	ck_assert_str_eq(OUT(outbuf_errno, EPIPE), "EPIPE");
	ck_assert_str_eq(OUT(outbuf_errno, ETIMEDOUT), "ETIMEDOUT");
	ck_assert_str_eq(OUT(outbuf_errno, EHOSTUNREACH), "EHOSTUNREACH");
	ck_assert_str_eq(OUT(outbuf_errno, 9999), "E9999");
	ck_assert_str_eq(OUT(outbuf_errno, -3), "E-3");
}
END_TEST

START_TEST(unknown_errno_in_event_lines)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_PEER_RESET, "recv", 9999);

	ck_assert_ptr_nonnull(strstr(format(&ev, 0), " errno=E9999 "));
	ck_assert_ptr_nonnull(strstr(format(&ev, 1),
				     ",\"errno\":\"E9999\","));
}
END_TEST

START_TEST(integers_print_whole_range)
{
	ck_assert_str_eq(OUT(outbuf_u64, 0), "0");
	ck_assert_str_eq(OUT(outbuf_u64, 10), "10");
	ck_assert_str_eq(OUT(outbuf_u64, UINT64_MAX), "18446744073709551615");
	ck_assert_str_eq(OUT(outbuf_i64, -1), "-1");
	ck_assert_str_eq(OUT(outbuf_i64, INT64_MAX), "9223372036854775807");
	ck_assert_str_eq(OUT(outbuf_i64, INT64_MIN), "-9223372036854775808");
}
END_TEST

/* --- addresses --- */

static const struct {
	const char *in;		/* any form inet_pton() reads */
	const char *out;	/* RFC 5952 */
} ipv6_cases[] = {
	{ "::1", "::1" },
	{ "::", "::" },
	{ "fe80::1", "fe80::1" },
	{ "FE80:0000:0000:0000:0000:0000:0000:0001", "fe80::1" },
	/* The longest run of zeros, the first if tied. */
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
	{ "2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::" },
	{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
	{ "0:0:1:0:0:0:0:0", "0:0:1::" },
	{ "1:0:0:0:0:0:0:0", "1::" },
	/* One zero group is never "::". */
	{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
	{ "0:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8" },
	{ "1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0" },
	/* No leading zeros in a group, lower case. */
	{ "2001:0DB8:00A0:000B:0000:0000:0000:0001", "2001:db8:a0:b::1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	/* IPv4-mapped: dotted quad. */
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
	{ "::ffff:c000:0201", "::ffff:192.0.2.1" },
	{ "::ffff:0.0.0.0", "::ffff:0.0.0.0" },
	/* Not mapped: hex groups. */
	{ "::fffe:192.0.2.1", "::fffe:c000:201" },
	{ "::ffff", "::ffff" },
	{ "1::ffff:192.0.2.1", "1::ffff:c000:201" },
};
#define NIPV6 ((int)(sizeof(ipv6_cases) / sizeof(*ipv6_cases)))

START_TEST(ipv6_is_written_per_rfc5952)
{
	struct sockaddr_storage ss;
	char expected[80];

	set_in6(&ss, ipv6_cases[_i].in, 8080);
	snprintf(expected, sizeof(expected), "[%s]:8080", ipv6_cases[_i].out);
	ck_assert_str_eq(OUT(outbuf_sockaddr, &ss), expected);
}
END_TEST

START_TEST(ipv4_is_dotted_quad_and_port)
{
	struct sockaddr_storage ss;

	set_in(&ss, "192.0.2.1", 80);
	ck_assert_str_eq(OUT(outbuf_sockaddr, &ss), "192.0.2.1:80");
	set_in(&ss, "0.0.0.0", 0);
	ck_assert_str_eq(OUT(outbuf_sockaddr, &ss), "0.0.0.0:0");
	set_in(&ss, "255.255.255.255", 65535);
	ck_assert_str_eq(OUT(outbuf_sockaddr, &ss), "255.255.255.255:65535");
	set_in(&ss, "10.0.100.9", 1);
	ck_assert_str_eq(OUT(outbuf_sockaddr, &ss), "10.0.100.9:1");
}
END_TEST

START_TEST(other_families_are_a_dash)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ck_assert_str_eq(OUT(outbuf_sockaddr, &ss), "-");
	ss.ss_family = AF_UNIX;
	ck_assert_str_eq(OUT(outbuf_sockaddr, &ss), "-");
}
END_TEST

/* --- time --- */

/* The same instant by gmtime_r(), which format.c does not use. */
#define REF_MAX 128

static void reference_time(char buf[REF_MAX], time_t sec, long nsec)
{
	struct tm tm;

	ck_assert_ptr_nonnull(gmtime_r(&sec, &tm));
	snprintf(buf, REF_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, nsec / 1000);
}

static const struct {
	time_t sec;
	long nsec;
	const char *text;
} time_cases[] = {
	{ 1795998793, 123456789, "2026-11-30T00:33:13.123456Z" },
	{ 0, 0, "1970-01-01T00:00:00.000000Z" },
	{ 0, 999, "1970-01-01T00:00:00.000000Z" },
	{ 0, 1000, "1970-01-01T00:00:00.000001Z" },
	{ 1709164799, 999999999, "2024-02-28T23:59:59.999999Z" },
	{ 1709164800, 0, "2024-02-29T00:00:00.000000Z" },
	{ 1709251199, 500000, "2024-02-29T23:59:59.000500Z" },
	{ 1709251200, 0, "2024-03-01T00:00:00.000000Z" },
	{ 951827696, 0, "2000-02-29T12:34:56.000000Z" },
	{ 4107542399, 0, "2100-02-28T23:59:59.000000Z" },
	{ 4107542400, 0, "2100-03-01T00:00:00.000000Z" },
	{ 1704067199, 0, "2023-12-31T23:59:59.000000Z" },
	/* Before 1970: the fraction still counts forward from the second. */
	{ -1, 0, "1969-12-31T23:59:59.000000Z" },
	{ -1, 500000000, "1969-12-31T23:59:59.500000Z" },
	{ -86400, 0, "1969-12-31T00:00:00.000000Z" },
	{ -86401, 0, "1969-12-30T23:59:59.000000Z" },
	{ -2208988800, 0, "1900-01-01T00:00:00.000000Z" },
	{ -2203891200, 0, "1900-03-01T00:00:00.000000Z" },
	{ -11670998400, 0, "1600-02-29T00:00:00.000000Z" },
	{ -62135596800, 0, "0001-01-01T00:00:00.000000Z" },
	{ 253402300799, 999999000, "9999-12-31T23:59:59.999999Z" },
};
#define NTIME ((int)(sizeof(time_cases) / sizeof(*time_cases)))

START_TEST(time_is_rfc3339_utc_with_microseconds)
{
	struct timespec ts = {
		.tv_sec = time_cases[_i].sec, .tv_nsec = time_cases[_i].nsec,
	};
	char ref[REF_MAX];

	/* The table itself is checked against gmtime_r(). */
	reference_time(ref, ts.tv_sec, ts.tv_nsec);
	ck_assert_str_eq(ref, time_cases[_i].text);
	ck_assert_str_eq(OUT(outbuf_time, &ts), time_cases[_i].text);
}
END_TEST

static void check_time_sweep(time_t from, time_t to, time_t step)
{
	char ref[REF_MAX];

	for (time_t t = from; t <= to; t += step) {
		struct timespec ts = { .tv_sec = t, .tv_nsec = 654321000 };
		const char *got = OUT(outbuf_time, &ts);

		reference_time(ref, t, ts.tv_nsec);
		if (strcmp(got, ref) != 0)
			ck_abort_msg("%lld: got %s, expected %s", (long long)t,
				     got, ref);
	}
}

START_TEST(every_day_of_1600_to_2400_matches_gmtime)
{
	/* A step under a day visits every date at many times of day. */
	check_time_sweep(-11670998400, 13574563200, 86400 - 1237);
}
END_TEST

START_TEST(dates_from_year_1_to_9999_match_gmtime)
{
	/* 29 days and a bit: every day of the month, over time. */
	check_time_sweep(-62135596800, 253402300799, 29 * 86400 + 3607);
	check_time_sweep(253402300799 - 86400 * 400, 253402300799, 86399);
}
END_TEST

/* --- truncation --- */

#define GUARD 0xa5

/* Every size from 1 to past the whole line: never a byte beyond size,
 * always a prefix of the whole line, always ending in "\n". */
static void check_truncation(const struct tcp_event *ev, int json)
{
	static char full[FORMAT_LINE_MAX];
	static unsigned char buf[FORMAT_LINE_MAX + 64];
	size_t full_len = format_event(full, sizeof(full), ev, json);

	ck_assert_uint_gt(full_len, 100);
	for (size_t size = 1; size <= full_len + 2; size++) {
		size_t n;

		memset(buf, GUARD, sizeof(buf));
		n = format_event((char *)buf, size, ev, json);
		ck_assert_uint_ge(n, 1);
		ck_assert_uint_le(n, size);
		ck_assert_uint_eq(n, size < full_len ? size : full_len);
		ck_assert_uint_eq(buf[n - 1], '\n');
		ck_assert_mem_eq(buf, full, n - 1);
		for (size_t i = size; i < sizeof(buf); i++)
			ck_assert_msg(buf[i] == GUARD,
				      "size %zu: byte %zu written", size, i);
	}
}

START_TEST(small_buffers_never_overflow_and_end_in_newline)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_PEER_RESET, "recv", ECONNRESET);

	set_in6(&ev.peer, "2001:db8::1:0:0:1", 443);
	check_truncation(&ev, 0);
	check_truncation(&ev, 1);
}
END_TEST

START_TEST(one_byte_buffer_holds_just_the_newline)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_SENT, TCP_CAUSE_ABORT,
				     "tcp_abort", 0);
	char buf[4] = { 'x', 'x', 'x', 'x' };

	ck_assert_uint_eq(format_event(buf, 1, &ev, 0), 1);
	ck_assert_int_eq(buf[0], '\n');
	ck_assert_int_eq(buf[1], 'x');
}
END_TEST

START_TEST(zero_size_buffer_is_left_untouched)
{
	/*
	 * size - 1 must not wrap: a zero-byte buffer gets nothing, and 0
	 * is returned.  The buffer is large, so a bug would stay inside it.
	 */
	struct tcp_event ev = sample(TCP_EVENT_RST_SENT, TCP_CAUSE_ABORT,
				     "tcp_abort", 0);
	static unsigned char buf[FORMAT_LINE_MAX * 2];
	size_t n;

	memset(buf, GUARD, sizeof(buf));
	n = format_event((char *)buf, 0, &ev, 1);
	ck_assert_msg(buf[0] == GUARD, "wrote %zu bytes into a 0-byte buffer",
		      n);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* A journal datagram: MESSAGE is the text line (without its newline),
 * then the MESSAGE_ID and PRIORITY given, then tcpshim's own fields. */
static void assert_journal(const char *buf, size_t n, const char *line,
			   size_t len, const char *head, const char *fields)
{
	ck_assert_uint_lt(n, JOURNAL_MAX + 1);
	ck_assert_str_eq(tl_str("%.*s", (int)n, buf),
			 tl_str("MESSAGE=%.*s\n%sSYSLOG_IDENTIFIER=tcpshim\n%s",
				(int)len - 1, line, head, fields));
}

/* journald's native protocol: KEY=VALUE lines, MESSAGE the text line,
 * one TCPSHIM_ field per event field, unknown ones left out. */
START_TEST(journal_datagram_has_every_field)
{
	struct tcp_event ev = sample(TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_PEER_RESET, "recv", ECONNRESET);
	char buf[JOURNAL_MAX + 1], line[FORMAT_LINE_MAX];
	size_t n = journal_event(buf, sizeof(buf) - 1, &ev);
	size_t len = format_event(line, sizeof(line), &ev, 0);

	assert_journal(buf, n, line, len,
		"MESSAGE_ID=4fe9b1a5db0c4c9faa18e2ad67d45bfb\n"
		"PRIORITY=4\n",
		"TCPSHIM_EVENT=rst_received\n"
		"TCPSHIM_TIME=2026-11-30T00:33:13.123456Z\n"
		"TCPSHIM_CAUSE=peer_reset\n"
		"TCPSHIM_CALL=recv\n"
		"TCPSHIM_ERRNO=ECONNRESET\n"
		"TCPSHIM_PID=4242\n"
		"TCPSHIM_FD=7\n"
		"TCPSHIM_CONN=3\n"
		"TCPSHIM_COOKIE=12345\n"
		"TCPSHIM_LOCAL=192.0.2.1:40000\n"
		"TCPSHIM_PEER=198.51.100.7:80\n"
		"TCPSHIM_BYTES_SENT=512\n"
		"TCPSHIM_BYTES_RECEIVED=1024\n"
		"TCPSHIM_PROBES=0\n"
		"TCPSHIM_RETRANSMITS=2\n"
		"TCPSHIM_IDLE_MS=1500\n"
		"TCPSHIM_UNACKED=100\n");
	/* Unknown: no cookie, no addresses, no errno; a close is a notice. */
	ev = unknowns(TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL);
	n = journal_event(buf, sizeof(buf) - 1, &ev);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\nPRIORITY=5\n"));
	ck_assert_ptr_null(strstr(buf, "TCPSHIM_COOKIE="));
	ck_assert_ptr_null(strstr(buf, "TCPSHIM_PEER="));
	ck_assert_ptr_null(strstr(buf, "TCPSHIM_ERRNO="));
	ck_assert_ptr_null(strstr(buf, "TCPSHIM_PROBES="));
}
END_TEST

/* A held_back notice and a summary at exit, as the log writes them. */
static struct shim_counts counts(const char *what)
{
	struct shim_counts n = {
		.time = { 1764720000, 123456000 },	/* 2025-12-03 */
		.pid = 4242, .what = what,
		.since = { 1764719999, 1000 },
		.connections = 10001, .held_back = 9900, .lost = 2,
	};

	n.counts.cause[TCP_CAUSE_REFUSED] = 9990;
	n.counts.cause[TCP_CAUSE_PEER_RESET] = 10;
	n.counts.total = 10000;
	return n;
}

START_TEST(counts_notices_in_text_and_json)
{
	struct shim_counts held = counts("held_back"), sum = counts("summary");
	char buf[FORMAT_LINE_MAX + 1];

	held.counts.cause[TCP_CAUSE_PEER_RESET] = 0;
	held.counts.cause[TCP_CAUSE_REFUSED] = 9900;
	held.counts.total = 9900;
	buf[format_counts(buf, FORMAT_LINE_MAX, &held, 0)] = '\0';
	ck_assert_str_eq(buf, "tcpshim[4242] 2025-12-03T00:00:00.123456Z notice "
			      "held_back held_back=9900 "
			      "since=2025-12-02T23:59:59.000001Z "
			      "causes=refused:9900\n");
	buf[format_counts(buf, FORMAT_LINE_MAX, &held, 1)] = '\0';
	ck_assert_str_eq(buf, "{\"time\":\"2025-12-03T00:00:00.123456Z\","
			      "\"pid\":4242,\"notice\":\"held_back\","
			      "\"held_back\":9900,"
			      "\"since\":\"2025-12-02T23:59:59.000001Z\","
			      "\"causes\":{\"refused\":9900}}\n");
	buf[format_counts(buf, FORMAT_LINE_MAX, &sum, 0)] = '\0';
	ck_assert_str_eq(buf, "tcpshim[4242] 2025-12-03T00:00:00.123456Z notice "
			      "summary connections=10001 events=10000 "
			      "held_back=9900 lost=2 causes=refused:9990,peer_reset:10"
			      "\n");
	buf[format_counts(buf, FORMAT_LINE_MAX, &sum, 1)] = '\0';
	ck_assert_str_eq(buf, "{\"time\":\"2025-12-03T00:00:00.123456Z\","
			      "\"pid\":4242,\"notice\":\"summary\","
			      "\"connections\":10001,\"events\":10000,"
			      "\"held_back\":9900,\"lost\":2,"
			      "\"causes\":{\"refused\":"
			      "9990,\"peer_reset\":10}}\n");
	/* No event at all: no cause. */
	memset(&sum.counts, 0, sizeof(sum.counts));
	buf[format_counts(buf, FORMAT_LINE_MAX, &sum, 0)] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, " events=0 held_back=9900 lost=2 causes=-\n"));
	buf[format_counts(buf, FORMAT_LINE_MAX, &sum, 1)] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, ",\"causes\":{}}\n"));
}
END_TEST

/* Every cause at its largest still fits one line. */
START_TEST(largest_summary_fits_the_line)
{
	struct shim_counts sum = counts("summary");
	char buf[FORMAT_LINE_MAX + 1];
	size_t n;

	sum.connections = sum.held_back = sum.lost = UINT64_MAX;
	sum.counts.total = UINT64_MAX;
	for (int i = 0; i < TALLY_CAUSES; i++)
		sum.counts.cause[i] = UINT64_MAX;
	n = format_counts(buf, FORMAT_LINE_MAX, &sum, 1);
	buf[n] = '\0';
	ck_assert_uint_lt(n, FORMAT_LINE_MAX);
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert_ptr_nonnull(strstr(buf, "\"injected\":18446744073709551615,"));
	/* watch's causes follow; "unknown" counts a null cause. */
	ck_assert_ptr_nonnull(strstr(buf, "\"no_connection\":18446744073709551615,"
				     "\"unknown\":18446744073709551615}}"));
}
END_TEST

START_TEST(journal_counts_have_their_fields)
{
	struct shim_counts sum = counts("summary"), held = counts("held_back");
	char buf[JOURNAL_MAX + 1], line[FORMAT_LINE_MAX];
	size_t n = journal_counts(buf, sizeof(buf) - 1, &sum);
	size_t len = format_counts(line, sizeof(line), &sum, 0);

	assert_journal(buf, n, line, len,
		"MESSAGE_ID=fadefac242554642919723cd9da8c9e4\n"
		"PRIORITY=5\n",
		"TCPSHIM_NOTICE=summary\n"
		"TCPSHIM_PID=4242\n"
		"TCPSHIM_CONNECTIONS=10001\n"
		"TCPSHIM_EVENTS=10000\n"
		"TCPSHIM_HELD_BACK=9900\n"
		"TCPSHIM_LOST=2\n"
		"TCPSHIM_CAUSES=refused:9990,peer_reset:10\n");
	n = journal_counts(buf, sizeof(buf) - 1, &held);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\nMESSAGE_ID=cfdd2662816943459e4048b31a56098c\n"
					  "PRIORITY=4\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nTCPSHIM_HELD_BACK=9900\n"
					  "TCPSHIM_SINCE=2025-12-02T23:59:59.000001Z\n"));
	ck_assert_ptr_null(strstr(buf, "TCPSHIM_CONNECTIONS="));
	ck_assert_ptr_null(strstr(buf, "TCPSHIM_LOST="));
}
END_TEST

/* syslog: "<PRI>tcpshim[PID]: ", then the line without its newline; a
 * text line's own tag and time dropped unless it is kept whole. */
START_TEST(syslog_line_drops_the_head_unless_whole)
{
	static const char line[] = "tcpshim[7] 2026-12-06T00:00:00.000000Z "
				   "rst_sent cause=abort\n";
	char buf[SYSLOG_LINE_MAX];
	size_t n;

	n = syslog_line(buf, sizeof(buf), 99, SYSLOG_WARNING, line,
			sizeof(line) - 1, 0);
	ck_assert_str_eq(tl_str("%.*s", (int)n, buf),
			 "<28>tcpshim[99]: rst_sent cause=abort");
	n = syslog_line(buf, sizeof(buf), 99, SYSLOG_NOTICE, line,
			sizeof(line) - 1, 1);
	ck_assert_str_eq(tl_str("%.*s", (int)n, buf),
			 "<29>tcpshim[99]: tcpshim[7] 2026-12-06T00:00:00.000000Z "
			 "rst_sent cause=abort");
}
END_TEST

Suite *unit_format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc;

	tc = tcase_create("lines");
	tcase_add_test(tc, text_rst_received_line_has_every_field);
	tcase_add_test(tc, journal_datagram_has_every_field);
	tcase_add_test(tc, counts_notices_in_text_and_json);
	tcase_add_test(tc, largest_summary_fits_the_line);
	tcase_add_test(tc, journal_counts_have_their_fields);
	tcase_add_test(tc, json_rst_received_line_has_every_field);
	tcase_add_test(tc, text_halfopen_line_carries_tcp_info);
	tcase_add_test(tc, text_rst_sent_line_leaves_out_tcp_info);
	tcase_add_test(tc, text_close_line_leaves_out_tcp_info);
	tcase_add_test(tc, json_rst_sent_line_still_carries_tcp_info);
	tcase_add_test(tc, tcp_info_fields_appear_per_kind);
	tcase_add_test(tc, text_unknown_values_show_as_dash);
	tcase_add_test(tc, json_unknown_values_are_null);
	tcase_add_test(tc, ipv6_endpoints_are_bracketed_in_both_formats);
	tcase_add_test(tc, largest_values_print_in_full_and_fit_the_line);
	tcase_add_test(tc, line_is_one_line_without_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, kind_and_cause_names_match_the_contract);
	tcase_add_test(tc, out_of_range_kind_and_cause_are_unknown);
	tcase_add_test(tc, errno_is_named_or_given_as_e_and_number);
	tcase_add_test(tc, unknown_errno_in_event_lines);
	tcase_add_test(tc, integers_print_whole_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_add_loop_test(tc, ipv6_is_written_per_rfc5952, 0, NIPV6);
	tcase_add_test(tc, ipv4_is_dotted_quad_and_port);
	tcase_add_test(tc, other_families_are_a_dash);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_loop_test(tc, time_is_rfc3339_utc_with_microseconds, 0,
			    NTIME);
	/* A limit for slow machines, not a timing assertion. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_day_of_1600_to_2400_matches_gmtime);
	tcase_add_test(tc, dates_from_year_1_to_9999_match_gmtime);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_add_test(tc, small_buffers_never_overflow_and_end_in_newline);
	tcase_add_test(tc, one_byte_buffer_holds_just_the_newline);
	tcase_add_test(tc, zero_size_buffer_is_left_untouched);
	tcase_add_test(tc, syslog_line_drops_the_head_unless_whole);
	suite_add_tcase(s, tc);

	return s;
}
