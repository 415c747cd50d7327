/*
 * config.c - parse the TCPSHIM_ variables.  Runs once, from the library
 * constructor, before any event can be logged; it may use stdio.
 */
#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/outbuf.h"
#include "core/tally.h"
#include "tcpshim.h"

struct shim_config shim_config;

void config_defaults(struct shim_config *cfg)
{
	/* The path past its NUL and the rules past inject.n are never
	 * read: every process start need not clear their kilobytes. */
	memset(cfg, 0, offsetof(struct shim_config, log_path));
	cfg->log_path[0] = '\0';
	cfg->inject.n = 0;
	cfg->rate = TALLY_UNLIMITED;
	cfg->events = (1u << TCP_EVENT_RST_SENT) |
		      (1u << TCP_EVENT_RST_RECEIVED) |
		      (1u << TCP_EVENT_HALFOPEN);
}

/* value as it may be shown on one line: control characters as \xNN,
 * at most 200 bytes of it, "..." where it was cut. */
static void printable(char *dst, size_t size, const char *value)
{
	size_t n = 0;
	const char *p;

	for (p = value; *p && n + 8 < size && p - value < 200; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(dst + n, size - n, "\\x%02x", c);
		else
			dst[n++] = (char)c;
	}
	if (*p)
		n += (size_t)snprintf(dst + n, size - n, "...");
	dst[n] = '\0';
}

static void bad_value(config_warn_fn warn, const char *name,
		      const char *value, const char *expected,
		      const char *kept)
{
	char shown[1024], line[1536];

	printable(shown, sizeof(shown), value);
	snprintf(line, sizeof(line),
		 "tcpshim: %s=\"%s\" is not valid: expected %s; %s\n",
		 name, shown, expected, kept);
	warn(line);
}

