/*
 * sockopts.c - the keepalive options, in order.
 */
#include "core/sockopts.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

void sockopts_keepalive(struct sockopt opt[KEEPALIVE_OPTIONS], int idle_s,
			int interval_s, int count)
{
	opt[0] = (struct sockopt){ IPPROTO_TCP, TCP_KEEPIDLE, idle_s,
				   "TCP_KEEPIDLE" };
	opt[1] = (struct sockopt){ IPPROTO_TCP, TCP_KEEPINTVL, interval_s,
				   "TCP_KEEPINTVL" };
	opt[2] = (struct sockopt){ IPPROTO_TCP, TCP_KEEPCNT, count,
				   "TCP_KEEPCNT" };
	opt[3] = (struct sockopt){ SOL_SOCKET, SO_KEEPALIVE, 1,
				   "SO_KEEPALIVE" };
}
