/*
 * unit_addr_spec.c - ADDR[/PREFIX][:PORT] as parsed (core/addr_spec.c)
 * for TCPSHIM_INJECT's peer= and "tcpshim abort --peer": each form, what
 * each caller admits, and what is refused.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "core/addr_spec.h"

static const unsigned int all = ADDR_SPEC_ANY | ADDR_SPEC_PREFIX;

static int parse(struct addr_spec *spec, const char *s, unsigned int allow)
{
	return addr_spec_parse(spec, s, strlen(s), allow);
}

/* spec holds text's address (of family), prefix and port. */
static void assert_spec(const struct addr_spec *spec, int family,
			const char *text, unsigned int prefix,
			unsigned int port)
{
	uint8_t want[16] = { 0 };

	ck_assert_int_eq(inet_pton(family, text, want), 1);
	ck_assert_uint_eq(spec->addr.family, family);
	ck_assert_mem_eq(spec->addr.addr, want, 16);
	ck_assert_uint_eq(spec->addr.port, 0);
	ck_assert_uint_eq(spec->prefix, prefix);
	ck_assert_uint_eq(spec->port, port);
}

START_TEST(each_form_gives_address_prefix_and_port)
{
	struct addr_spec s;

	ck_assert_int_eq(parse(&s, "10.1.2.3", 0), 0);
	assert_spec(&s, AF_INET, "10.1.2.3", 32, 0);
	ck_assert_int_eq(parse(&s, "10.1.2.3:443", 0), 0);
	assert_spec(&s, AF_INET, "10.1.2.3", 32, 443);
	ck_assert_int_eq(parse(&s, "10.1.2.0/23:080", all), 0);
	assert_spec(&s, AF_INET, "10.1.2.0", 23, 80);
	ck_assert_int_eq(parse(&s, "2001:db8::7", 0), 0);
	assert_spec(&s, AF_INET6, "2001:db8::7", 128, 0);
	ck_assert_int_eq(parse(&s, "[2001:db8::7]", 0), 0);
	assert_spec(&s, AF_INET6, "2001:db8::7", 128, 0);
	ck_assert_int_eq(parse(&s, "[::1]:65535", 0), 0);
	assert_spec(&s, AF_INET6, "::1", 128, 65535);
	ck_assert_int_eq(parse(&s, "2001:db8::/32", all), 0);
	assert_spec(&s, AF_INET6, "2001:db8::", 32, 0);
	ck_assert_int_eq(parse(&s, "[2001:db8::]/33:443", all), 0);
	assert_spec(&s, AF_INET6, "2001:db8::", 33, 443);
	ck_assert_int_eq(parse(&s, "::ffff:10.1.0.0/112", all), 0);
	assert_spec(&s, AF_INET6, "::ffff:10.1.0.0", 112, 0);
	/* A bare IPv6 address has no port: the last group is its own. */
	ck_assert_int_eq(parse(&s, "2001:db8::1:80", 0), 0);
	assert_spec(&s, AF_INET6, "2001:db8::1:80", 128, 0);
}
END_TEST

START_TEST(any_address_where_admitted)
{
	struct addr_spec s;

	ck_assert_int_eq(parse(&s, "*", ADDR_SPEC_ANY), 0);
	ck_assert_uint_eq(s.addr.family, AF_UNSPEC);
	ck_assert_uint_eq(s.prefix, 0);
	ck_assert_uint_eq(s.port, 0);
	ck_assert_int_eq(parse(&s, "*:443", ADDR_SPEC_ANY), 0);
	ck_assert_uint_eq(s.port, 443);
	ck_assert_int_eq(parse(&s, "*", ADDR_SPEC_PREFIX), -1);
	ck_assert_int_eq(parse(&s, "*:443", 0), -1);
	/* Any address has no prefix. */
	ck_assert_int_eq(parse(&s, "*/8", all), -1);
}
END_TEST

