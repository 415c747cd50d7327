/*
 * log_target.h - the descriptor the log is written to: a file (opened
 * at the first event, again after a fork when the path holds %p, and
 * again when logrotate renamed it away), or the socket of syslog or
 * journald.
 */
#ifndef SHIM_EVENT_LOG_TARGET_H
#define SHIM_EVENT_LOG_TARGET_H

#include <stddef.h>

/* The descriptor to write to, opened if need be; -1 when there is none
 * (the log goes to stderr instead: log_fail.h). */
int log_target_fd(void);

/* The log as a warning names it: its path (%p expanded), or the
 * daemon's socket. */
void log_target_name(char *buf, size_t size);

#endif
