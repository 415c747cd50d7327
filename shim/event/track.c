/*
 * track.c - adopting a socket into the table: one a call shows, or one
 * that arrives with SCM_RIGHTS.
 */
#include "event/track.h"

#include <errno.h>

#include "core/classify.h"
#include "core/fdtable.h"
#include "os/probe.h"
#include "os/process.h"

struct conn *track_adopt(int fd)
{
	int saved = errno;
	int domain = shim_passive ? -1 : probe_tcp_domain(fd);
	struct conn *c;

	errno = saved;
	if (domain < 0)
		return NULL;
	c = conn_new(process_new_conn_flags() | CONN_ESTABLISHED);
	if (c != NULL)
		fdt_track(fd, c);
	return fdt_get(fd);
}

/* A new record for fd, which arrived with SCM_RIGHTS: what the kernel
 * says of it, and held by another process too. */
static struct conn *arrived(int fd)
{
	struct probe_arrival a;
	struct conn *c;

	probe_arrival(fd, &a);
	/* Connected once, unless it is still to connect or listens: a
	 * broker may hand over a socket before it connects. */
	c = conn_new(process_new_conn_flags() | CONN_SHARED |
		     (a.state > 0 && a.state != TCPS_CLOSE &&
				      a.state != TCPS_SYN_SENT &&
				      a.state != TCPS_LISTEN
			      ? CONN_ESTABLISHED
			      : 0) |
		     (a.linger0 ? CONN_LINGER0 : 0));
	if (c == NULL)
		return NULL;
	atomic_store_explicit(&c->bytes_sent, a.sent, memory_order_relaxed);
	atomic_store_explicit(&c->bytes_received, a.received,
			      memory_order_relaxed);
	conn_addr_from_sockaddr(&c->peer, (const struct sockaddr *)&a.peer,
				a.peer_len);
	return c;
}

struct conn *track_received(int fd)
{
	int saved = errno;
	struct conn *c = NULL;

	if (shim_passive)
		return NULL;
	fdt_set_plain(fd, 0);
	/* No system call under a seccomp sandbox: it may kill for one. */
	if (shim_is_sandboxed() || shim_in_vfork_child())
		return NULL;
	if (probe_tcp_domain(fd) >= 0)
		c = arrived(fd);
	/* The number was free in the kernel: a record still there is
	 * stale, whatever arrived. */
	if (c != NULL || fdt_get(fd) != NULL)
		fdt_track(fd, c);
	errno = saved;
	return c;
}

struct conn *track_lookup(int fd)
{
	struct conn *c = fdt_get(fd);

	return c != NULL ? c : track_adopt(fd);
}
