/*
 * tally.h - the process's counts of events: by cause, for the summary at
 * exit; held back by TCPSHIM_RATE, for the held_back notices; and the
 * one-second window the limit counts in.
 *
 * Atomics only, no locks, no system call: events are counted from
 * signal handlers too.  After fork the child counts its own events.
 */
#ifndef SHIM_CORE_TALLY_H
#define SHIM_CORE_TALLY_H

#include <stdint.h>
#include <time.h>

#include "core/names.h"
#include "tcpshim.h"

/* Every cause counted: enum tcp_event_cause, then watch's own. */
#define TALLY_CAUSES NAMES_CAUSES

/* TCPSHIM_RATE=unlimited; the largest number it takes. */
#define TALLY_UNLIMITED 0xffffffffu
#define TALLY_RATE_MAX 1000000u
#define TALLY_RATE_MAX_DEC 1000000	/* the same, for messages */

struct tally_counts {
	uint64_t cause[TALLY_CAUSES];
	uint64_t total;
};

/*
 * One event of this cause, at time now (CLOCK_REALTIME): may it be
 * written under a limit of rate events per second?  If not it is counted
 * as held back.  With totals set it is also counted for the summary.
 */
int tally_event(unsigned int cause, const struct timespec *now,
		unsigned int rate, int totals);

/* One event the log could not take (counted for the summary). */
void tally_lost(void);

/* Are events held back and not yet told of in a notice? */
int tally_held_pending(void);
/*
 * Is a held_back notice due at now: events held back, the first of them
 * in an earlier second?  (A notice for the events of a second comes once
 * that second is over.)
 */
int tally_held_due(const struct timespec *now);
/* Take the held-back counts not yet told of: out, and the time the
 * first of them was held in since.  Returns out->total. */
uint64_t tally_take_held(struct tally_counts *out, struct timespec *since);

/* The totals so far: events by cause, how many were held back, and how
 * many were lost on the way to the log. */
void tally_totals(struct tally_counts *events, uint64_t *held_back,
		  uint64_t *lost);

/* Connections numbered in this process (since the fork that made it). */
uint64_t tally_connections(void);

/* 1 the first time only: the summary is written once per process. */
int tally_claim_summary(void);

/*
 * The process is ending: from now on every event is admitted, whatever
 * the limit (the last held_back notice is being written, and nothing
 * would tell of events held after it).
 */
void tally_end(void);

/* In a fork child: start counting from zero (writes nothing when there is
 * nothing to clear). */
void tally_forked_child(void);

#endif
