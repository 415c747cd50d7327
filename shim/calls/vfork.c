/*
 * vfork.c - vfork() and clone(): a child that shares this process's
 * memory runs the wrappers on the parent's table (its closes are its
 * own, not the parent's).  Telling such a child apart costs a getpid()
 * (os/process.h); these wrappers say when one may exist, so that a
 * program that never makes one never pays it.
 *
 * vfork's wrapper cannot be a C function: the child returns from it
 * into a frame the parent then returns through.  It calls one function
 * (which returns before the child exists) and jumps to libc's vfork, so
 * the child returns straight to the caller.
 */
#include <stdarg.h>

#include "calls/wrap.h"

#if SHIM_WRAPS_VFORK
/* Called by the vfork wrapper, in the parent, before the child exists. */
__attribute__((used)) void shim_vfork_seen(void);
__attribute__((used)) void shim_vfork_seen(void)
{
	process_vfork_possible();
}

/* A call (its stack restored before the child exists), then a jump. */
__asm__("	.text\n"
	"	.globl vfork\n"
	"	.type vfork, %function\n"
	"vfork:\n"
#if defined(__x86_64__)
	"	sub $8, %rsp\n"
	"	call shim_vfork_seen\n"
	"	add $8, %rsp\n"
	"	jmp *shim_real_vfork(%rip)\n"
#else
	"	stp x29, x30, [sp, #-16]!\n"
	"	bl shim_vfork_seen\n"
	"	ldp x29, x30, [sp], #16\n"
	"	adrp x16, shim_real_vfork\n"
	"	ldr x16, [x16, #:lo12:shim_real_vfork]\n"
	"	br x16\n"
#endif
	"	.size vfork, .-vfork\n");

SHIM_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg,
		      ...)
{
	void *more[3];	/* parent_tid, tls, child_tid: passed on as given */

	SHIM_VA_WORDS(more, 3, arg);
	if ((flags & CLONE_VM) && !(flags & CLONE_THREAD))
		process_vfork_possible();
	return real.clone(fn, stack, flags, arg, more[0], more[1], more[2]);
}
#endif
