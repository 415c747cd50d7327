/*
 * inject_rules.c - parsing TCPSHIM_INJECT, and the tests of one rule
 * that need nothing but the rule and the connection's record.
 */
#include "core/inject_rules.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/addr_spec.h"

const char inject_form[] =
	"reset[:COND,...] with COND one of after_sent=BYTES, "
	"after_received=BYTES, after_ms=MS, peer=ADDR[/PREFIX][:PORT], "
	"port=PORT, prob=P (0 to 1), seed=N, count=N; rules separated by ';'";

/* A decimal number in [0, max], digits only; 0 on success. */
static int number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* 0 to 1 with up to nine decimals ("1", "0.5", ".25"), in parts per
 * billion; 0 on success. */
static int probability(const char *s, size_t len, uint32_t *out)
{
	const char *dot = memchr(s, '.', len);
	size_t whole = dot ? (size_t)(dot - s) : len;
	size_t frac = dot ? len - whole - 1 : 0;
	uint64_t w = 0, f = 0;

	if (len == 0 || (whole == 0 && frac == 0) || frac > 9 ||
	    (whole != 0 && number(s, whole, 1, &w) != 0) ||
	    (frac != 0 && number(dot + 1, frac, 999999999, &f) != 0) ||
	    (dot != NULL && frac == 0))
		return -1;
	for (size_t i = frac; i < 9; i++)
		f *= 10;
	if (w == 1 && f != 0)
		return -1;
	*out = (uint32_t)(w * INJECT_PROB_ONE + f);
	return 0;
}

/* ADDR[/PREFIX][:PORT] (core/addr_spec.h), '*' for any address; 0 on
 * success. */
static int peer(struct inject_rule *r, const char *s, size_t len)
{
	const unsigned int allow = ADDR_SPEC_ANY | ADDR_SPEC_PREFIX;
	struct addr_spec spec;

	if (addr_spec_parse(&spec, s, len, allow) != 0)
		return -1;
	r->peer = spec.addr;
	r->peer_prefix = spec.prefix;
	r->peer_port = spec.port;
	return 0;
}

static const struct cond {
	const char *key;
	unsigned int has;
	const char *why;
} conds[] = {
	{ "after_sent", INJECT_AFTER_SENT, "after_sent needs a byte count" },
	{ "after_received", INJECT_AFTER_RECEIVED,
	  "after_received needs a byte count" },
	{ "after_ms", INJECT_AFTER_MS,
	  "after_ms needs milliseconds, 0-2147483647" },
	{ "peer", INJECT_PEER,
	  "peer needs ADDR[/PREFIX][:PORT] (IPv6 in brackets before a port)" },
	{ "port", INJECT_PORT, "port needs a port number, 1-65535" },
	{ "prob", INJECT_PROB,
	  "prob needs a probability from 0 to 1, at most nine decimals" },
	{ "seed", INJECT_SEED, "seed needs a number, 0-9223372036854775807" },
	{ "count", INJECT_COUNT, "count needs a number of resets" },
};

/* One "key=value" of a rule; NULL on success, else why not. */
static const char *condition(struct inject_rule *r, const char *s,
			     size_t len)
{
	const char *eq = memchr(s, '=', len);
	const struct cond *c = NULL;
	size_t klen = eq ? (size_t)(eq - s) : len;
	const char *v = eq ? eq + 1 : s + len;
	size_t vlen = (size_t)(s + len - v);
	uint64_t n = 0;
	int ok;

	for (size_t i = 0; i < sizeof(conds) / sizeof(*conds); i++)
		if (strlen(conds[i].key) == klen &&
		    memcmp(conds[i].key, s, klen) == 0)
			c = &conds[i];
	if (c == NULL)
		return len == 0 ? "an empty condition" : "unknown condition";
	if (r->has & c->has)
		return "given twice";
	if (eq == NULL)
		return c->why;
	switch (c->has) {
	case INJECT_PEER:
		ok = peer(r, v, vlen) == 0;
		break;
	case INJECT_PROB:
		ok = probability(v, vlen, &r->prob) == 0;
		break;
	default:
		ok = number(v, vlen,
			    c->has == INJECT_AFTER_MS ? 2147483647u
			    : c->has == INJECT_PORT   ? 65535u
						      : (uint64_t)INT64_MAX,
			    &n) == 0 &&
		     !(c->has == INJECT_PORT && n == 0);
		break;
	}
	if (!ok)
		return c->why;
	r->has |= c->has;
	if (c->has == INJECT_AFTER_SENT)
		r->after[INJECT_SENT] = n;
	else if (c->has == INJECT_AFTER_RECEIVED)
		r->after[INJECT_RECEIVED] = n;
	else if (c->has == INJECT_AFTER_MS)
		r->after_ms = n;
	else if (c->has == INJECT_PORT)
		r->port = (uint16_t)n;
	else if (c->has == INJECT_SEED)
		r->seed = n;
	else if (c->has == INJECT_COUNT)
		r->count = n;
	return NULL;
}

