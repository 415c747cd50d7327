/*
 * unit_tally - the counts behind TCPSHIM_RATE and the summary: the limit
 * per second of the clock, the held-back counts a notice takes exactly
 * once, and totals that add up with threads counting at once.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/tally.h"

static struct timespec at(long sec, long usec)
{
	return (struct timespec){ sec, usec * 1000 };
}

static void setup(void)
{
	tally_forked_child();	/* from zero, as a new process */
}

START_TEST(limit_holds_within_a_second_and_opens_at_the_next)
{
	struct timespec t = at(1000, 0);
	struct tally_counts held;
	struct timespec since;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &t, 3, 1), 1);
	ck_assert_int_eq(tally_held_pending(), 0);
	t = at(1000, 500000);
	ck_assert_int_eq(tally_event(TCP_CAUSE_PEER_RESET, &t, 3, 1), 0);
	ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &t, 3, 1), 0);
	ck_assert_int_eq(tally_held_pending(), 1);
	/* Not due within the second the first was held in. */
	t = at(1000, 999999);
	ck_assert_int_eq(tally_held_due(&t), 0);
	t = at(1001, 0);
	ck_assert_int_eq(tally_held_due(&t), 1);
	ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &t, 3, 1), 1);
	ck_assert_uint_eq(tally_take_held(&held, &since), 2);
	ck_assert_uint_eq(held.cause[TCP_CAUSE_PEER_RESET], 1);
	ck_assert_uint_eq(held.cause[TCP_CAUSE_REFUSED], 1);
	ck_assert_int_eq(since.tv_sec, 1000);
	ck_assert_int_eq(since.tv_nsec, 500000000);
	/* Taken once: nothing left. */
	ck_assert_int_eq(tally_held_pending(), 0);
	ck_assert_uint_eq(tally_take_held(&held, &since), 0);
}
END_TEST

START_TEST(totals_count_written_and_held_alike)
{
	struct timespec t = at(50, 0);
	struct tally_counts events;
	uint64_t held, lost;

	for (int i = 0; i < 10; i++)
		tally_event(TCP_CAUSE_HALFOPEN_RESET, &t, 4, 1);
	tally_event(TCP_CAUSE_INJECTED, &t, 4, 1);
	/* Without totals (no summary asked), only the limit counts. */
	tally_event(TCP_CAUSE_ABORT, &t, 4, 0);
	tally_lost();
	tally_totals(&events, &held, &lost);
	ck_assert_uint_eq(lost, 1);
	ck_assert_uint_eq(events.total, 11);
	ck_assert_uint_eq(events.cause[TCP_CAUSE_HALFOPEN_RESET], 10);
	ck_assert_uint_eq(events.cause[TCP_CAUSE_INJECTED], 1);
	ck_assert_uint_eq(events.cause[TCP_CAUSE_ABORT], 0);
	ck_assert_uint_eq(held, 8);
}
END_TEST

START_TEST(zero_holds_everything_and_unlimited_nothing)
{
	struct timespec t = at(7, 0);
	uint64_t held, lost;
	struct tally_counts events;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &t, 0, 0), 0);
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &t,
					     TALLY_UNLIMITED, 0), 1);
	tally_totals(&events, &held, &lost);
	ck_assert_uint_eq(held, 5);
}
END_TEST

/* An event timed a little before the window's second counts in it (a
 * thread that read the clock first); a clock stepped back far starts a
 * new second. */
START_TEST(windows_never_go_back_but_for_a_clock_step)
{
	struct timespec late = at(2000, 0), stale = at(1995, 0);
	struct timespec early = at(1500, 0);

	ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &late, 1, 0), 1);
	ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &late, 1, 0), 0);
	ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &stale, 1, 0), 0);
	ck_assert_int_eq(tally_event(TCP_CAUSE_REFUSED, &early, 1, 0), 1);
}
END_TEST

#define THREADS 4
#define PER_THREAD 200000
#define RATE 1000

/* A clock the threads share, one second per 50000 events counted. */
static atomic_long ticks;

static void *count_many(void *arg)
{
	long *written = arg;
	struct tally_counts taken;
	struct timespec since;

	for (long i = 0; i < PER_THREAD; i++) {
		struct timespec t = at(3000 + atomic_fetch_add(&ticks, 1) /
						     50000,
				       0);

		*written += tally_event(TCP_CAUSE_PEER_RESET + (int)(i & 1),
					&t, RATE, 1);
		if (tally_held_due(&t))
			written[1] += (long)tally_take_held(&taken, &since);
	}
	return NULL;
}

/* Threads counting, limiting and taking at once: every event is either
 * written or held back, and every held one is taken exactly once. */
START_TEST(threads_at_once_lose_and_double_nothing)
{
	pthread_t t[THREADS];
	long counts[THREADS][2];
	long written = 0, taken = 0;
	struct tally_counts events, rest;
	struct timespec since;
	uint64_t held, lost;

	memset(counts, 0, sizeof(counts));
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, count_many, counts[i]);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		written += counts[i][0];
		taken += counts[i][1];
	}
	taken += (long)tally_take_held(&rest, &since);
	tally_totals(&events, &held, &lost);
	ck_assert_uint_eq(events.total, THREADS * PER_THREAD);
	ck_assert_uint_eq(events.cause[TCP_CAUSE_PEER_RESET],
			  THREADS * PER_THREAD / 2);
	ck_assert_int_eq(written + (long)held, THREADS * PER_THREAD);
	ck_assert_int_eq(taken, (long)held);
	/* 16 seconds of the fake clock, at most RATE written in each. */
	ck_assert_int_le(written, 16 * RATE);
	ck_assert_int_eq(tally_held_pending(), 0);
}
END_TEST

START_TEST(a_fork_child_starts_from_zero)
{
	struct timespec t = at(9, 0);
	struct tally_counts events;
	uint64_t held, lost;

	tally_event(TCP_CAUSE_REFUSED, &t, 0, 1);
	tally_lost();
	ck_assert_int_eq(tally_claim_summary(), 1);
	ck_assert_int_eq(tally_claim_summary(), 0);
	tally_forked_child();
	tally_totals(&events, &held, &lost);
	ck_assert_uint_eq(events.total, 0);
	ck_assert_uint_eq(held, 0);
	ck_assert_uint_eq(lost, 0);
	ck_assert_int_eq(tally_held_pending(), 0);
	ck_assert_int_eq(tally_claim_summary(), 1);
	ck_assert_uint_eq(tally_connections(), 0);
}
END_TEST

Suite *unit_tally_suite(void)
{
	Suite *s = suite_create("tally");
	TCase *tc = tcase_create("counts");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, limit_holds_within_a_second_and_opens_at_the_next);
	tcase_add_test(tc, totals_count_written_and_held_alike);
	tcase_add_test(tc, zero_holds_everything_and_unlimited_nothing);
	tcase_add_test(tc, windows_never_go_back_but_for_a_clock_step);
	tcase_add_test(tc, threads_at_once_lose_and_double_nothing);
	tcase_add_test(tc, a_fork_child_starts_from_zero);
	suite_add_tcase(s, tc);
	return s;
}
