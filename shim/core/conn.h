/*
 * conn.h - one record per TCP connection, shared by every descriptor that
 * refers to it in this process (dup, dup2, F_DUPFD).
 *
 * Records come from a pool of mmap'd chunks with a lock-free free list, so
 * they can be taken and given back from any thread or signal handler.
 */
#ifndef SHIM_CORE_CONN_H
#define SHIM_CORE_CONN_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

/* A socket address in 20 bytes: enough for AF_INET and AF_INET6. */
struct conn_addr {
	uint16_t family;	/* AF_UNSPEC when unknown */
	uint16_t port;		/* network byte order */
	uint8_t addr[16];
};

enum conn_flag {
	CONN_ESTABLISHED = 1u << 0,	/* known to have been connected (the
					 * observer also infers it: probe.c) */
	CONN_SHUT_WR = 1u << 1,		/* shutdown(SHUT_WR or SHUT_RDWR) */
	CONN_LINGER0 = 1u << 2,		/* SO_LINGER {1, 0} is set */
	CONN_FAILED = 1u << 3,		/* an error that was not a reset */
	CONN_REPORTED = 1u << 4,	/* its one reset or halfopen event is
					 * out */
	CONN_SHARED = 1u << 5,		/* held by another process too: sent
					 * with SCM_RIGHTS, or open across fork
					 * (worked out from CONN_GEN_SHIFT) */
	CONN_POLICY = 1u << 6,		/* keepalive policy applied to it */
	CONN_RESET = 1u << 7,		/* a reset received was revealed */
	CONN_DEAD = 1u << 8,		/* a dead peer (halfopen) revealed */
};

/*
 * The bits from here up hold the fork generation the record was made in
 * (16 bits of shim_fork_gen): a record older than the last fork may be
 * held by the other process too.
 */
#define CONN_GEN_SHIFT 16
#define CONN_GEN_MASK 0xffffu

struct conn {
	atomic_uint refs;		/* descriptors of this process */
	atomic_uint flags;		/* enum conn_flag */
	uint64_t id;			/* "conn"; next free index while free */
	atomic_uint_fast64_t bytes_sent;
	atomic_uint_fast64_t bytes_received;
	struct conn_addr peer;		/* kept: getpeername fails after RST */
	uint32_t index;			/* position in the pool */
};

/* Has any record ever been made in this process (or before its fork)? */
int conn_any(void);
/* How many connections were numbered so far (the last conn given). */
uint64_t conn_count(void);

/* A new record with one reference, or NULL when memory runs out. */
struct conn *conn_new(unsigned int flags);
/*
 * One more descriptor refers to c, unless its last one went meanwhile
 * (c may then be free, or reused): 1 if the reference was taken.
 */
int conn_tryget(struct conn *c);
/* One descriptor less; returns 1 when that was the last one. */
int conn_put_last(struct conn *c);
/*
 * The socket connects again after its connection ended (refused, reset,
 * timed out, or disconnected with AF_UNSPEC): a new connection, so a new
 * id, no bytes, and only the socket's own settings kept.
 */
void conn_renew(struct conn *c);
/* Give the record back to the pool (after conn_put_last returned 1). */
void conn_free(struct conn *c);
/* conn_put_last, then conn_free when it was the last. */
void conn_put(struct conn *c);

static inline unsigned int conn_flags(const struct conn *c)
{
	return atomic_load_explicit(&c->flags, memory_order_relaxed);
}

static inline void conn_set(struct conn *c, unsigned int f)
{
	atomic_fetch_or_explicit(&c->flags, f, memory_order_relaxed);
}

static inline void conn_clear(struct conn *c, unsigned int f)
{
	atomic_fetch_and_explicit(&c->flags, ~f, memory_order_relaxed);
}

/* Set CONN_REPORTED; returns 1 only for the caller that set it first. */
static inline int conn_claim_report(struct conn *c)
{
	return !(atomic_fetch_or_explicit(&c->flags, CONN_REPORTED,
					  memory_order_relaxed) &
		 CONN_REPORTED);
}

void conn_addr_from_sockaddr(struct conn_addr *dst,
			     const struct sockaddr *sa, socklen_t len);
void conn_addr_to_sockaddr(const struct conn_addr *src,
			   struct sockaddr_storage *dst);

#endif
