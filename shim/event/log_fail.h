/*
 * log_fail.h - a log that cannot be written: told, counted, never fatal.
 *
 * A passing failure (EAGAIN: a FIFO's reader or a daemon's queue behind;
 * a daemon restarting; ENOBUFS, ENOMEM) loses the line: it is counted
 * and the log kept.  A lasting one (ENOSPC, EDQUOT, EFBIG, EIO, EPIPE:
 * the reader is gone, and anything not known to pass) is said once on
 * stderr, and from then on the log goes to stderr, as when it cannot be
 * opened, under a rate limit (log_rate).  A stderr that fails for good
 * gets nothing more, and costs nothing more: events are counted as lost
 * without being formatted.  At exit, one line tells of the lost events.
 *
 * Signal-safe: system calls, atomics and the formatter only.
 */
#ifndef SHIM_EVENT_LOG_FAIL_H
#define SHIM_EVENT_LOG_FAIL_H

#include <stdint.h>

/* The log could not be opened (verb "open") or written ("write") for
 * good: say so once, naming it, and log to stderr from now on. */
void log_fall_back(const char *verb, const char *what, int err);

/* Does the log go to stderr instead of where it was asked to? */
int log_fell_back(void);

/* A line for the log (not stderr) was not written, for err: 1 if the
 * log fell back to stderr for it (the line goes there), 0 if it is lost. */
int log_fail_write(int err);

/* A line for stderr was not written, for err. */
void log_fail_stderr(int err);

/* Can a line be written to stderr now: descriptor 2 is the program's
 * stderr and has not failed for good? */
int log_stderr_usable(void);

/* The program's stderr is open at start-up (1) or not; it closed
 * descriptor 2 (0), or put a new stderr there (1). */
void log_stderr_state(int usable);

/* 1 when no line can be written at all: the log is stderr, and stderr
 * is gone.  Then an event is counted as lost, not formatted. */
int log_gone(void);

/* The events per second the log takes: TCPSHIM_RATE; unset, for a log
 * that fell back to stderr, RATE_DAEMON_DEFAULT. */
unsigned int log_rate(void);

/* At exit, lost events: one line on stderr if it works, saying how many
 * of events (held back by TCPSHIM_RATE: held) and why.  0 when stderr
 * could not take it. */
int log_fail_tell_lost(int pid, uint64_t lost, uint64_t events,
		       uint64_t held);

#endif
