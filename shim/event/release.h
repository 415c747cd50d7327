/*
 * release.h - the end of a descriptor, as the close calls, dup2, exit
 * and tcp_abort all meet it, through release_close: the table lets go of
 * it; when it was a connection's last descriptor the close is judged
 * while the socket is open (close_verdict.h); the descriptor is closed;
 * and a reset the close was to send is logged once the kernel confirms
 * it (close_confirm.h).
 */
#ifndef SHIM_EVENT_RELEASE_H
#define SHIM_EVENT_RELEASE_H

#include "core/compiler.h"
#include "core/fdtable.h"
#include "event/log.h"
#include "os/real.h"
#include "tcpshim.h"

/* A reset to confirm once the real close has run. */
struct release {
	struct tcp_event ev;
	int ifindex;
	int shared;	/* another process may hold the connection too */
	int fin_sent;	/* it had sent its FIN: TIME-WAIT may be near */
};

/* release_fd for a descriptor the table holds: out of line. */
int release_tracked(int fd, const char *call, struct release *rel);

/*
 * The program is about to close fd or put another file at its number:
 * drop fd from the table and, if it was the connection's last
 * descriptor, log what the close does.  fd must still be open.  Returns
 * 1 when rel holds a reset to confirm: then call close_confirm_done
 * (event/close_confirm.h) once fd is closed.  Only where fd cannot be
 * closed on its own does a caller need this: release_close does the
 * rest.
 */
static inline int release_fd(int fd, const char *call, struct release *rel)
{
	log_release_fd(fd);
	if (unlikely(fdt_get(fd) != NULL))
		return release_tracked(fd, call, rel);
	return 0;
}

/*
 * How a descriptor is closed: close(), syscall(SYS_close), a dup2 onto
 * it, ...  Returns what the call returns, with errno as it left it; ctx
 * is the caller's.
 */
typedef int release_close_fn(int fd, void *ctx);

/* do_close for a plain close: the real close(). */
static inline int release_real_close(int fd, void *unused)
{
	(void)unused;
	return real.close(fd);
}

/* release_close for a descriptor the table holds: out of line. */
int release_close_tracked(int fd, const char *call,
			  release_close_fn *do_close, void *ctx);

/*
 * The one way a descriptor ends: fd is released (release_fd), do_close
 * closes it, and a reset its close was to send is confirmed with the
 * kernel and logged; the result and errno are do_close's.  Inline, so
 * that close() of anything but a tracked socket costs a lookup.
 */
static inline int release_close(int fd, const char *call,
				release_close_fn *do_close, void *ctx)
{
	log_release_fd(fd);
	if (unlikely(fdt_get(fd) != NULL))
		return release_close_tracked(fd, call, do_close, ctx);
	return do_close(fd, ctx);
}

/*
 * The process is ending, and the kernel will close fd: release_close for
 * it, with call "exit", for a reset only, and without the abort policy.
 * do_close runs only for a reset to confirm (the kernel closes the
 * rest).  The caller has ruled out a vfork child.
 */
void release_close_at_exit(int fd, release_close_fn *do_close, void *ctx);
/*
 * The same prediction for exit(), which must leave the table as it is
 * (later destructors may still use the socket): fd stays tracked, and
 * a reset predicted is claimed, so that a later close logs nothing more.
 */
int release_predict_at_exit(int fd, struct release *rel);

#endif
