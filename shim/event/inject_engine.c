/*
 * inject_engine.c - TCPSHIM_INJECT: which rules a connection is armed
 * with, how far a call may go before one of them holds, and the reset
 * when one does: tcp_abort's disconnect, logged as rst_sent/injected
 * with the rule.  Only the hooks of calls/inject_hooks.c come here, and
 * they are in place only while rules are set.
 */
#include "event/inject_engine.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "core/classify.h"
#include "core/config.h"
#include "core/inject_rules.h"
#include "core/lazymap.h"
#include "event/abort_disconnect.h"
#include "os/probe.h"

/* Per rule: connections it has drawn for (prob), resets it made. */
static atomic_uint_fast64_t drawn[INJECT_RULES_MAX];
static atomic_uint_fast64_t fired[INJECT_RULES_MAX];
/* Rules with a byte count to reach, per direction; rules that may hold
 * before a call (after_ms=, or no byte count): inject_prepare(). */
static unsigned int counted[2], early;
int inject_on;

/*
 * Per connection, beside its record (by its index in the pool), and
 * mapped only while rules are set, in chunks of CHUNK: (id << 16) | the
 * rules armed on it, one bit each, decided at its first call once
 * established (a word made for another id is no decision for this one);
 * and when it was established, valid while born_id is the low 32 bits
 * of its id.
 */
struct state {
	atomic_uint_fast64_t word;
	atomic_uint_fast64_t born_ms;	/* CLOCK_MONOTONIC */
	atomic_uint born_id;
};

#define CHUNK_SHIFT 10
#define CHUNK (1u << CHUNK_SHIFT)
#define MAX_CHUNKS 16384u
static _Atomic(struct state *) chunks[MAX_CHUNKS];

/* c's state, or NULL when memory runs out (c is then left alone). */
static struct state *state_of(const struct conn *c)
{
	struct state *chunk;

	if (c->index >> CHUNK_SHIFT >= MAX_CHUNKS)
		return NULL;
	chunk = LAZYMAP_GET(&chunks[c->index >> CHUNK_SHIFT],
			    CHUNK * sizeof(struct state));
	return chunk ? &chunk[c->index & (CHUNK - 1)] : NULL;
}

#define ID_BITS 48
#define ID_MASK ((UINT64_C(1) << ID_BITS) - 1)
#define ARMED_MASK 0xffffu

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* fd's local port, host order; 0 if unknown. */
static unsigned int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct conn_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	conn_addr_from_sockaddr(&a, (struct sockaddr *)&ss, len);
	return ntohs(a.port);
}

/* The rules whose peer=, port= and prob= take this connection. */
static unsigned int decide(int fd, struct conn *c)
{
	const struct inject_rules *rules = &shim_config.inject;
	struct conn_addr peer = c->peer;
	unsigned int mask = 0, port = 0;
	int port_known = 0;

	if (peer.family == AF_UNSPEC) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
			conn_addr_from_sockaddr(&peer, (struct sockaddr *)&ss,
						len);
	}
	for (int i = 0; i < rules->n; i++) {
		const struct inject_rule *r = &rules->rule[i];

		if ((r->has & INJECT_PEER) && !inject_peer_matches(r, &peer))
			continue;
		if (r->has & INJECT_PORT) {
			if (!port_known)
				port = local_port(fd), port_known = 1;
			if (port != r->port)
				continue;
		}
		if (!inject_draw(r, i, atomic_fetch_add_explicit(
					       &drawn[i], 1,
					       memory_order_relaxed)))
			continue;
		mask |= 1u << i;
	}
	return mask;
}

static void stamp(struct state *st, uint32_t id)
{
	atomic_store_explicit(&st->born_ms, now_ms(), memory_order_relaxed);
	atomic_store_explicit(&st->born_id, id, memory_order_release);
}

void inject_established_slow(struct conn *c)
{
	struct state *st = state_of(c);

	if (st != NULL)
		stamp(st, (uint32_t)__atomic_load_n(&c->id, __ATOMIC_ACQUIRE));
}

/* Is c established, by what the shim saw or the kernel says? */
static int is_established(int fd, const struct conn *c, struct state *st)
{
	int state;

	if (atomic_load_explicit(&st->born_id, memory_order_acquire) ==
	    (uint32_t)c->id)
		return 1;
	state = probe_tcp_info(fd, NULL);
	return state == TCPS_ESTABLISHED || state == TCPS_CLOSE_WAIT;
}

unsigned int inject_arm(int fd, struct conn *c)
{
	uint64_t id = __atomic_load_n(&c->id, __ATOMIC_ACQUIRE) & ID_MASK;
	struct state *st = state_of(c);
	uint64_t have, made;
	int saved;

	if (st == NULL)
		return 0;
	have = atomic_load_explicit(&st->word, memory_order_acquire);
	if (have >> 16 == id)
		return (unsigned int)(have & ARMED_MASK);
	saved = errno;
	/* Not connected yet (a non-blocking connect, a Fast Open send):
	 * its peer may be unknown and its clock has not started.  Decided
	 * at a later call. */
	if (!is_established(fd, c, st)) {
		errno = saved;
		return 0;
	}
	/* Established where the shim did not see it (adopted, or a
	 * non-blocking connect): from now. */
	if (atomic_load_explicit(&st->born_id, memory_order_acquire) !=
	    (uint32_t)id)
		stamp(st, (uint32_t)id);
	made = id << 16 | decide(fd, c);
	/* Two threads deciding at once: the first decision stands. */
	if (!atomic_compare_exchange_strong_explicit(&st->word, &have, made,
						     memory_order_acq_rel,
						     memory_order_acquire) &&
	    have >> 16 == id)
		made = have;
	errno = saved;
	return (unsigned int)(made & ARMED_MASK);
}

