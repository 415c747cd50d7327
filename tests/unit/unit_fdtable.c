/*
 * unit_fdtable.c - the descriptor table (fdtable.c) and the pool of
 * connection records (conn.c).
 *
 * Covers descriptors at every level boundary of the table up to INT_MAX
 * and negative ones; replacing and taking slots; fdt_next() over sparse
 * and empty ranges; reference counts, reuse of freed records under fresh
 * ids; socket address round trips; and both structures hammered from
 * several threads, after which their state must still add up.
 */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "core/conn.h"
#include "core/fdtable.h"

#define NTHREADS 4

/* Records for the table tests: only their addresses matter. */
static struct conn dummy[8];

/* 0 and INT_MAX, and each side of the leaf and mid boundaries. */
static const int edge_fds[] = {
	0, 1, 1023, 1024, 1025, 65535, 65536, (1 << 20) - 1, 1 << 20,
	(1 << 20) + 1, INT_MAX - 1024, INT_MAX - 1, INT_MAX,
};
#define NEDGE ((int)(sizeof(edge_fds) / sizeof(*edge_fds)))

/* Leave the table empty for the next test (when not forked per test). */
static void table_empty(void)
{
	for (int fd = fdt_next(0, UINT_MAX); fd >= 0;
	     fd = fd < INT_MAX ? fdt_next((unsigned int)fd + 1, UINT_MAX)
			       : -1)
		fdt_take(fd);
}

/* --- the table --- */

START_TEST(untracked_fds_have_no_record)
{
	for (int i = 0; i < NEDGE; i++)
		ck_assert_ptr_null(fdt_get(edge_fds[i]));
	ck_assert_ptr_null(fdt_get(-1));
	ck_assert_ptr_null(fdt_get(INT_MIN));
	ck_assert_int_eq(fdt_next(0, UINT_MAX), -1);
}
END_TEST

START_TEST(set_get_take_at_each_edge_fd)
{
	int fd = edge_fds[_i];
	struct conn *old = &dummy[7];

	ck_assert_int_eq(fdt_set(fd, &dummy[0], &old), 0);
	ck_assert_ptr_null(old);
	ck_assert_ptr_eq(fdt_get(fd), &dummy[0]);
	if (fd > 0)
		ck_assert_ptr_null(fdt_get(fd - 1));
	if (fd < INT_MAX)
		ck_assert_ptr_null(fdt_get(fd + 1));
	ck_assert_int_eq(fdt_next(0, UINT_MAX), fd);
	ck_assert_ptr_eq(fdt_take(fd), &dummy[0]);
	ck_assert_ptr_null(fdt_get(fd));
	ck_assert_ptr_null(fdt_take(fd));
	ck_assert_int_eq(fdt_next(0, UINT_MAX), -1);
}
END_TEST

START_TEST(every_edge_fd_keeps_its_own_record)
{
	static struct conn recs[NEDGE];
	struct conn *old;

	for (int i = 0; i < NEDGE; i++) {
		ck_assert_int_eq(fdt_set(edge_fds[i], &recs[i], &old), 0);
		ck_assert_ptr_null(old);
	}
	for (int i = 0; i < NEDGE; i++)
		ck_assert_ptr_eq(fdt_get(edge_fds[i]), &recs[i]);
	for (int i = NEDGE - 1; i >= 0; i--)
		ck_assert_ptr_eq(fdt_take(edge_fds[i]), &recs[i]);
	for (int i = 0; i < NEDGE; i++)
		ck_assert_ptr_null(fdt_get(edge_fds[i]));
}
END_TEST

START_TEST(negative_fd_is_refused_and_old_is_still_set)
{
	static const int fds[] = { -1, -2, -1024, INT_MIN };

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++) {
		struct conn *old = &dummy[7];

		ck_assert_int_eq(fdt_set(fds[i], &dummy[0], &old), -1);
		ck_assert_ptr_null(old);
		old = &dummy[7];
		ck_assert_int_eq(fdt_set(fds[i], NULL, &old), -1);
		ck_assert_ptr_null(old);
		ck_assert_ptr_null(fdt_get(fds[i]));
		ck_assert_ptr_null(fdt_take(fds[i]));
	}
	ck_assert_int_eq(fdt_next(0, UINT_MAX), -1);
}
END_TEST

