/*
 * report_join.c - which events tell of one reset.
 *
 * 1. Connections: a preload event of the same host, pid and conn as an
 *    earlier one (and no other cookie) is that connection's later event.
 * 2. Layers: a preload event and a watch event of the same host, cookie
 *    and event (and addresses, where both have them) are one end seen by
 *    the program and by the kernel.
 * 3. Ends: a reset sent (rst_sent, or halfopen: keepalive's last reset)
 *    at LOCAL -> PEER and a reset received at PEER -> LOCAL, whose byte
 *    counts do not contradict each other (neither end received more
 *    than the other sent) and whose causes fit (refused only with
 *    no_listener, which answers nothing else; halfopen_reset only with
 *    no_connection), are one reset's two ends when nothing else could
 *    be.  Hosts' clocks differ: first, a reset with exactly one
 *    candidate each way, on two hosts, gives a sample of the receiving
 *    host's clock less the sender's, plus the time the reset took to
 *    arrive and be logged (report_ends.c: the offset is read from the
 *    least samples).  Then, with offsets taken off, a receiver pairs with the
 *    only sender whose time is within JOIN_EARLY_NS before and
 *    JOIN_PROMPT_NS after it; those left pair with the only sender up
 *    to JOIN_LATE_NS before them (a receiver logs at its next call:
 *    minutes later on an idle pooled connection).  Two candidates make
 *    no pair: both stay one-sided, never guessed.
 */
#include "cmd/report_join.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/report_ends.h"

/* An open-addressing table of event indexes by a 64-bit key; several
 * events of one key are chained through chain[]. */
