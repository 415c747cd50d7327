/*
 * check_storm - TCPSHIM_RATE and the summary at exit: a storm of resets
 * writes at most the limit each second, the rest is counted, and every
 * count adds up: lines written plus held back is every event, the
 * held_back notices add up to the summary's, tcp_on_event callbacks
 * still see them all, and tcpshim report agrees.
 *
 * The storms are refused connections to a loopback port where nothing
 * listens: each one a real RST from the kernel, and the quickest kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

/* What a JSON log holds, counted. */
struct storm_log {
	int events;		/* event lines */
	int max_per_second;	/* most event lines with one time second */
	int held_notices;
	long held_sum;		/* their held_back fields, added */
	int summaries;
	char summary[1024];	/* the last summary line */
	int bad_since;		/* held_back notices with since after time */
};

static long field_long(const char *line, const char *key)
{
	char v[64];

	ck_assert_msg(tl_json(line, key, v, sizeof(v)) != NULL,
		      "no %s in %s", key, line);
	return atol(v);
}

static struct storm_log count_log(const char *text)
{
	struct storm_log s = { 0 };
	char line[2048], prev[32] = "", since[64], when[64];
	int run = 0;

	for (int i = 0; tl_line(text, i, line, sizeof(line)) != NULL; i++) {
		if (strstr(line, "\"event\":") != NULL) {
			/* "time":"2026-12-03T08:36:05.086509Z": its second is
			 * the first 19 characters of the value. */
			ck_assert_ptr_nonnull(tl_json(line, "time", when,
						      sizeof(when)));
			when[19] = '\0';
			run = strcmp(when, prev) == 0 ? run + 1 : 1;
			strcpy(prev, when);
			if (run > s.max_per_second)
				s.max_per_second = run;
			s.events++;
		} else if (strstr(line, "\"notice\":\"held_back\"") != NULL) {
			s.held_notices++;
			s.held_sum += field_long(line, "held_back");
			ck_assert_ptr_nonnull(tl_json(line, "since", since,
						      sizeof(since)));
			ck_assert_ptr_nonnull(tl_json(line, "time", when,
						      sizeof(when)));
			s.bad_since += strcmp(since, when) > 0;
		} else if (strstr(line, "\"notice\":\"summary\"") != NULL) {
			s.summaries++;
			snprintf(s.summary, sizeof(s.summary), "%s", line);
		} else {
			ck_abort_msg("unexpected line: %s", line);
		}
	}
	return s;
}

/* The last storm's log file. */
static const char *storm_log;

/* prog_storm with the preload, a JSON log of its own (storm_log), the
 * TCPSHIM_RATE and TCPSHIM_EVENTS settings given (may be NULL): its log. */
static char *storm(struct tl_proc *p, const char *const *argv,
		   const char *rate, const char *events)
{
	const char *log = storm_log = tl_tmp("storm.log");
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", log), "TCPSHIM_FORMAT=json",
		rate ? rate : events, rate ? events : NULL, NULL,
	};

	unlink(log);
	tl_run(p, env, argv);
	ck_assert_msg(p->status == 0, "prog_storm: status %d, stderr %s",
		      p->status, p->err);
	ck_assert_str_eq(p->err, "");
	return tl_slurp(log);
}

static const char *port_arg(void)
{
	return tl_str("%d", tl_closed_port(AF_INET));
}

START_TEST(storm_of_10000_writes_the_limit_and_counts_the_rest)
{
	const char *argv[] = { tl_path("tests/prog_storm"), "refused",
			       port_arg(), "4", "10000", NULL };
	struct tl_proc p;
	char *log = storm(&p, argv, "TCPSHIM_RATE=100",
			  "TCPSHIM_EVENTS=rst_received,summary");
	struct storm_log s = count_log(log);

	/* Callbacks see every event: the limit is the log's. */
	ck_assert_str_eq(p.out, "callbacks 10000\n");
	ck_assert_int_le(s.max_per_second, 100);
	ck_assert_int_ge(s.events, 100);
	ck_assert_int_eq(s.summaries, 1);
	TL_ASSERT_FIELD(s.summary, "notice", "summary");
	TL_ASSERT_FIELD(s.summary, "connections", "10000");
	TL_ASSERT_FIELD(s.summary, "events", "10000");
	ck_assert_msg(strstr(s.summary, "\"causes\":{\"refused\":10000}}") !=
			      NULL,
		      "%s", s.summary);
	/* Nothing lost: written + held back = every event, and the
	 * notices add up to the summary. */
	ck_assert_int_eq(field_long(s.summary, "held_back"), 10000 - s.events);
	ck_assert_int_eq(s.held_sum, 10000 - s.events);
	ck_assert_int_ge(s.held_notices, 1);
	ck_assert_int_eq(s.bad_since, 0);
	free(log);
	tl_free(&p);
}
END_TEST

