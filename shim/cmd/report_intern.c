/*
 * report_intern.c - the report's string pool: an id is the string's
 * offset in the pool, found again through an open-addressing hash.
 */
#include "cmd/report_intern.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/report_table.h"

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static size_t find(const struct intern *t, const char *s, size_t len)
{
	size_t mask = t->nslots - 1, i = hash(s, len) & mask;

	while (t->slot[i] != 0) {
		const char *p = t->pool + t->slot[i];

		if (strncmp(p, s, len) == 0 && p[len] == '\0')
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void rehash(struct intern *t)
{
	uint32_t *old = t->slot;
	size_t n = t->nslots;

	t->nslots = n ? n * 2 : 1024;
	t->slot = report_grow(NULL, t->nslots * sizeof(*t->slot));
	memset(t->slot, 0, t->nslots * sizeof(*t->slot));
	for (size_t i = 0; i < n; i++)
		if (old[i] != 0) {
			const char *p = t->pool + old[i];

			t->slot[find(t, p, strlen(p))] = old[i];
		}
	free(old);
}

uint32_t intern_n(struct intern *t, const char *s, size_t len)
{
	size_t i;
	uint32_t id;

	if (len == 0)
		return 0;
	if (t->pool == NULL) {
		t->cap = 4096;
		t->pool = report_grow(NULL, t->cap);
		t->pool[0] = '\0';
		t->used = 1;	/* offset 0 is the empty string */
	}
	if ((t->count + 1) * 2 > t->nslots)
		rehash(t);
	i = find(t, s, len);
	if (t->slot[i] != 0)
		return t->slot[i];
	if (t->used + len + 1 > UINT32_MAX - 1) {
		/* Past 4 GB of distinct names: the rest are not kept. */
		return 0;
	}
	while (t->used + len + 1 > t->cap) {
		t->cap *= 2;
		t->pool = report_grow(t->pool, t->cap);
	}
	id = (uint32_t)t->used;
	memcpy(t->pool + t->used, s, len);
	t->pool[t->used + len] = '\0';
	t->used += len + 1;
	t->slot[i] = id;
	t->count++;
	return id;
}

uint32_t intern(struct intern *t, const char *s)
{
	return intern_n(t, s, strlen(s));
}

uint32_t intern_find(const struct intern *t, const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0)
		return 0;
	if (t->nslots == 0)
		return UINT32_MAX;
	i = find(t, s, len);
	return t->slot[i] != 0 ? t->slot[i] : UINT32_MAX;
}

void intern_free(struct intern *t)
{
	free(t->pool);
	free(t->slot);
	*t = (struct intern){ 0 };
}
