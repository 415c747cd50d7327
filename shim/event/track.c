/*
 * track.c - adopting a socket into the table.
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

struct conn *track_lookup(int fd)
{
	struct conn *c = fdt_get(fd);

	return c != NULL ? c : track_adopt(fd);
}
