/*
 * event.h - turning what a wrapper saw into an event: the one place that
 * fills a struct tcp_event and hands it to the log and the callbacks.
 */
#ifndef SHIM_EVENT_H
#define SHIM_EVENT_H

#include <linux/tcp.h>
#include <unistd.h>

#include "classify.h"
#include "conn.h"
#include "tcpshim.h"

/* Set by the constructor once the settings are parsed. */
extern atomic_int shim_ready;
/* Set when another copy of tcpshim, earlier in the lookup order, does
 * the work: this copy then only passes calls through. */
extern int shim_passive;
/* Bumped at every fork(): connections older than it may be shared. */
extern atomic_uint shim_fork_gen;
/* Set once the program put itself under a seccomp filter (sandbox.c):
 * the shim then makes no system call of its own. */
extern atomic_int shim_sandboxed;
void sandbox_entered(void);

/* This process's pid, as of start-up or the last fork(). */
extern atomic_int shim_pid;

/*
 * Is the caller a vfork() child?  It shares the parent's memory, and so
 * the shim's table and log state: what it closes or dups is its own
 * business, never the parent's.  Costs a getpid(): call it only on the
 * way to changing shared state.
 */
static inline int shim_in_vfork_child(void)
{
	return getpid() != atomic_load_explicit(&shim_pid, memory_order_relaxed);
}

/* Flags for conn_new(): this fork generation. */
unsigned int event_conn_flags(void);
/* c's flags, with CONN_SHARED if the process forked since c was made. */
unsigned int event_flags(const struct conn *c);

/* tcpi_state of fd, and TCP_INFO in *info if info is not NULL; -1 if
 * fd has none. */
int event_tcp_info(int fd, struct tcp_info *info);

/*
 * What the shim can see of fd's connection now, without consuming
 * anything: flags (with CONN_ESTABLISHED if it ever was), TCP_INFO, the
 * unacknowledged bytes.  err is the errno the program saw (0 at close).
 */
void event_observe(int fd, struct conn *c, int err, struct observation *o);
/*
 * When probes are out: TCP_KEEPCNT and TCP_USER_TIMEOUT into o, which a
 * connection that died unnoticed needs (classify_close).
 */
void event_observe_keepalive(int fd, struct observation *o);

/*
 * A call on fd failed with err: classify it and log what it reveals.
 * c may be NULL (a socket the shim did not see created: it is looked at
 * and, if TCP, tracked from now on).  Preserves errno.
 */
void event_call_failed(int fd, struct conn *c, const char *call, int err);

/*
 * Fill ev for fd and c, while the descriptor is still open and connected.
 * o is what was observed, or NULL to leave the TCP_INFO fields unknown.
 */
void event_fill(struct tcp_event *ev, int fd, struct conn *c,
		struct verdict v, const char *call, int err,
		const struct observation *o);
/* Does anyone want an event of this kind: the log, or a callback? */
int event_wanted(enum tcp_event_kind kind);
/* Hand a filled event to the log and the callbacks. */
void event_dispatch(const struct tcp_event *ev);
/* event_fill, then event_dispatch. */
void event_emit(int fd, struct conn *c, struct verdict v, const char *call,
		int err, const struct observation *o);
/*
 * The domain (AF_INET or AF_INET6) of TCP socket fd; else -1 with errno
 * EBADF, ENOTSOCK, or EOPNOTSUPP (a socket, but not TCP over IP).
 */
int event_tcp_domain(int fd);
/* Track fd from now on if it is a TCP socket; its record, or NULL. */
struct conn *event_adopt(int fd);

#endif
