/*
 * fuzz_config - libFuzzer target for config_parse(), the parser of the
 * TCPSHIM_ variables (make fuzz).
 *
 * Input: two bytes, a little-endian word whose bit i says whether
 * variable i of names[] is set, then the values of the variables, in that order, separated by NUL
 * bytes (a value missing at the end of the input is empty).
 *
 * What must hold, whatever the bytes:
 *  - each variable is read once, and no other;
 *  - every warning is one line: "tcpshim: " first, '\n' last and nowhere
 *    else, no other control character;
 *  - at most one warning per variable, and only for a variable that is
 *    set; at most one about keepalive and user timeout together, and only
 *    when both are in force;
 *  - every setting is within its range, and a warned-about variable
 *    leaves its setting at the default;
 *  - a value that is accepted means what it says (checked against a
 *    reading of the contract written here, not the parser's code);
 *  - a variable parses the same alone as among the others.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/format.h"
#include "core/names.h"
#include "core/tally.h"
#include "tcpshim.h"

#define NVARS 9

static const char *const names[NVARS] = {
	ENV_LOG, ENV_FORMAT, ENV_KEEPALIVE, ENV_USER_TIMEOUT, ENV_CLOSE,
	ENV_EVENTS, ENV_DEBUG, ENV_INJECT, ENV_RATE,
};
enum {
	V_LOG, V_FORMAT, V_KEEPALIVE, V_USER_TIMEOUT, V_CLOSE, V_EVENTS,
	V_DEBUG, V_INJECT, V_RATE,
};

#define ALL_EVENTS ((1u << (TCP_EVENT_CLOSE + 1)) - 1)

/* The environment config_parse() sees now. */
static const char *env[NVARS];
static int lookups[NVARS];

#define MAX_WARNINGS 16
static char *warnings[MAX_WARNINGS];
static int nwarnings;

/* A broken invariant: say which, and crash so that libFuzzer keeps the
 * input. */
#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_config: %s:%d: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

static const char *fake_getenv(const char *name)
{
	for (int i = 0; i < NVARS; i++) {
		if (strcmp(name, names[i]) == 0) {
			lookups[i]++;
			return env[i];
		}
	}
	CHECK(!"config_parse read a variable that is not its own");
	return NULL;
}

static void keep_warning(const char *line)
{
	CHECK(line != NULL);
	CHECK(nwarnings < MAX_WARNINGS);
	warnings[nwarnings] = strdup(line);
	CHECK(warnings[nwarnings] != NULL);
	nwarnings++;
}

static void forget_warnings(void)
{
	for (int i = 0; i < nwarnings; i++)
		free(warnings[i]);
	nwarnings = 0;
}

static void parse(struct shim_config *cfg)
{
	memset(lookups, 0, sizeof(lookups));
	forget_warnings();
	config_parse(cfg, fake_getenv, keep_warning, 7);
	for (int i = 0; i < NVARS; i++)
		CHECK(lookups[i] == 1);
}

static void check_line(const char *line)
{
	size_t len = strlen(line);

	CHECK(strncmp(line, "tcpshim: ", 9) == 0);
	CHECK(len > 9 && line[len - 1] == '\n');
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned char c = (unsigned char)line[i];

		CHECK(c >= 0x20 && c != 0x7f);
	}
}

/* Is this a warning about variable i's value? */
static int about(const char *line, int i)
{
	char head[64];

	snprintf(head, sizeof(head), "tcpshim: %s=\"", names[i]);
	return strncmp(line, head, strlen(head)) == 0;
}

/* The warning about keepalive and user timeout together. */
static int about_combination(const char *line)
{
	char head[64];

	snprintf(head, sizeof(head), "tcpshim: %s=", ENV_USER_TIMEOUT);
	return strncmp(line, head, strlen(head)) == 0 &&
	       line[strlen(head)] >= '0' && line[strlen(head)] <= '9' &&
	       strstr(line, " overrides the probe count of ") != NULL;
}