START_TEST(replacing_a_slot_returns_the_old_record)
{
	struct conn *old;

	ck_assert_int_eq(fdt_set(1024, &dummy[0], &old), 0);
	ck_assert_ptr_null(old);
	ck_assert_int_eq(fdt_set(1024, &dummy[1], &old), 0);
	ck_assert_ptr_eq(old, &dummy[0]);
	ck_assert_ptr_eq(fdt_get(1024), &dummy[1]);
	ck_assert_int_eq(fdt_set(1024, &dummy[1], &old), 0);
	ck_assert_ptr_eq(old, &dummy[1]);
	ck_assert_int_eq(fdt_set(1024, NULL, &old), 0);
	ck_assert_ptr_eq(old, &dummy[1]);
	ck_assert_ptr_null(fdt_get(1024));
}
END_TEST

START_TEST(clearing_an_unmapped_slot_succeeds_with_no_old_record)
{
	struct conn *old = &dummy[7];

	ck_assert_int_eq(fdt_set(INT_MAX - 5, NULL, &old), 0);
	ck_assert_ptr_null(old);
	ck_assert_ptr_null(fdt_take(123456789));
	ck_assert_int_eq(fdt_next(0, UINT_MAX), -1);
}
END_TEST

START_TEST(next_in_empty_table_finds_nothing)
{
	ck_assert_int_eq(fdt_next(0, UINT_MAX), -1);
	ck_assert_int_eq(fdt_next(0, 0), -1);
	ck_assert_int_eq(fdt_next(INT_MAX, INT_MAX), -1);
	ck_assert_int_eq(fdt_next(UINT_MAX, UINT_MAX), -1);
}
END_TEST

START_TEST(next_over_whole_range_finds_only_int_max)
{
	struct conn *old;

	ck_assert_int_eq(fdt_set(INT_MAX, &dummy[0], &old), 0);
	ck_assert_int_eq(fdt_next(0, UINT_MAX), INT_MAX);
	ck_assert_int_eq(fdt_next(0, INT_MAX), INT_MAX);
	ck_assert_int_eq(fdt_next(INT_MAX, INT_MAX), INT_MAX);
	ck_assert_int_eq(fdt_next(INT_MAX, UINT_MAX), INT_MAX);
	ck_assert_int_eq(fdt_next(0, INT_MAX - 1), -1);
	ck_assert_int_eq(fdt_next((unsigned int)INT_MAX + 1, UINT_MAX), -1);
	ck_assert_int_eq(fdt_next(UINT_MAX, UINT_MAX), -1);
}
END_TEST

START_TEST(next_walks_sparse_fds_in_order)
{
	static const int fds[] = {
		3, 1023, 1024, 65536, 1 << 20, (1 << 30) + 7, INT_MAX,
	};
	int n = (int)(sizeof(fds) / sizeof(*fds));
	struct conn *old;
	int found = 0;

	for (int i = n - 1; i >= 0; i--)
		ck_assert_int_eq(fdt_set(fds[i], &dummy[i], &old), 0);
	for (int fd = fdt_next(0, UINT_MAX); fd >= 0;
	     fd = fd < INT_MAX ? fdt_next((unsigned int)fd + 1, UINT_MAX)
			       : -1) {
		ck_assert_int_lt(found, n);
		ck_assert_int_eq(fd, fds[found]);
		ck_assert_ptr_eq(fdt_get(fd), &dummy[found]);
		found++;
	}
	ck_assert_int_eq(found, n);
}
END_TEST

