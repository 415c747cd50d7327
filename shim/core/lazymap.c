/*
 * lazymap.c - one installer for lazily mapped memory.
 */
#include "core/lazymap.h"

#include <errno.h>
#include <sys/mman.h>

void *lazymap_get(void *_Atomic *slot, size_t size)
{
	void *cur = atomic_load_explicit(slot, memory_order_acquire);
	void *fresh;
	int saved;

	if (cur != NULL)
		return cur;
	saved = errno;	/* this runs after the program's call succeeded */
	fresh = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED) {
		errno = saved;
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(slot, &cur, fresh,
						     memory_order_acq_rel,
						     memory_order_acquire))
		munmap(fresh, size);
	else
		cur = fresh;
	errno = saved;
	return cur;
}
