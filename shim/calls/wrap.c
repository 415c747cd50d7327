/*
 * wrap.c - the cold half of wrap.h: a call on a socket failed.
 */
#include "calls/wrap.h"

#include <signal.h>

#include "core/classify.h"
#include "event/event.h"

void wrap_io_failed(int fd, const char *call)
{
	int err = errno;

	if (classify_wants(err))
		event_call_failed(fd, fdt_get(fd), call, err);
}

void wrap_send_failed(int fd, const char *call, int quiet)
{
	int err = errno;

	wrap_io_failed(fd, call);
	if (quiet && err == EPIPE)
		tgkill(getpid(), gettid(), SIGPIPE);
	errno = err;
}
