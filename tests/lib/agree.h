/*
 * agree.h - tcpshim's log against the kernel's record of resets, for
 * tests (agree.c).
 */
#ifndef TCPSHIM_AGREE_H
#define TCPSHIM_AGREE_H

#include "tracer.h"

/*
 * The JSON log at log_path holds exactly the expected events
 * ("event/cause", in order, NULL-terminated), each with a cookie, and the
 * trace t recorded agrees with it both ways.  Fails the test otherwise.
 */
void agree_log_and_trace(const struct tracer *t, const char *log_path,
			 const char *trace, const char *const *expected);

#endif
