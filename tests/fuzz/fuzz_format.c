/*
 * fuzz_format - libFuzzer target for format_event(), format_notice() and
 * format_counts(),
 * the writers of log lines (make fuzz).
 *
 * The input fills a struct tcp_event field by field (see take_event): any
 * time, pid, descriptor, kind, cause, errno, counters and addresses of any
 * family, including values no real event has.  The call name comes from
 * the names the library uses (the formatter writes it unescaped: it is
 * never anything else).  The rest of the input makes a notice.  Each is
 * written as text and as JSON, whole, and into buffers of other sizes, 0
 * and 1 among them.
 *
 * What must hold:
 *  - nothing is written past the buffer (AddressSanitizer watches a
 *    buffer of exactly that size), and the length returned fits in it;
 *  - with room, the line ends in its one '\n'; cut short, it is the
 *    start of the whole line with a '\n'; size 0 writes nothing;
 *  - the whole line fits in FORMAT_LINE_MAX, so the log never cuts one;
 *  - it is printable ASCII; JSON is one valid flat object with every
 *    contract field once; text is "name=value" tokens after its head;
 *  - addresses read as inet_ntop() writes them, times as gmtime_r()
 *    does, names and numbers as given.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/format.h"
#include "core/names.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_format: %s:%d: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* The input, read front to back; zeros once it runs out. */
struct reader {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct reader *r, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v = v << 8;
		if (r->left > 0) {
			v |= *r->p++;
			r->left--;
		}
	}
	return v;
}

static const char *const calls[] = {
	"connect", "send", "sendto", "sendmsg", "sendmmsg", "sendfile",
	"write", "writev", "recv", "recvfrom", "recvmsg", "recvmmsg", "read",
	"readv", "close", "close_range", "closefrom", "dup2", "dup3",
	"tcp_abort", "getsockopt",
};
#define NCALLS (sizeof(calls) / sizeof(*calls))

static const char *const options[] = {
	"SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT",
	"TCP_USER_TIMEOUT",
};

/* One address: family chosen by a byte (a raw one too), then port and
 * sixteen bytes of address. */
static void take_addr(struct reader *r, struct sockaddr_storage *ss)
{
	unsigned int how = (unsigned int)take(r, 1) % 4;
	uint16_t raw = (uint16_t)take(r, 2);
	uint16_t port = (uint16_t)take(r, 2);
	uint8_t addr[16];

	for (int i = 0; i < 16; i++)
		addr[i] = (uint8_t)take(r, 1);
	memset(ss, 0, sizeof(*ss));
	if (how == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = port;
		memcpy(&in->sin_addr, addr, 4);
	} else if (how == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		memcpy(&in6->sin6_addr, addr, 16);
	} else if (how == 2) {
		ss->ss_family = AF_UNSPEC;
	} else {
		ss->ss_family = raw;
		memcpy((char *)ss + 2, addr, 16);
	}
}

static void take_event(struct reader *r, struct tcp_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->time.tv_sec = (time_t)take(r, 8);
	ev->time.tv_nsec = (long)take(r, 8);
	ev->pid = (int)take(r, 4);
	ev->fd = (int)take(r, 4);
	ev->conn = take(r, 8);
	ev->cookie = take(r, 8);
	ev->has_cookie = (int)take(r, 1) & 1;
	ev->kind = (enum tcp_event_kind)take(r, 4);
	ev->cause = (enum tcp_event_cause)take(r, 4);
	ev->call = calls[take(r, 1) % NCALLS];
	take_addr(r, &ev->local);
	take_addr(r, &ev->peer);
	ev->error = (int)take(r, 4);
	ev->bytes_sent = take(r, 8);
	ev->bytes_received = take(r, 8);
	ev->probes = (int64_t)take(r, 8);
	ev->retransmits = (int64_t)take(r, 8);
	ev->idle_ms = (int64_t)take(r, 8);
	ev->unacked = (int64_t)take(r, 8);
}

/* --- what the line should say, worked out without format.c --- */

/* ADDR:PORT as inet_ntop writes it, "" when the family is neither; 0 when
 * inet_ntop's form is not RFC 5952's (it writes ::a.b.c.d for the
 * deprecated IPv4-compatible addresses; RFC 5952 keeps hex there). */
