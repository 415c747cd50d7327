/*
 * unit_inject.c - the TCPSHIM_INJECT rules as parsed (inject_rules.c):
 * what each condition holds, the peer forms and what they match, and
 * the draws of prob= (the same seed, the same choices; about the share
 * asked for).
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/inject_rules.h"

static struct inject_rules rules;
static char bad[INJECT_TEXT_MAX], why[128];

static int parse(const char *v)
{
	return inject_parse(&rules, v, 99, bad, sizeof(bad), why, sizeof(why));
}

static struct conn_addr addr(int family, const char *text, int port)
{
	struct conn_addr a = { .family = (uint16_t)family,
			       .port = htons((uint16_t)port) };

	ck_assert_int_eq(inet_pton(family, text, a.addr), 1);
	return a;
}

START_TEST(every_condition_is_held)
{
	const struct inject_rule *r = &rules.rule[0];

	ck_assert_int_eq(parse("reset:after_sent=1,after_received=2,"
			       "after_ms=3,port=4,prob=0.25,seed=5,count=6"),
			 0);
	ck_assert_int_eq(rules.n, 1);
	ck_assert_uint_eq(r->after[INJECT_SENT], 1);
	ck_assert_uint_eq(r->after[INJECT_RECEIVED], 2);
	ck_assert_uint_eq(r->after_ms, 3);
	ck_assert_uint_eq(r->port, 4);
	ck_assert_uint_eq(r->prob, INJECT_PROB_ONE / 4);
	ck_assert_uint_eq(r->seed, 5);
	ck_assert_uint_eq(r->count, 6);
	ck_assert_str_eq(r->text, "reset:after_sent=1,after_received=2,"
				  "after_ms=3,port=4,prob=0.25,seed=5,count=6");
}
END_TEST

START_TEST(rules_are_split_and_trimmed)
{
	ck_assert_int_eq(parse(" reset ;; reset:count=1 ;reset,count=2"), 0);
	ck_assert_int_eq(rules.n, 3);
	ck_assert_uint_eq(rules.rule[2].count, 2);
	ck_assert_str_eq(rules.rule[0].text, "reset");
	ck_assert_uint_eq(rules.rule[0].has, 0);
	ck_assert_str_eq(rules.rule[1].text, "reset:count=1");
	ck_assert_int_eq(parse(""), 0);
	ck_assert_int_eq(rules.n, 0);
}
END_TEST

/* prob= with no seed= draws from the seed given, and says which. */
START_TEST(a_drawn_seed_is_shown)
{
	ck_assert_int_eq(parse("reset:prob=.5;reset:prob=1"), 0);
	ck_assert_str_eq(rules.rule[0].text, "reset:prob=.5,seed=99");
	ck_assert_str_eq(rules.rule[1].text, "reset:prob=1,seed=100");
	ck_assert_uint_eq(rules.rule[1].prob, INJECT_PROB_ONE);
}
END_TEST

START_TEST(a_bad_rule_stops_every_rule)
{
	ck_assert_int_eq(parse("reset:count=1;reset:peer=1.2.3.4/40"), -1);
	ck_assert_int_eq(rules.n, 0);
	ck_assert_str_eq(bad, "reset:peer=1.2.3.4/40");
	ck_assert_str_eq(why, "peer needs ADDR[/PREFIX][:PORT] (IPv6 in "
			      "brackets before a port): \"peer=1.2.3.4/40\"");
	ck_assert_int_eq(parse("reset:prob=0.1234567891"), -1);
	ck_assert_int_eq(parse("reset:prob=1.01"), -1);
	ck_assert_int_eq(parse("reset:prob=."), -1);
	ck_assert_int_eq(parse("reset:after_ms=2147483648"), -1);
	ck_assert_int_eq(parse("reset:seed=+1"), -1);
	ck_assert_int_eq(parse("reset:peer=*/8"), -1);
	ck_assert_int_eq(parse("reset:peer="), -1);
	ck_assert_int_eq(parse("reset:peer=:80"), -1);
}
END_TEST

START_TEST(peers_match_by_address_prefix_and_port)
{
	struct conn_addr v4 = addr(AF_INET, "10.1.2.3", 443);
	struct conn_addr v6 = addr(AF_INET6, "2001:db8::7", 443);
	struct conn_addr mapped = addr(AF_INET6, "::ffff:10.1.2.3", 443);
	static const struct {
		const char *peer;
		int v4, v6, mapped;
	} cases[] = {
		{ "10.1.2.3", 1, 0, 1 },
		{ "10.1.2.3:443", 1, 0, 1 },
		{ "10.1.2.3:80", 0, 0, 0 },
		{ "10.0.0.0/8", 1, 0, 1 },
		{ "10.1.2.0/23", 1, 0, 1 },
		{ "10.1.4.0/23", 0, 0, 0 },
		{ "0.0.0.0/0:443", 1, 0, 1 },
		{ "*:443", 1, 1, 1 },
		{ "*:80", 0, 0, 0 },
		{ "2001:db8::/32", 0, 1, 0 },
		{ "[2001:db8::7]:443", 0, 1, 0 },
		{ "[2001:db8::]/33:443", 0, 1, 0 },
		{ "::ffff:10.1.0.0/112", 1, 0, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct inject_rule *r = &rules.rule[0];
		char v[128];

		snprintf(v, sizeof(v), "reset:peer=%s", cases[i].peer);
		ck_assert_msg(parse(v) == 0, "%s: %s", v, why);
		ck_assert_msg(inject_peer_matches(r, &v4) == cases[i].v4,
			      "%s and 10.1.2.3", v);
		ck_assert_msg(inject_peer_matches(r, &v6) == cases[i].v6,
			      "%s and 2001:db8::7", v);
		ck_assert_msg(inject_peer_matches(r, &mapped) ==
				      cases[i].mapped,
			      "%s and ::ffff:10.1.2.3", v);
	}
}
END_TEST

START_TEST(draws_follow_the_seed)
{
	int yes = 0, differ = 0;

	ck_assert_int_eq(parse("reset:prob=0.3,seed=7;reset:prob=0.3,seed=8;"
			       "reset:prob=0;reset:prob=1"),
			 0);
	for (uint64_t n = 0; n < 10000; n++) {
		int a = inject_draw(&rules.rule[0], 0, n);

		ck_assert_int_eq(a, inject_draw(&rules.rule[0], 0, n));
		differ += a != inject_draw(&rules.rule[1], 1, n);
		yes += a;
		ck_assert_int_eq(inject_draw(&rules.rule[2], 2, n), 0);
		ck_assert_int_eq(inject_draw(&rules.rule[3], 3, n), 1);
	}
	/* 3,000 expected; 5 standard deviations either way. */
	ck_assert_msg(yes > 2770 && yes < 3230, "%d of 10000", yes);
	ck_assert_int_gt(differ, 1000);
}
END_TEST

Suite *unit_inject_suite(void)
{
	Suite *s = suite_create("inject rules");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, every_condition_is_held);
	tcase_add_test(tc, rules_are_split_and_trimmed);
	tcase_add_test(tc, a_drawn_seed_is_shown);
	tcase_add_test(tc, a_bad_rule_stops_every_rule);
	tcase_add_test(tc, peers_match_by_address_prefix_and_port);
	tcase_add_test(tc, draws_follow_the_seed);
	suite_add_tcase(s, tc);
	return s;
}