START_TEST(prefix_where_admitted_and_within_the_address)
{
	struct addr_spec s;

	ck_assert_int_eq(parse(&s, "10.0.0.0/8", ADDR_SPEC_ANY), -1);
	ck_assert_int_eq(parse(&s, "10.0.0.0/0", ADDR_SPEC_PREFIX), 0);
	ck_assert_uint_eq(s.prefix, 0);
	ck_assert_int_eq(parse(&s, "10.0.0.0/32", ADDR_SPEC_PREFIX), 0);
	ck_assert_int_eq(parse(&s, "10.0.0.0/33", ADDR_SPEC_PREFIX), -1);
	ck_assert_int_eq(parse(&s, "::/128", ADDR_SPEC_PREFIX), 0);
	ck_assert_int_eq(parse(&s, "::/129", ADDR_SPEC_PREFIX), -1);
	ck_assert_int_eq(parse(&s, "10.0.0.0/", ADDR_SPEC_PREFIX), -1);
	ck_assert_int_eq(parse(&s, "10.0.0.0/x", ADDR_SPEC_PREFIX), -1);
}
END_TEST

START_TEST(bad_forms_are_refused_and_leave_nothing)
{
	static const char *const bad[] = {
		"", ":80", "nowhere", "1.2.3", "1.2.3.4:", "1.2.3.4:0",
		"1.2.3.4:65536", "1.2.3.4:+80", "1.2.3.4: 80", "1.2.3.4:80:90",
		"1.2.3.4:00000000000000000080", "[::1", "[::1]:", "[::1]x",
		"[]", "[1.2.3.4]:80", "fe80::1%lo",
		/* Longer than any address. */
		"1111:2222:3333:4444:5555:6666:7777:8888:"
		"9999:aaaa:bbbb:cccc:dddd",
	};
	struct addr_spec s, zero;

	memset(&zero, 0, sizeof(zero));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&s, 0xa5, sizeof(s));
		ck_assert_msg(parse(&s, bad[i], all) == -1, "'%s'", bad[i]);
		ck_assert_msg(memcmp(&s, &zero, sizeof(s)) == 0, "'%s'",
			      bad[i]);
	}
}
END_TEST

/* Only len bytes are read: the rest of a rule is not the address's. */
START_TEST(ipv4_in_brackets_where_admitted)
{
	struct addr_spec s;

	ck_assert_int_eq(parse(&s, "[1.2.3.4]:80", ADDR_SPEC_V4_IN_BRACKETS), 0);
	assert_spec(&s, AF_INET, "1.2.3.4", 32, 80);
	ck_assert_int_eq(parse(&s, "[1.2.3.4]", ADDR_SPEC_V4_IN_BRACKETS), 0);
	assert_spec(&s, AF_INET, "1.2.3.4", 32, 0);
	ck_assert_int_eq(parse(&s, "[::1]:80", ADDR_SPEC_V4_IN_BRACKETS), 0);
	assert_spec(&s, AF_INET6, "::1", 128, 80);
	ck_assert_int_eq(parse(&s, "[1.2.3.4]:80", all), -1);
}
END_TEST

START_TEST(only_the_length_given_is_read)
{
	struct addr_spec s;

	ck_assert_int_eq(addr_spec_parse(&s, "10.1.2.3:80,count=1", 11, 0), 0);
	assert_spec(&s, AF_INET, "10.1.2.3", 32, 80);
}
END_TEST

Suite *unit_addr_spec_suite(void)
{
	Suite *s = suite_create("addr spec");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, each_form_gives_address_prefix_and_port);
	tcase_add_test(tc, any_address_where_admitted);
	tcase_add_test(tc, prefix_where_admitted_and_within_the_address);
	tcase_add_test(tc, bad_forms_are_refused_and_leave_nothing);
	tcase_add_test(tc, ipv4_in_brackets_where_admitted);
	tcase_add_test(tc, only_the_length_given_is_read);
	suite_add_tcase(s, tc);
	return s;
}
