/*
 * report_intern.h - strings kept once: an event's names (cause, call,
 * errno, command, cgroup, host) are a 32-bit number into a pool.
 */
#ifndef SHIM_CMD_REPORT_INTERN_H
#define SHIM_CMD_REPORT_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern {
	char *pool;		/* the strings, each ending in '\0' */
	size_t used, cap;
	uint32_t *slot;		/* hash table: offset+1 into pool, 0 empty */
	size_t nslots, count;
};

/* The id of s (len bytes, no '\0' in it), added if new.  0 is "". */
uint32_t intern_n(struct intern *t, const char *s, size_t len);
uint32_t intern(struct intern *t, const char *s);
/* The id of s if it is already there, else UINT32_MAX. */
uint32_t intern_find(const struct intern *t, const char *s);

static inline const char *intern_str(const struct intern *t, uint32_t id)
{
	return id == 0 || t->pool == NULL ? "" : t->pool + id;
}

void intern_free(struct intern *t);

#endif
