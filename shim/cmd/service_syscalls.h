/*
 * service_syscalls.h - whether a unit's SystemCallFilter= lets through
 * the system calls tcpshim makes on its own, beyond the program's: its
 * groups (@system-service, ...) expanded with systemd-analyze
 * syscall-filter, the one place that knows this systemd's lists.
 */
#ifndef SHIM_CMD_SERVICE_SYSCALLS_H
#define SHIM_CMD_SERVICE_SYSCALLS_H

#include <stddef.h>

#include "cmd/service_unit.h"

/*
 * Into out (space-separated), the calls of tcpshim's that the unit's
 * filter denies.  0 when that could be judged (out empty if none is
 * denied, or when the unit has no filter), -1 when systemd-analyze
 * could not be run.
 */
int service_syscalls_denied(const struct unit *u, char *out, size_t len);

#endif
