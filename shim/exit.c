/*
 * exit.c - the end of the process: exit() (a destructor, after the
 * program's atexit handlers), _exit and _Exit.  The kernel is about to
 * close every descriptor still open; a connection it will reset is
 * closed here first, so that the reset can be confirmed and logged with
 * call "exit".  Connections that would close in order are left to the
 * kernel.  Only SIGKILL and fatal signals end a process unseen.
 */
#include "wrap.h"

static void release_all(void)
{
	struct release rel;
	int saved = errno;

	if (!atomic_load_explicit(&shim_ready, memory_order_acquire) ||
	    shim_passive || shim_in_vfork_child())
		return;
	for (int fd = fdt_next(0, ~0u); fd >= 0;
	     fd = fd < (int)(~0u >> 1) ? fdt_next((unsigned int)fd + 1, ~0u)
				       : -1) {
		if (!wrap_release_at_exit(fd, &rel))
			continue;
		real.close(fd);
		wrap_release_done(&rel);
	}
	errno = saved;
}

__attribute__((destructor)) static void shim_fini(void)
{
	release_all();
}

SHIM_EXPORT void _exit(int status)
{
	release_all();
	real._exit(status);
	__builtin_unreachable();
}

SHIM_EXPORT void _Exit(int status)
{
	release_all();
	real._Exit(status);
	__builtin_unreachable();
}