START_TEST(next_respects_both_ends_of_the_range)
{
	struct conn *old;

	ck_assert_int_eq(fdt_set(3, &dummy[0], &old), 0);
	ck_assert_int_eq(fdt_set(4, &dummy[1], &old), 0);
	ck_assert_int_eq(fdt_set(1023, &dummy[2], &old), 0);
	ck_assert_int_eq(fdt_set(1 << 20, &dummy[3], &old), 0);

	ck_assert_int_eq(fdt_next(0, 2), -1);
	ck_assert_int_eq(fdt_next(0, 3), 3);
	ck_assert_int_eq(fdt_next(3, 3), 3);
	ck_assert_int_eq(fdt_next(4, 3), -1);		/* from > last */
	ck_assert_int_eq(fdt_next(1000, 10), -1);
	ck_assert_int_eq(fdt_next(4, 4), 4);
	ck_assert_int_eq(fdt_next(5, 1022), -1);	/* gap in one leaf */
	ck_assert_int_eq(fdt_next(5, 1023), 1023);
	ck_assert_int_eq(fdt_next(1024, (1 << 20) - 1), -1); /* gap */
	ck_assert_int_eq(fdt_next(1024, 1 << 20), 1 << 20);
	ck_assert_int_eq(fdt_next((1 << 20) + 1, UINT_MAX), -1);
}
END_TEST

START_TEST(next_skips_taken_fds_in_mapped_leaves)
{
	struct conn *old;

	ck_assert_int_eq(fdt_set(10, &dummy[0], &old), 0);
	ck_assert_int_eq(fdt_set(20, &dummy[1], &old), 0);
	ck_assert_ptr_eq(fdt_take(10), &dummy[0]);
	ck_assert_int_eq(fdt_next(0, UINT_MAX), 20);
	ck_assert_ptr_eq(fdt_take(20), &dummy[1]);
	ck_assert_int_eq(fdt_next(0, UINT_MAX), -1);
}
END_TEST

/* --- the record pool --- */

START_TEST(new_record_has_one_reference_and_given_flags)
{
	struct conn *c = conn_new(CONN_POLICY | CONN_ESTABLISHED);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(atomic_load(&c->refs), 1);
	ck_assert_uint_eq(conn_flags(c), CONN_POLICY | CONN_ESTABLISHED);
	ck_assert_uint_eq(atomic_load(&c->bytes_sent), 0);
	ck_assert_uint_eq(atomic_load(&c->bytes_received), 0);
	ck_assert_uint_eq(c->peer.family, AF_UNSPEC);
	ck_assert_uint_gt(c->id, 0);
	conn_put(c);
}
END_TEST

START_TEST(put_last_is_true_only_for_the_last_reference)
{
	struct conn *c = conn_new(0);

	ck_assert_int_eq(conn_tryget(c), 1);
	ck_assert_int_eq(conn_tryget(c), 1);
	ck_assert_uint_eq(atomic_load(&c->refs), 3);
	ck_assert_int_eq(conn_put_last(c), 0);
	ck_assert_int_eq(conn_put_last(c), 0);
	ck_assert_uint_eq(atomic_load(&c->refs), 1);
	ck_assert_int_eq(conn_put_last(c), 1);
	conn_free(c);
}
END_TEST

START_TEST(freed_record_is_reused_with_fresh_id_and_clean_state)
{
	struct conn *a = conn_new(CONN_POLICY | CONN_LINGER0);
	struct conn *b;
	uint64_t id = a->id;

	atomic_store(&a->bytes_sent, 100);
	atomic_store(&a->bytes_received, 200);
	a->peer.family = AF_INET;
	a->peer.port = htons(80);
	memset(a->peer.addr, 0xff, sizeof(a->peer.addr));
	conn_set(a, CONN_REPORTED);
	conn_put(a);

	/* The free list is a stack: the record just freed comes back. */
	b = conn_new(CONN_ESTABLISHED);
	ck_assert_ptr_eq(b, a);
	ck_assert_uint_gt(b->id, id);
	ck_assert_uint_eq(atomic_load(&b->refs), 1);
	ck_assert_uint_eq(conn_flags(b), CONN_ESTABLISHED);
	ck_assert_uint_eq(atomic_load(&b->bytes_sent), 0);
	ck_assert_uint_eq(atomic_load(&b->bytes_received), 0);
	ck_assert_uint_eq(b->peer.family, AF_UNSPEC);
	ck_assert_uint_eq(b->peer.port, 0);
	for (size_t i = 0; i < sizeof(b->peer.addr); i++)
		ck_assert_uint_eq(b->peer.addr[i], 0);
	conn_put(b);
}
END_TEST