/* One rule, s[0..len) with no blank at either end; NULL on success,
 * else why not, and the condition at fault in *at (*at_len bytes). */
static const char *rule(struct inject_rule *r, const char *s, size_t len,
			uint64_t seed, const char **at, size_t *at_len)
{
	const char *end = s + len, *p;

	memset(r, 0, sizeof(*r));
	/* "reset:COND,..." as the README writes it; "reset,COND,..." as
	 * a plain list reads. */
	if (len < 5 || memcmp(s, "reset", 5) != 0 ||
	    (len > 5 && s[5] != ':' && s[5] != ','))
		return "a rule starts with reset";
	if (len + sizeof(",seed=18446744073709551615") > INJECT_TEXT_MAX)
		return "a rule this long";
	for (p = s + 5; p < end;) {
		const char *q = ++p, *why;

		while (p < end && *p != ',')
			p++;
		why = condition(r, q, (size_t)(p - q));
		if (why != NULL) {
			*at = q;
			*at_len = (size_t)(p - q);
			return why;
		}
	}
	memcpy(r->text, s, len);
	r->text[len] = '\0';
	if ((r->has & (INJECT_PROB | INJECT_SEED)) == INJECT_PROB) {
		r->seed = seed & INT64_MAX;
		snprintf(r->text + len, sizeof(r->text) - len, ",seed=%llu",
			 (unsigned long long)r->seed);
	}
	return NULL;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

int inject_parse(struct inject_rules *rules, const char *value,
		 uint64_t seed, char *bad, size_t bad_size, char *why,
		 size_t why_size)
{
	const char *p = value;

	rules->n = 0;
	while (*p != '\0') {
		const char *s = p, *e;

		while (*p != '\0' && *p != ';')
			p++;
		e = p;
		if (*p == ';')
			p++;
		while (s < e && blank(*s))
			s++;
		while (e > s && blank(e[-1]))
			e--;
		if (s == e)
			continue;
		const char *at = NULL, *err;
		size_t at_len = 0;

		err = rules->n == INJECT_RULES_MAX
			      ? "more than 16 rules"
			      : rule(&rules->rule[rules->n], s, (size_t)(e - s),
				     seed + (uint64_t)rules->n, &at, &at_len);
		if (err != NULL) {
			snprintf(bad, bad_size, "%.*s", (int)(e - s), s);
			if (at != NULL && at_len > 0)
				snprintf(why, why_size, "%s: \"%.*s\"", err,
					 at_len > 64 ? 64 : (int)at_len, at);
			else
				snprintf(why, why_size, "%s", err);
			rules->n = 0;
			return -1;
		}
		rules->n++;
	}
	return 0;
}

/* An IPv4 address mapped into IPv6 (::ffff:a.b.c.d), as IPv4. */
static void unmap_ipv4(struct conn_addr *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET6 && memcmp(a->addr, prefix, 12) == 0) {
		memmove(a->addr, a->addr + 12, 4);
		memset(a->addr + 4, 0, 12);
		a->family = AF_INET;
	}
}

int inject_peer_matches(const struct inject_rule *r,
			const struct conn_addr *peer_addr)
{
	struct conn_addr want = r->peer, got = *peer_addr;
	unsigned int bits = r->peer_prefix, whole = bits / 8;

	if (r->peer_port != 0 && ntohs(got.port) != r->peer_port)
		return 0;
	if (want.family == AF_UNSPEC)
		return 1;
	unmap_ipv4(&want);
	unmap_ipv4(&got);
	if (want.family != got.family)
		return 0;
	if (want.family == AF_INET && r->peer.family == AF_INET6)
		bits = bits >= 96 ? bits - 96 : 0, whole = bits / 8;
	if (memcmp(want.addr, got.addr, whole) != 0)
		return 0;
	return bits % 8 == 0 ||
	       ((want.addr[whole] ^ got.addr[whole]) &
		(0xff00u >> (bits % 8)) & 0xff) == 0;
}

/* splitmix64: a well-mixed 64-bit value from any 64-bit input. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int inject_draw(const struct inject_rule *r, int index, uint64_t n)
{
	uint64_t x;

	if (!(r->has & INJECT_PROB))
		return 1;
	x = mix(mix(r->seed ^ ((uint64_t)index << 56)) + n);
	return x % INJECT_PROB_ONE < r->prob;
}
