/*
 * live_dup.c - reaching one socket of a running process: a duplicate of
 * its descriptor, taken with pidfd_getfd(2) only for an action, and
 * harmless to drop: after a disconnect its close has nothing left to do,
 * and otherwise the target still holds the socket.
 */
#include "cmd/live_dup.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int live_dup_fd(struct live_target *t, int fd)
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

int live_dup_read_options(struct live_target *t, struct live_conn *c)
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
	int dup = live_dup_fd(t, c->fd);

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
