/*
 * fdtable.h - descriptor number -> connection record.
 *
 * A three-level radix table over every int descriptor number (0 to
 * INT_MAX): a static top level of 2048 entries, then levels of 1024
 * mapped on first use.  Memory follows the highest descriptor tracked,
 * never RLIMIT_NOFILE.  Lookups are three dependent loads and no lock.
 */
#ifndef SHIM_CORE_FDTABLE_H
#define SHIM_CORE_FDTABLE_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/conn.h"

#define FDT_BITS 10
#define FDT_FANOUT (1u << FDT_BITS)
#define FDT_TOP (1u << (31 - 2 * FDT_BITS))

struct fdt_leaf {
	_Atomic(struct conn *) slot[FDT_FANOUT];
};

struct fdt_mid {
	_Atomic(struct fdt_leaf *) leaf[FDT_FANOUT];
};

extern _Atomic(struct fdt_mid *) fdt_top[FDT_TOP] SHIM_HIDDEN;
/* The level of fdt_top[0] (which stays NULL), static: descriptors below
 * 2^20 (all, in most programs)
 * are found in two loads instead of three. */
extern struct fdt_mid fdt_mid0 SHIM_HIDDEN;
/* Descriptors below FDT_FANOUT have a static leaf of their own, outside
 * fdt_mid0: one load. */
extern struct fdt_leaf fdt_leaf0 SHIM_HIDDEN;

static inline struct conn *fdt_from_mid(struct fdt_mid *mid, unsigned int fd)
{
	struct fdt_leaf *leaf = atomic_load_explicit(
		&mid->leaf[(fd >> FDT_BITS) & (FDT_FANOUT - 1)],
		memory_order_acquire);

	if (leaf == NULL)
		return NULL;
	return atomic_load_explicit(&leaf->slot[fd & (FDT_FANOUT - 1)],
				    memory_order_acquire);
}

/* The record of descriptor fd, which is known to be >= 0 (a call on it
 * just succeeded), or NULL if it is not a tracked socket. */
static inline struct conn *fdt_get_valid(int fd)
{
	unsigned int u = (unsigned int)fd;
	struct fdt_mid *mid;

	if (__builtin_expect(u < FDT_FANOUT, 1))
		return atomic_load_explicit(&fdt_leaf0.slot[u],
					    memory_order_acquire);
	if (u < (1u << (2 * FDT_BITS)))
		return fdt_from_mid(&fdt_mid0, u);
	mid = atomic_load_explicit(&fdt_top[u >> (2 * FDT_BITS)],
				   memory_order_acquire);
	return mid != NULL ? fdt_from_mid(mid, u) : NULL;
}

/* The record fd refers to, or NULL if fd is not a tracked socket.  The
 * common case first: one unsigned compare also rules out fd < 0. */
static inline struct conn *fdt_get(int fd)
{
	if (__builtin_expect((unsigned int)fd < FDT_FANOUT, 1))
		return atomic_load_explicit(&fdt_leaf0.slot[fd],
					    memory_order_acquire);
	return fd < 0 ? NULL : fdt_get_valid(fd);
}

/* The slot of fd when it is below FDT_FANOUT and tracked, else NULL:
 * the slot says which descriptor it is (fdt_slot0_fd). */
static inline _Atomic(struct conn *) *fdt_slot0(int fd)
{
	if (__builtin_expect((unsigned int)fd < FDT_FANOUT, 1) &&
	    atomic_load_explicit(&fdt_leaf0.slot[fd], memory_order_relaxed))
		return &fdt_leaf0.slot[fd];
	return NULL;
}

static inline int fdt_slot0_fd(_Atomic(struct conn *) *slot)
{
	return (int)(slot - fdt_leaf0.slot);
}

/*
 * Descriptors below FDT_FANOUT that socket() made as Internet sockets
 * other than TCP (UDP above all), one bit each: never tracked, and their
 * control messages never carry descriptors (only a Unix socket's do), so
 * recvmsg there passes straight through.  The wrappers that hand out a
 * number (socket, socketpair, accept, the dups, a descriptor received)
 * set or clear its bit; a close leaves it, since only a number handed
 * out again can change what it is, and that clears it.
 */
#define FDT_PLAIN_WORDS (FDT_FANOUT / 64)
extern _Atomic uint64_t fdt_plain0[FDT_PLAIN_WORDS] SHIM_HIDDEN;

static inline int fdt_plain(int fd)
{
	return (unsigned int)fd < FDT_FANOUT &&
	       (atomic_load_explicit(&fdt_plain0[fd >> 6],
				     memory_order_relaxed) >>
		(fd & 63)) & 1;
}

/* fd was just handed out: plain (1) or anything else (0). */
void fdt_set_plain(int fd, int plain);

/*
 * Put c at fd (c may be NULL) and return what was there before.  Returns
 * 0, or -1 when fd is negative or the table cannot grow; *old is always
 * set.
 */
int fdt_set(int fd, struct conn *c, struct conn **old);

/*
 * fd was just handed out by socket, accept or dup: whatever the table
 * holds for that number is stale (glibc closes some descriptors where no
 * wrapper sees it) and is let go.  Install c there (it may be NULL); if
 * the table cannot grow, c's reference is dropped and fd goes untracked.
 */
void fdt_track(int fd, struct conn *c);

/* Empty fd's slot and return what it held. */
struct conn *fdt_take(int fd);

/*
 * The lowest tracked descriptor in [from, last], or -1.  Skips unmapped
 * parts of the table, so walking a range up to INT_MAX is cheap.
 */
int fdt_next(unsigned int from, unsigned int last);

/* for each tracked descriptor fd in [first, last], in order. */
#define FDT_FOR_EACH(fd, first, last) \
	for (int fd = fdt_next((first), (last)); fd >= 0; \
	     fd = (unsigned int)fd < (last) \
			  ? fdt_next((unsigned int)fd + 1, (last)) \
			  : -1)

#endif
