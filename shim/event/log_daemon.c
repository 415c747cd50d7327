/*
 * log_daemon.c - datagrams to syslog or journald.
 *
 * A daemon whose queue is full is waited for, as a blocking send would,
 * but for at most DAEMON_WAIT_MS; one that restarted is connected to
 * again.  Runs from any wrapper: system calls and atomics only.
 */
#include "event/log_daemon.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/config.h"
#include "core/format.h"
#include "core/syslog_line.h"
#include "os/real.h"

static const struct sockaddr_un dev_log = { .sun_family = AF_UNIX,
					    .sun_path = "/dev/log" };
static const struct sockaddr_un journal_socket = {
	.sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket"
};

const struct sockaddr_un *daemon_socket(void)
{
	return shim_config.log == LOG_JOURNAL ? &journal_socket : &dev_log;
}

int open_daemon(void)
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

/*
 * A daemon that has not taken a datagram within this many milliseconds
 * is stalled: the program is not held up again until one goes through.
 */
#define DAEMON_WAIT_MS 1000
static atomic_int daemon_stalled;

/* Room in fd's queue within DAEMON_WAIT_MS, a signal or not? */
static int wait_for_room(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct timespec now, end;
	long ms = DAEMON_WAIT_MS;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += DAEMON_WAIT_MS / 1000;
	for (;;) {
		int n = poll(&pfd, 1, (int)ms);

		if (n >= 0 || errno != EINTR)
			return n == 1;
		/* A signal handler ran: wait for what is left. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end.tv_sec - now.tv_sec) * 1000 +
		     (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return 0;
	}
}

int send_datagram(int fd, const char *msg, size_t len)
{
	for (int tries = 0; tries < 3; tries++) {
		if (real.send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			if (atomic_load_explicit(&daemon_stalled,
						 memory_order_relaxed))
				atomic_store(&daemon_stalled, 0);
			return 0;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			/* Its queue is full (net.unix.max_dgram_qlen is 10
			 * where systemd has not raised it): wait for room,
			 * as a blocking send would, but not for ever. */
			if (atomic_load_explicit(&daemon_stalled,
						 memory_order_relaxed) ||
			    !wait_for_room(fd)) {
				atomic_store(&daemon_stalled, 1);
				return -1;
			}
		} else if (errno == ECONNREFUSED || errno == ENOTCONN ||
			   errno == ENOENT) {
			/* The daemon restarted and made a new socket: connect
			 * the same socket to it again, and send once more. */
			if (real.connect(fd,
					 (const struct sockaddr *)daemon_socket(),
					 sizeof(struct sockaddr_un)) != 0)
				return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return -1;
}

int write_syslog(int fd, int pid, int severity, const char *line,
		 size_t len)
{
	char msg[SYSLOG_LINE_MAX];

	return send_datagram(fd, msg, syslog_line(msg, sizeof(msg), pid,
						   severity, line, len,
						   shim_config.json));
}
