/*
 * track.h - sockets the shim did not see made (inherited, passed with
 * SCM_RIGHTS, made before the constructor ran), taken into the table
 * when a call first shows them.
 */
#ifndef SHIM_EVENT_TRACK_H
#define SHIM_EVENT_TRACK_H

#include "core/conn.h"

/* Track fd from now on if it is a TCP socket; its record, or NULL.
 * Preserves errno. */
struct conn *track_adopt(int fd);

/*
 * fd arrived in this process with SCM_RIGHTS: track it from now on if it
 * is a TCP socket, as a connection another process holds too, whatever
 * the table held at that number before, with the totals the kernel
 * counted so far; its new record, or NULL.  Preserves errno.
 */
struct conn *track_received(int fd);

/* fd's record: the one the table holds, or else track_adopt(fd). */
struct conn *track_lookup(int fd);

#endif
