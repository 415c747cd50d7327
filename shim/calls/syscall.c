/*
 * syscall.c - syscall(), for the numbers that end or half-close a
 * descriptor: close and close_range (libuv, and so Node.js, closes its
 * sockets with syscall(SYS_close, fd)), and shutdown; and seccomp, which
 * libseccomp installs a filter with (prctl.c).  Every other number
 * (futex, gettid, ...) goes straight to the real syscall().
 */
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "calls/wrap.h"
#include "event/release.h"

#ifdef SYS_vfork
#define IS_VFORK(nr) ((nr) == SYS_vfork)
#else
#define IS_VFORK(nr) 0
#endif

#if SHIM_WRAPS_SYSCALL
/* close, close_range or shutdown, with its arguments in a. */
static __attribute__((noinline)) long descriptor_call(long nr,
						      const long *a)
{
	struct range_release r;
	struct release rel;
	long ret;
	int err;

	switch (nr) {
	case SYS_close:
		if (!release_fd((int)a[0], "close", &rel))
			return real.syscall(nr, a[0]);
		ret = real.syscall(nr, a[0]);
		err = errno;
		release_done(&rel);
		errno = err;
		return ret;
	case SYS_close_range:
		release_range((unsigned int)a[0], (unsigned int)a[1],
				   (int)a[2], "close_range", &r);
		ret = real.syscall(nr, a[0], a[1], a[2]);
		release_range_done(&r);
		return ret;
	case SYS_seccomp:
		ret = real.syscall(nr, a[0], a[1], a[2]);
		if (ret >= 0 && (a[0] == SECCOMP_SET_MODE_FILTER ||
				 a[0] == SECCOMP_SET_MODE_STRICT))
			process_sandbox_entered();
		return ret;
	default:
		ret = real.syscall(nr, a[0], a[1]);
		if (ret == 0)
			wrap_shutdown_done((int)a[0], (int)a[1]);
		return ret;
	}
}

SHIM_EXPORT long syscall(long nr, ...)
{
	long a[6];

	/* As glibc's own syscall() does: six arguments, whatever was
	 * passed. */
	SHIM_VA_WORDS(a, 6, nr);
	/* A child that may share this memory (see vfork.c). */
	if (unlikely(nr == SYS_clone || nr == SYS_clone3 || IS_VFORK(nr)))
		process_vfork_possible();
	if (unlikely(nr == SYS_close || nr == SYS_close_range ||
		     nr == SYS_shutdown || nr == SYS_seccomp))
		return descriptor_call(nr, a);
	return real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif
