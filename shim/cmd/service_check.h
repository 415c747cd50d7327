/*
 * service_check.h - what would keep a service from running under
 * tcpshim, read from its unit: a program the loader will not preload
 * into (refused: service_check.c), and sandbox settings that would cut
 * tcpshim off (warned about: service_sandbox.c).  Everything is said on
 * stderr, one line a finding.
 */
#ifndef SHIM_CMD_SERVICE_CHECK_H
#define SHIM_CMD_SERVICE_CHECK_H

#include "cmd/service_unit.h"

/* 0 when ExecStart='s program takes LD_PRELOAD (or cannot be found to
 * tell: a warning), -1 after saying why it never will. */
int service_check_program(const struct unit *u);

/* Warnings: address families, system call filter, the log's path under
 * the unit's file system sandbox; log is TCPSHIM_LOG's value. */
void service_check_sandbox(const struct unit *u, const char *log);

/* A boolean setting's value says yes (yes, true, on, 1). */
int service_yes(const char *v);

/* "tcpshim service: warning: NAME: " then fmt with a and b, a line. */
void service_warn(const struct unit *u, const char *fmt, const char *a,
		  const char *b);

/* The words of an Environment= value (quotes and backslashes undone),
 * each passed to fn; for EnvironmentFile= lines too. */
void service_env_words(const char *value,
		       void (*fn)(const char *word, void *ctx), void *ctx);

#endif