/* Do rule r's byte and time conditions hold, with moved[] bytes moved
 * in all?  *now is read once, when first needed. */
static int holds(const struct inject_rule *r, const struct conn *c,
		 const uint64_t moved[2], uint64_t *now)
{
	if (moved[INJECT_SENT] < r->after[INJECT_SENT] ||
	    moved[INJECT_RECEIVED] < r->after[INJECT_RECEIVED])
		return 0;
	if (r->has & INJECT_AFTER_MS) {
		const struct state *st = state_of(c);
		uint64_t born = st ? atomic_load_explicit(&st->born_ms,
							  memory_order_relaxed)
				   : UINT64_MAX;

		if (*now == 0)
			*now = now_ms();
		if (*now < born || *now - born < r->after_ms)
			return 0;
	}
	return 1;
}

/* c's totals, and more for the call under way. */
static void totals(const struct conn *c, uint64_t sent, uint64_t received,
		   uint64_t moved[2])
{
	moved[INJECT_SENT] = atomic_load_explicit(&c->bytes_sent,
						  memory_order_relaxed) +
			     sent;
	moved[INJECT_RECEIVED] = atomic_load_explicit(&c->bytes_received,
						      memory_order_relaxed) +
				 received;
}

/* Has rule i made all the resets its count= allows? */
static int is_spent(const struct inject_rule *r, int i)
{
	return (r->has & INJECT_COUNT) &&
	       atomic_load_explicit(&fired[i], memory_order_relaxed) >=
		       r->count;
}

size_t inject_cap(struct conn *c, unsigned int armed, int dir)
{
	size_t cap = SIZE_MAX;
	uint64_t moved[2], now = 0;

	armed &= counted[dir];
	if (armed == 0)
		return cap;
	totals(c, 0, 0, moved);
	for (; armed != 0; armed &= armed - 1) {
		int i = __builtin_ctz(armed);
		const struct inject_rule *r = &shim_config.inject.rule[i];
		uint64_t at = moved[dir];

		if (at >= r->after[dir] || is_spent(r, i))
			continue;
		/* Would it hold with the bytes still to go?  Then the call
		 * stops exactly there. */
		moved[dir] = r->after[dir];
		if (holds(r, c, moved, &now) && r->after[dir] - at < cap)
			cap = (size_t)(r->after[dir] - at);
		moved[dir] = at;
	}
	return cap;
}

/* One reset more for rule i, if its count= allows: 1 if taken. */
static int take_count(const struct inject_rule *r, int i)
{
	if (!(r->has & INJECT_COUNT))
		return 1;
	if (atomic_fetch_add_explicit(&fired[i], 1, memory_order_relaxed) <
	    r->count)
		return 1;
	atomic_fetch_sub_explicit(&fired[i], 1, memory_order_relaxed);
	return 0;
}

/* Rule i holds on c: reset it now, if it is connected.  1 if it was. */
static int reset(int fd, struct conn *c, int i, const char *call,
		 uint64_t sent, uint64_t received)
{
	const struct inject_rule *r = &shim_config.inject.rule[i];
	struct abort_why why = { TCP_CAUSE_INJECTED, r->text, sent, received };
	int saved = errno, state, done = 0;

	if (!take_count(r, i))
		return 0;
	state = probe_tcp_info(fd, NULL);
	if (classify_state_resets(state)) {
		struct state *st = state_of(c);

		abort_disconnect(fd, c, state, call, &why);
		if (st != NULL)
			atomic_store_explicit(&st->word,
					      (c->id & ID_MASK) << 16,
					      memory_order_release);
		done = 1;
	} else if (r->has & INJECT_COUNT) {
		/* Not connected yet, or no more: nothing to reset. */
		atomic_fetch_sub_explicit(&fired[i], 1, memory_order_relaxed);
	}
	errno = saved;
	return done;
}

int inject_fire(int fd, struct conn *c, unsigned int armed, const char *call,
		uint64_t sent, uint64_t received)
{
	uint64_t moved[2], now = 0;

	if (conn_flags(c) & CONN_REPORTED)
		return 0;
	totals(c, sent, received, moved);
	for (; armed != 0; armed &= armed - 1) {
		int i = __builtin_ctz(armed);

		/* A rule whose count is spent leaves the rest to try. */
		if (holds(&shim_config.inject.rule[i], c, moved, &now) &&
		    reset(fd, c, i, call, sent, received))
			return 1;
	}
	return 0;
}

unsigned int inject_early(void)
{
	return early;
}

void inject_prepare(void)
{
	inject_on = 1;
	for (int i = 0; i < shim_config.inject.n; i++) {
		const struct inject_rule *r = &shim_config.inject.rule[i];

		if (r->after[INJECT_SENT] > 0)
			counted[INJECT_SENT] |= 1u << i;
		if (r->after[INJECT_RECEIVED] > 0)
			counted[INJECT_RECEIVED] |= 1u << i;
		if ((r->has & INJECT_AFTER_MS) ||
		    (r->after[INJECT_SENT] == 0 && r->after[INJECT_RECEIVED] == 0))
			early |= 1u << i;
	}
}
