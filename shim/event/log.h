/*
 * log.h - where event lines go: stderr, a file, syslog, or nowhere.
 *
 * The file or syslog socket is opened at the first event, not before, so
 * a program with no event never sees an extra descriptor.
 */
#ifndef SHIM_EVENT_LOG_H
#define SHIM_EVENT_LOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpshim.h"

/* The shim's own descriptor: (fd + 1) << 32 | identity; 0 when none. */
extern _Atomic uint64_t log_target;

/* Write one event to the log configured in shim_config: 0, or -1 when
 * it was lost (the daemon's queue stayed full, a write failed). */
int log_event(const struct tcp_event *ev);

struct shim_notice;
/* Write one notice (format.h) to the log. */
void log_notice(const struct shim_notice *n);
struct shim_counts;
/* Write one held_back or summary notice (format.h) to the log. */
void log_counts(const struct shim_counts *n);

/* At start-up: is descriptor 2 open? */
void log_init(void);

/* A TCPSHIM_DEBUG line, to stderr if the program's stderr is still
 * there. */
void log_debug_line(const char *line, size_t len);

/* Print one line on stderr (a warning about a bad setting). */
void log_warn_line(const char *line);

/*
 * The program is about to close, or replace, descriptors first..last:
 * if the shim's own log descriptor is among them, let it go, so that no
 * later line can land in whatever file the program puts at that number.
 */
void log_release(unsigned int first, unsigned int last);

static inline void log_release_fd(int fd)
{
	uint64_t t = atomic_load_explicit(&log_target, memory_order_relaxed);

	if (fd == 2 || (t != 0 && (int)(t >> 32) - 1 == fd))
		log_release((unsigned int)fd, (unsigned int)fd);
}

/* The program put its own stderr at descriptor 2 with dup2 or dup3. */
void log_stderr_replaced(void);

#endif
