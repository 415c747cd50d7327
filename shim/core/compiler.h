/*
 * compiler.h - the few compiler words every layer uses.
 */
#ifndef SHIM_CORE_COMPILER_H
#define SHIM_CORE_COMPILER_H

/* Exported from libtcpshim.so: the API, and the libc names it wraps.
 * Everything else is hidden (-fvisibility=hidden). */
#define SHIM_EXPORT __attribute__((visibility("default")))

/* Declared hidden where it is declared, not only where it is defined: a
 * wrapper then reaches it PC-relative (call *real+off(%rip)) rather than
 * through the GOT, an instruction less on every call. */
#define SHIM_HIDDEN __attribute__((visibility("hidden")))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
