/*
 * confirm.c - what the kernel holds of a connection after the close
 * that was to reset it (confirm.h).
 */
#include "event/confirm.h"

#include <stdatomic.h>

#include "core/classify.h"

/*
 * Without sock_diag (no inet_diag in the kernel, a seccomp filter, another
 * network namespace) a lookup after the close would find nothing and
 * confirm every prediction, so the first prediction looks its still open
 * socket up: -1 no, 1 yes, 0 not known.
 */
static atomic_int diag_works;

void confirm_check(const struct release *rel)
{
	struct sockdiag_found f;

	if (atomic_load_explicit(&diag_works, memory_order_relaxed) != 0)
		return;
	atomic_store_explicit(&diag_works,
			      sockdiag_find(&rel->ev.local, &rel->ev.peer,
					    SOCKDIAG_ANY_COOKIE, rel->ifindex,
					    &f) > 0
				      ? 1
				      : -1,
			      memory_order_relaxed);
}

int confirm_usable(void)
{
	return atomic_load_explicit(&diag_works, memory_order_relaxed) >= 0;
}

static int lookup(const struct release *rel, uint64_t cookie,
		  struct sockdiag_found *f)
{
	return sockdiag_find(&rel->ev.local, &rel->ev.peer, cookie,
			     rel->ifindex, f);
}

/*
 * By the cookie, which the shim asked for before the close: a TIME-WAIT
 * entry or an orphan made from the socket since keeps it.  Another socket
 * with the same four addresses is another connection: one opened since
 * (the client's port taken again at once, as a narrow ephemeral range or
 * a busy client does), or the listener that answers for a server's
 * connection that is gone.  Only a TIME-WAIT entry made before the cookie
 * was (the peer's FIN came between the look and the close) lacks it: when
 * the connection had sent its FIN, a TIME-WAIT entry with its addresses
 * is taken for its own.
 */
int confirm_held(const struct release *rel, struct sockdiag_found *f)
{
	uint64_t cookie = rel->ev.has_cookie ? rel->ev.cookie
					     : SOCKDIAG_ANY_COOKIE;
	int found = lookup(rel, cookie, f);

	/*
	 * A connection that had sent its FIN, or that another process
	 * holds, may be turning into TIME-WAIT as this asks: the kernel puts
	 * the entry in its table a moment before a lookup may take it, and a
	 * lookup in that moment answers with the listener.  Ask again, on
	 * these paths only.
	 */
	for (int again = 0; again < 2 && (rel->fin_sent || rel->shared) &&
			    found >= 0 &&
			    (found == 0 || f->state == TCPS_LISTEN);
	     again++)
		found = lookup(rel, cookie, f);
	if (found == 0 && rel->fin_sent && cookie != SOCKDIAG_ANY_COOKIE &&
	    lookup(rel, SOCKDIAG_ANY_COOKIE, f) > 0 &&
	    f->state == TCPS_TIME_WAIT)
		found = 1;
	return found;
}
