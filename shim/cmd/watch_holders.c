/*
 * watch_holders.c - the resets tcpshim watch has read, held in order
 * until the process that holds each one's socket is known.  Nothing is
 * learnt while connections are healthy; a socket's holder is found after
 * its reset, three ways at once:
 *   the pass   one walk of every descriptor of every process (the
 *              kernel's task_file iterator, watch_load_pass) for the
 *              sockets of all the resets read since the last pass;
 *   its close  the socket's last close, by a program that let go of it
 *              before the pass came by (a WATCH_CLOSED record);
 *   an exit    a process that exited holding it, with the fd: taken only
 *              where nothing better comes (a fork may hold it on).
 * The close's record may come a moment after the pass: a socket the pass
 * did not find waits for one more reading of the ring buffer, then names
 * no owner.  Of several holders, the lowest pid but the one whose call
 * sent the reset (it acts on another's connection), at its lowest fd.  Waiting entries are found by cookie
 * through a hash table.
 */
#include "cmd/watch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A pass each WATCH_PASS_MS at most, unless asked now: each walks every
 * descriptor on the host; a storm must leave time to read the ring. */
#define WATCH_PASS_MS 100

enum watch_holders_state {
	WATCH_HOLDERS_DONE,	/* owner known, or none to look for */
	WATCH_HOLDERS_NEED,	/* the next pass looks */
	WATCH_HOLDERS_LOOKED,	/* the pass did not find it; one more read */
};

struct watch_holders_entry {
	struct watch_record r;
	int state;
	int dropped;		/* never to be emitted */
	int exited;		/* exit: an exit's holder, taken at the end */
	struct watch_owner exit;
	uint64_t exit_cgroup;
};

static struct watch_bpf *watch_holders_skel;
static watch_holders_fn watch_holders_emit_fn;
static void *watch_holders_ctx;
static struct watch_holders_entry *watch_holders_q;
static size_t watch_holders_head, watch_holders_len, watch_holders_cap;
static size_t watch_holders_held;	/* its index + 1; 0: none */
static long long watch_holders_pass_end_ms;
static uint64_t watch_holders_passes_failed;

/* The waiting entries, by cookie. */
static struct watch_index watch_holders_index;

void watch_holders_init(struct watch_bpf *skel, watch_holders_fn emit,
			void *ctx)
{
	watch_holders_skel = skel;
	watch_holders_emit_fn = emit;
	watch_holders_ctx = ctx;
}

void watch_holders_free(void)
{
	free(watch_holders_q);
	watch_index_free(&watch_holders_index);
	watch_holders_q = NULL;
	watch_holders_head = watch_holders_len = watch_holders_cap = 0;
	watch_holders_held = 0;
}

uint64_t watch_holders_failed(void)
{
	return watch_holders_passes_failed;
}

/* The index, made again for the entries still waiting.  -1 without
 * memory (closes are then not matched). */
static int watch_holders_reindex(void)
{
	if (watch_index_reset(&watch_holders_index,
			      watch_holders_len - watch_holders_head) != 0)
		return -1;
	for (size_t at = watch_holders_head; at < watch_holders_len; at++)
		if (watch_holders_q[at].state != WATCH_HOLDERS_DONE)
			watch_index_add(&watch_holders_index,
					watch_holders_q[at].r.cookie, at);
	return 0;
}

struct watch_holders_visit {
	uint64_t cookie;
	void (*fn)(struct watch_holders_entry *e, const void *arg);
	const void *arg;
};

static int watch_holders_visit(size_t at, const void *arg)
{
	const struct watch_holders_visit *v = arg;
	struct watch_holders_entry *e = &watch_holders_q[at];

	/* A stale position: emitted, or reused since. */
	if (at < watch_holders_head || at >= watch_holders_len ||
	    e->r.cookie != v->cookie || e->state == WATCH_HOLDERS_DONE)
		return 0;
	if (v->fn != NULL)
		v->fn(e, v->arg);
	return 1;
}

/* The waiting entries of a cookie: fn(entry, arg) for each (if fn);
 * how many there are. */
static int watch_holders_each(uint64_t cookie,
			      void (*fn)(struct watch_holders_entry *e,
					 const void *arg),
			      const void *arg)
{
	struct watch_holders_visit v = { cookie, fn, arg };

	return watch_index_each(&watch_holders_index, cookie,
				watch_holders_visit, &v);
}

/* A reset on a socket some process may hold, and no owner yet. */
static int watch_holders_wanted(const struct watch_record *r)
{
	return (r->flags & WATCH_FULL_SOCK) && !(r->flags & WATCH_NO_FILE) &&
	       r->inode != 0;
}

void watch_holders_unhold(int drop)
{
	if (watch_holders_held != 0)
		watch_holders_q[watch_holders_held - 1].dropped = drop;
	watch_holders_held = 0;
}

