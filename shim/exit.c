/*
 * exit.c - the end of the process: _exit and _Exit, and exit() (a
 * destructor, after the program's atexit handlers).  The kernel is about
 * to close every descriptor still open, and resets the connections left
 * with unread data or SO_LINGER {1, 0}: those are logged with call
 * "exit".  Connections that would close in order are left alone.
 *
 * At _exit nothing of the program runs any more: such a connection is
 * closed here first, so that the kernel can confirm the reset as at any
 * close (close.c).  At exit() other libraries' destructors, and stdio's
 * last flush, still run after this one and may use the descriptor: it is
 * left open, and the reset logged as predicted, except for a connection
 * another process may hold, whose reset cannot be told from here.  Only
 * SIGKILL and fatal signals end a process unseen.
 */
#include "wrap.h"

/* Descriptors of one connection seen before its last: closed with it. */
#define EXIT_HELD 16

struct held {
	struct conn *c;
	int fd;
};

/* _exit: close fd, and the other descriptors of its connection first,
 * then confirm. */
static void close_and_confirm(int fd, struct conn *c, struct release *rel,
			      const struct held *held, int nheld)
{
	for (int i = 0; i < nheld; i++)
		if (held[i].c == c)
			real.close(held[i].fd);
	real.close(fd);
	wrap_release_done(rel);
}

static void release_all(int closing)
{
	struct held held[EXIT_HELD];
	struct release rel;
	int saved = errno, nheld = 0;

	if (!atomic_load_explicit(&shim_ready, memory_order_acquire) ||
	    shim_passive || shim_in_vfork_child())
		return;
	for (int fd = fdt_next(0, ~0u); fd >= 0;
	     fd = fd < (int)(~0u >> 1) ? fdt_next((unsigned int)fd + 1, ~0u)
				       : -1) {
		struct conn *c = fdt_get(fd);

		if (c == NULL)
			continue;
		if (closing && nheld < EXIT_HELD &&
		    atomic_load_explicit(&c->refs, memory_order_relaxed) > 1)
			held[nheld++] = (struct held){ c, fd };
		if (!wrap_release_at_exit(fd, &rel))
			continue;
		if (closing)
			close_and_confirm(fd, c, &rel, held, nheld);
		else if (!rel.shared)
			event_dispatch(&rel.ev);
	}
	errno = saved;
}

__attribute__((destructor)) static void shim_fini(void)
{
	release_all(0);
}

SHIM_EXPORT void _exit(int status)
{
	release_all(1);
	real._exit(status);
	__builtin_unreachable();
}

SHIM_EXPORT void _Exit(int status)
{
	release_all(1);
	real._Exit(status);
	__builtin_unreachable();
}
