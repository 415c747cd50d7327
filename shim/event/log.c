/*
 * log.c - log output.
 *
 * Each event is one write() of one whole line, to a descriptor opened
 * O_APPEND, so lines from threads and processes never interleave.  The
 * shim's descriptor is checked against the file it opened (device and
 * inode) before each write: if the program closed it behind the shim's
 * back and something else now has that number, the shim opens its log
 * again instead of writing into the program's file or socket.
 *
 * Runs from any wrapper, so from signal handlers too: only system calls,
 * atomics and the formatter; no stdio, malloc or locks.
 */
#include "event/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/config.h"
#include "core/fdtable.h"
#include "core/format.h"
#include "core/journal.h"
#include "core/outbuf.h"
#include "event/log_daemon.h"
#include "os/process.h"
#include "os/real.h"

_Atomic uint64_t log_target;
static atomic_int log_pid;		/* the pid %p was expanded with */
static atomic_int open_failed;		/* warned once about the log path */
/*
 * Descriptor 2 is the program's stderr: open at start-up and not closed
 * since, or put back with dup2/dup3.  After close(2), whatever opens next
 * may get number 2 (a daemon's data file, a socket): never write there.
 */
static atomic_int stderr_ok;

/* The shim's log file sits at or above this number, out of the way of
 * programs that expect open() to return the lowest free descriptor. */
#define LOG_FD_MIN 100

static uint32_t identity(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return 0;
	return (uint32_t)(st.st_ino * 0x9e3779b97f4a7c15ull >> 32) ^
	       (uint32_t)st.st_dev;
}

static uint64_t target_word(int fd)
{
	return (uint64_t)(fd + 1) << 32 | identity(fd);
}

static int target_fd(uint64_t t)
{
	return (int)(t >> 32) - 1;
}

void log_warn_line(const char *line)
{
	real.write(2, line, strlen(line));
}

/* The log path with every %p replaced by pid; 0, or -1 if too long. */
static int expand_path(char *dst, size_t size, const char *src, int pid)
{
	struct outbuf o = { dst, 0, size - 1 };

	for (const char *p = src; *p; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			outbuf_u64(&o, (uint64_t)pid);
			p++;
		} else {
			outbuf_char(&o, *p);
		}
		if (o.len == o.cap)
			return -1;
	}
	dst[o.len] = '\0';
	return 0;
}

static void warn_open_failed(const char *what, int err)
{
	char buf[CONFIG_PATH_MAX + 128];
	struct outbuf o = { buf, 0, sizeof(buf) - 1 };

	if (atomic_exchange(&open_failed, 1))
		return;
	outbuf_str(&o, "tcpshim: cannot open log ");
	outbuf_str(&o, what);
	outbuf_str(&o, ": ");
	outbuf_errno(&o, err);
	outbuf_str(&o, "; logging to stderr instead\n");
	if (atomic_load(&stderr_ok))
		real.write(2, buf, o.len);
}

static int open_target(int pid)
{
	char path[CONFIG_PATH_MAX];
	int fd;

	if (shim_config.log == LOG_SYSLOG || shim_config.log == LOG_JOURNAL) {
		fd = open_daemon();
		if (fd < 0)
			warn_open_failed(daemon_socket()->sun_path, errno);
		return fd;
	}
	if (expand_path(path, sizeof(path), shim_config.log_path, pid) != 0) {
		warn_open_failed(shim_config.log_path, ENAMETOOLONG);
		return -1;
	}
	/* O_NONBLOCK: a FIFO with no reader fails (ENXIO) instead of
	 * hanging the program. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			      O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
		  0600);
	if (fd < 0)
		warn_open_failed(path, errno);
	return fd;
}

/* fd, moved to LOG_FD_MIN or above if the limit allows. */
static int out_of_the_way(int fd)
{
	int high = real.fcntl(fd, F_DUPFD_CLOEXEC, LOG_FD_MIN);

	if (high < 0)
		return fd;
	real.close(fd);
	return high;
}

/* The descriptor to write to, or -1 for stderr. */
static int current_fd(void)
{
	uint64_t t = atomic_load(&log_target);
	int pid = 0;

	if (shim_config.log == LOG_FILE &&
	    strstr(shim_config.log_path, "%p") != NULL) {
		pid = getpid();
		if (t != 0 && atomic_load(&log_pid) != pid) {
			/* A forked child: its own file, as %p promises.  Close
			 * the parent's only if the number still holds it. */
			if (atomic_compare_exchange_strong(&log_target, &t, 0) &&
			    identity(target_fd(t)) == (uint32_t)t)
				real.close(target_fd(t));
			t = atomic_load(&log_target);
		}
	}
	if (t != 0 && identity(target_fd(t)) == (uint32_t)t)
		return target_fd(t);
	if (atomic_load(&open_failed))
		return -1;

	int fd = open_target(pid);

	if (fd < 0)
		return -1;
	fd = out_of_the_way(fd);
	uint64_t mine = target_word(fd);

	if (!atomic_compare_exchange_strong(&log_target, &t, mine)) {
		/* Another thread opened it first. */
		real.close(fd);
		return atomic_load(&log_target) != 0
			       ? target_fd(atomic_load(&log_target))
			       : -1;
	}
	atomic_store(&log_pid, pid);
	return fd;
}

/* The whole line in one write(), again if a signal came first (a pipe
 * or a terminal that was full). */
static int write_whole(int fd, const char *line, size_t len)
{
	ssize_t n;

	do
		n = real.write(fd, line, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

static int write_stderr(const char *line, size_t len)
{
	/* Not into a file or socket that took number 2 after close(2). */
	if (atomic_load_explicit(&stderr_ok, memory_order_relaxed) &&
	    fdt_get(2) == NULL)
		return write_whole(2, line, len);
	return -1;
}

void log_debug_line(const char *line, size_t len)
{
	(void)write_stderr(line, len);
}

/* One whole line, to wherever the log goes: 0, or -1 if it was lost. */
static int write_line(const char *line, size_t len, int pid, int severity)
{
	int fd = shim_config.log == LOG_STDERR ? -1 : current_fd();

	if (fd < 0)
		return write_stderr(line, len);
	if (shim_config.log == LOG_SYSLOG)
		return write_syslog(fd, pid, severity, line, len);
	return write_whole(fd, line, len);
}

/* The journal's socket, or -1 when there is none (then the text line
 * goes to stderr, as for a log that cannot be opened). */
static int journal_fd(void)
{
	return shim_config.log == LOG_JOURNAL ? current_fd() : -1;
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
	if ((fd = journal_fd()) >= 0)
		return send_datagram(fd, buf, journal(buf, sizeof(buf), what));
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
	atomic_store(&stderr_ok, real.fcntl(2, F_GETFD) >= 0);
}

void log_release(unsigned int first, unsigned int last)
{
	uint64_t t = atomic_load(&log_target);
	int fd = target_fd(t);
	int has_stderr = first <= 2 && last >= 2;
	int has_log = t != 0 && (unsigned int)fd >= first &&
		      (unsigned int)fd <= last;

	if ((!has_stderr && !has_log) || shim_in_vfork_child())
		return;
	if (has_stderr)
		atomic_store(&stderr_ok, 0);
	if (has_log)
		atomic_compare_exchange_strong(&log_target, &t, 0);
}

void log_stderr_replaced(void)
{
	if (!shim_in_vfork_child())
		atomic_store(&stderr_ok, 1);
}
