/*
 * process.h - what the library knows of the process it runs in: whether
 * it is ready, the pid, forks, vfork children and seccomp sandboxes.
 * Process-wide state carries the shim_ prefix.
 */
#ifndef SHIM_OS_PROCESS_H
#define SHIM_OS_PROCESS_H

#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/conn.h"
#include "os/real.h"

/* Set by the constructor once the settings are parsed. */
extern atomic_int shim_ready;
/* Set when another copy of tcpshim, earlier in the lookup order, does
 * the work: this copy then only passes calls through. */
extern int shim_passive;
/* Bumped at every fork(): connections older than it may be shared. */
extern atomic_uint shim_fork_gen;
/* Set once the program put itself under a seccomp filter
 * (calls/prctl.c, calls/syscall.c): the shim then makes no system call
 * of its own. */
extern atomic_int shim_sandboxed;
/* This process's pid, as of start-up or the last fork(). */
extern atomic_int shim_pid;

/* getpid() as a plain system call: no libc binding to pay for at start. */
static inline int shim_getpid(void)
{
	return (int)shim_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

static inline int shim_is_sandboxed(void)
{
	return atomic_load_explicit(&shim_sandboxed, memory_order_relaxed);
}

/*
 * Set once a child that shares this process's memory may exist: vfork(),
 * clone() with CLONE_VM, syscall() of either (calls/vfork.c,
 * calls/syscall.c).  Set from the start where vfork is not wrapped.
 */
extern atomic_int shim_vforked;

/* The pid the check compares with is this process's from now on: a
 * fork child refreshes it only once this was called. */
static inline void process_vfork_possible(void)
{
	if (!atomic_load_explicit(&shim_vforked, memory_order_relaxed)) {
		atomic_store(&shim_pid, shim_getpid());
		atomic_store(&shim_vforked, 1);
	}
}

/*
 * Is the caller a vfork() child?  It shares the parent's memory, and so
 * the shim's table and log state: what it closes or dups is its own
 * business, never the parent's.  Costs a getpid() once the program has
 * made such a child, nothing before: call it only on the way to changing
 * shared state.
 */
static inline int shim_in_vfork_child(void)
{
	return atomic_load_explicit(&shim_vforked, memory_order_acquire) &&
	       shim_getpid() !=
		       atomic_load_explicit(&shim_pid, memory_order_relaxed);
}

/* The program entered a seccomp sandbox. */
void process_sandbox_entered(void);
/* After fork(), in the parent and in the child. */
void process_forked_parent(void);
void process_forked_child(void);

/* Flags for conn_new(): this fork generation. */
unsigned int process_new_conn_flags(void);
/* c's flags, with CONN_SHARED if the process forked since c was made. */
unsigned int process_conn_flags(const struct conn *c);

#endif
