/*
 * watch_log.c - where tcpshim watch's events go, as the preload's log
 * does: --log stdout (the default), stderr, off, syslog, journal, or a
 * file (%p is watch's pid); --events picks the kinds, --rate the storm
 * limit with its held_back notices (core/tally.c counts for both), and
 * "summary" in --events adds one notice at exit.
 *
 * The log is opened at start: a path or daemon that cannot be opened is
 * an error before anything is attached.  A file renamed away (logrotate)
 * is opened again by its path.  A write that fails for good (ENOSPC,
 * EIO) is said once, and from then on the lines go to stderr; what could
 * not be written is counted and told at exit.  syslog or journald that
 * cannot take a line loses that line only.  Standard output whose reader
 * has gone (EPIPE, at the next write) ends watch, as it would end any
 * filter; once watch is asked to stop, a reader that does not take a
 * line at once loses it, so that a stalled pipe cannot hold watch.
 */
#include "cmd/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/config.h"
#include "core/format.h"
#include "core/journal.h"
#include "core/names.h"
#include "core/outbuf.h"
#include "core/syslog_line.h"

static struct shim_config watch_log_cfg;
static int watch_log_given;	/* --log given: not standard output */
static int watch_log_fd = 1;	/* -1: off */
static char watch_log_path[CONFIG_PATH_MAX];
static struct stat watch_log_st;	/* the file as opened */
static time_t watch_log_checked;	/* when its path was last looked at */
static int watch_log_gone;	/* standard output's reader went away */

void watch_log_defaults(void)
{
	config_defaults(&watch_log_cfg);
}

/* close (an orderly close, the preload's): watch says it logs none. */
static void watch_log_close_named(const char *list)
{
	size_t n;

	for (; *list != '\0'; list += n + (list[n] == ',')) {
		n = strcspn(list, ",");
		if (n == 5 && strncmp(list, "close", 5) == 0)
			fputs("tcpshim watch: --events close: watch sees resets "
			      "only, never an orderly close: it logs no close "
			      "event\n", stderr);
	}
}

int watch_log_option(const char *opt, const char *name, const char *value)
{
	int log_opt = strcmp(name, ENV_LOG) == 0;
	const char *expected;

	/* Standard output is watch's own: no TCPSHIM_LOG value names it. */
	if (log_opt && strcmp(value, "stdout") == 0) {
		watch_log_cfg.log = LOG_STDERR;	/* no daemon's default rate */
		watch_log_given = 0;
		return 0;
	}
	if (config_set(&watch_log_cfg, name, value, &expected) == 0) {
		watch_log_given |= log_opt;
		if (strcmp(name, ENV_EVENTS) == 0)
			watch_log_close_named(value);
		return 0;
	}
	fprintf(stderr, "tcpshim watch: --%s '%s': expected %s%s\n", opt,
		value, log_opt ? "stdout, " : "", expected);
	return -1;
}

void watch_log_json(void)
{
	watch_log_cfg.json = 1;
}

static const char *watch_log_daemon(void)
{
	return watch_log_cfg.log == LOG_JOURNAL ? "/run/systemd/journal/socket"
						: "/dev/log";
}

/* A datagram socket connected to syslog or journald; -1 with errno. */
static int watch_log_connect(int fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(sun.sun_path, watch_log_daemon());
	return connect(fd, (const struct sockaddr *)&sun, sizeof(sun));
}

static int watch_log_open_file(void)
{
	int fd = open(watch_log_path, O_WRONLY | O_APPEND | O_CREAT |
					      O_CLOEXEC | O_NOCTTY, 0600);

	if (fd >= 0 && fstat(fd, &watch_log_st) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int watch_log_open(void)
{
	/* A daemon that does not read for a second loses the line: watch
	 * must go back to its ring buffer. */
	struct timeval wait = { .tv_sec = 1 };
	const char *what = watch_log_path;
	int fd = -1;

	config_default_rate(&watch_log_cfg);
	if (!watch_log_given)
		return 0;
	switch (watch_log_cfg.log) {
	case LOG_STDERR:
		watch_log_fd = 2;
		return 0;
	case LOG_OFF:
		watch_log_fd = -1;
		return 0;
	case LOG_FILE:
		if (config_log_path(watch_log_path, sizeof(watch_log_path),
				    watch_log_cfg.log_path, (int)getpid()) != 0)
			errno = ENAMETOOLONG;
		else
			fd = watch_log_open_file();
		break;
	default:
		what = watch_log_daemon();
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && (watch_log_connect(fd) != 0 ||
				setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait,
					   sizeof(wait)) != 0)) {
			int err = errno;

			close(fd);
			fd = -1;
			errno = err;
		}
	}
	if (fd < 0) {
		fprintf(stderr, "tcpshim watch: cannot open the log %s: %s\n",
			what, strerror(errno));
		return -1;
	}
	watch_log_fd = fd;
	return 0;
}

