/*
 * process.c - the process's state, and the fork generation that tells a
 * connection made before the last fork (which the other process may
 * hold too) from one made since.
 */
#include "os/process.h"

#include "core/tally.h"

atomic_int shim_ready;
int shim_passive;
atomic_uint shim_fork_gen;
atomic_int shim_sandboxed;
atomic_int shim_pid;
atomic_int shim_vforked = !SHIM_WRAPS_VFORK;

void process_sandbox_entered(void)
{
	atomic_store_explicit(&shim_sandboxed, 1, memory_order_relaxed);
}

/*
 * After a fork both sides write only what they must: each write to a
 * page the fork left shared costs a copy of it, in every process that
 * forks and execs.  The generation matters once a connection record
 * exists; the pid, once a vfork child may (shim_in_vfork_child).
 */
void process_forked_parent(void)
{
	if (conn_any())
		atomic_fetch_add_explicit(&shim_fork_gen, 1,
					  memory_order_relaxed);
}

void process_forked_child(void)
{
	if (atomic_load_explicit(&shim_vforked, memory_order_relaxed))
		atomic_store(&shim_pid, shim_getpid());
	process_forked_parent();
	tally_forked_child();
}

static unsigned int generation(void)
{
	return atomic_load_explicit(&shim_fork_gen, memory_order_relaxed) &
	       CONN_GEN_MASK;
}

unsigned int process_new_conn_flags(void)
{
	return generation() << CONN_GEN_SHIFT;
}

unsigned int process_conn_flags(const struct conn *c)
{
	unsigned int f = conn_flags(c);

	if ((f >> CONN_GEN_SHIFT) != generation())
		f |= CONN_SHARED;
	return f & ((1u << CONN_GEN_SHIFT) - 1);
}
