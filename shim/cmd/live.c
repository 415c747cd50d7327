/*
 * live.c - finding a running process's TCP sockets, and reaching one.
 *
 * Listing never disturbs the target: its descriptors are read from
 * /proc/PID/fd (the links name each socket's inode) and everything else
 * from sock_diag, which reports TCP_INFO for every socket without
 * touching any.  A duplicate of a descriptor (pidfd_getfd) is taken only
 * for an action, and the action makes it harmless to drop: a disconnect
 * leaves nothing for its close to do.
 */
#include "cmd/live.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cmd/live_diag.h"
#include "core/classify.h"
#include "core/conn.h"
#include "core/names.h"
#include "core/peer_state.h"
#include "core/tcpinfo.h"

static int add_fd(struct live_target *t, int fd, unsigned int inode,
		  size_t *cap)
{
	if (t->n == *cap) {
		struct live_conn *more;

		*cap = *cap ? *cap * 2 : 16;
		more = realloc(t->conn, *cap * sizeof(*more));
		if (more == NULL)
			return -1;
		t->conn = more;
	}
	memset(&t->conn[t->n], 0, sizeof(*t->conn));
	t->conn[t->n].fd = fd;
	t->conn[t->n].inode = inode;
	t->conn[t->n].state = -1;	/* not TCP, until sock_diag says */
	t->n++;
	return 0;
}

/* Why /proc/PID cannot be read, said as a user needs it. */
static void say_refused(pid_t pid, int err)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (err == ENOENT || stat(path, &st) != 0) {
		fprintf(stderr, "tcpshim: no such process: %d\n", (int)pid);
		return;
	}
	if (st.st_uid != geteuid() && geteuid() != 0) {
		fprintf(stderr,
			"tcpshim: process %d belongs to uid %u, not to you "
			"(uid %u): only its owner, root or CAP_SYS_PTRACE may "
			"see its descriptors\n",
			(int)pid, (unsigned int)st.st_uid,
			(unsigned int)geteuid());
		return;
	}
	fprintf(stderr, "tcpshim: cannot read the descriptors of process %d: "
		"%s (a set-uid or non-dumpable process needs root)\n",
		(int)pid, strerror(err));
}

/* The target's socket descriptors, from /proc/PID/fd. */
static int read_fds(struct live_target *t)
{
	char path[64], link[64], name[64 + 256];
	size_t cap = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)t->pid);
	dir = opendir(path);
	if (dir == NULL) {
		say_refused(t->pid, errno);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		unsigned int inode;
		ssize_t n;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(name, sizeof(name), "%s/%s", path, d->d_name);
		n = readlink(name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;	/* closed meanwhile */
		link[n] = '\0';
		if (sscanf(link, "socket:[%u]", &inode) == 1 &&
		    add_fd(t, atoi(d->d_name), inode, &cap) != 0)
			break;
	}
	closedir(dir);
	return 0;
}

/* Each socket of the dump that is one of the target's. */
static int match(const struct live_conn *c, void *arg)
{
	struct live_target *t = arg;

	for (size_t i = 0; i < t->n; i++)
		if (t->conn[i].inode == c->inode && c->inode != 0) {
			int fd = t->conn[i].fd;

			t->conn[i] = *c;
			t->conn[i].fd = fd;
		}
	return 0;
}

static int by_fd(const void *a, const void *b)
{
	const struct live_conn *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/*
 * sock_diag answers for the caller's network namespace only: ask in the
 * target's.  0, or -1 with the reason said.
 */
static int enter_netns(pid_t pid)
{
	struct stat self, target;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat("/proc/self/ns/net", &self) != 0 || stat(path, &target) != 0 ||
	    (self.st_ino == target.st_ino && self.st_dev == target.st_dev))
		return 0;	/* the same, or not ours to see: read_fds says */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		fprintf(stderr, "tcpshim: process %d is in another network "
			"namespace, which only root (CAP_SYS_ADMIN) may enter: "
			"run tcpshim inside it (nsenter -n -t %d, or ip netns "
			"exec)\n", (int)pid, (int)pid);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int live_open(pid_t pid, struct live_target *t)
{
	size_t kept = 0;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = -1;
	if (read_fds(t) != 0)
		return -1;
	if (enter_netns(pid) != 0) {
		live_close(t);
		return -1;
	}
	if (live_diag_dump(AF_INET, match, t) != 0 ||
	    live_diag_dump(AF_INET6, match, t) != 0) {
		fprintf(stderr, "tcpshim: sock_diag failed: %s\n",
			strerror(errno));
		return -1;
	}
	/* Only TCP sockets stay: sock_diag reported them. */
	for (size_t i = 0; i < t->n; i++)
		if (t->conn[i].state >= 0)
			t->conn[kept++] = t->conn[i];
	t->n = kept;
	qsort(t->conn, t->n, sizeof(*t->conn), by_fd);
	return 0;
}

void live_close(struct live_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t->conn);
	t->conn = NULL;
	t->n = 0;
}

