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

/* A call (its stack restored before the child exists), then a jump;
 * unwind information for debuggers, and a branch target where the
 * build asks for one (CET, BTI). */
#if defined(__CET__)
#define VFORK_LANDING "	endbr64\n"
#elif defined(__ARM_FEATURE_BTI_DEFAULT)
#define VFORK_LANDING "	bti c\n"
#else
#define VFORK_LANDING ""
#endif
__asm__("	.pushsection .text\n"
	"	.globl vfork\n"
	"	.type vfork, %function\n"
	"vfork:\n"
	"	.cfi_startproc\n"
	VFORK_LANDING
#if defined(__x86_64__)
	"	sub $8, %rsp\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	call shim_vfork_seen\n"
	"	add $8, %rsp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	jmp *shim_real_vfork(%rip)\n"
#else
	"	stp x29, x30, [sp, #-16]!\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset 29, -16\n"
	"	.cfi_offset 30, -8\n"
	"	bl shim_vfork_seen\n"
	"	ldp x29, x30, [sp], #16\n"
	"	.cfi_restore 30\n"
	"	.cfi_restore 29\n"
	"	.cfi_def_cfa_offset 0\n"
	"	adrp x16, shim_real_vfork\n"
	"	ldr x16, [x16, #:lo12:shim_real_vfork]\n"
	"	br x16\n"
#endif
	"	.cfi_endproc\n"
	"	.size vfork, .-vfork\n"
	"	.popsection\n");

/* A child of clone() without CLONE_VM is a fork child the atfork
 * handlers never see: it starts here. */
struct forked_start {
	int (*fn)(void *);
	void *arg;
};

static int forked_child(void *p)
{
	struct forked_start start = *(struct forked_start *)p;

	process_forked_child();
	return start.fn(start.arg);
}

SHIM_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg,
		      ...)
{
	void *more[3];	/* parent_tid, tls, child_tid: passed on as given */
	struct forked_start start = { fn, arg };	/* copied into the child */

	SHIM_VA_WORDS(more, 3, arg);
	if (flags & CLONE_THREAD)
		return real.clone(fn, stack, flags, arg, more[0], more[1],
				  more[2]);
	if (flags & CLONE_VM) {
		process_vfork_possible();
		return real.clone(fn, stack, flags, arg, more[0], more[1],
				  more[2]);
	}
	return real.clone(forked_child, stack, flags, &start, more[0],
			  more[1], more[2]);
}
#endif
