/*
 * sockopts.h - the socket options that switch keepalive on, in the order
 * they must be set: the timings first, so that probing starts with them
 * and not with the system's 7200 s default.  Shared by tcp_keepalive(),
 * the TCPSHIM_KEEPALIVE policy and "tcpshim keepalive".
 */
#ifndef SHIM_CORE_SOCKOPTS_H
#define SHIM_CORE_SOCKOPTS_H

struct sockopt {
	int level, name, value;
	const char *label;	/* "TCP_KEEPIDLE", ... */
};

#define KEEPALIVE_OPTIONS 4

/* The options for keepalive with these timings, into opt. */
void sockopts_keepalive(struct sockopt opt[KEEPALIVE_OPTIONS], int idle_s,
			int interval_s, int count);

#endif
