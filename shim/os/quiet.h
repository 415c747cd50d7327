/*
 * quiet.h - the shim's own writes (log lines, warnings): they never
 * raise a signal in the host, and never leave part of a line behind.
 *
 * A write to a pipe or socket whose reader is gone raises SIGPIPE, one
 * past RLIMIT_FSIZE raises SIGXFSZ: both kill a program that has not
 * asked for them, for a line it never wrote.  Around each write both are
 * blocked for the calling thread, and the one that write raised is taken
 * back before the mask is restored.  Costs two rt_sigprocmask calls per
 * line; a failure that raised a signal, one or two more.  Signal-safe:
 * system calls only.
 */
#ifndef SHIM_OS_QUIET_H
#define SHIM_OS_QUIET_H

#include <stddef.h>
#include <sys/types.h>

/* write(), again after EINTR, raising no signal: what write returned,
 * errno as write left it. */
ssize_t quiet_write(int fd, const void *buf, size_t len);

/*
 * The whole line, or none of it: 0, or -1 with errno (the error that
 * stopped it).  A write cut short (a full disk, RLIMIT_FSIZE) is
 * finished if the rest goes; if not, the part written is cut off again
 * when it is the end of a regular file (ftruncate), or ended with a
 * newline on anything else, so it never runs into the next line.
 */
int quiet_line(int fd, const char *line, size_t len);

#endif
