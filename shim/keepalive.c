/*
 * keepalive.c - half-open detection settings for one socket:
 * tcp_keepalive() and tcp_user_timeout().
 */
#include <limits.h>
#include <netinet/in.h>

#include "wrap.h"

SHIM_EXPORT int tcp_keepalive(int fd, int idle_s, int interval_s, int count)
{
	int on = 1;
	int saved = errno;

	if (event_tcp_domain(fd) < 0)
		return -1;
	if (idle_s < 1 || idle_s > 32767 || interval_s < 1 ||
	    interval_s > 32767 || count < 1 || count > 127) {
		errno = EINVAL;
		return -1;
	}
	/* Timings first: keepalive starts with them, not the 7200 s
	 * system default. */
	if (real.setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s,
			    sizeof(int)) != 0 ||
	    real.setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s,
			    sizeof(int)) != 0 ||
	    real.setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count,
			    sizeof(int)) != 0 ||
	    real.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(int)) !=
		    0)
		return -1;
	errno = saved;
	return 0;
}

SHIM_EXPORT int tcp_user_timeout(int fd, unsigned int ms)
{
	int v = (int)ms;

	if (event_tcp_domain(fd) < 0)
		return -1;
	if (ms > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	return real.setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v,
			       sizeof(v));
}
