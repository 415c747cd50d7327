/*
 * conn.c - the pool of connection records.
 *
 * Records live in chunks mapped on first need and never unmapped, so a
 * pointer to a record stays valid forever; freed records go on a
 * Treiber stack whose head carries a tag against ABA.  No locks and no
 * malloc: socket(), accept() and dup() may run in signal handlers.
 */
#include "core/conn.h"

#include <netinet/in.h>
#include <string.h>

#include "core/lazymap.h"

#define CHUNK_SHIFT 10
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define MAX_CHUNKS 16384u	/* 16 Mi simultaneous connections */

static _Atomic(struct conn *) chunks[MAX_CHUNKS];
static atomic_uint next_unused;
/* Low 32 bits: index + 1 of the top free record (0: empty); high: tag. */
static _Atomic uint64_t free_head;
static atomic_uint_fast64_t last_id;

static uint64_t next_id(void)
{
	return atomic_fetch_add_explicit(&last_id, 1, memory_order_relaxed) + 1;
}

static struct conn *chunk_get(uint32_t n)
{
	return LAZYMAP_GET(&chunks[n], CHUNK_SIZE * sizeof(struct conn));
}

static struct conn *conn_at(uint32_t index)
{
	return &atomic_load_explicit(&chunks[index >> CHUNK_SHIFT],
				     memory_order_acquire)[index &
							   (CHUNK_SIZE - 1)];
}

static struct conn *pop_free(void)
{
	uint64_t head = atomic_load_explicit(&free_head, memory_order_acquire);

	while ((uint32_t)head != 0) {
		struct conn *c = conn_at((uint32_t)head - 1);
		uint64_t next = (((head >> 32) + 1) << 32) |
				__atomic_load_n(&c->id, __ATOMIC_RELAXED);

		if (atomic_compare_exchange_weak_explicit(
			    &free_head, &head, next, memory_order_acq_rel,
			    memory_order_acquire))
			return c;
	}
	return NULL;
}

uint64_t conn_count(void)
{
	return atomic_load_explicit(&last_id, memory_order_relaxed);
}

int conn_any(void)
{
	return atomic_load_explicit(&next_unused, memory_order_relaxed) != 0;
}

struct conn *conn_new(unsigned int flags)
{
	struct conn *c = pop_free();

	if (c == NULL) {
		uint32_t index = atomic_fetch_add_explicit(
			&next_unused, 1, memory_order_relaxed);
		struct conn *chunk;

		if (index >= MAX_CHUNKS * CHUNK_SIZE)
			return NULL;
		chunk = chunk_get(index >> CHUNK_SHIFT);
		if (chunk == NULL)
			return NULL;
		c = &chunk[index & (CHUNK_SIZE - 1)];
		c->index = index;
	}
	atomic_store_explicit(&c->refs, 1, memory_order_relaxed);
	atomic_store_explicit(&c->flags, flags, memory_order_relaxed);
	atomic_store_explicit(&c->bytes_sent, 0, memory_order_relaxed);
	atomic_store_explicit(&c->bytes_received, 0, memory_order_relaxed);
	memset(&c->peer, 0, sizeof(c->peer));
	__atomic_store_n(&c->id, next_id(), __ATOMIC_RELEASE);
	return c;
}

void conn_renew(struct conn *c)
{
	/* Socket options and the fork generation belong to the socket. */
	unsigned int keep = CONN_LINGER0 | CONN_POLICY | CONN_SHARED |
			    ~((1u << CONN_GEN_SHIFT) - 1);

	atomic_fetch_and_explicit(&c->flags, keep, memory_order_relaxed);
	atomic_store_explicit(&c->bytes_sent, 0, memory_order_relaxed);
	atomic_store_explicit(&c->bytes_received, 0, memory_order_relaxed);
	__atomic_store_n(&c->id, next_id(), __ATOMIC_RELEASE);
}

int conn_tryget(struct conn *c)
{
	unsigned int refs = atomic_load_explicit(&c->refs, memory_order_relaxed);

	do {
		if (refs == 0)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(
		&c->refs, &refs, refs + 1, memory_order_acq_rel,
		memory_order_relaxed));
	return 1;
}

int conn_put_last(struct conn *c)
{
	return atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) ==
	       1;
}

void conn_free(struct conn *c)
{
	uint64_t head = atomic_load_explicit(&free_head, memory_order_acquire);
	uint64_t next;

	do {
		__atomic_store_n(&c->id, (uint32_t)head, __ATOMIC_RELAXED);
		next = (((head >> 32) + 1) << 32) | (c->index + 1);
	} while (!atomic_compare_exchange_weak_explicit(
		&free_head, &head, next, memory_order_acq_rel,
		memory_order_acquire));
}

void conn_put(struct conn *c)
{
	if (conn_put_last(c))
		conn_free(c);
}

void conn_addr_from_sockaddr(struct conn_addr *dst,
			     const struct sockaddr *sa, socklen_t len)
{
	memset(dst, 0, sizeof(*dst));
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		dst->family = AF_INET;
		dst->port = in->sin_port;
		memcpy(dst->addr, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		dst->family = AF_INET6;
		dst->port = in6->sin6_port;
		memcpy(dst->addr, &in6->sin6_addr, 16);
	}
}

void conn_addr_to_sockaddr(const struct conn_addr *src,
			   struct sockaddr_storage *dst)
{
	memset(dst, 0, sizeof(*dst));
	if (src->family == AF_INET) {
		struct sockaddr_in *in = (void *)dst;

		in->sin_family = AF_INET;
		in->sin_port = src->port;
		memcpy(&in->sin_addr, src->addr, 4);
	} else if (src->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)dst;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = src->port;
		memcpy(&in6->sin6_addr, src->addr, 16);
	}
}