/* What is held back still adds up in the summary: with TCPSHIM_RATE=0
 * (no event written at all), and at _exit or the exit_group system
 * call (no destructor runs). */
START_TEST(held_back_events_add_up_in_the_summary)
{
	static const struct {
		const char *mode, *count, *rate;
		int events, held;
		const char *total;
	} cases[] = {
		{ "refused", "50", "TCPSHIM_RATE=0", 0, 50, "50" },
		{ "_exit", "7", "TCPSHIM_RATE=5", 5, 2, "7" },
		{ "exit_group", "7", "TCPSHIM_RATE=5", 5, 2, "7" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int refused = strcmp(cases[i].mode, "refused") == 0;
		const char *argv[] = { tl_path("tests/prog_storm"),
				       cases[i].mode, port_arg(),
				       refused ? "1" : cases[i].count,
				       refused ? cases[i].count : NULL, NULL };
		struct tl_proc p;
		char *log = storm(&p, argv, cases[i].rate,
				  "TCPSHIM_EVENTS=summary");
		struct storm_log s = count_log(log);
		char held[16];

		snprintf(held, sizeof(held), "%d", cases[i].held);
		ck_assert_msg(s.events == cases[i].events, "%s: %d events",
			      cases[i].mode, s.events);
		ck_assert_int_eq(s.held_notices, 1);
		ck_assert_int_eq(s.held_sum, cases[i].held);
		ck_assert_int_eq(s.summaries, 1);
		TL_ASSERT_FIELD(s.summary, "events", cases[i].total);
		TL_ASSERT_FIELD(s.summary, "held_back", held);
		free(log);
		tl_free(&p);
	}
}
END_TEST

/* An event after the summary (an at_quick_exit handler's refused
 * connect) is written whatever the limit: no notice would come after
 * it to count it. */
START_TEST(an_event_after_the_summary_is_written)
{
	const char *argv[] = { tl_path("tests/prog_storm"), "quick_exit",
			       port_arg(), "3", NULL };
	struct tl_proc p;
	char *log = storm(&p, argv, "TCPSHIM_RATE=0",
			  "TCPSHIM_EVENTS=summary");
	char line[2048];

	ck_assert_int_eq(tl_count_lines(log), 3);
	ck_assert_ptr_nonnull(tl_line(log, 0, line, sizeof(line)));
	TL_ASSERT_FIELD(line, "notice", "held_back");
	TL_ASSERT_FIELD(line, "held_back", "3");
	ck_assert_ptr_nonnull(tl_line(log, 1, line, sizeof(line)));
	TL_ASSERT_FIELD(line, "notice", "summary");
	TL_ASSERT_FIELD(line, "events", "3");
	ck_assert_ptr_nonnull(tl_line(log, 2, line, sizeof(line)));
	TL_ASSERT_FIELD(line, "event", "rst_received");
	TL_ASSERT_FIELD(line, "cause", "refused");
	free(log);
	tl_free(&p);
}
END_TEST

START_TEST(a_file_log_is_unlimited_by_default)
{
	const char *argv[] = { tl_path("tests/prog_storm"), "refused",
			       port_arg(), "2", "2000", NULL };
	struct tl_proc p;
	char *log = storm(&p, argv, NULL, NULL);
	struct storm_log s = count_log(log);

	ck_assert_int_eq(s.events, 2000);
	ck_assert_int_eq(s.held_notices, 0);
	ck_assert_int_eq(s.summaries, 0);	/* not asked for */
	free(log);
	tl_free(&p);
}
END_TEST

/* A text log's summary line, exactly but for the pid and time. */
START_TEST(summary_in_text_is_one_line_at_exit)
{
	const char *log = tl_tmp("text.log");
	const char *argv[] = { tl_path("tests/prog_storm"), "refused",
			       port_arg(), "1", "3", NULL };
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", log), "TCPSHIM_EVENTS=summary", NULL,
	};
	struct tl_proc p;
	char line[1024], want[256];
	char *text;

	tl_run(&p, env, argv);
	ck_assert_int_eq(p.status, 0);
	text = tl_slurp(log);
	ck_assert_int_eq(tl_count_lines(text), 4);
	ck_assert_ptr_nonnull(tl_line(text, 3, line, sizeof(line)));
	snprintf(want, sizeof(want), "tcpshim[%d] ", (int)p.pid);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "%s", line);
	/* tcpshim[PID] 2026-12-03T08:36:05.180152Z notice summary ... */
	ck_assert_str_eq(line + strlen(want) + 28,
			 "notice summary connections=3 events=3 held_back=0 "
			 "lost=0 causes=refused:3");
	free(text);
	tl_free(&p);
}
END_TEST

