/*
 * syscall.c - syscall(), for the numbers that end or half-close a
 * descriptor: close and close_range (libuv, and so Node.js, closes its
 * sockets with syscall(SYS_close, fd)), and shutdown.  Every other number
 * goes straight to the real syscall().
 */
#include <stdarg.h>
#include <sys/syscall.h>

#include "wrap.h"

#if SHIM_WRAPS_SYSCALL
SHIM_EXPORT long syscall(long nr, ...)
{
	struct release rel;
	va_list ap;
	long a[6], ret;
	int err;

	/* As glibc's own syscall() does: six arguments, whatever was
	 * passed. */
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	switch (nr) {
	case SYS_close:
		if (!wrap_release((int)a[0], "close", &rel))
			break;
		ret = real.syscall(nr, a[0]);
		err = errno;
		wrap_release_done(&rel);
		errno = err;
		return ret;
	case SYS_close_range:
		wrap_release_range((unsigned int)a[0], (unsigned int)a[1],
				   (int)a[2], "close_range");
		break;
	case SYS_shutdown:
		ret = real.syscall(nr, a[0], a[1]);
		if (ret == 0)
			wrap_shutdown_done((int)a[0], (int)a[1]);
		return ret;
	default:
		break;
	}
	return real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif
