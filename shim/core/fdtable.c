/*
 * fdtable.c - growth and traversal of the descriptor table.  New levels
 * are mapped on first need (core/lazymap.h).
 */
#include "core/fdtable.h"

#include "core/lazymap.h"

struct fdt_mid fdt_mid0;
struct fdt_leaf fdt_leaf0;
_Atomic uint64_t fdt_plain0[FDT_PLAIN_WORDS];
/* fdt_top[0] stays NULL: its level is fdt_mid0, found by index.  (A
 * pointer there would need a relocation, and a dirty page, in every
 * process that loads the library.) */
_Atomic(struct fdt_mid *) fdt_top[FDT_TOP];
/* One more than the highest descriptor ever given a record: the walks
 * of fdt_next() end there (at exit, most programs never tracked any). */
static atomic_uint high;

static _Atomic(struct conn *) *slot_for(int fd, int grow)
{
	_Atomic(struct fdt_mid *) *top = &fdt_top[fd >> (2 * FDT_BITS)];
	struct fdt_mid *mid;
	struct fdt_leaf *leaf;
	_Atomic(struct fdt_leaf *) *lp;

	if ((unsigned int)fd < FDT_FANOUT)
		return &fdt_leaf0.slot[fd];
	if (fd >> (2 * FDT_BITS) == 0)
		mid = &fdt_mid0;
	else
		mid = grow ? LAZYMAP_GET(top, sizeof(struct fdt_mid))
			   : atomic_load_explicit(top, memory_order_acquire);
	if (mid == NULL)
		return NULL;
	lp = &mid->leaf[(fd >> FDT_BITS) & (FDT_FANOUT - 1)];
	leaf = grow ? LAZYMAP_GET(lp, sizeof(struct fdt_leaf))
		    : atomic_load_explicit(lp, memory_order_acquire);
	if (leaf == NULL)
		return NULL;
	return &leaf->slot[fd & (FDT_FANOUT - 1)];
}

int fdt_set(int fd, struct conn *c, struct conn **old)
{
	_Atomic(struct conn *) *slot;

	*old = NULL;
	if (fd < 0)
		return -1;
	if (c != NULL) {
		unsigned int h = atomic_load_explicit(&high,
						      memory_order_relaxed);

		while ((unsigned int)fd >= h &&
		       !atomic_compare_exchange_weak_explicit(
			       &high, &h, (unsigned int)fd + 1,
			       memory_order_release, memory_order_relaxed))
			;
	}
	slot = slot_for(fd, c != NULL);
	if (slot == NULL)
		return c == NULL ? 0 : -1;
	*old = atomic_exchange_explicit(slot, c, memory_order_acq_rel);
	return 0;
}

void fdt_track(int fd, struct conn *c)
{
	struct conn *old;

	if (fdt_set(fd, c, &old) != 0 && c != NULL)
		conn_put(c);
	if (old != NULL)
		conn_put(old);
}

struct conn *fdt_take(int fd)
{
	struct conn *old;

	fdt_set(fd, NULL, &old);
	return old;
}

void fdt_set_plain(int fd, int plain)
{
	uint64_t bit;

	if ((unsigned int)fd >= FDT_FANOUT || fdt_plain(fd) == !!plain)
		return;
	bit = (uint64_t)1 << (fd & 63);
	if (plain)
		atomic_fetch_or_explicit(&fdt_plain0[fd >> 6], bit,
					 memory_order_relaxed);
	else
		atomic_fetch_and_explicit(&fdt_plain0[fd >> 6], ~bit,
					  memory_order_relaxed);
}

int fdt_next(unsigned int from, unsigned int last)
{
	unsigned int fd = from;
	unsigned int end = atomic_load_explicit(&high, memory_order_acquire);

	if (last > INT_MAX)
		last = INT_MAX;
	if (end == 0)
		return -1;
	if (last > end - 1)
		last = end - 1;
	for (; fd < FDT_FANOUT && fd <= last; fd++)
		if (atomic_load_explicit(&fdt_leaf0.slot[fd],
					 memory_order_acquire) != NULL)
			return (int)fd;
	while (fd <= last) {
		struct fdt_mid *mid =
			fd >> (2 * FDT_BITS) == 0
				? &fdt_mid0
				: atomic_load_explicit(&fdt_top[fd >> (2 * FDT_BITS)],
						       memory_order_acquire);
		struct fdt_leaf *leaf;

		if (mid == NULL) {
			fd = ((fd >> (2 * FDT_BITS)) + 1) << (2 * FDT_BITS);
			continue;
		}
		leaf = atomic_load_explicit(
			&mid->leaf[(fd >> FDT_BITS) & (FDT_FANOUT - 1)],
			memory_order_acquire);
		if (leaf == NULL) {
			fd = ((fd >> FDT_BITS) + 1) << FDT_BITS;
			continue;
		}
		if (atomic_load_explicit(&leaf->slot[fd & (FDT_FANOUT - 1)],
					 memory_order_acquire) != NULL)
			return (int)fd;
		fd++;
	}
	return -1;
}
