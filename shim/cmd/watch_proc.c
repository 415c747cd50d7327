/*
 * watch_proc.c - what /proc tells tcpshim watch of the processes that
 * hold sockets: each socket descriptor of a process (to seed the owners
 * of connections made before watch started), and which process holds a
 * socket now (when the one that made it has let it go: a fork whose
 * parent closed its copy, a descriptor passed with SCM_RIGHTS).  Pids
 * are those of the pid namespace /proc shows, watch's own.
 */
#include "cmd/watch.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A process's command name into comm; 0, or -1 if it is gone. */
static int watch_proc_comm(int pid, char *comm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fgets(comm, WATCH_COMM_LEN, f) != NULL)
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
	return 0;
}

int watch_proc_sockets(int pid, watch_proc_fn fn, void *ctx)
{
	struct watch_owner o = { .pid = (__u32)pid };
	char path[64], link[64];
	struct dirent *d;
	DIR *dir;
	int stop = 0;

	if (watch_proc_comm(pid, o.comm) != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (dir == NULL)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	while (!stop && (d = readdir(dir)) != NULL) {
		ssize_t n;
		unsigned long long ino;

		n = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		o.fd = atoi(d->d_name);
		o.inode = ino;
		stop = fn(&o, ctx);
	}
	closedir(dir);
	return stop;
}

struct watch_proc_search {
	uint64_t inode;
	struct watch_owner *found;
};

static int watch_proc_match(const struct watch_owner *o, void *ctx)
{
	struct watch_proc_search *s = ctx;

	if (o->inode != s->inode)
		return 0;
	*s->found = *o;
	return 1;
}

/* Searches a second at most: each reads every process's descriptors, and
 * a storm of resets on sockets never learnt must not stall the reading
 * of the ring buffer (past it, those events name no owner). */
#define WATCH_PROC_SEARCHES 100

static int watch_proc_may_search(void)
{
	static time_t second;
	static int searches;
	time_t now = time(NULL);

	if (now != second) {
		second = now;
		searches = 0;
	}
	return searches++ < WATCH_PROC_SEARCHES;
}

int watch_proc_holder(uint64_t inode, struct watch_owner *o)
{
	struct watch_proc_search s = { inode, o };
	DIR *proc;
	struct dirent *d;
	int found = 0;

	if (inode == 0 || !watch_proc_may_search())
		return 0;
	proc = opendir("/proc");
	if (proc == NULL)
		return 0;
	/* Lowest pid first: /proc lists processes in pid order. */
	while (!found && (d = readdir(proc)) != NULL) {
		int pid = atoi(d->d_name);

		if (pid > 0)
			found = watch_proc_sockets(pid, watch_proc_match, &s) > 0;
	}
	closedir(proc);
	if (found)
		o->tgid = 0;
	return found;
}
