/*
 * api.h - what the C API (tcpshim.h) offers the interposed calls: the
 * disconnect behind tcp_abort, and the keepalive policy.
 */
#ifndef SHIM_API_API_H
#define SHIM_API_API_H

#include <stdint.h>

#include "core/conn.h"
#include "tcpshim.h"

/* Why an abort happens, when the program did not ask for it. */
struct abort_why {
	enum tcp_event_cause cause;
	const char *rule;		/* injected: the rule that fired */
	uint64_t sent, received;	/* moved by the call under way, and
					 * not yet in c's totals */
};

/*
 * Reset fd's connection now with connect(AF_UNSPEC), whatever other
 * descriptors refer to it, and log rst_sent if a RST left (state:
 * tcpi_state before): cause abort, or as why says (why may be NULL).
 * Returns what connect returned.
 */
int abort_disconnect(int fd, struct conn *c, int state, const char *call,
		     const struct abort_why *why);

/*
 * TCPSHIM_INJECT (inject.c).  inject_prepare: once, before any call,
 * when rules are set.  inject_arm: the rules armed on fd's connection
 * c, one bit each, deciding them at its first call.  inject_early: the
 * rules that can come to hold between calls (after_ms=, or no byte
 * count), so are tried before one.  inject_fire: reset it now if an
 * armed rule holds with sent and received bytes more than c counts (the
 * call under way); returns 1 when it did.  inject_cap: the most bytes a
 * call moving bytes in direction dir (enum inject_dir) may move before
 * an armed rule holds, or SIZE_MAX.
 */
void inject_prepare(void);
/* c was established now (connect or accept): its after_ms clock starts.
 * A load and a branch while no rule is set. */
extern int inject_on;
void inject_established_slow(struct conn *c);
static inline void inject_established(struct conn *c)
{
	if (__builtin_expect(inject_on, 0))
		inject_established_slow(c);
}
unsigned int inject_arm(int fd, struct conn *c);
unsigned int inject_early(void);
int inject_fire(int fd, struct conn *c, unsigned int armed, const char *call,
		uint64_t sent, uint64_t received);
size_t inject_cap(struct conn *c, unsigned int armed, int dir);

/*
 * TCPSHIM_KEEPALIVE and TCPSHIM_USER_TIMEOUT, on a new TCP socket.
 * Accepted sockets inherit them from their listener.  Preserves errno.
 */
void keepalive_apply_policy(int fd);

#endif