struct multimap {
	uint64_t *key;
	uint32_t *head;
	size_t mask;
	uint32_t *chain;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static void mm_init(struct multimap *m, size_t n)
{
	size_t size = 16;

	while (size < n * 2)
		size *= 2;
	m->key = report_grow(NULL, size * sizeof(*m->key));
	m->head = report_grow(NULL, size * sizeof(*m->head));
	memset(m->head, 0xff, size * sizeof(*m->head));
	m->mask = size - 1;
	m->chain = NULL;
}

/* The slot of key: where it is, or the empty one where it would go. */
static size_t mm_slot(const struct multimap *m, uint64_t key)
{
	size_t i = (size_t)(key ^ (key >> 29)) & m->mask;

	while (m->head[i] != REV_NONE && m->key[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

static void mm_free(struct multimap *m)
{
	free(m->key);
	free(m->head);
	free(m->chain);
}

uint32_t report_add(struct report *r, const struct rev *e)
{
	if (r->nev == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->ev = report_grow(r->ev, r->cap * sizeof(*r->ev));
	}
	r->ev[r->nev] = *e;
	return (uint32_t)r->nev++;
}

static void connections(struct report *r)
{
	struct multimap m;

	mm_init(&m, r->nev);
	for (size_t i = 0; i < r->nev; i++) {
		struct rev *e = &r->ev[i];
		uint64_t key;
		size_t s;

		if ((e->flags & REV_KERNEL) || e->pid < 0 || e->conn < 0)
			continue;
		key = mix(mix(mix(1, e->host), (uint64_t)e->pid),
			  (uint64_t)e->conn);
		s = mm_slot(&m, key);
		if (m.head[s] != REV_NONE) {
			struct rev *h = &r->ev[m.head[s]];

			if (h->host == e->host && h->pid == e->pid &&
			    h->conn == e->conn &&
			    (!(h->flags & REV_COOKIE) || !(e->flags & REV_COOKIE) ||
			     h->cookie == e->cookie)) {
				struct rev *last = h;

				while (last->next != REV_NONE)
					last = &r->ev[last->next];
				last->next = (uint32_t)i;
				e->secondary = 1;
				if (!(h->flags & REV_COOKIE) &&
				    (e->flags & REV_COOKIE)) {
					h->cookie = e->cookie;
					h->flags |= REV_COOKIE;
				}
				continue;
			}
		}
		/* A new connection: it is the latest of its key. */
		m.key[s] = key;
		m.head[s] = (uint32_t)i;
	}
	mm_free(&m);
}

/* Do a's and b's addresses agree where both have them?  A local
 * wildcard (a refused connect's, as the program sees it) agrees with
 * any address at its port. */
static int same_addr(const struct rev *a, const struct rev *b)
{
	if ((a->flags & b->flags & REV_LOCAL) &&
	    (a->lport != b->lport ||
	     (memcmp(a->local, b->local, 16) &&
	      !((a->flags | b->flags) & REV_LOCAL_ANY))))
		return 0;
	if ((a->flags & b->flags & REV_PEER) &&
	    (memcmp(a->peer, b->peer, 16) || a->pport != b->pport))
		return 0;
	return 1;
}

static uint64_t layer_key(const struct rev *e)
{
	return mix(mix(mix(2, e->host), e->cookie), e->event);
}

static void layers(struct report *r)
{
	struct multimap m;

	mm_init(&m, r->nev);
	m.chain = report_grow(NULL, r->nev * sizeof(*m.chain) + 1);
	/* Kernel events by host, cookie and event, in order. */
	for (size_t i = r->nev; i-- > 0;) {
		struct rev *e = &r->ev[i];
		size_t s;

		m.chain[i] = REV_NONE;
		if (!(e->flags & REV_KERNEL) || !(e->flags & REV_COOKIE))
			continue;
		s = mm_slot(&m, layer_key(e));
		m.key[s] = layer_key(e);
		m.chain[i] = m.head[s];
		m.head[s] = (uint32_t)i;
	}
	for (size_t i = 0; i < r->nev; i++) {
		struct rev *e = &r->ev[i];
		uint32_t k;

		if ((e->flags & REV_KERNEL) || e->secondary ||
		    !(e->flags & REV_COOKIE) || e->kind == RK_OTHER)
			continue;
		for (k = m.head[mm_slot(&m, layer_key(e))]; k != REV_NONE;
		     k = m.chain[k]) {
			struct rev *x = &r->ev[k];

			if (x->layer == REV_NONE && x->host == e->host &&
			    x->cookie == e->cookie && x->event == e->event &&
			    same_addr(x, e))
				break;
		}
		if (k == REV_NONE)
			continue;
		e->layer = k;
		r->ev[k].layer = (uint32_t)i;
		r->ev[k].secondary = 1;
	}
	mm_free(&m);
}

uint32_t report_end_cause(const struct report *r, uint32_t i)
{
	const struct rev *e = &r->ev[i], *k;

	k = e->layer != REV_NONE ? &r->ev[e->layer] : NULL;
	if (!(e->flags & REV_KERNEL) && e->cause != 0)
		return e->cause;
	if (k != NULL && !(k->flags & REV_KERNEL) && k->cause != 0)
		return k->cause;
	return e->cause != 0 ? e->cause : k != NULL ? k->cause : 0;
}

int64_t report_end_time(const struct report *r, uint32_t i)
{
	const struct rev *e = &r->ev[i];

	if (e->layer != REV_NONE && (r->ev[e->layer].flags & REV_TIME))
		return r->ev[e->layer].ns;
	return (e->flags & REV_TIME) ? e->ns : INT64_MIN;
}

static int by_time(const void *x, const void *y, void *arg)
{
	const struct report *r = arg;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int64_t ta = report_end_time(r, a), tb = report_end_time(r, b);

	if ((ta == INT64_MIN) != (tb == INT64_MIN))
		return ta == INT64_MIN ? 1 : -1;
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return (a > b) - (a < b);
}

void report_join(struct report *r)
{
	connections(r);
	layers(r);
	report_ends(r);
	r->rows = report_grow(NULL, (r->nev + 1) * sizeof(*r->rows));
	r->nrows = 0;
	for (size_t i = 0; i < r->nev; i++) {
		const struct rev *e = &r->ev[i];

		if (e->secondary || (e->kind == RK_RECEIVED && e->end != REV_NONE))
			continue;
		r->rows[r->nrows++] = (uint32_t)i;
	}
	qsort_r(r->rows, r->nrows, sizeof(*r->rows), by_time, r);
}