START_TEST(ids_strictly_increase_across_fresh_and_reused_records)
{
	enum { LIVE = 40, ROUNDS = 50 };
	struct conn *live[LIVE] = { NULL };
	uint64_t last = 0;

	/* Hold a changing set of records: new ones mix with reused ones. */
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = r % 3; i < LIVE; i += 2) {
			if (live[i] != NULL) {
				conn_put(live[i]);
				live[i] = NULL;
				continue;
			}
			live[i] = conn_new(0);
			ck_assert_ptr_nonnull(live[i]);
			ck_assert_uint_gt(live[i]->id, last);
			last = live[i]->id;
		}
	}
	for (int i = 0; i < LIVE; i++) {
		for (int j = i + 1; j < LIVE; j++)
			if (live[i] != NULL && live[j] != NULL) {
				ck_assert_ptr_ne(live[i], live[j]);
				ck_assert_uint_ne(live[i]->id, live[j]->id);
				ck_assert_uint_ne(live[i]->index,
						  live[j]->index);
			}
	}
	for (int i = 0; i < LIVE; i++)
		if (live[i] != NULL)
			conn_put(live[i]);
}
END_TEST

START_TEST(flag_helpers_set_clear_and_claim_once)
{
	struct conn *c = conn_new(CONN_POLICY);

	conn_set(c, CONN_ESTABLISHED | CONN_SHUT_WR);
	ck_assert_uint_eq(conn_flags(c),
			  CONN_POLICY | CONN_ESTABLISHED | CONN_SHUT_WR);
	conn_clear(c, CONN_SHUT_WR | CONN_LINGER0);
	ck_assert_uint_eq(conn_flags(c), CONN_POLICY | CONN_ESTABLISHED);
	ck_assert_int_eq(conn_claim_report(c), 1);
	ck_assert_int_eq(conn_claim_report(c), 0);
	ck_assert_uint_ne(conn_flags(c) & CONN_REPORTED, 0);
	conn_put(c);
}
END_TEST

/* --- socket addresses --- */

static struct sockaddr_in make_in(const char *addr, uint16_t port)
{
	struct sockaddr_in in;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &in.sin_addr), 1);
	return in;
}

static struct sockaddr_in6 make_in6(const char *addr, uint16_t port)
{
	struct sockaddr_in6 in6;

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &in6.sin6_addr), 1);
	return in6;
}

/* Nothing but zeros from byte from to the end of ss. */
static void check_zero_from(const struct sockaddr_storage *ss, size_t from)
{
	const unsigned char *p = (const unsigned char *)ss;

	for (size_t i = from; i < sizeof(*ss); i++)
		ck_assert_msg(p[i] == 0, "byte %zu of the address is 0x%02x",
			      i, p[i]);
}

START_TEST(ipv4_address_round_trips)
{
	struct sockaddr_in in = make_in("192.0.2.1", 8080);
	struct sockaddr_storage ss;
	const struct sockaddr_in *out = (const void *)&ss;
	struct conn_addr ca;

	memset(&ca, 0xee, sizeof(ca));
	conn_addr_from_sockaddr(&ca, (const struct sockaddr *)&in, sizeof(in));
	ck_assert_uint_eq(ca.family, AF_INET);
	ck_assert_uint_eq(ca.port, htons(8080));
	ck_assert_mem_eq(ca.addr, &in.sin_addr, 4);
	for (size_t i = 4; i < sizeof(ca.addr); i++)
		ck_assert_uint_eq(ca.addr[i], 0);

	memset(&ss, 0xee, sizeof(ss));
	conn_addr_to_sockaddr(&ca, &ss);
	ck_assert_uint_eq(out->sin_family, AF_INET);
	ck_assert_uint_eq(out->sin_port, htons(8080));
	ck_assert_uint_eq(out->sin_addr.s_addr, in.sin_addr.s_addr);
	ck_assert_mem_eq(out, &in, sizeof(in));
	check_zero_from(&ss, sizeof(in));
}
END_TEST

