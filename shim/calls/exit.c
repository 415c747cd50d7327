/*
 * exit.c - the end of the process: _exit and _Exit (and
 * syscall(SYS_exit_group), syscall.c), quick_exit, and exit() (a
 * destructor, after the program's atexit handlers).  The kernel is about
 * to close every descriptor still open, and resets the connections left
 * with unread data or SO_LINGER {1, 0}: those are logged with call
 * "exit".  Connections that would close in order are left alone.
 *
 * At _exit nothing of the program runs any more: such a connection is
 * closed here first, so that the kernel can confirm the reset as at any
 * close (release_close_at_exit, event/release.h).  At exit() other
 * libraries' destructors, and stdio's last flush, still run after this
 * one and may use the descriptor: it is left open, and the reset logged
 * as predicted, except for a connection another process may hold, whose
 * reset cannot be told from here.  Only SIGKILL and fatal signals end a
 * process unseen.
 */
#include "calls/wrap.h"
#include "event/event.h"
#include "event/release.h"
#include "event/summary.h"

/* Descriptors of one connection seen before its last: closed with it. */
#define EXIT_HELD 16

struct held {
	struct conn *c;
	int fd;
};

/* What _exit has seen so far, and the connection whose fd is released. */
struct exit_seen {
	struct conn *c;
	int nheld;
	struct held held[EXIT_HELD];
};

/* _exit: close fd, and the other descriptors of its connection first,
 * so that release_close_at_exit can confirm the reset. */
static int close_connection(int fd, void *ctx)
{
	const struct exit_seen *seen = ctx;

	for (int i = 0; i < seen->nheld; i++)
		if (seen->held[i].c == seen->c)
			real.close(seen->held[i].fd);
	return real.close(fd);
}

/* _exit: every tracked connection the kernel would reset is closed and
 * confirmed here. */
static void release_all(void)
{
	struct exit_seen seen;

	seen.nheld = 0;
	FDT_FOR_EACH(fd, 0, ~0u) {
		struct conn *c = fdt_get(fd);

		if (c == NULL)
			continue;
		if (seen.nheld < EXIT_HELD &&
		    atomic_load_explicit(&c->refs, memory_order_relaxed) > 1)
			seen.held[seen.nheld++] = (struct held){ c, fd };
		seen.c = c;
		release_close_at_exit(fd, close_connection, &seen);
	}
}

/* exit(): predicted, once per connection, nothing closed or untracked. */
static void predict_all(void)
{
	struct conn *seen[EXIT_HELD];
	struct release rel;
	int nseen = 0;

	FDT_FOR_EACH(fd, 0, ~0u) {
		struct conn *c = fdt_get(fd);
		int dup = 0;

		for (int i = 0; c != NULL && i < nseen; i++)
			dup |= seen[i] == c;
		if (c == NULL || dup)
			continue;
		if (nseen < EXIT_HELD)
			seen[nseen++] = c;
		if (release_predict_at_exit(fd, &rel) && !rel.shared)
			event_dispatch(&rel.ev);
	}
}

/* Not from a vfork child, nor before the settings were read. */
static int ending_here(void)
{
	return atomic_load_explicit(&shim_ready, memory_order_acquire) &&
	       !shim_passive &&
	       !shim_is_sandboxed() &&
	       !shim_in_vfork_child();
}

__attribute__((destructor)) static void shim_fini(void)
{
	int saved = errno;

	if (ending_here()) {
		predict_all();
		summary_at_exit();
	}
	errno = saved;
}

void wrap_exit_now(void)
{
	if (ending_here()) {
		release_all();
		summary_at_exit();
	}
}

SHIM_EXPORT void _exit(int status)
{
	wrap_exit_now();
	real._exit(status);
	__builtin_unreachable();
}

SHIM_EXPORT void _Exit(int status)
{
	wrap_exit_now();
	real._Exit(status);
	__builtin_unreachable();
}

/* quick_exit: the at_quick_exit handlers still run, and may use the
 * descriptors: as at exit(), resets are predicted, nothing is closed.
 * (glibc ends it with its own _exit, which no wrapper sees.) */
SHIM_EXPORT void quick_exit(int status)
{
	int saved = errno;

	if (ending_here()) {
		predict_all();
		summary_at_exit();
	}
	errno = saved;
	real.quick_exit(status);
	__builtin_unreachable();
}