/* A decimal integer in [min, max], nothing else; returns 0 on success. */
static int parse_long(const char *s, size_t len, long min, long max,
		      long *out)
{
	char buf[24];
	char *end;
	long v;

	/* Digits only: strtol would also take a sign and any white space. */
	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_log(struct shim_config *cfg, const char *v)
{
	if (strcmp(v, "stderr") == 0) {
		cfg->log = LOG_STDERR;
	} else if (strcmp(v, "off") == 0) {
		cfg->log = LOG_OFF;
	} else if (strcmp(v, "syslog") == 0) {
		cfg->log = LOG_SYSLOG;
	} else if (strcmp(v, "journal") == 0) {
		cfg->log = LOG_JOURNAL;
	} else {
		if (v[0] == '\0' || strlen(v) >= sizeof(cfg->log_path))
			return -1;
		cfg->log = LOG_FILE;
		strcpy(cfg->log_path, v);
	}
	return 0;
}

static int parse_format(struct shim_config *cfg, const char *v)
{
	if (strcmp(v, "text") == 0)
		cfg->json = 0;
	else if (strcmp(v, "json") == 0)
		cfg->json = 1;
	else
		return -1;
	return 0;
}

static int parse_keepalive(struct shim_config *cfg, const char *v)
{
	static const long max[3] = { KEEPALIVE_TIME_MAX, KEEPALIVE_TIME_MAX,
				     KEEPALIVE_COUNT_MAX };
	long val[3];
	const char *p = v;

	for (int i = 0; i < 3; i++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if ((i < 2) != (end != NULL) ||
		    parse_long(p, len, 1, max[i], &val[i]) != 0)
			return -1;
		p = end ? end + 1 : p + len;
	}
	cfg->keepalive = 1;
	cfg->keep_idle = (int)val[0];
	cfg->keep_intvl = (int)val[1];
	cfg->keep_cnt = (int)val[2];
	return 0;
}

static int parse_user_timeout(struct shim_config *cfg, const char *v)
{
	long ms;

	if (parse_long(v, strlen(v), 1, INT_MAX, &ms) != 0)
		return -1;
	cfg->user_timeout = 1;
	cfg->user_timeout_ms = (unsigned int)ms;
	return 0;
}

static int parse_close(struct shim_config *cfg, const char *v)
{
	if (strcmp(v, "normal") == 0)
		cfg->close_abort = 0;
	else if (strcmp(v, "abort") == 0)
		cfg->close_abort = 1;
	else
		return -1;
	return 0;
}

/* A comma list of event names, and "summary"; a list of "summary" alone
 * keeps the default events. */
static int parse_events(struct shim_config *cfg, const char *v)
{
	unsigned int mask = 0;
	const char *p = v;

	cfg->summary = 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		unsigned int i;

		for (i = 0; i <= TCP_EVENT_CLOSE; i++)
			if (strlen(names_kind(i)) == len &&
			    strncmp(p, names_kind(i), len) == 0)
				break;
		if (i <= TCP_EVENT_CLOSE)
			mask |= 1u << i;
		else if (len == 3 && strncmp(p, "all", 3) == 0)
			mask |= (1u << TCP_EVENT_CLOSE) * 2 - 1;
		else if (len == 7 && strncmp(p, "summary", 7) == 0)
			cfg->summary = 1;
		else
			return -1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (mask != 0)
		cfg->events = mask;
	return 0;
}

static int parse_rate(struct shim_config *cfg, const char *v)
{
	long n;

	if (strcmp(v, "unlimited") == 0) {
		cfg->rate = TALLY_UNLIMITED;
	} else if (parse_long(v, strlen(v), 0, TALLY_RATE_MAX, &n) == 0) {
		cfg->rate = (unsigned int)n;
	} else {
		return -1;
	}
	cfg->rate_set = 1;
	return 0;
}

static int parse_debug(struct shim_config *cfg, const char *v)
{
	if (strcmp(v, "1") == 0)
		cfg->debug = 1;
	else if (strcmp(v, "0") == 0)
		cfg->debug = 0;
	else
		return -1;
	return 0;
}

static const struct setting {
	const char *name;
	int (*parse)(struct shim_config *cfg, const char *value);
	const char *expected;
	const char *kept;
} settings[] = {
	{ ENV_LOG, parse_log, "stderr, off, syslog, journal, or a file path",
	  "logging to stderr" },
	{ ENV_FORMAT, parse_format, "text or json", "using text" },
	{ ENV_KEEPALIVE, parse_keepalive,
	  "IDLE,INTERVAL,COUNT in seconds (e.g. 60,10,5; idle and interval "
	  "1-" CONFIG_STR(KEEPALIVE_TIME_MAX) ", count "
	  "1-" CONFIG_STR(KEEPALIVE_COUNT_MAX) ")",
	  "keepalive left untouched" },
	{ ENV_USER_TIMEOUT, parse_user_timeout,
	  "milliseconds, 1-2147483647", "user timeout left untouched" },
	{ ENV_CLOSE, parse_close, "normal or abort", "closing normally" },
	{ ENV_EVENTS, parse_events,
	  "all, or a comma list of rst_sent, rst_received, halfopen, close, "
	  "and summary",
	  "logging rst_sent,rst_received,halfopen" },
	{ ENV_RATE, parse_rate,
	  "events per second, 0-" CONFIG_STR(TALLY_RATE_MAX_DEC) ", or unlimited",
	  "using the default for the log" },
	{ ENV_DEBUG, parse_debug, "1 or 0", "no debug lines" },
};

/*
 * With both keepalive and a user timeout, the kernel ignores TCP_KEEPCNT
 * (tcp(7)): a silent peer is dropped at the first probe sent once the
 * user timeout has passed, at least one probe in.  Say so when that is
 * not about when keepalive alone would have dropped it.
 */
static void check_combination(const struct shim_config *cfg,
			      config_warn_fn warn)
{
	long idle = cfg->keep_idle, intvl = cfg->keep_intvl;
	long alone_ms, probes, both_ms;
	char line[512];

	if (!cfg->keepalive || !cfg->user_timeout)
		return;
	alone_ms = (idle + intvl * cfg->keep_cnt) * 1000;
	/* Probes at idle + k * intvl, k >= 1: the first one past the user
	 * timeout ends the connection. */
	probes = ((long)cfg->user_timeout_ms - idle * 1000 + intvl * 1000 - 1) /
		 (intvl * 1000);
	if (probes < 1)
		probes = 1;
	both_ms = (idle + intvl * probes) * 1000;
	if (labs(both_ms - alone_ms) < intvl * 1000)
		return;
	snprintf(line, sizeof(line),
		 "tcpshim: %s=%u overrides the probe count of %s=%d,%d,%d: "
		 "a silent peer is dropped after about %ld s, not %ld s "
		 "(tcp(7))\n",
		 ENV_USER_TIMEOUT, cfg->user_timeout_ms, ENV_KEEPALIVE,
		 cfg->keep_idle, cfg->keep_intvl, cfg->keep_cnt,
		 both_ms / 1000, alone_ms / 1000);
	warn(line);
}

/* TCPSHIM_INJECT: a bad rule is named alone, and stops every rule. */
static void parse_inject(struct shim_config *cfg, const char *v,
			 config_warn_fn warn, uint64_t seed)
{
	char bad[INJECT_TEXT_MAX], why[128], shown[1024], told[512];
	char line[2048];

	if (inject_parse(&cfg->inject, v, seed, bad, sizeof(bad), why,
			 sizeof(why)) == 0)
		return;
	printable(shown, sizeof(shown), bad);
	printable(told, sizeof(told), why);
	snprintf(line, sizeof(line),
		 "tcpshim: %s=\"%s\" is not valid (%s): expected %s; "
		 "nothing injected\n",
		 ENV_INJECT, shown, told, inject_form);
	warn(line);
}

int config_set(struct shim_config *cfg, const char *name, const char *value,
	       const char **expected)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(*settings); i++) {
		struct shim_config attempt;

		if (strcmp(settings[i].name, name) != 0)
			continue;
		*expected = settings[i].expected;
		attempt = *cfg;
		if (settings[i].parse(&attempt, value) != 0)
			return -1;
		*cfg = attempt;
		return 0;
	}
	*expected = "no such setting";
	return -1;
}