int watch_holders_add(const struct watch_record *r, int held)
{
	struct watch_holders_entry *e;

	if (watch_holders_head > 0 && watch_holders_len == watch_holders_cap) {
		memmove(watch_holders_q, watch_holders_q + watch_holders_head,
			(watch_holders_len - watch_holders_head) * sizeof(*e));
		watch_holders_len -= watch_holders_head;
		if (watch_holders_held != 0)
			watch_holders_held -= watch_holders_head;
		watch_holders_head = 0;
		watch_holders_reindex();
	}
	if (watch_holders_len == watch_holders_cap) {
		size_t cap = watch_holders_cap ? 2 * watch_holders_cap : 64;

		e = realloc(watch_holders_q, cap * sizeof(*e));
		if (e == NULL) {
			watch_holders_end();
			watch_holders_emit_fn(watch_holders_ctx, r);
			return 0;
		}
		watch_holders_q = e;
		watch_holders_cap = cap;
	}
	e = &watch_holders_q[watch_holders_len++];
	memset(e, 0, sizeof(*e));
	e->r = *r;
	e->state = watch_holders_wanted(r) ? WATCH_HOLDERS_NEED
					   : WATCH_HOLDERS_DONE;
	if (held)
		watch_holders_held = watch_holders_len;
	if (e->state != WATCH_HOLDERS_DONE &&
	    watch_index_add(&watch_holders_index, r->cookie,
			    watch_holders_len - 1) != 0 &&
	    watch_holders_reindex() != 0) {
		watch_holders_end();
		return 0;
	}
	return 1;
}

/* The owner of e's socket, and where it is (its cgroup). */
static void watch_holders_set(struct watch_holders_entry *e,
			      const struct watch_owner *o, uint64_t cgroup)
{
	e->r.owner = *o;
	e->r.owner_cgroup = cgroup;
	e->r.flags |= WATCH_HAS_OWNER;
	e->state = WATCH_HOLDERS_DONE;
}

/* An exit's holder, the latest: kept aside, for want of better. */
static void watch_holders_exited(struct watch_holders_entry *e,
				 const void *arg)
{
	const struct watch_record *c = arg;

	if (!(c->flags & WATCH_HAS_OWNER))
		return;
	e->exited = 1;
	e->exit = c->owner;
	e->exit_cgroup = c->owner_cgroup;
}

/* The last close: its task, with the fd its exit held it at if the
 * close was that exit's. */
static void watch_holders_last_close(struct watch_holders_entry *e,
				     const void *arg)
{
	const struct watch_record *c = arg;
	struct watch_owner o = c->owner;

	/* Released nested in another file's release: not its fd. */
	if (watch_stack_deferred(c))
		o.fd = -1;
	if (!(c->flags & WATCH_HAS_OWNER) && e->exited) {
		watch_holders_set(e, &e->exit, e->exit_cgroup);
		return;
	}
	if (!(c->flags & WATCH_HAS_OWNER)) {
		e->state = WATCH_HOLDERS_DONE;
		return;
	}
	if (o.fd < 0 && e->exited && e->exit.pid == o.pid)
		o.fd = e->exit.fd;
	/* The reset's sender closed its borrowed copy last (tcpshim abort),
	 * after the connection's own process exited with it. */
	if (e->r.kind == WATCH_RST_SENT && (e->r.flags & WATCH_HAS_ACTOR) &&
	    e->r.actor.pid == o.pid && e->exited && e->exit.pid != o.pid)
		watch_holders_set(e, &e->exit, e->exit_cgroup);
	else
		watch_holders_set(e, &o, c->owner_cgroup);
}

void watch_holders_closed(const struct watch_record *c)
{
	watch_holders_each(c->cookie, c->flags & WATCH_AT_EXIT ?
			   watch_holders_exited : watch_holders_last_close, c);
}

/* Entries waiting on the pass, by inode (an index into the queue). */
struct watch_holders_want {
	uint64_t inode;
	size_t at;
};

struct watch_holders_pass {
	struct watch_holders_want *want;
	size_t n;
};

