/*
 * tracer.h - the kernel's own record of resets, for tests: the
 * tcp:tcp_send_reset and tcp:tcp_receive_reset tracepoints, enabled in a
 * private tracefs instance (tracefs mounted for the test if it is not),
 * read back and parsed into records.
 */
#ifndef TCPSHIM_TRACER_H
#define TCPSHIM_TRACER_H

#include <limits.h>
#include <stdint.h>

struct tracer {
	char root[PATH_MAX];	/* where tracefs is mounted */
	char dir[PATH_MAX];	/* our instance (or root) */
	int mounted;		/* we mounted root */
	int instance;		/* dir is an instance we made */
	int cookie_hex;		/* sock_cookie printed with %llx */
	int send_cookie;	/* tcp_send_reset has sock_cookie too */
};

enum { REC_SEND, REC_RECEIVE };

#define MAX_RECORDS 4096

struct record {
	int kind;
	int has_cookie;
	uint64_t cookie;
	char src[80];		/* ADDR:PORT, as the log writes them */
	char dst[80];
	int used;
	char line[512];
};

/*
 * Find or mount tracefs, make a private instance, enable both
 * tracepoints in it and clear its buffer.  Returns NULL, or why the test
 * must be skipped (not root, no tracefs, tracepoints without the fields
 * the records need).
 */
const char *tracer_start(struct tracer *t);
/* The trace text (malloc'd); the tracepoints disabled, all undone. */
char *tracer_stop(struct tracer *t);
/* Parse the trace into out (MAX_RECORDS of them); how many. */
int tracer_records(const char *trace, const struct tracer *t,
		   struct record *out);

#endif