int watch_log_wants(int kind)
{
	return (watch_log_cfg.events >> kind) & 1;
}

/* The file was renamed or removed (logrotate): open its path again.
 * Looked at once a second at most. */
static void watch_log_follow(time_t now)
{
	struct stat st;
	int fd;

	if (watch_log_cfg.log != LOG_FILE || watch_log_fd < 3 ||
	    now == watch_log_checked)
		return;
	watch_log_checked = now;
	if (stat(watch_log_path, &st) == 0 && st.st_ino == watch_log_st.st_ino &&
	    st.st_dev == watch_log_st.st_dev)
		return;
	fd = watch_log_open_file();
	if (fd < 0)
		return;
	dup3(fd, watch_log_fd, O_CLOEXEC);
	close(fd);
}

/* A lasting failure: said once; stderr from now on.  Standard output
 * and stderr have nowhere else to go: 0 then, 1 when the log moved. */
static int watch_log_fail(int err)
{
	if (watch_log_fd == 1 && err == EPIPE) {
		watch_log_gone = 1;
		return 0;
	}
	if (watch_log_fd == 2 || watch_log_fd == 1)
		return 0;
	fprintf(stderr, "tcpshim watch: cannot write the log %s: %s; "
		"writing to stderr from now on\n",
		watch_log_cfg.log == LOG_FILE ? watch_log_path
					      : watch_log_daemon(),
		strerror(err));
	close(watch_log_fd);
	watch_log_fd = 2;
	watch_log_cfg.log = LOG_STDERR;
	return 1;
}

/* A datagram to syslog or journald: 0, or -1 when it was lost.  A
 * daemon that restarted (a new socket at its path) is connected to again;
 * one that cannot take the line loses that line, never the log. */
static int watch_log_send(const char *buf, size_t len)
{
	if (send(watch_log_fd, buf, len, MSG_NOSIGNAL) >= 0)
		return 0;
	if ((errno == ECONNREFUSED || errno == ENOTCONN) &&
	    watch_log_connect(watch_log_fd) == 0 &&
	    send(watch_log_fd, buf, len, MSG_NOSIGNAL) >= 0)
		return 0;
	return -1;
}

