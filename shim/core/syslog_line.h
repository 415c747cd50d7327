/*
 * syslog_line.h - a log line as the datagram syslog takes on /dev/log:
 * "<PRI>tcpshim[PID]: MESSAGE", facility daemon.
 */
#ifndef SHIM_CORE_SYSLOG_LINE_H
#define SHIM_CORE_SYSLOG_LINE_H

#include <stddef.h>

#include "core/format.h"

/* RFC 5424 severities (<syslog.h> is not included: its LOG_SYSLOG is a
 * log_kind here). */
#define SYSLOG_WARNING 4
#define SYSLOG_NOTICE 5

/* Room for any datagram syslog_line writes. */
#define SYSLOG_LINE_MAX (FORMAT_LINE_MAX + 64)

/* One log line (newline-terminated, len bytes) as a syslog message from
 * tcpshim[pid] into buf: its length.  syslog has its own tag and time: a
 * text line's ("tcpshim[PID] TIME ") are dropped unless whole is set
 * (a JSON line, or a line whose PID is not the sender's). */
size_t syslog_line(char *buf, size_t size, int pid, int severity,
		   const char *line, size_t len, int whole);

#endif