static int reference_addr(const struct sockaddr_storage *ss, char *buf,
			  size_t size)
{
	char host[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		CHECK(inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		const uint8_t *a = in6->sin6_addr.s6_addr;
		static const uint8_t zero[12];

		if (memcmp(a, zero, 12) == 0 && (a[12] || a[13]))
			return 0;
		CHECK(inet_ntop(AF_INET6, a, host, sizeof(host)));
		snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	}
	return 1;
}

/* RFC 3339 by gmtime_r, or 0 for times it cannot say (or no real clock
 * gives). */
static int reference_time(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;

	/* Years 1 to 9999: four digits, as RFC 3339 wants them. */
	if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000 ||
	    ts->tv_sec < -62135596800LL || ts->tv_sec > 253402300799LL)
		return 0;
	CHECK(gmtime_r(&ts->tv_sec, &tm) != NULL);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000);
	return 1;
}

static void reference_errno(int err, char *buf, size_t size)
{
	const char *name = strerrorname_np(err);

	if (name != NULL)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "E%d", err);
}

/* --- reading the line back --- */

#define MAX_FIELDS 32

struct field {
	const char *key;
	size_t key_len;
	const char *val;	/* JSON strings: without their quotes */
	size_t val_len;
	int quoted;
};

struct fields {
	struct field f[MAX_FIELDS];
	int n;
};

static const struct field *find(const struct fields *fs, const char *key)
{
	const struct field *hit = NULL;

	for (int i = 0; i < fs->n; i++) {
		if (fs->f[i].key_len == strlen(key) &&
		    memcmp(fs->f[i].key, key, fs->f[i].key_len) == 0) {
			CHECK(hit == NULL);	/* every key once */
			hit = &fs->f[i];
		}
	}
	return hit;
}

/* No key twice in one line. */
static void check_unique(const struct fields *fs)
{
	for (int i = 0; i < fs->n; i++)
		for (int k = i + 1; k < fs->n; k++)
			CHECK(fs->f[i].key_len != fs->f[k].key_len ||
			      memcmp(fs->f[i].key, fs->f[k].key,
				     fs->f[i].key_len) != 0);
}

/* The field is key, with exactly this value (quoted says how JSON
 * writes it: 1 a string, 0 a bare number or null). */
static void expect(const struct fields *fs, const char *key,
		   const char *want, int quoted, int json)
{
	const struct field *f = find(fs, key);

	CHECK(f != NULL);
	if (json)
		CHECK(f->quoted == quoted);
	CHECK(f->val_len == strlen(want) &&
	      memcmp(f->val, want, f->val_len) == 0);
}