/* After fork each process counts its own: the child's summary has only
 * what it did, the parent's only what it did. */
START_TEST(a_fork_child_has_its_own_summary)
{
	const char *argv[] = { tl_path("tests/prog_storm"), "fork",
			       port_arg(), "2", "3", NULL };
	struct tl_proc p;
	char *log = storm(&p, argv, NULL, "TCPSHIM_EVENTS=summary");
	char child[64], line[1024];
	int parent_seen = 0, child_seen = 0;

	ck_assert_int_eq(sscanf(p.out, "child %63s", child), 1);
	for (int i = 0; tl_line(log, i, line, sizeof(line)) != NULL; i++) {
		char pid[32];

		if (strstr(line, "\"notice\":\"summary\"") == NULL)
			continue;
		ck_assert_ptr_nonnull(tl_json(line, "pid", pid, sizeof(pid)));
		if (strcmp(pid, child) == 0) {
			child_seen++;
			TL_ASSERT_FIELD(line, "connections", "3");
			TL_ASSERT_FIELD(line, "events", "3");
		} else {
			ck_assert_int_eq(atoi(pid), p.pid);
			parent_seen++;
			TL_ASSERT_FIELD(line, "connections", "2");
			TL_ASSERT_FIELD(line, "events", "2");
		}
	}
	ck_assert_msg(parent_seen == 1, "parent %d in %s", parent_seen, log);
	ck_assert_int_eq(child_seen, 1);
	free(log);
	tl_free(&p);
}
END_TEST

static void bad_rate(const char *value)
{
	const char *log = tl_tmp("bad.log");
	const char *argv[] = { tl_path("tests/prog_storm"), "refused",
			       port_arg(), "1", "3", NULL };
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", log), tl_str("TCPSHIM_RATE=%s", value),
		NULL,
	};
	struct tl_proc p;
	char *text;

	unlink(log);
	tl_run(&p, env, argv);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err,
			 tl_str("tcpshim: TCPSHIM_RATE=\"%s\" is not valid: "
				"expected events per second, 0-1000000, or "
				"unlimited; using the default for the log\n",
				value));
	/* The default for a file: every event. */
	text = tl_slurp(log);
	ck_assert_int_eq(tl_count_lines(text), 3);
	free(text);
	tl_free(&p);
}

START_TEST(a_bad_rate_is_one_warning_and_the_default)
{
	static const char *const bad[] = { "", "-1", "1.5", "fast", "1000001",
					   " 10", "10/s", "Unlimited" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		bad_rate(bad[i]);
}
END_TEST

/* tcpshim report on a limited storm: the held back events in the counts
 * by cause, the notices, the summary checked against the lines. */
START_TEST(report_counts_what_was_held_back)
{
	const char *argv[] = { tl_path("tests/prog_storm"), "refused",
			       port_arg(), "2", "1000", NULL };
	struct tl_proc p, r;
	char *log = storm(&p, argv, "TCPSHIM_RATE=10", "TCPSHIM_EVENTS=summary");
	struct storm_log s = count_log(log);
	const char *rargv[] = { tl_path("tcpshim"), "report", storm_log, NULL };
	char line[512];
	long held = 1000 - s.events;

	tl_run(&r, NULL, rargv);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(tl_find_line(r.out, "refused  rst_received",
					   line, sizeof(line)));
	ck_assert_str_eq(line, tl_str("refused  rst_received  %6d  %9ld   1000",
				      s.events, held));
	ck_assert_ptr_nonnull(strstr(r.out, "\nHeld back (TCPSHIM_RATE)\n"));
	ck_assert_ptr_nonnull(
		strstr(r.out, tl_str("  %d written, all here  refused 1000\n",
				     s.events)));
	ck_assert_ptr_nonnull(strstr(
		r.out, tl_str(", %ld held back\n", held)));
	free(log);
	tl_free(&p);
	tl_free(&r);
}
END_TEST

/* A log that lost lines on the way: the summary says so. */
START_TEST(report_says_when_lines_are_missing)
{
	const char *path = tl_tmp("lossy.log");
	const char *rargv[] = { tl_path("tcpshim"), "report", path, NULL };
	FILE *f = fopen(path, "w");
	struct tl_proc r;

	ck_assert_ptr_nonnull(f);
	fputs("{\"time\":\"2026-12-03T08:00:00.000001Z\",\"pid\":7,\"fd\":3,"
	      "\"conn\":1,\"cookie\":9,\"event\":\"rst_received\","
	      "\"cause\":\"refused\",\"call\":\"connect\"}\n"
	      "{\"time\":\"2026-12-03T08:00:01.000001Z\",\"pid\":7,"
	      "\"notice\":\"summary\",\"connections\":3,\"events\":3,"
	      "\"held_back\":0,\"lost\":0,\"causes\":{\"refused\":3}}\n",
	      f);
	fclose(f);
	tl_run(&r, NULL, rargv);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "3 written, 2 not here"));
	tl_free(&r);
}
END_TEST