void config_default_rate(struct shim_config *cfg)
{
	if (!cfg->rate_set)
		cfg->rate = cfg->log == LOG_SYSLOG || cfg->log == LOG_JOURNAL
				    ? RATE_DAEMON_DEFAULT
				    : TALLY_UNLIMITED;
}

int config_log_path(char *dst, size_t size, const char *src, int pid)
{
	struct outbuf o = { dst, 0, size - 1 };

	for (const char *p = src; *p; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			outbuf_u64(&o, (uint64_t)pid);
			p++;
		} else {
			outbuf_char(&o, *p);
		}
		if (o.len == o.cap)
			return -1;
	}
	dst[o.len] = '\0';
	return 0;
}

void config_parse(struct shim_config *cfg, config_getenv_fn get,
		  config_warn_fn warn, uint64_t seed)
{
	const char *inject;

	config_defaults(cfg);
	for (size_t i = 0; i < sizeof(settings) / sizeof(*settings); i++) {
		const struct setting *s = &settings[i];
		const char *v = get(s->name);
		struct shim_config attempt;

		/* Copied only for a variable that is set: the settings are
		 * kilobytes, and every process start parses them. */
		if (v == NULL)
			continue;
		attempt = *cfg;
		if (s->parse(&attempt, v) == 0)
			*cfg = attempt;
		else
			bad_value(warn, s->name, v, s->expected, s->kept);
	}
	config_default_rate(cfg);
	check_combination(cfg, warn);
	inject = get(ENV_INJECT);
	if (inject != NULL)
		parse_inject(cfg, inject, warn, seed);
}
