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

static const struct sockaddr_un dev_log = { .sun_family = AF_UNIX,
					    .sun_path = "/dev/log" };
static const struct sockaddr_un journal_socket = {
	.sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket"
};

/* The datagram socket of syslog or journald, as the settings say. */
static const struct sockaddr_un *daemon_socket(void)
{
	return shim_config.log == LOG_JOURNAL ? &journal_socket : &dev_log;
}

static int open_daemon(void)
{
	int fd = real.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (real.connect(fd, (const struct sockaddr *)daemon_socket(),
			 sizeof(struct sockaddr_un)) != 0) {
		int err = errno;

		real.close(fd);
		errno = err;
		return -1;
	}
	return fd;
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

static void write_stderr(const char *line, size_t len)
{
	/* Not into a file or socket that took number 2 after close(2). */
	if (atomic_load_explicit(&stderr_ok, memory_order_relaxed) &&
	    fdt_get(2) == NULL)
		real.write(2, line, len);
}

void log_debug_line(const char *line, size_t len)
{
	write_stderr(line, len);
}

/* RFC 5424 priorities: facility daemon, severity warning or notice
 * (<syslog.h> is not included: its LOG_SYSLOG is a log_kind here). */
#define SYSLOG_DAEMON (3 << 3)
#define SYSLOG_WARNING 4
#define SYSLOG_NOTICE 5

/* One datagram to syslog or journald. */
static void send_datagram(int fd, const char *msg, size_t len)
{
	if (real.send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return;
	/* The daemon restarted and made a new socket: connect the same
	 * socket to it again, and send once more. */
	if ((errno == ECONNREFUSED || errno == ENOTCONN || errno == ENOENT) &&
	    real.connect(fd, (const struct sockaddr *)daemon_socket(),
			 sizeof(struct sockaddr_un)) == 0)
		real.send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* severity: SYSLOG_WARNING or SYSLOG_NOTICE */
static void write_syslog(int fd, int pid, int severity, const char *line,
			 size_t len)
{
	char msg[FORMAT_LINE_MAX + 64];
	struct outbuf o = { msg, 0, sizeof(msg) };

	outbuf_str(&o, "<");
	outbuf_u64(&o, (uint64_t)(SYSLOG_DAEMON + severity));
	outbuf_str(&o, ">tcpshim[");
	outbuf_u64(&o, (uint64_t)pid);
	outbuf_str(&o, "]: ");
	if (!shim_config.json) {
		/* syslog has its own tag and time: drop the line's. */
		for (int spaces = 0; len > 0 && spaces < 2; line++, len--)
			spaces += *line == ' ';
	}
	if (len > 0 && o.len + len - 1 <= o.cap) {
		memcpy(msg + o.len, line, len - 1);	/* no newline */
		o.len += len - 1;
	}
	send_datagram(fd, msg, o.len);
}

/* One whole line, to wherever the log goes. */
static void write_line(const char *line, size_t len, int pid, int severity)
{
	int fd = shim_config.log == LOG_STDERR ? -1 : current_fd();

	if (fd < 0)
		write_stderr(line, len);
	else if (shim_config.log == LOG_SYSLOG)
		write_syslog(fd, pid, severity, line, len);
	else
		real.write(fd, line, len);
}

/* The journal's socket, or -1 when there is none (then the text line
 * goes to stderr, as for a log that cannot be opened). */
static int journal_fd(void)
{
	return shim_config.log == LOG_JOURNAL ? current_fd() : -1;
}

void log_event(const struct tcp_event *ev)
{
	char line[JOURNAL_MAX];
	int severity = ev->kind == TCP_EVENT_CLOSE ? SYSLOG_NOTICE
						   : SYSLOG_WARNING;
	int fd;

	if (shim_config.log == LOG_OFF)
		return;
	if ((fd = journal_fd()) >= 0) {
		send_datagram(fd, line, journal_event(line, sizeof(line), ev));
		return;
	}
	write_line(line, format_event(line, FORMAT_LINE_MAX, ev,
				      shim_config.json),
		   ev->pid, severity);
}

void log_notice(const struct shim_notice *n)
{
	char line[JOURNAL_MAX];
	int fd;

	if (shim_config.log == LOG_OFF)
		return;
	if ((fd = journal_fd()) >= 0) {
		send_datagram(fd, line, journal_notice(line, sizeof(line), n));
		return;
	}
	write_line(line, format_notice(line, FORMAT_LINE_MAX, n,
				       shim_config.json),
		   n->pid, SYSLOG_NOTICE);
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
