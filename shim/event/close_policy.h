/*
 * close_policy.h - TCPSHIM_CLOSE=abort: every close() of a TCP connection
 * is abortive.
 */
#ifndef SHIM_EVENT_CLOSE_POLICY_H
#define SHIM_EVENT_CLOSE_POLICY_H

#include "core/classify.h"
#include "core/compiler.h"
#include "core/config.h"

/* Make fd's close abortive: SO_LINGER {1, 0}. */
void close_policy_abort(int fd);

/*
 * fd, observed as o, is about to close: under the abort policy, and
 * unless the process is ending (at_exit), make the close abortive and say
 * so in o, for the verdict.  Inline: with no policy set, a close pays one
 * test.
 */
static inline void close_policy_apply(int fd, int at_exit,
				      struct observation *o)
{
	/* The abort policy is for close(); exit delivers what is queued. */
	o->policy_abort = at_exit ? 0 : shim_config.close_abort;
	if (unlikely(o->policy_abort) && classify_state_resets(o->state))
		close_policy_abort(fd);
}

#endif
