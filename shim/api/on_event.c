/*
 * on_event.c - tcp_on_event(): callbacks for every event, registered and
 * removed (event/callbacks.c holds them).
 */
#include <errno.h>
#include <stddef.h>

#include "core/compiler.h"
#include "event/callbacks.h"
#include "tcpshim.h"

SHIM_EXPORT int tcp_on_event(tcp_event_fn fn, void *arg)
{
	if (fn == NULL) {
		if (arg != NULL) {
			errno = EINVAL;
			return -1;
		}
		callbacks_clear();
		return 0;
	}
	if (callbacks_add(fn, arg) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}
