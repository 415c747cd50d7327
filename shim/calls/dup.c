/*
 * dup.c - descriptors that copy another: dup, dup2, dup3, and fcntl's
 * F_DUPFD and F_DUPFD_CLOEXEC.  The copy refers to the same connection
 * record; dup2 and dup3 first close whatever their target held.
 */
#include <stdarg.h>

#include "calls/wrap.h"
#include "event/log.h"
#include "event/release.h"

/*
 * newfd is now a copy of oldfd (or an error).  Another thread, or a signal
 * handler, may be closing oldfd right now: take the reference only if the
 * record is still live and still oldfd's.
 */
static int copied(int oldfd, int newfd)
{
	struct conn *c;

	if (newfd < 0 || shim_passive)
		return newfd;
	fdt_set_plain(newfd, 0);
	c = fdt_get(oldfd);
	/* Nothing to track and nothing stale at newfd: nothing to change. */
	if (c == NULL && fdt_get(newfd) == NULL)
		return newfd;
	if (shim_in_vfork_child())
		return newfd;
	if (c != NULL && !conn_tryget(c))
		c = NULL;
	if (c != NULL && fdt_get(oldfd) != c) {
		conn_put(c);
		c = NULL;
	}
	fdt_track(newfd, c);
	return newfd;
}

/* dup2 or dup3 put a file at newfd on purpose: a new stderr is one. */
static int placed(int oldfd, int newfd)
{
	if (newfd == 2 && oldfd != 2)
		log_stderr_replaced();
	return copied(oldfd, newfd);
}

/*
 * dup2/dup3 onto newfd close it first.  Release it only when the call
 * will succeed, so a failed dup2 leaves the table as it was: oldfd must
 * be open (checked only when newfd is a tracked socket, which is rare).
 * Returns 1 when rel holds a reset to confirm after the call.
 */
static int replacing(int oldfd, int newfd, int flags, const char *call,
		     struct release *rel)
{
	/* dup3 refuses these without touching newfd. */
	if (oldfd == newfd || newfd < 0 || (flags & ~O_CLOEXEC))
		return 0;
	log_release_fd(newfd);
	if (fdt_get(newfd) == NULL)
		return 0;
	if (fdt_get(oldfd) == NULL) {
		int saved = errno;
		int bad = real.fcntl(oldfd, F_GETFD) < 0;

		errno = saved;
		if (bad)
			return 0;
	}
	return release_fd(newfd, call, rel);
}

/* After a dup2 or dup3 that closed a connection: confirm its reset. */
static int replaced(int ret, int pending, struct release *rel)
{
	if (pending) {
		int err = errno;

		release_done(rel);
		errno = err;
	}
	return ret;
}

SHIM_EXPORT int dup(int fd)
{
	return copied(fd, real.dup(fd));
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	struct release rel;
	int pending = replacing(oldfd, newfd, 0, "dup2", &rel);

	if (oldfd == newfd)
		return real.dup2(oldfd, newfd);
	return replaced(placed(oldfd, real.dup2(oldfd, newfd)), pending, &rel);
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	struct release rel;
	int pending = replacing(oldfd, newfd, flags, "dup3", &rel);

	return replaced(placed(oldfd, real.dup3(oldfd, newfd, flags)),
			pending, &rel);
}

/*
 * fcntl's third argument is an int or a pointer, or absent; reading it as
 * unsigned long and passing it on is what the calling convention of
 * every Linux ABI allows.
 */
#define FCNTL_WRAPPER(name) \
	SHIM_EXPORT int name(int fd, int cmd, ...) \
	{ \
		va_list ap; \
		unsigned long arg; \
		va_start(ap, cmd); \
		arg = va_arg(ap, unsigned long); \
		va_end(ap); \
		if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) \
			return copied(fd, real.name(fd, cmd, arg)); \
		return real.name(fd, cmd, arg); \
	}

FCNTL_WRAPPER(fcntl)
FCNTL_WRAPPER(fcntl64)