/* strace's lines for prog_storm's 50 refused connects under rate, with
 * a JSON log and no callback: one line per call of getsockname or
 * getpeername. */
static char *trace_fill(const char *strace, const char *rate)
{
	const char *out = tl_tmp("fill.trace");
	const char *argv[] = {
		strace, "-f", "-qq", "-e", "trace=getsockname,getpeername",
		"-o", out,
		"-E", tl_str("LD_PRELOAD=%s", tl_preload_value()),
		"-E", tl_str("TCPSHIM_LOG=%s", tl_tmp("fill.log")),
		"-E", "TCPSHIM_FORMAT=json", "-E", rate,
		/* No callback registered in this mode. */
		tl_path("tests/prog_storm"), "_exit", port_arg(), "50", NULL,
	};
	struct tl_proc p;

	tl_run(&p, NULL, argv);
	ck_assert_msg(p.status == 0, "strace prog_storm: %d: %s", p.status,
		      p.err);
	tl_free(&p);
	return tl_slurp(out);
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* An event held back is only counted: the system calls that would fill
 * its cookie and addresses are not made (callbacks aside), so a storm
 * past the limit costs the program what tcpshim with no log costs. */
START_TEST(an_event_held_back_costs_no_system_call_to_fill)
{
	const char *strace = tl_which("strace");
	char *written, *held;

	if (strace == NULL) {
		tl_skip(__func__, "strace missing (Debian package strace)");
		return;
	}
	written = trace_fill(strace, "TCPSHIM_RATE=unlimited");
	held = trace_fill(strace, "TCPSHIM_RATE=0");
	/* Each written event asks for its local and peer address once. */
	ck_assert_int_eq(count_lines(written), 100);
	ck_assert_msg(count_lines(held) == 0, "held back, yet:\n%s", held);
	free(written);
	free(held);
}
END_TEST

/* TCPSHIM_DEBUG says why an event is not in the log. */
START_TEST(debug_says_an_event_was_held_back)
{
	const char *argv[] = { tl_path("tests/prog_storm"), "refused",
			       port_arg(), "1", "1", NULL };
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		"TCPSHIM_RATE=0", "TCPSHIM_DEBUG=1", NULL,
	};
	struct tl_proc p;

	tl_run(&p, env, argv);
	ck_assert_int_eq(p.status, 0);
	ck_assert_msg(strstr(p.err, " verdict=rst_received/refused: held "
				    "back: counted, not written "
				    "(TCPSHIM_RATE)\n") != NULL,
		      "stderr: %s", p.err);
	tl_free(&p);
}
END_TEST

static Suite *storm_suite(void)
{
	Suite *s = suite_create("storm");
	TCase *tc = tcase_create("rate");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, storm_of_10000_writes_the_limit_and_counts_the_rest);
	tcase_add_test(tc, held_back_events_add_up_in_the_summary);
	tcase_add_test(tc, a_file_log_is_unlimited_by_default);
	tcase_add_test(tc, an_event_after_the_summary_is_written);
	tcase_add_test(tc, an_event_held_back_costs_no_system_call_to_fill);
	tcase_add_test(tc, debug_says_an_event_was_held_back);
	tcase_add_test(tc, summary_in_text_is_one_line_at_exit);
	tcase_add_test(tc, a_fork_child_has_its_own_summary);
	tcase_add_test(tc, a_bad_rate_is_one_warning_and_the_default);
	tcase_add_test(tc, report_counts_what_was_held_back);
	tcase_add_test(tc, report_says_when_lines_are_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_main(storm_suite());
}