START_TEST(ipv6_address_round_trips)
{
	struct sockaddr_in6 in6 = make_in6("2001:db8::1:0:0:1", 443);
	struct sockaddr_storage ss;
	const struct sockaddr_in6 *out = (const void *)&ss;
	struct conn_addr ca;

	memset(&ca, 0xee, sizeof(ca));
	conn_addr_from_sockaddr(&ca, (const struct sockaddr *)&in6,
				sizeof(in6));
	ck_assert_uint_eq(ca.family, AF_INET6);
	ck_assert_uint_eq(ca.port, htons(443));
	ck_assert_mem_eq(ca.addr, &in6.sin6_addr, 16);

	memset(&ss, 0xee, sizeof(ss));
	conn_addr_to_sockaddr(&ca, &ss);
	ck_assert_uint_eq(out->sin6_family, AF_INET6);
	ck_assert_uint_eq(out->sin6_port, htons(443));
	ck_assert_mem_eq(&out->sin6_addr, &in6.sin6_addr, 16);
	ck_assert_mem_eq(out, &in6, sizeof(in6));
	check_zero_from(&ss, sizeof(in6));
}
END_TEST

START_TEST(address_from_longer_storage_is_accepted)
{
	struct sockaddr_storage big, back;
	struct sockaddr_in6 in6 = make_in6("::ffff:192.0.2.1", 65535);
	struct conn_addr ca;

	memset(&big, 0, sizeof(big));
	memcpy(&big, &in6, sizeof(in6));
	conn_addr_from_sockaddr(&ca, (const struct sockaddr *)&big,
				sizeof(big));
	ck_assert_uint_eq(ca.family, AF_INET6);
	conn_addr_to_sockaddr(&ca, &back);
	ck_assert_mem_eq(&back, &in6, sizeof(in6));
}
END_TEST

