/*
 * report_ends.c - a reset's two ends, and each host pair's clock offset
 * (the rule is report_join.c's).
 *
 * Senders are filed by where their reset went (local address, local
 * port, peer port): a receiver looks up its peer address, peer port and
 * local port there.  Its own local address is checked too, unless it is
 * the wildcard a refused connect leaves.
 */
#include "cmd/report_join.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/report_ends.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t where(const uint8_t a[16], uint16_t to, uint16_t from)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	return mix(mix(mix(3, x), y), (uint64_t)to << 16 | from);
}

static int is_sender(const struct rev *e)
{
	return !e->secondary && (e->kind == RK_SENT || e->kind == RK_HALFOPEN) &&
	       (e->flags & REV_LOCAL) && (e->flags & REV_PEER);
}

static int is_receiver(const struct rev *e)
{
	return !e->secondary && e->kind == RK_RECEIVED &&
	       (e->flags & REV_LOCAL) && (e->flags & REV_PEER);
}

/* The causes that tell a reset's two ends apart. */
struct causes {
	uint32_t refused, halfopen_reset, no_listener, no_connection;
};

static uint32_t id_of(const struct report *r, const char *name)
{
	uint32_t id = intern_find(&r->strings, name);

	return id == UINT32_MAX ? REV_NONE - 1 : id;
}

/* Do the ends' causes fit one reset?  A refused connect is answered
 * only by a host with no listener, which answers nothing else; a
 * half-open one only by a host that did not know the connection (which
 * may also answer data sent soon after other traffic: a peer_reset); an
 * end without a cause fits any. */
static int causes_fit(const struct report *r, const struct causes *c,
		      uint32_t s, uint32_t x)
{
	uint32_t cs = report_end_cause(r, s), cx = report_end_cause(r, x);

	if (cs == 0 || cx == 0)
		return 1;
	if (cx == c->refused || cs == c->no_listener)
		return cx == c->refused && cs == c->no_listener;
	if (cx == c->halfopen_reset)
		return cs == c->no_connection;
	return 1;
}

/* Can s's reset be the one r received (times aside)? */
static int compatible(const struct rev *s, const struct rev *r)
{
	if (memcmp(s->local, r->peer, 16) != 0 || s->lport != r->pport ||
	    s->pport != r->lport)
		return 0;
	if (!(r->flags & REV_LOCAL_ANY) && memcmp(s->peer, r->local, 16) != 0)
		return 0;
	if (r->received >= 0 && s->sent >= 0 && r->received > s->sent)
		return 0;
	if (s->received >= 0 && r->sent >= 0 && s->received > r->sent)
		return 0;
	return 1;
}

/* A reset with one candidate each way between two hosts: the receiving
 * host's time less the sending host's. */
struct sample {
	uint32_t s, x;		/* the sender's host, the receiver's */
	int64_t d;
};

static int by_direction_then_d(const void *a, const void *b)
{
	const struct sample *p = a, *q = b;

	if (p->s != q->s)
		return p->s < q->s ? -1 : 1;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return (p->d > q->d) - (p->d < q->d);
}

/* One direction's samples, sorted: a receiver logs a reset after it
 * left, never before, so the least differences are the nearest to the
 * clocks' own offset; the tenth percentile, not the least, lest one odd
 * pair decide. */
struct direction {
	int64_t low, median;
	size_t n;
};

static struct direction direction_of(const struct sample *s, size_t k)
{
	return (struct direction){ s[(k - 1) / 10].d, s[(k - 1) / 2].d, k };
}

static struct rep_offset *offset_slot(struct report *r, uint32_t a,
				      uint32_t b)
{
	for (size_t i = 0; i < r->noffsets; i++)
		if (r->offset[i].a == a && r->offset[i].b == b)
			return &r->offset[i];
	r->offset = report_grow(r->offset,
				(r->noffsets + 1) * sizeof(*r->offset));
	r->offset[r->noffsets] = (struct rep_offset){ .a = a, .b = b };
	return &r->offset[r->noffsets++];
}

