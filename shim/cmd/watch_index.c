/*
 * watch_index.c - positions by socket cookie, for watch_holders.c's
 * queue: an open-addressed hash table, at most half full, made again
 * (watch_index_reset) as the queue moves.  Several positions may share
 * a cookie (two resets on one socket).
 */
#include "cmd/watch.h"

#include <stdlib.h>
#include <string.h>

static size_t watch_index_slot(const struct watch_index *x, uint64_t cookie)
{
	return (size_t)(cookie * 0x9e3779b97f4a7c15ULL >> 17) &
	       (x->slots - 1);
}

int watch_index_reset(struct watch_index *x, size_t entries)
{
	size_t slots = 64;

	while (slots < 2 * entries + 2)
		slots *= 2;
	if (slots != x->slots) {
		free(x->slot);
		x->slot = malloc(slots * sizeof(*x->slot));
		x->slots = x->slot != NULL ? slots : 0;
		if (x->slot == NULL)
			return -1;
	}
	memset(x->slot, 0, x->slots * sizeof(*x->slot));
	x->used = 0;
	return 0;
}

int watch_index_add(struct watch_index *x, uint64_t cookie, size_t pos)
{
	size_t i;

	if (2 * (x->used + 1) > x->slots)
		return -1;
	for (i = watch_index_slot(x, cookie); x->slot[i].pos != 0;
	     i = (i + 1) & (x->slots - 1))
		;
	x->slot[i].cookie = cookie;
	x->slot[i].pos = pos + 1;
	x->used++;
	return 0;
}

int watch_index_each(const struct watch_index *x, uint64_t cookie,
		     int (*fn)(size_t pos, const void *arg), const void *arg)
{
	int n = 0;

	for (size_t i = x->slots ? watch_index_slot(x, cookie) : 0;
	     x->slots != 0 && x->slot[i].pos != 0; i = (i + 1) & (x->slots - 1))
		if (x->slot[i].cookie == cookie)
			n += fn(x->slot[i].pos - 1, arg);
	return n;
}

void watch_index_free(struct watch_index *x)
{
	free(x->slot);
	memset(x, 0, sizeof(*x));
}