static const char *json_string(const char *p, const char *end)
{
	CHECK(p < end && *p == '"');
	for (p++; p < end && *p != '"'; p++) {
		CHECK((unsigned char)*p >= 0x20);
		if (*p == '\\') {
			p++;
			CHECK(p < end);
			if (*p == 'u') {
				for (int i = 0; i < 4; i++) {
					p++;
					CHECK(p < end && strchr("0123456789"
								"abcdefABCDEF",
								*p) &&
					      *p != '\0');
				}
			} else {
				CHECK(strchr("\"\\/bfnrt", *p) && *p != '\0');
			}
		}
	}
	CHECK(p < end);
	return p + 1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A JSON number (RFC 8259 grammar) or null. */
static const char *json_scalar(const char *p, const char *end)
{
	if (end - p >= 4 && memcmp(p, "null", 4) == 0)
		return p + 4;
	if (p < end && *p == '-')
		p++;
	CHECK(p < end && is_digit(*p));
	if (*p == '0')
		p++;
	else
		while (p < end && is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		p++;
		CHECK(p < end && is_digit(*p));
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		CHECK(p < end && is_digit(*p));
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

/* One flat JSON object, exactly [line, end): no nesting, no space. */
static void parse_json(const char *line, const char *end, struct fields *fs)
{
	const char *p = line;

	fs->n = 0;
	CHECK(p < end && *p == '{');
	p++;
	for (;;) {
		struct field *f;
		const char *q;

		CHECK(fs->n < MAX_FIELDS);
		f = &fs->f[fs->n++];
		q = json_string(p, end);
		f->key = p + 1;
		f->key_len = (size_t)(q - p - 2);
		p = q;
		CHECK(p < end && *p == ':');
		p++;
		f->quoted = p < end && *p == '"';
		q = f->quoted ? json_string(p, end) : json_scalar(p, end);
		f->val = f->quoted ? p + 1 : p;
		f->val_len = (size_t)(q - p) - (f->quoted ? 2 : 0);
		p = q;
		CHECK(p < end);
		if (*p == '}')
			break;
		CHECK(*p == ',');
		p++;
	}
	CHECK(p + 1 == end);
}

/* Text: "tcpshim[PID] TIME [notice] KIND" then " name=value" tokens. */
static void parse_text(const char *line, const char *end, int notice,
		       struct fields *fs, const char **time, size_t *time_len)
{
	const char *p = line;

	fs->n = 0;
	CHECK(end - p > 8 && memcmp(p, "tcpshim[", 8) == 0);
	p += 8;
	CHECK(p < end && is_digit(*p));
	while (p < end && is_digit(*p))
		p++;
	CHECK(end - p > 2 && p[0] == ']' && p[1] == ' ');
	p += 2;
	*time = p;
	while (p < end && *p != ' ')
		p++;
	*time_len = (size_t)(p - *time);
	if (notice) {
		CHECK(end - p > 8 && memcmp(p, " notice ", 8) == 0);
		p += 7;
	}
	CHECK(p < end && *p == ' ');
	p++;
	/* The kind: the first field, keyed "event" or "notice" here. */
	fs->f[0].key = notice ? "notice" : "event";
	fs->f[0].key_len = strlen(fs->f[0].key);
	fs->f[0].val = p;
	while (p < end && *p != ' ')
		p++;
	fs->f[0].val_len = (size_t)(p - fs->f[0].val);
	fs->f[0].quoted = 0;
	fs->n = 1;
	while (p < end) {
		struct field *f;

		CHECK(*p == ' ' && fs->n < MAX_FIELDS);
		f = &fs->f[fs->n++];
		f->key = ++p;
		while (p < end && *p != '=' && *p != ' ')
			p++;
		CHECK(p < end && *p == '=' && p > f->key);
		f->key_len = (size_t)(p - f->key);
		f->val = ++p;
		while (p < end && *p != ' ')
			p++;
		f->val_len = (size_t)(p - f->val);
		f->quoted = 0;
		CHECK(f->val_len > 0);
	}
}

/* Printable ASCII, one '\n' at the end, nothing else. */
static void check_chars(const char *line, size_t len)
{
	CHECK(len > 0 && line[len - 1] == '\n');
	for (size_t i = 0; i + 1 < len; i++)
		CHECK(line[i] >= 0x20 && line[i] < 0x7f);
}

static void num(char *buf, size_t size, uint64_t v)
{
	snprintf(buf, size, "%" PRIu64, v);
}

static void opt(char *buf, size_t size, int64_t v, int json)
{
	if (v < 0)
		snprintf(buf, size, "%s", json ? "null" : "-");
	else
		snprintf(buf, size, "%" PRId64, v);
}

static void check_addr(const struct fields *fs, const char *key,
		       const struct sockaddr_storage *ss, int json)
{
	char want[128];

	if (!reference_addr(ss, want, sizeof(want))) {
		CHECK(find(fs, key) != NULL);
		return;
	}
	if (want[0] == '\0')
		expect(fs, key, json ? "null" : "-", 0, json);
	else
		expect(fs, key, want, 1, json);
}

static void check_event_line(const char *line, size_t len,
			     const struct tcp_event *ev, int json)
{
	struct fields fs;
	char want[128];
	const char *time;
	size_t time_len;
	int info = json || ev->kind == TCP_EVENT_RST_RECEIVED ||
		   ev->kind == TCP_EVENT_HALFOPEN;

	check_chars(line, len);
	if (json) {
		parse_json(line, line + len - 1, &fs);
		CHECK(find(&fs, "time") != NULL && find(&fs, "time")->quoted);
		time = find(&fs, "time")->val;
		time_len = find(&fs, "time")->val_len;
		num(want, sizeof(want), (uint64_t)ev->pid);
		expect(&fs, "pid", want, 0, json);
	} else {
		parse_text(line, line + len - 1, 0, &fs, &time, &time_len);
	}
	check_unique(&fs);
	if (reference_time(&ev->time, want, sizeof(want)))
		CHECK(time_len == strlen(want) &&
		      memcmp(time, want, time_len) == 0);
	num(want, sizeof(want), (uint64_t)ev->fd);
	expect(&fs, "fd", want, 0, json);
	num(want, sizeof(want), ev->conn);
	expect(&fs, "conn", want, 0, json);
	if (ev->has_cookie)
		num(want, sizeof(want), ev->cookie);
	else
		snprintf(want, sizeof(want), "%s", json ? "null" : "-");
	expect(&fs, "cookie", want, 0, json);
	expect(&fs, "event", names_kind(ev->kind), 1, json);
	expect(&fs, "cause", names_cause(ev->cause), 1, json);
	expect(&fs, "call", ev->call, 1, json);
	if (ev->error) {
		reference_errno(ev->error, want, sizeof(want));
		expect(&fs, "errno", want, 1, json);
	} else {
		expect(&fs, "errno", json ? "null" : "-", 0, json);
	}
	check_addr(&fs, "local", &ev->local, json);
	check_addr(&fs, "peer", &ev->peer, json);
	num(want, sizeof(want), ev->bytes_sent);
	expect(&fs, "bytes_sent", want, 0, json);
	num(want, sizeof(want), ev->bytes_received);
	expect(&fs, "bytes_received", want, 0, json);
	if (info) {
		opt(want, sizeof(want), ev->probes, json);
		expect(&fs, "probes", want, 0, json);
		opt(want, sizeof(want), ev->retransmits, json);
		expect(&fs, "retransmits", want, 0, json);
		opt(want, sizeof(want), ev->idle_ms, json);
		expect(&fs, "idle_ms", want, 0, json);
		opt(want, sizeof(want), ev->unacked, json);
		expect(&fs, "unacked", want, 0, json);
	} else {
		CHECK(find(&fs, "probes") == NULL);
	}
}

static void check_notice_line(const char *line, size_t len,
			      const struct shim_notice *n, int json)
{
	struct fields fs;
	char want[128];
	const char *time;
	size_t time_len;

	check_chars(line, len);
	if (json) {
		parse_json(line, line + len - 1, &fs);
		CHECK(find(&fs, "event") == NULL);
		CHECK(find(&fs, "time") != NULL && find(&fs, "time")->quoted);
		time = find(&fs, "time")->val;
		time_len = find(&fs, "time")->val_len;
	} else {
		parse_text(line, line + len - 1, 1, &fs, &time, &time_len);
	}
	check_unique(&fs);
	if (reference_time(&n->time, want, sizeof(want)))
		CHECK(time_len == strlen(want) &&
		      memcmp(time, want, time_len) == 0);
	expect(&fs, "notice", n->what, 1, json);
	num(want, sizeof(want), (uint64_t)n->fd);
	expect(&fs, "fd", want, 0, json);
	num(want, sizeof(want), n->conn);
	expect(&fs, "conn", want, 0, json);
	expect(&fs, "option", n->option, 1, json);
	snprintf(want, sizeof(want), "%" PRId64, n->value);
	expect(&fs, "value", want, 0, json);
	expect(&fs, "policy", n->policy, 1, json);
}

/*
 * Write the line again into a buffer of exactly size bytes (its own
 * allocation, so that AddressSanitizer sees the first byte past it):
 * the whole line if it fits, else its start and a newline.
 */
typedef size_t (*writer)(char *buf, size_t size, const void *what, int json);

static void check_sizes(writer w, const void *what, int json,
			const char *full, size_t full_len, size_t extra)
{
	/* The edges, and one size the input picks: the cut is the same
	 * clamp wherever it falls. */
	size_t sizes[] = { 0, 1, full_len - 1, full_len,
			   extra % (full_len + 8) };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		size_t size = sizes[i];
		char *buf = malloc(size ? size : 1);
		size_t n;

		CHECK(buf != NULL);
		/* Size 0: a pointer just past a one-byte allocation, so
		 * that any byte written there is caught. */
		n = w(size ? buf : buf + 1, size, what, json);
		CHECK(n <= size);
		if (size == 0) {
			CHECK(n == 0);
		} else if (size >= full_len) {
			CHECK(n == full_len && memcmp(buf, full, n) == 0);
		} else {
			CHECK(n == size && buf[n - 1] == '\n' &&
			      memcmp(buf, full, n - 1) == 0);
		}
		free(buf);
	}
}

static size_t write_event(char *buf, size_t size, const void *ev, int json)
{
	return format_event(buf, size, ev, json);
}

static size_t write_notice(char *buf, size_t size, const void *n, int json)
{
	return format_notice(buf, size, n, json);
}

static size_t write_counts(char *buf, size_t size, const void *n, int json)
{
	return format_counts(buf, size, n, json);
}

/* A held_back or summary line: every cause with a count is named once
 * with its number, in order, and the line closes as its format does. */
static void check_counts_line(const char *line, size_t len,
			      const struct shim_counts *n, int json)
{
	char want[96];
	const char *p;

	check_chars(line, len);
	p = strstr(line, json ? "\"causes\":{" : " causes=");
	CHECK(p != NULL);
	for (unsigned int i = 0; i < TALLY_CAUSES; i++) {
		if (n->counts.cause[i] == 0)
			continue;
		snprintf(want, sizeof(want), json ? "\"%s\":%" PRIu64 : "%s:%" PRIu64,
			 names_cause(i), n->counts.cause[i]);
		p = strstr(p, want);
		CHECK(p != NULL);
		p += strlen(want);
	}
	CHECK(line[len - 1] == '\n');
	if (json)
		CHECK(len >= 3 && line[len - 2] == '}' && line[len - 3] == '}');
}

/* The whole line in a roomy buffer, guarded on both sides. */
#define ROOM (4 * FORMAT_LINE_MAX)
#define GUARD 64

/* Are the len bytes at p all still the fill byte?  (One memcmp, not a
 * loop: libFuzzer would trace every comparison of a loop.) */
static int untouched(const char *p, size_t len)
{
	static char fill[GUARD + ROOM + GUARD];

	if (fill[0] == 0)
		memset(fill, 0xa5, sizeof(fill));
	return memcmp(p, fill, len) == 0;
}

static size_t write_whole(writer w, const void *what, int json, char *line)
{
	static char buf[GUARD + ROOM + GUARD];
	size_t n;

	memset(buf, 0xa5, sizeof(buf));
	n = w(buf + GUARD, ROOM, what, json);
	CHECK(n <= ROOM);
	CHECK(untouched(buf, GUARD));
	CHECK(untouched(buf + GUARD + n, ROOM - n + GUARD));
	/* The log's buffer is FORMAT_LINE_MAX: no line may need more. */
	CHECK(n > 0 && n < FORMAT_LINE_MAX);
	memcpy(line, buf + GUARD, n);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct tcp_event ev;
	struct shim_notice nt;
	struct shim_counts ct;
	char line[ROOM], policy[96];
	size_t extra, n;

	take_event(&r, &ev);
	extra = (size_t)take(&r, 2);
	for (int json = 0; json <= 1; json++) {
		n = write_whole(write_event, &ev, json, line);
		check_event_line(line, n, &ev, json);
		check_sizes(write_event, &ev, json, line, n, extra);
	}

	/* A notice, as sockopt.c builds it: its strings are the library's
	 * own, its numbers anything. */
	memset(&nt, 0, sizeof(nt));
	nt.time = ev.time;
	nt.pid = ev.pid;
	nt.fd = ev.fd;
	nt.conn = ev.conn;
	nt.what = "policy_overridden";
	nt.option = options[take(&r, 1) % (sizeof(options) /
					   sizeof(*options))];
	nt.value = (int64_t)take(&r, 8);
	snprintf(policy, sizeof(policy), "TCPSHIM_KEEPALIVE=%u,%u,%u",
		 (unsigned int)take(&r, 4), (unsigned int)take(&r, 4),
		 (unsigned int)take(&r, 4));
	nt.policy = policy;
	for (int json = 0; json <= 1; json++) {
		n = write_whole(write_notice, &nt, json, line);
		check_notice_line(line, n, &nt, json);
		check_sizes(write_notice, &nt, json, line, n, extra);
	}

	/* The notices of counts: any number for any cause. */
	memset(&ct, 0, sizeof(ct));
	ct.time = ev.time;
	ct.since = ev.time;
	ct.pid = ev.pid;
	ct.what = take(&r, 1) & 1 ? "summary" : "held_back";
	ct.connections = take(&r, 8);
	ct.held_back = take(&r, 8);
	for (unsigned int i = 0; i < TALLY_CAUSES; i++) {
		/* Mostly none, as in a real summary. */
		ct.counts.cause[i] = take(&r, 1) & 1 ? take(&r, 8) : 0;
		ct.counts.total += ct.counts.cause[i];
	}
	for (int json = 0; json <= 1; json++) {
		n = write_whole(write_counts, &ct, json, line);
		check_counts_line(line, n, &ct, json);
		check_sizes(write_counts, &ct, json, line, n, extra);
	}
	return 0;
}
