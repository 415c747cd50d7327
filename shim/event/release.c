/*
 * release.c - the end of a descriptor (release.h): the table lets go of
 * it; when it was a connection's last, the close is predicted
 * (close_verdict.c, with the close policy applied, close_policy.c); the
 * descriptor is closed; and a reset predicted is confirmed with the
 * kernel (close_confirm.c).  release_close is that whole pipeline.
 */
#include "event/release.h"

#include <errno.h>

#include "event/close_confirm.h"
#include "event/close_verdict.h"
#include "os/probe.h"
#include "os/process.h"
#include "os/real.h"

/*
 * fd is c's last descriptor here and is about to close: what will the
 * close do (close_verdict.c)?  A reset it is to send is only filled in
 * (rel), for close_confirm_done to log once the kernel has confirmed
 * it: returns 1 then.
 */
static int predict_close(int fd, struct conn *c, const char *call,
			 int at_exit, struct release *rel)
{
	if (!close_verdict_predict(fd, c, call, at_exit, rel))
		return 0;
	/* While the socket is still open: can sock_diag confirm? */
	close_confirm_check(rel);
	return 1;
}

/* The table lets go of fd; if it was its connection's last descriptor,
 * the close is predicted.  errno as it was. */
static inline int release(int fd, const char *call, int at_exit,
			  struct release *rel)
{
	struct conn *c;
	int saved, pending;

	c = fdt_take(fd);
	if (c == NULL || !conn_put_last(c))
		return 0;
	saved = errno;
	pending = predict_close(fd, c, call, at_exit, rel);
	errno = saved;
	conn_free(c);
	return pending;
}

int release_tracked(int fd, const char *call, struct release *rel)
{
	/* getpid() is a system call too: not under a sandbox, where a
	 * vfork child, about to exec or _exit, is no concern. */
	if (!shim_is_sandboxed() && shim_in_vfork_child())
		return 0;
	return release(fd, call, 0, rel);
}

/*
 * A last look, just before the close that was predicted to reset: a
 * connection already CLOSE (the peer's reset came since the prediction,
 * or its FIN moved the connection to a TIME-WAIT entry) is one the close
 * resets no more.  errno as it was.
 */
static int reset_since_predicted(int fd)
{
	int saved = errno, state = probe_tcp_info(fd, NULL);

	errno = saved;
	return state == TCPS_CLOSE;
}

/*
 * The protocol every close follows: release fd, close it, and confirm the
 * reset predicted once the close has run, with the close's result and
 * errno kept across the confirmation.  At exit the kernel closes what has
 * no reset to confirm.  Inline into each entry below, as if written out
 * there: a call less on every close of a tracked socket.
 */
static inline __attribute__((always_inline)) int
release_and_close(int fd, const char *call, int at_exit,
		  release_close_fn *do_close, void *ctx)
{
	struct release rel;
	int ret, err;

	if (!release(fd, call, at_exit, &rel))
		return at_exit ? 0 : do_close(fd, ctx);
	if (reset_since_predicted(fd))
		return do_close(fd, ctx);
	ret = do_close(fd, ctx);
	err = errno;
	close_confirm_done(&rel);
	errno = err;
	return ret;
}

int release_close_tracked(int fd, const char *call,
			  release_close_fn *do_close, void *ctx)
{
	/* A vfork child closes, and leaves the table alone (as above). */
	if (!shim_is_sandboxed() && shim_in_vfork_child())
		return do_close(fd, ctx);
	return release_and_close(fd, call, 0, do_close, ctx);
}

void release_close_at_exit(int fd, release_close_fn *do_close, void *ctx)
{
	release_and_close(fd, "exit", 1, do_close, ctx);
}

int release_predict_at_exit(int fd, struct release *rel)
{
	struct conn *c = fdt_get(fd);
	int saved = errno, pending;

	if (c == NULL)
		return 0;
	pending = predict_close(fd, c, "exit", 1, rel);
	errno = saved;
	return pending;
}