/* kernel.yama.ptrace_scope, or -1 without Yama. */
static int ptrace_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int v = -1;

	if (f != NULL) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void say_not_permitted(pid_t pid)
{
	int scope = ptrace_scope();

	if (scope >= 1)
		fprintf(stderr,
			"tcpshim: not permitted to reach the sockets of "
			"process %d: kernel.yama.ptrace_scope is %d, which "
			"%s (run as root or with CAP_SYS_PTRACE%s)\n",
			(int)pid, scope,
			scope == 1 ? "lets only a parent reach its child"
				   : "allows only CAP_SYS_PTRACE",
			scope == 1 ? ", or set kernel.yama.ptrace_scope=0"
				   : "");
	else
		fprintf(stderr,
			"tcpshim: not permitted to reach the sockets of "
			"process %d: it belongs to another user, or is "
			"set-uid or not dumpable (run as root or with "
			"CAP_SYS_PTRACE)\n",
			(int)pid);
}

int live_getfd(struct live_target *t, int fd)
{
	long dup;

	if (t->pidfd < 0) {
		t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
		if (t->pidfd < 0) {
			fprintf(stderr, "tcpshim: process %d: %s\n",
				(int)t->pid,
				errno == ENOSYS ? "this kernel has no "
						  "pidfd_open (Linux 5.3 or "
						  "later needed)"
						: strerror(errno));
			return -1;
		}
	}
	dup = syscall(SYS_pidfd_getfd, t->pidfd, fd, 0);
	if (dup >= 0)
		return (int)dup;
	if (errno == EPERM)
		say_not_permitted(t->pid);
	else if (errno == ENOSYS)
		fprintf(stderr, "tcpshim: this kernel has no pidfd_getfd "
			"(Linux 5.6 or later needed)\n");
	else if (errno == EBADF)
		fprintf(stderr, "tcpshim: process %d closed fd %d meanwhile\n",
			(int)t->pid, fd);
	else
		fprintf(stderr, "tcpshim: process %d, fd %d: %s\n",
			(int)t->pid, fd, strerror(errno));
	return -1;
}

/* The observation the library's own classifier takes, from TCP_INFO. */
static void observe(const struct live_conn *c, struct observation *o)
{
	memset(o, 0, sizeof(*o));
	o->flags = CONN_ESTABLISHED;
	tcpinfo_observe(o, c->state, &c->info);
	o->unacked = live_unacked(c);
}

const char *live_peer_state(const struct live_conn *c)
{
	struct observation o;

	/* A listener has no peer. */
	if (c->state == TCPS_LISTEN)
		return "-";
	observe(c, &o);
	return names_peer_state(peer_state_of(&o));
}

/*
 * The kernel counts unanswered keepalive probes and clears the count at
 * any ACK: a second probe means the first went a whole interval without
 * an answer.
 */
#define DEAD_PROBES 2
/* This many retransmission timeouts in a row mean a dead peer. */
#define DEAD_RETRANSMITS 3

int live_peer_dead(const struct live_conn *c)
{
	const struct tcp_info *i = &c->info;

	if (!classify_state_resets(c->state) || c->state == TCPS_LISTEN)
		return 0;
	return i->tcpi_probes >= DEAD_PROBES ||
	       i->tcpi_retransmits >= DEAD_RETRANSMITS;
}

int64_t live_unacked(const struct live_conn *c)
{
	/* A listener's "write queue" is its backlog limit. */
	if (c->state == TCPS_LISTEN)
		return 0;
	return tcpinfo_unacked(c->wqueue, &c->info);
}

uint64_t live_bytes_sent(const struct live_conn *c)
{
	return tcpinfo_sent(&c->info);
}

int live_read_options(struct live_target *t, struct live_conn *c)
{
	static const struct {
		int level, name;
		size_t at;
	} opts[] = {
		{ SOL_SOCKET, SO_KEEPALIVE, offsetof(struct live_conn, keepalive) },
		{ IPPROTO_TCP, TCP_KEEPIDLE, offsetof(struct live_conn, idle) },
		{ IPPROTO_TCP, TCP_KEEPINTVL,
		  offsetof(struct live_conn, interval) },
		{ IPPROTO_TCP, TCP_KEEPCNT, offsetof(struct live_conn, count) },
		{ IPPROTO_TCP, TCP_USER_TIMEOUT,
		  offsetof(struct live_conn, user_timeout) },
	};
	int dup = live_getfd(t, c->fd);

	if (dup < 0)
		return -1;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		socklen_t len = sizeof(int);

		if (getsockopt(dup, opts[i].level, opts[i].name,
			       (char *)c + opts[i].at, &len) != 0) {
			fprintf(stderr, "tcpshim: process %d, fd %d: "
				"getsockopt: %s\n", (int)t->pid, c->fd,
				strerror(errno));
			close(dup);
			return -1;
		}
	}
	close(dup);
	c->has_opts = 1;
	return 0;
}

pid_t live_parse_pid(const char *cmd, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > INT32_MAX) {
		fprintf(stderr, "tcpshim %s: '%s' is not a process id "
			"(see tcpshim %s --help)\n", cmd, s, cmd);
		return -1;
	}
	return (pid_t)v;
}