static int all_digits(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The decimal value of len digits, saturated at LONG_MAX. */
static long digits_value(const char *s, size_t len)
{
	long v = 0;

	for (size_t i = 0; i < len; i++) {
		if (v > (LONG_MAX - 9) / 10)
			return LONG_MAX;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Settings are within their ranges, whatever was given. */
static void check_ranges(const struct shim_config *c)
{
	CHECK(c->log == LOG_STDERR || c->log == LOG_OFF ||
	      c->log == LOG_SYSLOG || c->log == LOG_FILE ||
	      c->log == LOG_JOURNAL);
	CHECK(memchr(c->log_path, '\0', sizeof(c->log_path)) != NULL);
	CHECK((c->log == LOG_FILE) == (c->log_path[0] != '\0'));
	CHECK(c->json == 0 || c->json == 1);
	CHECK(c->keepalive == 0 || c->keepalive == 1);
	if (c->keepalive) {
		CHECK(c->keep_idle >= 1 && c->keep_idle <= KEEPALIVE_TIME_MAX);
		CHECK(c->keep_intvl >= 1 &&
		      c->keep_intvl <= KEEPALIVE_TIME_MAX);
		CHECK(c->keep_cnt >= 1 && c->keep_cnt <= KEEPALIVE_COUNT_MAX);
	} else {
		CHECK(c->keep_idle == 0 && c->keep_intvl == 0 &&
		      c->keep_cnt == 0);
	}
	CHECK(c->user_timeout == 0 || c->user_timeout == 1);
	if (c->user_timeout)
		CHECK(c->user_timeout_ms >= 1 &&
		      c->user_timeout_ms <= (unsigned int)INT_MAX);
	else
		CHECK(c->user_timeout_ms == 0);
	CHECK(c->close_abort == 0 || c->close_abort == 1);
	CHECK(c->events != 0 && (c->events & ~ALL_EVENTS) == 0);
	CHECK(c->debug == 0 || c->debug == 1);
	CHECK(c->summary == 0 || c->summary == 1);
	CHECK(c->rate_set == 0 || c->rate_set == 1);
	if (c->rate_set)
		CHECK(c->rate <= TALLY_RATE_MAX || c->rate == TALLY_UNLIMITED);
	else
		CHECK(c->rate == (c->log == LOG_SYSLOG || c->log == LOG_JOURNAL
					  ? RATE_DAEMON_DEFAULT
					  : TALLY_UNLIMITED));
	CHECK(c->inject.n >= 0 && c->inject.n <= INJECT_RULES_MAX);
	for (int r = 0; r < c->inject.n; r++) {
		const struct inject_rule *rule = &c->inject.rule[r];

		CHECK(memchr(rule->text, '\0', sizeof(rule->text)) != NULL);
		CHECK(strncmp(rule->text, "reset", 5) == 0);
		CHECK(rule->prob <= INJECT_PROB_ONE);
		CHECK(!(rule->has & INJECT_PORT) || rule->port != 0);
	}
}

/* Two parsed TCPSHIM_INJECT values hold the same rules. */
static int same_rules(const struct inject_rules *a,
		      const struct inject_rules *b)
{
	if (a->n != b->n)
		return 0;
	for (int r = 0; r < a->n; r++) {
		const struct inject_rule *x = &a->rule[r], *y = &b->rule[r];

		if (x->has != y->has || x->after[0] != y->after[0] ||
		    x->after[1] != y->after[1] || x->after_ms != y->after_ms ||
		    x->port != y->port || x->prob != y->prob ||
		    x->seed != y->seed || x->count != y->count ||
		    x->peer_port != y->peer_port ||
		    x->peer_prefix != y->peer_prefix ||
		    memcmp(&x->peer, &y->peer, sizeof(x->peer)) != 0 ||
		    strcmp(x->text, y->text) != 0)
			return 0;
	}
	return 1;
}

/* An accepted TCPSHIM_INJECT: one rule per non-blank part between ';',
 * each kept as written (a seed may be added at its end). */
static void check_inject(const char *v, const struct inject_rules *rules)
{
	int n = 0;

	for (const char *p = v;;) {
		size_t len = strcspn(p, ";");
		const char *s = p, *e = p + len;

		while (s < e && (*s == ' ' || *s == '\t' || *s == '\n'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
				 e[-1] == '\n'))
			e--;
		if (s < e) {
			CHECK(n < rules->n);
			CHECK(strncmp(rules->rule[n].text, s,
				      (size_t)(e - s)) == 0);
			n++;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	CHECK(n == rules->n);
}

/* Setting i of a equals setting i of b. */
static int same_setting(int i, const struct shim_config *a,
			const struct shim_config *b)
{
	switch (i) {
	case V_LOG:
		return a->log == b->log &&
		       strcmp(a->log_path, b->log_path) == 0;
	case V_FORMAT:
		return a->json == b->json;
	case V_KEEPALIVE:
		return a->keepalive == b->keepalive &&
		       a->keep_idle == b->keep_idle &&
		       a->keep_intvl == b->keep_intvl &&
		       a->keep_cnt == b->keep_cnt;
	case V_USER_TIMEOUT:
		return a->user_timeout == b->user_timeout &&
		       a->user_timeout_ms == b->user_timeout_ms;
	case V_CLOSE:
		return a->close_abort == b->close_abort;
	case V_EVENTS:
		return a->events == b->events && a->summary == b->summary;
	case V_INJECT:
		return same_rules(&a->inject, &b->inject);
	case V_RATE:
		/* Unset, the default follows the log (check_ranges). */
		return a->rate_set == b->rate_set &&
		       (!a->rate_set || a->rate == b->rate);
	default:
		return a->debug == b->debug;
	}
}

/* An accepted TCPSHIM_KEEPALIVE: three digit fields, as cfg holds them. */
static void check_keepalive(const char *v, const struct shim_config *c)
{
	const char *a = strchr(v, ',');
	const char *b = a ? strchr(a + 1, ',') : NULL;

	CHECK(a != NULL && b != NULL && strchr(b + 1, ',') == NULL);
	CHECK(all_digits(v, (size_t)(a - v)));
	CHECK(all_digits(a + 1, (size_t)(b - a - 1)));
	CHECK(all_digits(b + 1, strlen(b + 1)));
	CHECK(digits_value(v, (size_t)(a - v)) == c->keep_idle);
	CHECK(digits_value(a + 1, (size_t)(b - a - 1)) == c->keep_intvl);
	CHECK(digits_value(b + 1, strlen(b + 1)) == c->keep_cnt);
}

/* An accepted TCPSHIM_EVENTS: names, "all" and "summary" joined by
 * commas; with no name but summary, the default events. */
static void check_events(const char *v, const struct shim_config *c)
{
	unsigned int want = 0;
	int summary = 0;

	for (const char *p = v;;) {
		size_t len = strcspn(p, ",");
		int found = 0;

		for (unsigned int k = 0; k <= TCP_EVENT_CLOSE; k++) {
			const char *name = names_kind(k);

			if (strlen(name) == len && strncmp(p, name, len) == 0) {
				want |= 1u << k;
				found = 1;
			}
		}
		if (len == 3 && strncmp(p, "all", 3) == 0) {
			want = ALL_EVENTS;
			found = 1;
		}
		if (len == 7 && strncmp(p, "summary", 7) == 0)
			found = summary = 1;
		CHECK(found);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (want == 0) {
		struct shim_config d;

		config_defaults(&d);
		want = d.events;
	}
	CHECK(c->events == want);
	CHECK(c->summary == summary);
}

/* Variable i, set to v and not warned about, means what it says. */
static void check_accepted(int i, const char *v, const struct shim_config *c)
{
	switch (i) {
	case V_LOG:
		if (strcmp(v, "stderr") == 0)
			CHECK(c->log == LOG_STDERR);
		else if (strcmp(v, "off") == 0)
			CHECK(c->log == LOG_OFF);
		else if (strcmp(v, "syslog") == 0)
			CHECK(c->log == LOG_SYSLOG);
		else if (strcmp(v, "journal") == 0)
			CHECK(c->log == LOG_JOURNAL);
		else
			CHECK(c->log == LOG_FILE &&
			      strcmp(c->log_path, v) == 0);
		break;
	case V_FORMAT:
		CHECK(strcmp(v, c->json ? "json" : "text") == 0);
		break;
	case V_KEEPALIVE:
		CHECK(c->keepalive);
		check_keepalive(v, c);
		break;
	case V_USER_TIMEOUT:
		CHECK(c->user_timeout && all_digits(v, strlen(v)));
		CHECK(digits_value(v, strlen(v)) == (long)c->user_timeout_ms);
		break;
	case V_CLOSE:
		CHECK(strcmp(v, c->close_abort ? "abort" : "normal") == 0);
		break;
	case V_EVENTS:
		check_events(v, c);
		break;
	case V_RATE:
		CHECK(c->rate_set);
		if (strcmp(v, "unlimited") == 0)
			CHECK(c->rate == TALLY_UNLIMITED);
		else
			CHECK(all_digits(v, strlen(v)) &&
			      digits_value(v, strlen(v)) == (long)c->rate);
		break;
	case V_INJECT:
		check_inject(v, &c->inject);
		break;
	default:
		CHECK(strcmp(v, c->debug ? "1" : "0") == 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shim_config cfg, alone, defaults;
	size_t head = size < 2 ? size : 2;
	unsigned int set = (size > 0 ? data[0] : 0) |
			   (size > 1 ? (unsigned int)data[1] << 8 : 0);
	size_t len = size - head;
	char *copy = malloc(len + 1);
	const char *p, *end;
	int warned[NVARS] = { 0 }, combined = 0;

	CHECK(copy != NULL);
	memcpy(copy, data + head, len);
	copy[len] = '\0';
	p = copy;
	end = copy + len;
	for (int i = 0; i < NVARS; i++) {
		env[i] = (set >> i) & 1 ? p : NULL;
		/* The next value starts after this one's NUL, if the input
		 * goes on; otherwise it is the empty string at the end. */
		p += strlen(p);
		if (p < end)
			p++;
	}

	config_defaults(&defaults);
	parse(&cfg);
	check_ranges(&cfg);
	for (int w = 0; w < nwarnings; w++) {
		int whose = -1;

		check_line(warnings[w]);
		for (int i = 0; i < NVARS; i++)
			if (about(warnings[w], i))
				whose = i;
		if (whose >= 0) {
			CHECK(env[whose] != NULL);
			warned[whose]++;
		} else {
			CHECK(about_combination(warnings[w]));
			combined++;
		}
	}
	CHECK(combined <= 1);
	CHECK(!combined || (cfg.keepalive && cfg.user_timeout));
	for (int i = 0; i < NVARS; i++) {
		CHECK(warned[i] <= 1);
		if (env[i] == NULL || warned[i])
			CHECK(same_setting(i, &cfg, &defaults));
		else
			check_accepted(i, env[i], &cfg);
	}

	/* Each variable alone: the same setting, the same verdict. */
	for (int i = 0; i < NVARS; i++) {
		const char *saved[NVARS];

		if (env[i] == NULL)
			continue;
		memcpy(saved, env, sizeof(saved));
		for (int k = 0; k < NVARS; k++)
			env[k] = k == i ? saved[k] : NULL;
		parse(&alone);
		memcpy(env, saved, sizeof(saved));
		check_ranges(&alone);
		CHECK(same_setting(i, &alone, &cfg));
		CHECK(nwarnings == warned[i]);
		for (int k = 0; k < NVARS; k++)
			if (k != i)
				CHECK(same_setting(k, &alone, &defaults));
	}
	forget_warnings();
	free(copy);
	return 0;
}
