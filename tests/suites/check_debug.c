/*
 * check_debug - TCPSHIM_DEBUG=1: why an event was or was not logged, one
 * line on stderr per observation and verdict; and nothing at all when it
 * is unset.  The test process is the peer; it runs without the shim.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

/* The program's stderr holds a debug line with each of the words. */
static void assert_debug_line(const char *err, const char *call,
			      const char *const *words)
{
	char line[1024];

	ck_assert_msg(tl_find_line(err, "debug fd=", line, sizeof(line)) != NULL,
		      "no debug line in: %s", err);
	ck_assert_msg(strstr(line, tl_str(" call=%s ", call)) != NULL,
		      "call %s not in: %s", call, line);
	for (int i = 0; words[i] != NULL; i++)
		ck_assert_msg(strstr(line, words[i]) != NULL,
			      "'%s' not in: %s", words[i], line);
	ck_assert_int_eq(strncmp(line, "tcpshim[", 8), 0);
}

static void refused_with(const char *const *env, const char *const *words,
			 int logged)
{
	struct scenario sc = { .stderr_ok = 1 };

	sc_start(&sc, "connect", AF_INET, tl_closed_port(AF_INET), NULL, env);
	sc_finish(&sc);
	assert_debug_line(sc.p.err, "connect", words);
	ck_assert_int_eq(tl_count_lines(sc.log), logged);
	sc_free(&sc);
}

START_TEST(refused_connect_says_observation_verdict_and_logged)
{
	const char *env[] = { "TCPSHIM_DEBUG=1", NULL };
	const char *words[] = { " err=ECONNREFUSED ", " state=CLOSE ",
				"verdict=rst_received/refused: logged", NULL };

	refused_with(env, words, 1);
}
END_TEST

START_TEST(event_left_out_of_tcpshim_events_says_why)
{
	const char *env[] = { "TCPSHIM_DEBUG=1", "TCPSHIM_EVENTS=rst_sent",
			      NULL };
	const char *words[] = { "verdict=rst_received/refused: not logged: "
				"neither TCPSHIM_EVENTS nor a callback wants it",
				NULL };

	refused_with(env, words, 0);
}
END_TEST

/* The scenario closes after "hi" and "ok"; the peer ends with end. */
static struct scenario closing(const char *name, const char *const *env,
			       int want_end)
{
	struct scenario sc = { .stderr_ok = 1 };
	char local[64], peer[64];
	int a = sc_start_accept(&sc, name, AF_INET, NULL, env, local, peer);

	ck_assert_int_eq(sc_peer_end(a), want_end);
	close(a);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "close 0\n");
	return sc;
}

START_TEST(orderly_close_says_it_is_not_logged)
{
	const char *env[] = { "TCPSHIM_DEBUG=1", NULL };
	const char *words[] = { " state=ESTABLISHED ", " err=- ",
				"verdict=close/normal: not logged", NULL };
	struct scenario sc = closing("close", env, 0);

	assert_debug_line(sc.p.err, "close", words);
	ck_assert_str_eq(sc.log, "");
	sc_free(&sc);
}
END_TEST

/* A reset at close: the prediction, then the kernel's confirmation. */
START_TEST(reset_at_close_says_prediction_and_confirmation)
{
	const char *env[] = { "TCPSHIM_DEBUG=1", NULL };
	const char *words[] = { " flags=established,linger0",
				"verdict=rst_sent/linger0: to confirm after "
				"the close",
				NULL };
	struct scenario sc = closing("linger0", env, -ECONNRESET);
	char line[1024];

	assert_debug_line(sc.p.err, "close", words);
	ck_assert_msg(tl_find_line(sc.p.err, " confirm=rst_sent/linger0 ",
				   line, sizeof(line)) != NULL,
		      "no confirmation in: %s", sc.p.err);
	ck_assert_msg(strstr(line, " kernel_holds=-: gone: logged") != NULL,
		      "confirmation: %s", line);
	ck_assert_int_eq(tl_count_lines(sc.log), 1);
	sc_free(&sc);
}
END_TEST

START_TEST(unset_or_zero_prints_nothing)
{
	const char *zero[] = { "TCPSHIM_DEBUG=0", NULL };
	const char *const *envs[] = { NULL, zero };

	for (int i = 0; i < 2; i++) {
		struct scenario sc = { 0 };	/* stderr must stay empty */

		sc_start(&sc, "connect", AF_INET, tl_closed_port(AF_INET),
			 NULL, envs[i]);
		sc_finish(&sc);
		ck_assert_int_eq(tl_count_lines(sc.log), 1);
		sc_free(&sc);
	}
}
END_TEST

START_TEST(bad_value_is_one_warning_and_no_debug)
{
	const char *env[] = { "TCPSHIM_DEBUG=yes", NULL };
	struct scenario sc = { .stderr_ok = 1 };

	sc_start(&sc, "connect", AF_INET, tl_closed_port(AF_INET), NULL, env);
	sc_finish(&sc);
	ck_assert_int_eq(tl_count_lines(sc.p.err), 1);
	ck_assert_ptr_nonnull(strstr(sc.p.err, "TCPSHIM_DEBUG=\"yes\""));
	ck_assert_ptr_null(strstr(sc.p.err, "debug fd="));
	ck_assert_int_eq(tl_count_lines(sc.log), 1);
	sc_free(&sc);
}
END_TEST

static Suite *debug_suite(void)
{
	Suite *s = suite_create("debug");
	TCase *tc = tcase_create("debug");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, refused_connect_says_observation_verdict_and_logged);
	tcase_add_test(tc, event_left_out_of_tcpshim_events_says_why);
	tcase_add_test(tc, orderly_close_says_it_is_not_logged);
	tcase_add_test(tc, reset_at_close_says_prediction_and_confirmation);
	tcase_add_test(tc, unset_or_zero_prints_nothing);
	tcase_add_test(tc, bad_value_is_one_warning_and_no_debug);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_main(debug_suite());
}
