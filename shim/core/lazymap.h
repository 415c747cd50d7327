/*
 * lazymap.h - memory mapped on first need and never given back: the
 * chunks of the connection pool and the levels of the descriptor table.
 *
 * mmap is async-signal-safe, unlike malloc, and a pointer to mapped
 * memory stays valid for the life of the process.
 */
#ifndef SHIM_CORE_LAZYMAP_H
#define SHIM_CORE_LAZYMAP_H

#include <stdatomic.h>
#include <stddef.h>

/*
 * What *slot points at, mapping size zeroed bytes there first if it
 * points at nothing.  Threads racing to fill the slot agree on one
 * mapping (a compare-and-swap; the loser unmaps its own).  NULL when
 * memory runs out.  Preserves errno.
 */
void *lazymap_get(void *_Atomic *slot, size_t size);

/* lazymap_get for a typed slot (_Atomic(T *) *), returning a T *. */
#define LAZYMAP_GET(slot, size) \
	((__typeof__(atomic_load(slot)))lazymap_get((void *_Atomic *)(slot), \
						    (size)))

#endif
