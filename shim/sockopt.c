/*
 * sockopt.c - setsockopt and getsockopt.  setsockopt tells the shim that
 * a close will reset (SO_LINGER {1, 0}); the program's own
 * getsockopt(SO_ERROR) is how a non-blocking connect learns its fate, so
 * the shim reads the answer the program got (it never asks itself:
 * SO_ERROR clears the error it reports).
 */
#include "wrap.h"

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			   socklen_t len)
{
	int ret = real.setsockopt(fd, level, name, val, len);
	struct conn *c;

	if (ret != 0 || level != SOL_SOCKET || name != SO_LINGER ||
	    val == NULL || len < sizeof(struct linger))
		return ret;
	c = fdt_get(fd);
	if (c != NULL) {
		const struct linger *lg = val;

		if (lg->l_onoff && lg->l_linger == 0)
			conn_set(c, CONN_LINGER0);
		else
			conn_clear(c, CONN_LINGER0);
	}
	return ret;
}

SHIM_EXPORT int getsockopt(int fd, int level, int name, void *val,
			   socklen_t *len)
{
	int ret = real.getsockopt(fd, level, name, val, len);
	struct conn *c;
	int err;

	if (ret != 0 || level != SOL_SOCKET || name != SO_ERROR ||
	    val == NULL || len == NULL || *len < sizeof(int))
		return ret;
	c = fdt_get(fd);
	err = *(int *)val;
	if (err != 0) {
		if (classify_wants(err))
			event_call_failed(fd, c, "getsockopt", err);
	} else if (c != NULL && (conn_flags(c) & CONN_CONNECTING)) {
		int saved = errno;

		if (event_tcp_info(fd, NULL) == TCPS_ESTABLISHED) {
			conn_clear(c, CONN_CONNECTING);
			conn_set(c, CONN_ESTABLISHED);
		}
		errno = saved;
	}
	return ret;
}
