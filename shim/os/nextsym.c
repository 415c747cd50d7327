/*
 * nextsym.c - what dlsym(RTLD_NEXT, name) finds, looked up in the loaded
 * objects' own GNU hash tables.  The constructor binds every wrapped
 * name at each process start; dlsym's error machinery costs several
 * hundred instructions a name, this a few dozen.
 *
 * The objects searched are those after this library in the loader's
 * list, in order: for a preloaded or linked library, the program's
 * global scope after it, as RTLD_NEXT searches it.  A name found in none
 * of them (this library opened with dlopen, whose next objects were
 * loaded before it), an indirect function, or an object without a GNU
 * hash table, is left to dlsym: the caller falls back to it.
 */
#include "os/nextsym.h"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <string.h>

#define MAX_OBJECTS 32

struct object {
	ElfW(Addr) base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *hash;		/* DT_GNU_HASH */
	const ElfW(Half) *versym;	/* NULL without symbol versions */
};

static struct object objects[MAX_OBJECTS];
static int nobjects = -1;		/* -1: not looked at yet */

extern const char __ehdr_start[] __attribute__((visibility("hidden")));

/* A dynamic entry's address: the loader has usually relocated it in
 * place already, but not everywhere. */
static const void *dyn_ptr(ElfW(Addr) base, ElfW(Addr) p)
{
	return (const void *)(p < base ? base + p : p);
}

static int object_of(const struct link_map *m, struct object *o)
{
	memset(o, 0, sizeof(*o));
	o->base = m->l_addr;
	for (const ElfW(Dyn) *d = m->l_ld; d != NULL && d->d_tag != DT_NULL;
	     d++) {
		if (d->d_tag == DT_SYMTAB)
			o->symtab = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_STRTAB)
			o->strtab = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_GNU_HASH)
			o->hash = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_VERSYM)
			o->versym = dyn_ptr(o->base, d->d_un.d_ptr);
	}
	return o->symtab != NULL && o->strtab != NULL && o->hash != NULL;
}

/* The objects after this one; none (so dlsym does it all) if one of
 * them cannot be searched here. */
static void find_objects(void)
{
	const struct link_map *m = _r_debug.r_map;
	ElfW(Addr) vdso = (ElfW(Addr))getauxval(AT_SYSINFO_EHDR);

	nobjects = 0;
	while (m != NULL && m->l_addr != (ElfW(Addr))__ehdr_start)
		m = m->l_next;
	if (m == NULL)
		return;
	for (m = m->l_next; m != NULL; m = m->l_next) {
		/* The vDSO is in the list, not in the scope dlsym searches. */
		if (m->l_addr == vdso)
			continue;
		if (nobjects == MAX_OBJECTS ||
		    !object_of(m, &objects[nobjects])) {
			nobjects = 0;
			return;
		}
		nobjects++;
	}
}

/* strcmp() == 0, without a call into libc (whose binding would cost
 * more than the comparison). */
static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* name's default definition in o: its address, or NULL (*stop set when
 * dlsym must decide). */
static void *lookup(const struct object *o, const char *name, uint32_t h,
		    int *stop)
{
	const uint32_t *ht = o->hash;
	uint32_t nbuckets = ht[0], symoffset = ht[1], nbloom = ht[2];
	uint32_t shift = ht[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(ht + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + nbloom);
	const uint32_t *chain = buckets + nbuckets;
	const unsigned int bits = sizeof(ElfW(Addr)) * 8;
	ElfW(Addr) word, mask;
	uint32_t i;

	if (nbuckets == 0 || nbloom == 0)
		return NULL;
	word = bloom[(h / bits) % nbloom];
	mask = ((ElfW(Addr))1 << (h % bits)) |
	       ((ElfW(Addr))1 << ((h >> shift) % bits));
	if ((word & mask) != mask)
		return NULL;
	i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];
		const ElfW(Sym) *s = &o->symtab[i];
		int bind = s->st_info >> 4, type = s->st_info & 0xf;

		if ((h | 1) == (h2 | 1) && s->st_shndx != SHN_UNDEF &&
		    (bind == STB_GLOBAL || bind == STB_WEAK) &&
		    (o->versym == NULL || !(o->versym[i] & 0x8000)) &&
		    same(name, o->strtab + s->st_name)) {
			if (type == STT_FUNC)
				return (void *)(o->base + s->st_value);
			*stop = 1;
			return NULL;
		}
		if (h2 & 1)
			return NULL;
	}
}

void *nextsym(const char *name)
{
	uint32_t h = gnu_hash(name);
	int stop = 0;

	if (nobjects < 0)
		find_objects();
	for (int k = 0; k < nobjects && !stop; k++) {
		void *p = lookup(&objects[k], name, h, &stop);

		if (p != NULL)
			return p;
	}
	return NULL;
}
