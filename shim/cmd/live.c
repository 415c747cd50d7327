/*
 * live.c - finding a running process's TCP sockets.
 *
 * Listing never disturbs the target: its descriptors are read from
 * /proc/PID/fd (the links name each socket's inode) and everything else
 * from sock_diag, which reports TCP_INFO for every socket without
 * touching any.  Reaching one, for an action, is live_dup.c's.
 */
#include "cmd/live.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/live_diag.h"

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
