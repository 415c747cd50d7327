/*
 * nextsym.h - dlsym(RTLD_NEXT, name) for the constructor's bindings, at a
 * fraction of its cost (nextsym.c).
 */
#ifndef SHIM_OS_NEXTSYM_H
#define SHIM_OS_NEXTSYM_H

/*
 * name's definition in the objects after this library, or NULL: then
 * dlsym(RTLD_NEXT, name) must say (it may know better).  Single-threaded
 * use only: the constructor's.
 */
void *nextsym(const char *name);

#endif
