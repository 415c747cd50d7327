/*
 * keepalive.c - half-open detection settings: tcp_keepalive() and
 * tcp_user_timeout() for one socket, and TCPSHIM_KEEPALIVE and
 * TCPSHIM_USER_TIMEOUT applied to every TCP socket of the program.
 */
#include "api/keepalive.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>

#include "core/compiler.h"
#include "core/config.h"
#include "core/sockopts.h"
#include "os/probe.h"
#include "os/real.h"

static int set_keepalive(int fd, int idle_s, int interval_s, int count)
{
	struct sockopt opt[KEEPALIVE_OPTIONS];

	sockopts_keepalive(opt, idle_s, interval_s, count);
	for (int i = 0; i < KEEPALIVE_OPTIONS; i++)
		if (real.setsockopt(fd, opt[i].level, opt[i].name,
				    &opt[i].value, sizeof(int)) != 0)
			return -1;
	return 0;
}

SHIM_EXPORT int tcp_keepalive(int fd, int idle_s, int interval_s, int count)
{
	int saved = errno;

	if (probe_tcp_domain(fd) < 0)
		return -1;
	if (idle_s < 1 || idle_s > KEEPALIVE_TIME_MAX || interval_s < 1 ||
	    interval_s > KEEPALIVE_TIME_MAX || count < 1 ||
	    count > KEEPALIVE_COUNT_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (set_keepalive(fd, idle_s, interval_s, count) != 0)
		return -1;
	errno = saved;
	return 0;
}

void keepalive_apply_policy(int fd)
{
	int saved = errno;

	if (shim_config.keepalive)
		set_keepalive(fd, shim_config.keep_idle, shim_config.keep_intvl,
			      shim_config.keep_cnt);
	if (shim_config.user_timeout)
		real.setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
				&shim_config.user_timeout_ms, sizeof(int));
	errno = saved;
}

SHIM_EXPORT int tcp_user_timeout(int fd, unsigned int ms)
{
	int v = (int)ms;

	if (probe_tcp_domain(fd) < 0)
		return -1;
	if (ms > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	return real.setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v,
			       sizeof(v));
}