/*
 * Each host pair's offset (b's clock less a's, a < b): from resets a to
 * b alone, their low difference; from b to a alone, less theirs; from
 * both, half the one less the other, which takes the time a reset
 * takes to arrive and be logged off too.  The median delay is the
 * median difference less the offset, in the direction with more pairs.
 */
static void offsets(struct report *r, struct sample *s, size_t n)
{
	if (n > 1)
		qsort(s, n, sizeof(*s), by_direction_then_d);
	for (size_t i = 0, j; i < n; i = j) {
		int forward = s[i].s < s[i].x;
		struct rep_offset *o;
		struct direction d;

		for (j = i; j < n && s[j].s == s[i].s && s[j].x == s[i].x; j++)
			;
		d = direction_of(s + i, j - i);
		o = forward ? offset_slot(r, s[i].s, s[i].x)
			    : offset_slot(r, s[i].x, s[i].s);
		if (forward) {
			o->fwd_low = d.low;
			o->fwd_n = d.n;
		} else {
			o->back_low = d.low;
			o->back_n = d.n;
		}
		if (d.n > o->delay_n) {
			o->delay_n = d.n;
			o->spread_ns = d.median - d.low;
		}
	}
	for (size_t i = 0; i < r->noffsets; i++) {
		struct rep_offset *o = &r->offset[i];

		o->pairs = o->fwd_n + o->back_n;
		if (o->fwd_n > 0 && o->back_n > 0)
			o->ns = o->fwd_low / 2 - o->back_low / 2;
		else
			o->ns = o->fwd_n > 0 ? o->fwd_low : -o->back_low;
	}
}

int64_t report_offset(const struct report *r, uint32_t a, uint32_t b)
{
	static size_t last;

	if (a == b)
		return 0;
	for (size_t n = 0; n < r->noffsets; n++) {
		size_t i = (last + n) % r->noffsets;
		const struct rep_offset *o = &r->offset[i];

		if (o->a == a && o->b == b) {
			last = i;
			return o->ns;
		}
		if (o->a == b && o->b == a) {
			last = i;
			return -o->ns;
		}
	}
	return 0;
}

/* How late r logged s's reset, clocks corrected: INT64_MIN if unknown. */
static int64_t lateness(const struct report *r, uint32_t s, uint32_t x)
{
	int64_t ts = report_end_time(r, s), tx = report_end_time(r, x);

	if (ts == INT64_MIN || tx == INT64_MIN)
		return INT64_MIN;
	return tx - ts - report_offset(r, r->ev[s].host, r->ev[x].host);
}

struct ends {
	struct report *r;
	struct causes causes;
	uint64_t *key;
	uint32_t *head, *chain;
	size_t mask;
	uint32_t *claim;	/* a receiver's one candidate */
	uint8_t *claims;	/* how many receivers claim a sender */
};

static uint32_t bucket(const struct ends *x, const struct rev *e)
{
	uint64_t k = where(e->peer, e->pport, e->lport);
	size_t i = (size_t)(k ^ (k >> 29)) & x->mask;

	while (x->head[i] != REV_NONE && x->key[i] != k)
		i = (i + 1) & x->mask;
	return x->head[i];
}

static void file_senders(struct ends *x)
{
	struct report *r = x->r;
	size_t size = 16;

	while (size < r->nev * 2)
		size *= 2;
	x->mask = size - 1;
	x->key = report_grow(NULL, size * sizeof(*x->key));
	x->head = report_grow(NULL, size * sizeof(*x->head));
	memset(x->head, 0xff, size * sizeof(*x->head));
	x->chain = report_grow(NULL, (r->nev + 1) * sizeof(*x->chain));
	for (size_t i = r->nev; i-- > 0;) {
		const struct rev *e = &r->ev[i];
		uint64_t k;
		size_t s;

		if (!is_sender(e))
			continue;
		k = where(e->local, e->lport, e->pport);
		s = (size_t)(k ^ (k >> 29)) & x->mask;
		while (x->head[s] != REV_NONE && x->key[s] != k)
			s = (s + 1) & x->mask;
		x->key[s] = k;
		x->chain[i] = x->head[s];
		x->head[s] = (uint32_t)i;
	}
}