START_TEST(truncated_or_foreign_address_becomes_unspec)
{
	struct sockaddr_in in = make_in("198.51.100.7", 80);
	struct sockaddr_in6 in6 = make_in6("fe80::1", 22);
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	struct sockaddr_storage ss;
	const struct {
		const struct sockaddr *sa;
		socklen_t len;
	} cases[] = {
		{ (const struct sockaddr *)&in, sizeof(in) - 1 },
		{ (const struct sockaddr *)&in, sizeof(sa_family_t) },
		{ (const struct sockaddr *)&in, 0 },
		{ (const struct sockaddr *)&in6, sizeof(in6) - 1 },
		{ (const struct sockaddr *)&in6, sizeof(struct sockaddr_in) },
		{ (const struct sockaddr *)&in6, 0 },
		{ (const struct sockaddr *)&un, sizeof(un) },
		{ NULL, sizeof(in) },
		{ NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct conn_addr ca;

		memset(&ca, 0xee, sizeof(ca));
		conn_addr_from_sockaddr(&ca, cases[i].sa, cases[i].len);
		ck_assert_msg(ca.family == AF_UNSPEC,
			      "case %zu: family %u", i, ca.family);
		ck_assert_uint_eq(ca.port, 0);
		for (size_t j = 0; j < sizeof(ca.addr); j++)
			ck_assert_uint_eq(ca.addr[j], 0);

		memset(&ss, 0xee, sizeof(ss));
		conn_addr_to_sockaddr(&ca, &ss);
		ck_assert_uint_eq(ss.ss_family, AF_UNSPEC);
		check_zero_from(&ss, 0);
	}
}
END_TEST

/* --- many threads --- */

enum { POOL_CYCLES = 100000, RING = 8 };

struct pool_worker {
	pthread_t thread;
	unsigned int tag;		/* this thread's flags on its records */
	pthread_barrier_t *start;
	int allocations;
	uint32_t max_index;
	const char *error;		/* first inconsistency seen */
};

/* A record another thread also holds would not keep our marks. */
static int record_is_ours(struct conn *c, unsigned int tag, uint64_t id)
{
	return c->id == id && conn_flags(c) == tag &&
	       atomic_load(&c->bytes_sent) == id &&
	       atomic_load(&c->refs) == 1;
}

static void *pool_worker_run(void *arg)
{
	struct pool_worker *w = arg;
	struct conn *ring[RING] = { NULL };
	uint64_t ids[RING] = { 0 };
	uint64_t last_id = 0;

	pthread_barrier_wait(w->start);
	for (int n = 0; n < POOL_CYCLES && w->error == NULL; n++) {
		int slot = n % RING;
		struct conn *c = ring[slot];

		if (c != NULL) {
			if (!record_is_ours(c, w->tag, ids[slot])) {
				w->error = "a held record was changed";
				break;
			}
			if (!conn_tryget(c) || conn_put_last(c) ||
			    !conn_put_last(c)) {
				w->error = "reference count went wrong";
				break;
			}
			conn_free(c);
		}
		c = conn_new(w->tag);
		if (c == NULL) {
			w->error = "conn_new failed";
			break;
		}
		w->allocations++;
		if (c->id <= last_id) {
			w->error = "ids did not increase";
			break;
		}
		last_id = c->id;
		if (c->index > w->max_index)
			w->max_index = c->index;
		atomic_store(&c->bytes_sent, c->id);
		ring[slot] = c;
		ids[slot] = c->id;
	}
	for (int i = 0; i < RING; i++) {
		if (ring[i] == NULL)
			continue;
		if (w->error == NULL &&
		    !record_is_ours(ring[i], w->tag, ids[i]))
			w->error = "a held record was changed";
		conn_put(ring[i]);
	}
	return NULL;
}

START_TEST(pool_survives_threads_taking_and_freeing_records)
{
	struct pool_worker w[NTHREADS];
	pthread_barrier_t start;
	struct conn *c, *after[NTHREADS * RING];
	uint64_t first_id, total = 0;
	uint32_t max_index = 0;
	const char *fork_mode = getenv("CK_FORK");

	c = conn_new(0);
	first_id = c->id;
	conn_put(c);

	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int t = 0; t < NTHREADS; t++) {
		w[t] = (struct pool_worker){
			.tag = CONN_ESTABLISHED | (unsigned int)t << 16,
			.start = &start,
		};
		ck_assert_int_eq(pthread_create(&w[t].thread, NULL,
						pool_worker_run, &w[t]), 0);
	}
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(w[t].thread, NULL);
		ck_assert_msg(w[t].error == NULL, "thread %d: %s", t,
			      w[t].error);
		total += (uint64_t)w[t].allocations;
		if (w[t].max_index > max_index)
			max_index = w[t].max_index;
	}
	pthread_barrier_destroy(&start);
	ck_assert_uint_eq(total, (uint64_t)NTHREADS * POOL_CYCLES);

	/* Every id was handed out exactly once. */
	c = conn_new(0);
	ck_assert_uint_eq(c->id, first_id + total + 1);
	conn_put(c);

	/*
	 * No record leaked: at most RING per thread were ever held at
	 * once, so the pool never needed more.  (Forked per test, the pool
	 * starts empty; run in one process, earlier tests fill it.)
	 */
	if (fork_mode == NULL || strcmp(fork_mode, "no") != 0)
		ck_assert_uint_lt(max_index, NTHREADS * RING);

	/* All records are free again, and come back whole. */
	for (int i = 0; i < NTHREADS * RING; i++) {
		after[i] = conn_new(CONN_POLICY);
		ck_assert_ptr_nonnull(after[i]);
		ck_assert_uint_eq(atomic_load(&after[i]->refs), 1);
		for (int j = 0; j < i; j++)
			ck_assert_ptr_ne(after[i], after[j]);
	}
	for (int i = 0; i < NTHREADS * RING; i++)
		conn_put(after[i]);
}
END_TEST

enum { REGIONS = 48, PER_THREAD = 256, FD_CYCLES = 100000 };

struct table_worker {
	pthread_t thread;
	int t;
	pthread_barrier_t *sync;
	struct conn *mine;
	const char *error;
};

/*
 * The first fd of region r: each region is in a mid-level and a leaf no
 * earlier region used, so every thread races to map both levels.
 */
static int region_base(int r)
{
	return (r + 1) << 20 | (r * 37 % 1024) << 10;
}

