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

#include "core/tally.h"
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

/*
 * A notice of counts: "held_back" (events TCPSHIM_RATE kept out of the
 * log since the last such notice, the first of them at since) or
 * "summary" (the process's totals at exit: connections, events of the
 * kinds logged, how many of them were held back, how many were lost on
 * the way to the log; for tcpshim watch, also ring_lost: records the
 * kernel's ring buffer had no room for).  By cause, the causes
 * with a count only: "causes":{"refused":3}, text causes=refused:3.
 */
struct shim_counts {
	struct timespec time;
	int pid;
	const char *what;		/* "held_back" or "summary" */
	struct timespec since;		/* held_back */
	uint64_t connections;		/* summary */
	uint64_t held_back;
	uint64_t lost;			/* summary */
	int kernel;			/* tcpshim watch's summary: ring_lost */
	uint64_t ring_lost;		/* records the kernel's ring buffer had
					 * no room for */
	struct tally_counts counts;	/* held_back: those held; summary:
					 * every event */
};

size_t format_counts(char *buf, size_t size, const struct shim_counts *n,
		     int json);
struct outbuf;
/* The causes with a count: refused:3,peer_reset:1 ("-" for none), or in
 * JSON {"refused":3,"peer_reset":1}. */
void format_causes(struct outbuf *o, const struct tally_counts *c, int json);

/* Write ev as one line ending in '\n'; returns its length. */
size_t format_event(char *buf, size_t size, const struct tcp_event *ev,
		    int json);

#endif