/* Each receiver's one candidate sender among those unpaired whose
 * lateness is within [lo, hi] (any when lo is INT64_MIN), or REV_NONE;
 * and how many receivers claim each sender. */
static void claim(struct ends *x, int64_t lo, int64_t hi)
{
	struct report *r = x->r;

	memset(x->claims, 0, r->nev);
	for (size_t i = 0; i < r->nev; i++) {
		const struct rev *e = &r->ev[i];
		uint32_t one = REV_NONE;
		int n = 0;

		x->claim[i] = REV_NONE;
		if (!is_receiver(e) || e->end != REV_NONE)
			continue;
		for (uint32_t s = bucket(x, e); s != REV_NONE && n < 2;
		     s = x->chain[s]) {
			int64_t late;

			if (r->ev[s].end != REV_NONE ||
			    !compatible(&r->ev[s], e) ||
			    !causes_fit(r, &x->causes, s, (uint32_t)i))
				continue;
			late = lateness(r, s, (uint32_t)i);
			if (lo != INT64_MIN &&
			    (late == INT64_MIN || late < lo || late > hi))
				continue;
			one = s;
			n++;
		}
		if (n != 1)
			continue;
		x->claim[i] = one;
		if (x->claims[one] < 2)
			x->claims[one]++;
	}
}

/* Pair each receiver whose one candidate no other receiver claims. */
static void pair_claimed(struct ends *x)
{
	struct report *r = x->r;

	for (size_t i = 0; i < r->nev; i++) {
		uint32_t s = x->claim[i];

		if (s == REV_NONE || x->claims[s] != 1)
			continue;
		r->ev[s].end = (uint32_t)i;
		r->ev[i].end = s;
	}
}

void report_ends(struct report *r)
{
	struct ends x = { .r = r };
	struct sample *samples = NULL;
	size_t nsamples = 0, cap = 0;

	if (r->nev == 0)
		return;
	x.causes = (struct causes){
		.refused = id_of(r, "refused"),
		.halfopen_reset = id_of(r, "halfopen_reset"),
		.no_listener = id_of(r, "no_listener"),
		.no_connection = id_of(r, "no_connection"),
	};
	file_senders(&x);
	x.claim = report_grow(NULL, r->nev * sizeof(*x.claim));
	x.claims = report_grow(NULL, r->nev);

	/* The clocks, from resets with one candidate each way. */
	claim(&x, INT64_MIN, 0);
	for (size_t i = 0; i < r->nev; i++) {
		uint32_t s = x.claim[i];
		int64_t ts, tr;

		if (s == REV_NONE || x.claims[s] != 1 ||
		    r->ev[s].host == r->ev[i].host)
			continue;
		ts = report_end_time(r, s);
		tr = report_end_time(r, (uint32_t)i);
		if (ts == INT64_MIN || tr == INT64_MIN)
			continue;
		if (nsamples == cap) {
			cap = cap ? cap * 2 : 64;
			samples = report_grow(samples, cap * sizeof(*samples));
		}
		samples[nsamples++] =
			(struct sample){ r->ev[s].host, r->ev[i].host, tr - ts };
	}
	offsets(r, samples, nsamples);
	free(samples);

	/* Prompt receivers, then late ones. */
	claim(&x, -JOIN_EARLY_NS, JOIN_PROMPT_NS);
	pair_claimed(&x);
	claim(&x, -JOIN_EARLY_NS, JOIN_LATE_NS);
	pair_claimed(&x);

	free(x.key);
	free(x.head);
	free(x.chain);
	free(x.claim);
	free(x.claims);
}
