/*
 * track.c - adopting a socket into the table: one a call shows, or one
 * that arrives with SCM_RIGHTS.
 */
#include "event/track.h"

#include <errno.h>

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

void track_received(int fd)
{
	int saved = errno;
	uint64_t sent, received;
	struct conn *c = NULL;

	if (shim_passive || shim_in_vfork_child())
		return;
	if (probe_tcp_domain(fd) >= 0 &&
	    (c = conn_new(process_new_conn_flags() | CONN_ESTABLISHED |
			  CONN_SHARED)) != NULL) {
		probe_totals(fd, &sent, &received);
		atomic_store_explicit(&c->bytes_sent, sent,
				      memory_order_relaxed);
		atomic_store_explicit(&c->bytes_received, received,
				      memory_order_relaxed);
	}
	/* The number was free in the kernel: a record still there is
	 * stale, whatever arrived. */
	if (c != NULL || fdt_get(fd) != NULL)
		fdt_track(fd, c);
	errno = saved;
}

struct conn *track_lookup(int fd)
{
	struct conn *c = fdt_get(fd);

	return c != NULL ? c : track_adopt(fd);
}
