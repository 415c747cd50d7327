/*
 * log_daemon.h - the datagram socket of syslog (/dev/log) or journald
 * (/run/systemd/journal/socket), whichever TCPSHIM_LOG names.
 */
#ifndef SHIM_EVENT_LOG_DAEMON_H
#define SHIM_EVENT_LOG_DAEMON_H

#include <stddef.h>
#include <sys/un.h>

#include "core/syslog_line.h"

/* The socket's address, as the settings say. */
const struct sockaddr_un *daemon_socket(void);

/* A datagram socket connected to it, or -1 with errno set. */
int open_daemon(void);

/* One datagram: 0 when it went, -1 when it was lost. */
int send_datagram(int fd, const char *msg, size_t len);

/* One log line as a syslog message from tcpshim[pid], severity
 * SYSLOG_WARNING or SYSLOG_NOTICE: 0, or -1 when it was lost. */
int write_syslog(int fd, int pid, int severity, const char *line,
		 size_t len);

#endif
