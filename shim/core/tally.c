/*
 * tally.c - the process's counts of events, and the per-second window of
 * TCPSHIM_RATE.
 *
 * The window is one word: the second (CLOCK_REALTIME) in its high bits,
 * the events written in that second in its low 24, so a compare and swap
 * decides each event alone.  An event past the limit is counted under
 * its cause in held[] until a notice takes the counts; taking exchanges
 * each counter with zero, so an event is told of exactly once, whichever
 * threads hold and take at the same time.
 */
#include "core/tally.h"

#include <stdatomic.h>

#include "core/conn.h"

#define COUNT_BITS 24
#define COUNT_MASK ((1ull << COUNT_BITS) - 1)
#define STEP_BACK 10	/* seconds */

static _Atomic uint64_t window;
static _Atomic uint64_t held[TALLY_CAUSES];
/* Held and not yet taken: a hint, briefly below zero while a holder
 * adds after a taker took its count. */
static _Atomic int64_t held_pending;
/* Microseconds since the epoch of the first held event not yet taken,
 * 0 for none. */
static _Atomic uint64_t held_since;
static _Atomic uint64_t held_all;
static _Atomic uint64_t lost_all;
static _Atomic uint64_t events[TALLY_CAUSES];
static atomic_int summary_done;
static atomic_int ended;
/* conn_count() when this process was forked. */
static _Atomic uint64_t conns_before;

static uint64_t usec(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000u + (uint64_t)t->tv_nsec / 1000u;
}

static int admitted(const struct timespec *now, unsigned int rate)
{
	uint64_t sec = (uint64_t)now->tv_sec;
	uint64_t w = atomic_load_explicit(&window, memory_order_relaxed);
	uint64_t in, n, next;

	if (rate == TALLY_UNLIMITED ||
	    atomic_load_explicit(&ended, memory_order_relaxed))
		return 1;
	do {
		/* A thread that read the clock before another opened a
		 * later second counts in that one: a window never goes back,
		 * so no second holds more than rate.  A clock stepped back
		 * further than STEP_BACK starts afresh. */
		in = w >> COUNT_BITS;
		if (sec < in && in - sec <= STEP_BACK)
			sec = in;
		n = in == sec ? w & COUNT_MASK : 0;
		if (n >= rate) {
			if (in == sec)
				return 0;
			next = sec << COUNT_BITS | n;	/* a new second */
		} else {
			next = sec << COUNT_BITS | (n + 1);
		}
	} while (!atomic_compare_exchange_weak_explicit(
		&window, &w, next, memory_order_relaxed, memory_order_relaxed));
	return n < rate;
}

int tally_event(unsigned int cause, const struct timespec *now,
		unsigned int rate, int totals)
{
	unsigned int i = cause < TALLY_CAUSES ? cause : NAMES_CAUSE_UNKNOWN;
	uint64_t none = 0;

	if (totals)
		atomic_fetch_add_explicit(&events[i], 1, memory_order_relaxed);
	if (admitted(now, rate))
		return 1;
	atomic_fetch_add_explicit(&held[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&held_all, 1, memory_order_relaxed);
	atomic_compare_exchange_strong_explicit(&held_since, &none, usec(now),
						memory_order_relaxed,
						memory_order_relaxed);
	atomic_fetch_add_explicit(&held_pending, 1, memory_order_release);
	return 0;
}

void tally_lost(void)
{
	atomic_fetch_add_explicit(&lost_all, 1, memory_order_relaxed);
}

int tally_held_pending(void)
{
	return atomic_load_explicit(&held_pending, memory_order_relaxed) > 0;
}

/* A clock stepped back counts as a later second too: the notice is not
 * put off until the clock comes back. */
int tally_held_due(const struct timespec *now)
{
	uint64_t since = atomic_load_explicit(&held_since, memory_order_relaxed);

	return tally_held_pending() && since != 0 &&
	       since / 1000000u != (uint64_t)now->tv_sec;
}

uint64_t tally_take_held(struct tally_counts *out, struct timespec *since)
{
	uint64_t first = atomic_exchange_explicit(&held_since, 0,
						  memory_order_acquire);

	out->total = 0;
	/* Another taker got here first: the counts are its to tell. */
	if (first == 0)
		return 0;
	for (unsigned int i = 0; i < TALLY_CAUSES; i++) {
		out->cause[i] = atomic_exchange_explicit(&held[i], 0,
							 memory_order_acquire);
		out->total += out->cause[i];
	}
	atomic_fetch_sub_explicit(&held_pending, (int64_t)out->total,
				  memory_order_relaxed);
	since->tv_sec = (time_t)(first / 1000000u);
	since->tv_nsec = (long)(first % 1000000u) * 1000;
	return out->total;
}

void tally_totals(struct tally_counts *out, uint64_t *held_back,
		  uint64_t *lost)
{
	out->total = 0;
	for (unsigned int i = 0; i < TALLY_CAUSES; i++) {
		out->cause[i] = atomic_load_explicit(&events[i],
						     memory_order_relaxed);
		out->total += out->cause[i];
	}
	*held_back = atomic_load_explicit(&held_all, memory_order_relaxed);
	*lost = atomic_load_explicit(&lost_all, memory_order_relaxed);
}

/* Zero *p unless it is zero already (a page the fork shares stays so). */
static void clear(_Atomic uint64_t *p)
{
	if (atomic_load_explicit(p, memory_order_relaxed) != 0)
		atomic_store_explicit(p, 0, memory_order_relaxed);
}

uint64_t tally_connections(void)
{
	return conn_count() -
	       atomic_load_explicit(&conns_before, memory_order_relaxed);
}

int tally_claim_summary(void)
{
	return !atomic_exchange_explicit(&summary_done, 1, memory_order_relaxed);
}

void tally_end(void)
{
	atomic_store_explicit(&ended, 1, memory_order_relaxed);
}

void tally_forked_child(void)
{
	uint64_t conns = conn_count();

	if (atomic_load_explicit(&conns_before, memory_order_relaxed) != conns)
		atomic_store_explicit(&conns_before, conns,
				      memory_order_relaxed);
	clear(&window);
	clear(&held_since);
	clear(&held_all);
	clear(&lost_all);
	for (unsigned int i = 0; i < TALLY_CAUSES; i++) {
		clear(&held[i]);
		clear(&events[i]);
	}
	if (atomic_load_explicit(&summary_done, memory_order_relaxed))
		atomic_store_explicit(&summary_done, 0, memory_order_relaxed);
	if (atomic_load_explicit(&ended, memory_order_relaxed))
		atomic_store_explicit(&ended, 0, memory_order_relaxed);
	if (atomic_load_explicit(&held_pending, memory_order_relaxed) != 0)
		atomic_store_explicit(&held_pending, 0, memory_order_relaxed);
}
