/*
 * syscall.c - syscall(), for the numbers that end or half-close a
 * descriptor: close and close_range (libuv, and so Node.js, closes its
 * sockets with syscall(SYS_close, fd)), and shutdown; exit_group, which
 * ends the process as _exit does (exit.c); and seccomp, which libseccomp
 * installs a filter with (prctl.c).  Every other number
 * (futex, gettid, ...) goes straight to the real syscall().
 */
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "calls/wrap.h"
#include "event/release.h"
#include "event/release_range.h"

#ifdef SYS_vfork
#define IS_VFORK(nr) ((nr) == SYS_vfork)
#else
#define IS_VFORK(nr) 0
#endif

#if SHIM_WRAPS_SYSCALL
/*
 * clone, clone3 or vfork: a child that shares this memory (see vfork.c)
 * may exist from now on; one that does not, and returns here (a fork
 * made with clone), is a fork child the atfork handlers never saw.
 */
static __attribute__((noinline)) long child_call(long nr, const long *a)
{
	uint64_t flags = nr == SYS_clone3 && a[0] != 0
				 ? *(const uint64_t *)a[0]
				 : (uint64_t)a[0];
	int vm = !IS_VFORK(nr) ? (flags & CLONE_VM) != 0 : 1;
	long ret;

	if (vm)
		process_vfork_possible();
	ret = real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (ret == 0 && !vm) {
		int err = errno;

		process_forked_child();
		errno = err;
	}
	return ret;
}

/*
 * syscall(SYS_close) as release_close runs it: the descriptor's word
 * passed on as it came, and the result kept whole.
 */
struct syscall_close {
	long fd_word;
	long ret;
};

static int close_by_syscall(int fd, void *ctx)
{
	struct syscall_close *sc = ctx;

	(void)fd;
	sc->ret = real.syscall(SYS_close, sc->fd_word);
	return (int)sc->ret;
}

/* close, close_range or shutdown, with its arguments in a. */
static __attribute__((noinline)) long descriptor_call(long nr,
						      const long *a)
{
	struct release_range_pending r;
	struct syscall_close sc;
	long ret;

	switch (nr) {
	case SYS_close:
		sc.fd_word = a[0];
		release_close((int)a[0], "close", close_by_syscall, &sc);
		return sc.ret;
	case SYS_close_range:
		release_range((unsigned int)a[0], (unsigned int)a[1],
				   (int)a[2], "close_range", &r);
		ret = real.syscall(nr, a[0], a[1], a[2]);
		release_range_done(&r);
		return ret;
	case SYS_exit_group:
		wrap_exit_now();
		return real.syscall(nr, a[0]);
	case SYS_seccomp:
		if (a[0] == SECCOMP_SET_MODE_FILTER ||
		    a[0] == SECCOMP_SET_MODE_STRICT)
			wrap_sandbox_entering();
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
	if (unlikely(nr == SYS_clone || nr == SYS_clone3 || IS_VFORK(nr)))
		return child_call(nr, a);
	if (unlikely(nr == SYS_close || nr == SYS_close_range ||
		     nr == SYS_shutdown || nr == SYS_seccomp ||
		     nr == SYS_exit_group))
		return descriptor_call(nr, a);
	return real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif
