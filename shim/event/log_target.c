/*
 * log_target.c - the log's descriptor.
 *
 * The shim's descriptor is checked against the file it opened (device
 * and inode) before each write: if the program closed it behind the
 * shim's back and something else now has that number, the shim opens its
 * log again instead of writing into the program's file or socket.
 *
 * Rotation by rename (logrotate's default): at most once a second (one
 * read of the vDSO's coarse clock per line, then one stat), an absolute
 * path is looked up; when it no longer names the file open, it is opened
 * again and the old descriptor closed at the next look, so a thread
 * still writing its line there finishes it.
 *
 * Signal-safe: system calls and atomics only.
 */
#include "event/log_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/outbuf.h"
#include "event/log.h"
#include "event/log_daemon.h"
#include "event/log_fail.h"
#include "os/real.h"

_Atomic uint64_t log_target;
static atomic_int log_pid;		/* the pid %p was expanded with */
/* A descriptor rotation replaced (a target word), closed at the next
 * look; the CLOCK_MONOTONIC_COARSE second of that look. */
static _Atomic uint64_t retired;
static _Atomic int64_t next_look;

/* The shim's log file sits at or above this number, out of the way of
 * programs that expect open() to return the lowest free descriptor. */
#define LOG_FD_MIN 100

static uint32_t identity_of(const struct stat *st)
{
	return (uint32_t)(st->st_ino * 0x9e3779b97f4a7c15ull >> 32) ^
	       (uint32_t)st->st_dev;
}

static uint32_t identity(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? identity_of(&st) : 0;
}

static uint64_t target_word(int fd)
{
	return (uint64_t)(fd + 1) << 32 | identity(fd);
}

static int target_fd(uint64_t t)
{
	return (int)(t >> 32) - 1;
}

/* t's descriptor, if its number still holds the file t was made for. */
static int still_ours(uint64_t t)
{
	return t != 0 && identity(target_fd(t)) == (uint32_t)t;
}

void log_target_name(char *buf, size_t size)
{
	if (shim_config.log == LOG_SYSLOG || shim_config.log == LOG_JOURNAL) {
		struct outbuf o = { buf, 0, size - 1 };

		outbuf_str(&o, daemon_socket()->sun_path);
		buf[o.len] = '\0';
	} else if (config_log_path(buf, size, shim_config.log_path,
			       atomic_load(&log_pid)) != 0) {
		config_log_path(buf, size, "?", 0);
	}
}

/* O_NONBLOCK: a FIFO with no reader fails (ENXIO) instead of hanging the
 * program. */
static int open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				  O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
		    0600);
}

static int open_target(int pid)
{
	char path[CONFIG_PATH_MAX];
	int fd;

	if (shim_config.log == LOG_SYSLOG || shim_config.log == LOG_JOURNAL) {
		fd = open_daemon();
		if (fd < 0)
			log_fall_back("open", daemon_socket()->sun_path, errno);
		return fd;
	}
	if (config_log_path(path, sizeof(path), shim_config.log_path, pid) != 0) {
		log_fall_back("open", shim_config.log_path, ENAMETOOLONG);
		return -1;
	}
	fd = open_path(path);
	if (fd < 0)
		log_fall_back("open", path, errno);
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

static int64_t coarse_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return now.tv_sec;
}

/* Is it time to look at the path again?  One thread looks, once a
 * second; the descriptor a rotation left is closed then. */
static int look_due(void)
{
	int64_t now = coarse_now();
	int64_t due = atomic_load_explicit(&next_look, memory_order_relaxed);
	uint64_t old;

	if (now < due || !atomic_compare_exchange_strong(&next_look, &due,
							 now + 1))
		return 0;
	old = atomic_exchange(&retired, 0);
	if (still_ours(old))
		real.close(target_fd(old));
	return 1;
}

/* The file at t was renamed or removed: the path, opened again, if it
 * can be; else t's descriptor, still writing to the file it was.  Only a
 * regular file is rotated: a FIFO whose name a reader removed keeps its
 * reader. */
static int reopen_renamed(uint64_t t, int pid)
{
	char path[CONFIG_PATH_MAX];
	struct stat st;
	uint64_t mine;
	int fd;

	if (fstat(target_fd(t), &st) != 0 || !S_ISREG(st.st_mode) ||
	    config_log_path(path, sizeof(path), shim_config.log_path, pid) != 0 ||
	    (stat(path, &st) == 0 && identity_of(&st) == (uint32_t)t) ||
	    (fd = open_path(path)) < 0)
		return target_fd(t);
	fd = out_of_the_way(fd);
	mine = target_word(fd);
	if (!atomic_compare_exchange_strong(&log_target, &t, mine)) {
		real.close(fd);		/* another thread moved it first */
		return log_target_fd();
	}
	atomic_store(&retired, t);
	return fd;
}

/* A forked child with %p in the path: its own file, as %p promises.
 * The parent's is closed if the number still holds it.  Returns the pid
 * the path is expanded with (0 without %p). */
static int own_file_after_fork(void)
{
	uint64_t t = atomic_load(&log_target);
	int pid;

	if (shim_config.log != LOG_FILE ||
	    strstr(shim_config.log_path, "%p") == NULL)
		return 0;
	pid = getpid();
	if (t != 0 && atomic_load(&log_pid) != pid &&
	    atomic_compare_exchange_strong(&log_target, &t, 0) &&
	    identity(target_fd(t)) == (uint32_t)t)
		real.close(target_fd(t));
	return pid;
}

int log_target_fd(void)
{
	int pid = own_file_after_fork();
	uint64_t t = atomic_load(&log_target);

	if (log_fell_back())
		return -1;
	if (still_ours(t)) {
		/* A relative path would be looked up from wherever the
		 * program has moved since: only an absolute one. */
		if (shim_config.log == LOG_FILE &&
		    shim_config.log_path[0] == '/' && look_due())
			return reopen_renamed(t, pid);
		return target_fd(t);
	}

	int fd = open_target(pid);

	if (fd < 0)
		return -1;
	fd = out_of_the_way(fd);
	uint64_t mine = target_word(fd);

	if (!atomic_compare_exchange_strong(&log_target, &t, mine)) {
		/* Another thread opened it first. */
		real.close(fd);
		t = atomic_load(&log_target);
		return t != 0 ? target_fd(t) : -1;
	}
	atomic_store(&log_pid, pid);
	atomic_store(&next_look, coarse_now() + 1);
	return fd;
}
