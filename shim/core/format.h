/*
 * format.h - an event as one log line, text or JSON.
 *
 * Async-signal-safe, as core/outbuf.h is.
 */
#ifndef SHIM_CORE_FORMAT_H
#define SHIM_CORE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tcpshim.h"

/* Longest line format_event() writes; longer output is cut short. */
#define FORMAT_LINE_MAX 1024

/*
 * A notice: not an event, but something a reader of the log must know,
 * such as the program overriding a TCPSHIM_ policy on one socket.  JSON
 * notices have a "notice" field where events have "event".
 */
struct shim_notice {
	struct timespec time;
	int pid;
	int fd;
	uint64_t conn;
	const char *what;	/* "policy_overridden" */
	const char *option;	/* "SO_KEEPALIVE", "TCP_KEEPIDLE", ... */
	int64_t value;		/* what the program set */
	const char *policy;	/* "TCPSHIM_KEEPALIVE=1,1,2" */
};

size_t format_notice(char *buf, size_t size, const struct shim_notice *n,
		     int json);

/* Write ev as one line ending in '\n'; returns its length. */
size_t format_event(char *buf, size_t size, const struct tcp_event *ev,
		    int json);

#endif
