/*
 * close_confirm.c - whether the close that was to reset a connection did:
 * what the kernel holds of it once the close has run (close_confirm.h).
 */
#include "event/close_confirm.h"

#include <stdatomic.h>
#include <time.h>

#include "core/classify.h"
#include "event/debug.h"
#include "event/event.h"
#include "os/sockdiag.h"

/*
 * Without sock_diag (no inet_diag in the kernel, a seccomp filter, another
 * network namespace) a lookup after the close would find nothing and
 * confirm every prediction, so the first prediction looks its still open
 * socket up: -1 no, 1 yes, 0 not known.
 */
static atomic_int diag_works;

void close_confirm_check(const struct release *rel)
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

/* 0 when sock_diag cannot tell here: a prediction then stands. */
static int diag_can_tell(void)
{
	return atomic_load_explicit(&diag_works, memory_order_relaxed) >= 0;
}

static int lookup(const struct release *rel, uint64_t cookie,
		  struct sockdiag_found *f)
{
	return sockdiag_find(&rel->ev.local, &rel->ev.peer, cookie,
			     rel->ifindex, f);
}

/* Lookups after a pause, for a connection that had sent its FIN. */
#define CONFIRM_PAUSES 3
#define CONFIRM_PAUSE_NS 1000000

/* 1 when a lookup's answer settles it: the socket itself, or an error. */
static int held_for_sure(int found, const struct sockdiag_found *f)
{
	return found < 0 || (found > 0 && f->state != TCPS_LISTEN);
}

/* A millisecond, without a signal's interruption mattering. */
static void pause_briefly(void)
{
	struct timespec t = { .tv_sec = 0, .tv_nsec = CONFIRM_PAUSE_NS };

	clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
}

/*
 * The socket of rel's connection, if the kernel still holds it after the
 * close: 1 (into *f), 0 when it holds none, -1 when it cannot be asked.
 *
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
static int find_held(const struct release *rel, struct sockdiag_found *f)
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
			    !held_for_sure(found, f);
	     again++)
		found = lookup(rel, cookie, f);
	/*
	 * On a busy machine that moment can last: the CPU making the entry
	 * may be stopped half-way (by the hypervisor, say).  A connection
	 * that had sent its FIN pauses and asks a few times more, each time
	 * by its cookie and for a TIME-WAIT entry made before the cookie was.
	 */
	for (int again = 0; rel->fin_sent && cookie != SOCKDIAG_ANY_COOKIE;
	     again++) {
		if (found == 0 &&
		    lookup(rel, SOCKDIAG_ANY_COOKIE, f) > 0 &&
		    f->state == TCPS_TIME_WAIT)
			return 1;
		if (held_for_sure(found, f) || again == CONFIRM_PAUSES)
			break;
		pause_briefly();
		found = lookup(rel, cookie, f);
	}
	return found;
}

/*
 * If the kernel still holds the connection (in TIME-WAIT, because the
 * peer's FIN came first; orphaned, closing with a FIN; or open, held by
 * another process) no reset left; if it holds nothing, the close
 * destroyed the connection with the reset predicted.  Where the kernel
 * cannot be asked, the prediction stands.
 */
void close_confirm_done(struct release *rel)
{
	const char *why = "gone: logged";
	struct sockdiag_found f;
	int found, held;

	if (!diag_can_tell()) {
		DEBUG_CONFIRM(&rel->ev, -1,
			      "sock_diag cannot tell here: logged as "
			      "predicted");
		event_dispatch_closed(&rel->ev);
		return;
	}
	found = find_held(rel, &f);
	held = found > 0 ? f.state : -1;
	if (found > 0 && f.state == TCPS_LISTEN) {
		why = "only its listener is left: logged";
		found = 0;
	}
	/*
	 * Still a file's: a call of another thread still holds it (a recv
	 * blocked on it), and the close happens, with the reset predicted,
	 * when that call returns; unless another process, or another
	 * descriptor table, holds the socket.
	 */
	if (found > 0 && f.inode != 0 && !rel->shared) {
		why = "still held by another thread's call: logged";
		found = 0;
	}
	if (found < 0)
		why = "sock_diag failed: logged as predicted";
	if (found > 0) {
		DEBUG_CONFIRM(&rel->ev, held,
			      "the kernel still holds it, so no reset: not "
			      "logged");
		return;
	}
	DEBUG_CONFIRM(&rel->ev, held, why);
	event_dispatch_closed(&rel->ev);
}