/* Can fd take a line now, without waiting? */
static int watch_log_writable(void)
{
	struct pollfd p = { .fd = watch_log_fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

/* One line out: 0, or -1 when it was lost. */
static int watch_log_write(const char *buf, size_t len)
{
	if (watch_log_fd > 2 && (watch_log_cfg.log == LOG_SYSLOG ||
				 watch_log_cfg.log == LOG_JOURNAL))
		return watch_log_send(buf, len);
	while (len > 0 && watch_log_fd >= 0) {
		ssize_t n;

		/* Asked to stop: a reader that cannot take the line now
		 * loses it (a stalled pipe must not hold watch). */
		if (watch_stopping() && !watch_log_writable())
			return -1;
		n = write(watch_log_fd, buf, len);
		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS || errno == ENOMEM)
			return -1;
		/* Retrying a write that failed for good would spin: the line
		 * is lost unless the log moved to stderr, where the rest of a
		 * text or JSON line goes. */
		if (!watch_log_fail(errno))
			return -1;
	}
	return 0;
}

/* A formatted line, sent where the log goes (syslog and the journal
 * wrap it). */
static void watch_log_line(const char *line, size_t len, int severity)
{
	char msg[WATCH_LINE_MAX + SYSLOG_LINE_MAX - FORMAT_LINE_MAX];

	if (watch_log_cfg.log == LOG_SYSLOG && watch_log_fd > 2) {
		/* A text line's head names the owner, not watch. */
		len = syslog_line(msg, sizeof(msg), (int)getpid(), severity,
				  line, len, 1);
		line = msg;
	}
	if (watch_log_write(line, len) != 0)
		tally_lost();
}

static void watch_log_counts(const struct shim_counts *n)
{
	char line[FORMAT_LINE_MAX], msg[JOURNAL_MAX];

	if (watch_log_cfg.log == LOG_JOURNAL && watch_log_fd > 2) {
		if (watch_log_write(msg, journal_counts(msg, sizeof(msg), n)))
			tally_lost();
		return;
	}
	watch_log_line(line, format_counts(line, sizeof(line), n,
					   watch_log_cfg.json),
		       SYSLOG_NOTICE);
}

/* The held_back notice, when one is due (or, at the end, any). */
static void watch_log_held(const struct timespec *now, int end)
{
	struct shim_counts n = { .time = *now, .pid = (int)getpid(),
				 .what = "held_back" };

	if (!(end ? tally_held_pending() : tally_held_due(now)))
		return;
	if (tally_take_held(&n.counts, &n.since) == 0)
		return;
	n.held_back = n.counts.total;
	watch_log_counts(&n);
}

void watch_log_tick(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	watch_log_held(&now, 0);
	watch_log_follow(now.tv_sec);
}

/* The entry journald gets: the text line as MESSAGE, and a field for
 * each field of the event, the kernel's own included. */
static size_t watch_log_journal(char *buf, size_t size,
				const struct watch_event *ev,
				const struct timespec *t)
{
	const struct watch_record *r = ev->r;
	char line[FORMAT_LINE_MAX];
	struct outbuf o = { buf, 0, size };
	struct sockaddr_storage ss;
	int owned = ev->owned, full = r->flags & WATCH_FULL_SOCK;

	journal_head(&o, line, watch_print_line(line, sizeof(line), ev, t, 0),
		     (enum tcp_event_kind)ev->kind, t);
	journal_str(&o, "CAUSE", watch_print_cause(ev));
	journal_str(&o, "SOURCE", "kernel");
	journal_str(&o, "REASON", ev->reason);
	journal_num(&o, "PID", owned ? (int64_t)ev->owner.pid : -1);
	journal_num(&o, "FD", owned ? ev->owner.fd : -1);
	journal_str(&o, "COMM", owned ? ev->owner.comm : NULL);
	journal_num(&o, "COOKIE", r->cookie != 0 ? (int64_t)r->cookie : -1);
	journal_num(&o, "NETNS", r->netns != 0 ? (int64_t)r->netns : -1);
	journal_str(&o, "CGROUP", ev->cgroup);
	watch_print_sockaddr(&ss, r, r->local_addr, r->local_port);
	journal_addr(&o, "LOCAL", &ss);
	watch_print_sockaddr(&ss, r, r->peer_addr, r->peer_port);
	journal_addr(&o, "PEER", &ss);
	journal_num(&o, "BYTES_SENT", full ? (int64_t)r->bytes_sent : -1);
	journal_num(&o, "BYTES_RECEIVED",
		    full ? (int64_t)r->bytes_received : -1);
	if (ev->acted) {
		journal_num(&o, "ACTOR_PID", ev->actor.pid);
		journal_str(&o, "ACTOR_COMM", ev->actor.comm);
	}
	return o.len;
}

int watch_log_event(const struct watch_event *ev, const struct timespec *t)
{
	char buf[WATCH_LINE_MAX];

	watch_log_held(t, 0);
	if (!tally_event(ev->cause, t, watch_log_cfg.rate, 1))
		return 0;
	if (watch_log_fd < 0)
		return 1;
	if (watch_log_cfg.log == LOG_JOURNAL && watch_log_fd > 2) {
		if (watch_log_write(buf, watch_log_journal(buf, sizeof(buf), ev,
							   t)) != 0)
			tally_lost();
	} else {
		watch_log_line(buf, watch_print_line(buf, sizeof(buf), ev, t,
						     watch_log_cfg.json),
			       SYSLOG_WARNING);
	}
	return 1;
}

int watch_log_reader_gone(void)
{
	return watch_log_gone;
}

void watch_log_end(uint64_t connections, uint64_t ring_lost,
		   struct watch_log_totals *out)
{
	struct shim_counts n = { .pid = (int)getpid(), .what = "summary" };

	clock_gettime(CLOCK_REALTIME, &n.time);
	tally_end();
	watch_log_held(&n.time, 1);
	tally_totals(&n.counts, &n.held_back, &n.lost);
	out->held_back = n.held_back;
	out->unwritten = n.lost;
	n.kernel = 1;
	n.ring_lost = ring_lost;
	n.connections = connections;
	if (watch_log_cfg.summary && !watch_log_gone)
		watch_log_counts(&n);
	if (watch_log_fd > 2)
		close(watch_log_fd);
	watch_log_fd = -1;
}
