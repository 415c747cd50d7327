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
static int track_copy(int oldfd, int newfd)
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

/* A dup2 or dup3 call: the copy to make at newfd. */
struct dup_request {
	int oldfd;
	int flags;
	int is_dup3;
};

/*
 * Make the copy: dup2 or dup3 put a file at newfd on purpose (a new
 * stderr is one), closing what newfd held.  release_close runs it as
 * the close of newfd.
 */
static int make_copy(int newfd, void *ctx)
{
	const struct dup_request *d = ctx;
	int ret = d->is_dup3 ? real.dup3(d->oldfd, newfd, d->flags)
			     : real.dup2(d->oldfd, newfd);

	if (ret == 2 && d->oldfd != 2)
		log_stderr_replaced();
	return track_copy(d->oldfd, ret);
}

/* Is fd open?  errno as it was. */
static int descriptor_is_open(int fd)
{
	int saved = errno;
	int is_open = fdt_get(fd) != NULL || real.fcntl(fd, F_GETFD) >= 0;

	errno = saved;
	return is_open;
}

/*
 * dup2/dup3 onto newfd close it first: as a close, through release_close,
 * but only when the call will succeed, so a failed dup2 leaves the table
 * as it was: oldfd must be open (checked only when newfd is a tracked
 * socket, which is rare).
 */
static int replace_target(int newfd, const char *call,
			  struct dup_request *d)
{
	/* dup3 refuses these without touching newfd. */
	if (d->oldfd == newfd || newfd < 0 || (d->flags & ~O_CLOEXEC))
		return make_copy(newfd, d);
	log_release_fd(newfd);
	if (fdt_get(newfd) == NULL || !descriptor_is_open(d->oldfd))
		return make_copy(newfd, d);
	return release_close(newfd, call, make_copy, d);
}

SHIM_EXPORT int dup(int fd)
{
	return track_copy(fd, real.dup(fd));
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	struct dup_request d = { .oldfd = oldfd, .flags = 0, .is_dup3 = 0 };

	if (oldfd == newfd)
		return real.dup2(oldfd, newfd);
	return replace_target(newfd, "dup2", &d);
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	struct dup_request d = { .oldfd = oldfd, .flags = flags,
				 .is_dup3 = 1 };

	return replace_target(newfd, "dup3", &d);
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
			return track_copy(fd, real.name(fd, cmd, arg)); \
		return real.name(fd, cmd, arg); \
	}

FCNTL_WRAPPER(fcntl)
FCNTL_WRAPPER(fcntl64)
