/*
 * wrap.c - the cold half of wrap.h: a call on a socket failed.
 */
#include "calls/wrap.h"

#include <signal.h>

#include "core/classify.h"
#include "event/event.h"

ssize_t wrap_io_failed(int fd, const char *call, ssize_t ret)
{
	int err = errno;

	if (classify_wants(err))
		event_call_failed(fd, fdt_get(fd), call, err);
	return ret;
}

ssize_t wrap_send_failed(int fd, const char *call, ssize_t ret)
{
	int err = errno;

	wrap_io_failed(fd, call, ret);
	if (err == EPIPE)
		tgkill(getpid(), gettid(), SIGPIPE);
	errno = err;
	return ret;
}

ssize_t wrap_slot_failed(_Atomic(struct conn *) *slot, const char *call,
			 int quiet, ssize_t ret)
{
	int fd = fdt_slot0_fd(slot);

	return quiet ? wrap_send_failed(fd, call, ret)
		     : wrap_io_failed(fd, call, ret);
}
