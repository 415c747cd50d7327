/*
 * log.c - log output.
 *
 * Each event is one write() of one whole line, to a descriptor opened
 * O_APPEND (event/log_target.c), so lines from threads and processes
 * never interleave; no write raises a signal in the program, and none
 * leaves part of a line (os/quiet.c).  A write that fails is counted,
 * or moves the log to stderr (event/log_fail.c).
 *
 * Runs from any wrapper, so from signal handlers too: only system calls,
 * atomics and the formatter; no stdio, malloc or locks.
 */
#include "event/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "core/config.h"
#include "core/format.h"
#include "core/journal.h"
#include "event/log_daemon.h"
#include "event/log_fail.h"
#include "event/log_target.h"
#include "os/process.h"
#include "os/quiet.h"
#include "os/real.h"

void log_warn_line(const char *line)
{
	quiet_write(2, line, strlen(line));
}

static int write_stderr(const char *line, size_t len)
{
	/* Not into a file or socket that took number 2 after close(2). */
	if (!log_stderr_usable())
		return -1;
	if (quiet_line(2, line, len) == 0)
		return 0;
	log_fail_stderr(errno);
	return -1;
}

void log_debug_line(const char *line, size_t len)
{
	(void)write_stderr(line, len);
}

/* One whole line, to wherever the log goes: 0, or -1 if it was lost. */
static int write_line(const char *line, size_t len, int pid, int severity)
{
	int fd = shim_config.log == LOG_STDERR ? -1 : log_target_fd();

	if (fd < 0)
		return write_stderr(line, len);
	if ((shim_config.log == LOG_SYSLOG
		     ? write_syslog(fd, pid, severity, line, len)
		     : quiet_line(fd, line, len)) == 0)
		return 0;
	/* A log that fails for good: this line and the next go to stderr. */
	return log_fail_write(errno) ? write_stderr(line, len) : -1;
}

/* The journal's socket, or -1 when there is none (then the text line
 * goes to stderr, as for a log that cannot be opened). */
static int journal_fd(void)
{
	return shim_config.log == LOG_JOURNAL ? log_target_fd() : -1;
}

/* What each kind of entry is written with. */
typedef size_t (*journal_fn)(char *buf, size_t size, const void *what);
typedef size_t (*line_fn)(char *buf, size_t size, const void *what,
			  int json);

/* One entry: a journal datagram when the journal is there, else a line.
 * 0, or -1 when it could not be written. */
static int log_entry(const void *what, journal_fn journal, line_fn line_of,
		     int pid, int severity)
{
	char buf[JOURNAL_MAX];
	int fd;

	if (shim_config.log == LOG_OFF)
		return 0;
	/* Nowhere to write: not worth formatting. */
	if (log_gone())
		return -1;
	if ((fd = journal_fd()) >= 0) {
		if (send_datagram(fd, buf, journal(buf, sizeof(buf), what)) == 0)
			return 0;
		log_fail_write(errno);
		return -1;
	}
	return write_line(buf,
			  line_of(buf, FORMAT_LINE_MAX, what, shim_config.json),
			  pid, severity);
}

static size_t event_journal(char *buf, size_t size, const void *ev)
{
	return journal_event(buf, size, ev);
}

static size_t event_line(char *buf, size_t size, const void *ev, int json)
{
	return format_event(buf, size, ev, json);
}

int log_event(const struct tcp_event *ev)
{
	return log_entry(ev, event_journal, event_line, ev->pid,
		  ev->kind == TCP_EVENT_CLOSE ? SYSLOG_NOTICE : SYSLOG_WARNING);
}

static size_t notice_journal(char *buf, size_t size, const void *n)
{
	return journal_notice(buf, size, n);
}

static size_t notice_line(char *buf, size_t size, const void *n, int json)
{
	return format_notice(buf, size, n, json);
}

void log_notice(const struct shim_notice *n)
{
	log_entry(n, notice_journal, notice_line, n->pid, SYSLOG_NOTICE);
}

static size_t counts_journal(char *buf, size_t size, const void *n)
{
	return journal_counts(buf, size, n);
}

static size_t counts_line(char *buf, size_t size, const void *n, int json)
{
	return format_counts(buf, size, n, json);
}

void log_counts(const struct shim_counts *n)
{
	log_entry(n, counts_journal, counts_line, n->pid,
		  strcmp(n->what, "summary") == 0 ? SYSLOG_NOTICE
						  : SYSLOG_WARNING);
}

void log_init(void)
{
	log_stderr_state(real.fcntl(2, F_GETFD) >= 0);
}

void log_release(unsigned int first, unsigned int last)
{
	uint64_t t = atomic_load(&log_target);
	int fd = (int)(t >> 32) - 1;
	int has_stderr = first <= 2 && last >= 2;
	int has_log = t != 0 && (unsigned int)fd >= first &&
		      (unsigned int)fd <= last;

	if ((!has_stderr && !has_log) || shim_in_vfork_child())
		return;
	if (has_stderr)
		log_stderr_state(0);
	if (has_log)
		atomic_compare_exchange_strong(&log_target, &t, 0);
}

void log_stderr_replaced(void)
{
	if (!shim_in_vfork_child())
		log_stderr_state(1);
}
