/*
 * inject_engine.h - TCPSHIM_INJECT at work (inject_engine.c): which
 * rules a connection is armed with, how far a call may go before one of
 * them holds, and the reset when one does.  The hooks of
 * calls/inject_hooks.c call it, only while rules are set; connect and
 * accept tell it when a connection is established.
 */
#ifndef SHIM_EVENT_INJECT_ENGINE_H
#define SHIM_EVENT_INJECT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"

/*
 * inject_prepare: once, before any call, when rules are set.
 * inject_arm: the rules armed on fd's connection c, one bit each,
 * deciding them at its first call.  inject_early: the rules that can
 * come to hold between calls (after_ms=, or no byte count), so are tried
 * before one.  inject_fire: reset it now if an armed rule holds with
 * sent and received bytes more than c counts (the call under way);
 * returns 1 when it did.  inject_cap: the most bytes a call moving bytes
 * in direction dir (enum inject_dir) may move before an armed rule
 * holds, or SIZE_MAX.
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

#endif