static int watch_holders_by_inode(const void *a, const void *b)
{
	const struct watch_holders_want *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Whether h is a better owner for e than the one found before. */
static int watch_holders_better(const struct watch_holders_entry *e,
				const struct watch_holder *h)
{
	const struct watch_owner *o = &e->r.owner;
	int acted = (e->r.flags & WATCH_HAS_ACTOR) && e->r.actor.pid != 0;

	if (!(e->r.flags & WATCH_HAS_OWNER))
		return 1;
	/* Its actor acts on another's (tcpshim abort's borrowed copy). */
	if (acted && (h->pid == e->r.actor.pid) != (o->pid == e->r.actor.pid))
		return h->pid != e->r.actor.pid;
	return h->pid < o->pid || (h->pid == o->pid && h->fd < o->fd);
}

static int watch_holders_found(const struct watch_holder *h, void *ctx)
{
	struct watch_holders_pass *p = ctx;
	struct watch_holders_want key = { h->inode, 0 }, *w;
	struct watch_owner o = { .pid = h->pid, .fd = h->fd };

	memcpy(o.comm, h->comm, sizeof(o.comm));
	w = bsearch(&key, p->want, p->n, sizeof(*w), watch_holders_by_inode);
	if (w == NULL || h->pid == 0)
		return 0;
	/* Every entry of that inode (both ends on loopback are two). */
	while (w > p->want && w[-1].inode == h->inode)
		w--;
	for (; w < p->want + p->n && w->inode == h->inode; w++) {
		struct watch_holders_entry *e = &watch_holders_q[w->at];

		if (watch_holders_better(e, h))
			watch_holders_set(e, &o, h->cgroup);
	}
	return 0;
}

/* One pass for up to WATCH_WANTED_MAX of the entries that need one. */
static void watch_holders_look(void)
{
	static struct watch_holders_want want[WATCH_WANTED_MAX];
	static uint64_t inodes[WATCH_WANTED_MAX];
	struct watch_holders_pass p = { want, 0 };
	size_t n = 0;

	for (size_t i = watch_holders_head;
	     i < watch_holders_len && p.n < WATCH_WANTED_MAX; i++) {
		if (watch_holders_q[i].state != WATCH_HOLDERS_NEED)
			continue;
		watch_holders_q[i].state = WATCH_HOLDERS_LOOKED;
		want[p.n].inode = watch_holders_q[i].r.inode;
		want[p.n++].at = i;
	}
	if (p.n == 0)
		return;
	qsort(want, p.n, sizeof(want[0]), watch_holders_by_inode);
	for (size_t i = 0; i < p.n; i++)
		if (n == 0 || inodes[n - 1] != want[i].inode)
			inodes[n++] = want[i].inode;
	if (watch_load_pass(watch_holders_skel, inodes, n, watch_holders_found,
			    &p) != 0)
		watch_holders_passes_failed++;
}

/* In order, every entry up to the first whose owner may still be found. */
static void watch_holders_emit(void)
{
	while (watch_holders_head < watch_holders_len &&
	       watch_holders_q[watch_holders_head].state ==
	       WATCH_HOLDERS_DONE &&
	       watch_holders_held != watch_holders_head + 1) {
		const struct watch_holders_entry *e =
			&watch_holders_q[watch_holders_head++];

		/* Exits need not look for it, unless a later reset on the
		 * same socket still waits. */
		if (watch_holders_wanted(&e->r) &&
		    watch_holders_each(e->r.cookie, NULL, NULL) == 0)
			watch_load_forget(watch_holders_skel, e->r.inode);
		if (!e->dropped)
			watch_holders_emit_fn(watch_holders_ctx, &e->r);
	}
	if (watch_holders_head == watch_holders_len) {
		watch_holders_head = watch_holders_len = 0;
		watch_holders_reindex();
	}
}

static long long watch_holders_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Not found by the last pass, nor closed since: an exit's holder, if
 * one held it as it exited; else nobody.  A close that raced the pass
 * may still be in its task's queued work: some time is left for it. */
#define WATCH_SETTLE_MS 20
static void watch_holders_settle(void)
{
	for (size_t i = watch_holders_head; i < watch_holders_len; i++) {
		struct watch_holders_entry *e = &watch_holders_q[i];

		if (e->state == WATCH_HOLDERS_LOOKED && e->exited)
			watch_holders_set(e, &e->exit, e->exit_cgroup);
		else if (e->state == WATCH_HOLDERS_LOOKED)
			e->state = WATCH_HOLDERS_DONE;
	}
}

void watch_holders_flush(int now)
{
	long long since = watch_holders_now_ms() - watch_holders_pass_end_ms;
	int need = 0;

	if (since >= WATCH_SETTLE_MS)
		watch_holders_settle();
	watch_holders_emit();
	for (size_t i = watch_holders_head; i < watch_holders_len; i++)
		need |= watch_holders_q[i].state == WATCH_HOLDERS_NEED;
	if (need && (now || since >= WATCH_PASS_MS)) {
		watch_holders_look();
		watch_holders_pass_end_ms = watch_holders_now_ms();
	}
	watch_holders_emit();
	watch_holders_reindex();
}

void watch_holders_end(void)
{
	watch_holders_held = 0;
	for (size_t i = watch_holders_head; i < watch_holders_len; i++)
		if (watch_holders_q[i].state != WATCH_HOLDERS_DONE)
			watch_holders_q[i].state = WATCH_HOLDERS_LOOKED;
	watch_holders_settle();
	watch_holders_emit();
}