static void *table_worker_run(void *arg)
{
	struct table_worker *w = arg;
	struct conn *old;

	for (int r = 0; r < REGIONS; r++) {
		int base = region_base(r);

		/* All threads set fds of one fresh leaf at the same time. */
		pthread_barrier_wait(w->sync);
		for (int k = 0; k < PER_THREAD; k++) {
			int fd = base + k * NTHREADS + w->t;

			if (fdt_set(fd, w->mine, &old) != 0 || old != NULL)
				w->error = "fdt_set on a fresh fd";
		}
		pthread_barrier_wait(w->sync);
		/* No set was lost to another thread's mapping of a level. */
		for (int k = 0; k < PER_THREAD; k++) {
			int fd = base + k * NTHREADS + w->t;

			if (fdt_get(fd) != w->mine)
				w->error = "a record set was lost";
			if (fdt_take(fd) != w->mine)
				w->error = "fdt_take returned another record";
		}
	}
	/* Then set and take one fd each, many times, in a shared leaf. */
	for (int n = 0; n < FD_CYCLES; n++) {
		int fd = 5000 + w->t;

		if (fdt_set(fd, w->mine, &old) != 0 || old != NULL ||
		    fdt_get(fd) != w->mine || fdt_take(fd) != w->mine ||
		    fdt_get(fd) != NULL)
			w->error = "set/get/take on a distinct fd";
	}
	return NULL;
}

START_TEST(table_survives_threads_setting_distinct_fds)
{
	struct table_worker w[NTHREADS];
	pthread_barrier_t sync;

	pthread_barrier_init(&sync, NULL, NTHREADS);
	for (int t = 0; t < NTHREADS; t++) {
		w[t] = (struct table_worker){
			.t = t, .sync = &sync, .mine = &dummy[t],
		};
		ck_assert_int_eq(pthread_create(&w[t].thread, NULL,
						table_worker_run, &w[t]), 0);
	}
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(w[t].thread, NULL);
		ck_assert_msg(w[t].error == NULL, "thread %d: %s", t,
			      w[t].error);
	}
	pthread_barrier_destroy(&sync);
	ck_assert_int_eq(fdt_next(0, UINT_MAX), -1);
}
END_TEST

Suite *unit_fdtable_suite(void)
{
	Suite *s = suite_create("fdtable");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_checked_fixture(tc, table_empty, table_empty);
	tcase_add_test(tc, untracked_fds_have_no_record);
	tcase_add_loop_test(tc, set_get_take_at_each_edge_fd, 0, NEDGE);
	tcase_add_test(tc, every_edge_fd_keeps_its_own_record);
	tcase_add_test(tc, negative_fd_is_refused_and_old_is_still_set);
	tcase_add_test(tc, replacing_a_slot_returns_the_old_record);
	tcase_add_test(tc,
		       clearing_an_unmapped_slot_succeeds_with_no_old_record);
	tcase_add_test(tc, next_in_empty_table_finds_nothing);
	tcase_add_test(tc, next_over_whole_range_finds_only_int_max);
	tcase_add_test(tc, next_walks_sparse_fds_in_order);
	tcase_add_test(tc, next_respects_both_ends_of_the_range);
	tcase_add_test(tc, next_skips_taken_fds_in_mapped_leaves);
	suite_add_tcase(s, tc);

	tc = tcase_create("pool");
	tcase_add_test(tc, new_record_has_one_reference_and_given_flags);
	tcase_add_test(tc, put_last_is_true_only_for_the_last_reference);
	tcase_add_test(tc,
		       freed_record_is_reused_with_fresh_id_and_clean_state);
	tcase_add_test(tc,
		       ids_strictly_increase_across_fresh_and_reused_records);
	tcase_add_test(tc, flag_helpers_set_clear_and_claim_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_add_test(tc, ipv4_address_round_trips);
	tcase_add_test(tc, ipv6_address_round_trips);
	tcase_add_test(tc, address_from_longer_storage_is_accepted);
	tcase_add_test(tc, truncated_or_foreign_address_becomes_unspec);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_checked_fixture(tc, table_empty, table_empty);
	/* A limit for slow machines, not a timing assertion. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pool_survives_threads_taking_and_freeing_records);
	tcase_add_test(tc, table_survives_threads_setting_distinct_fds);
	suite_add_tcase(s, tc);

	return s;
}
