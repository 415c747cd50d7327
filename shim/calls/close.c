/*
 * close.c - the end of a descriptor: close, close_range, closefrom, and
 * shutdown (syscall.c sends the same system calls made through syscall()
 * here).  Every close goes through release_close (event/release.h);
 * what the close of a connection's last descriptor does is judged in
 * event/close_verdict.c.
 *
 * close() of anything but a tracked socket is one table lookup: no
 * system call is added.
 */
#include "calls/wrap.h"
#include "event/release.h"
#include "event/release_range.h"

SHIM_EXPORT int close(int fd)
{
	return release_close(fd, "close", release_real_close, NULL);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	struct release_range_pending r;
	int ret;

	release_range(first, last, flags, "close_range", &r);
	ret = real.close_range(first, last, flags);
	release_range_done(&r);
	return ret;
}

SHIM_EXPORT void closefrom(int lowfd)
{
	struct release_range_pending r = { .n = 0 };

	if (lowfd >= 0)
		release_range((unsigned int)lowfd, ~0u, 0, "closefrom", &r);
	real.closefrom(lowfd);
}

void wrap_shutdown_done(int fd, int how)
{
	if (how == SHUT_WR || how == SHUT_RDWR) {
		struct conn *c = fdt_get(fd);

		if (c != NULL)
			conn_set(c, CONN_SHUT_WR);
	}
}

SHIM_EXPORT int shutdown(int fd, int how)
{
	int ret = real.shutdown(fd, how);

	if (ret == 0)
		wrap_shutdown_done(fd, how);
	return ret;
}
