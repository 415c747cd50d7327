/*
 * prog_hardening - an ordinary program that check_hardening runs under
 * LD_PRELOAD: the ways a host program can corner a preload library.
 * Each step prints one "call result [errno]" line.
 *
 *   prog_hardening SCENARIO FAMILY PORT [ARG]
 *
 * FAMILY is 4 or 6; PORT is the test's peer on loopback, or a port where
 * nothing listens.  What the peer does is described by each scenario.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prog_common.h"

/* Connect to PORT, where nothing listens: 1 if it was refused. */
static int refused(void)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, port);
	int fd = socket(family, SOCK_STREAM, 0);
	int ok = fd >= 0 &&
		 connect(fd, (struct sockaddr *)&ss, len) != 0 &&
		 errno == ECONNREFUSED;

	close(fd);
	return ok;
}

/*
 * Peer: accept A, then B; read "hi" from each; write "data" on A; read
 * "v" from B, then reset B; then expect a RST on A.  ARG: how the vfork
 * child ends, exit or exec; "socket": it also opens a TCP socket after
 * closing A, which gets A's number (in the child), then exits; "clone":
 * the child is made with clone(CLONE_VM | CLONE_VFORK), and exits.
 *
 * A vfork child runs in the parent's memory until it execs or exits, but
 * with descriptors of its own: its close of A and its dup2 over B close
 * only its copies.  The parent's connections must be tracked as before.
 */
/* What the vfork (or clone) child does with the parent's sockets. */
static int child_a, child_b, child_nul;
static const char *child_how;

static int vfork_child(void *unused)
{
	(void)unused;
	close(child_a);
	if (strcmp(child_how, "socket") == 0 &&
	    socket(family, SOCK_STREAM, 0) != child_a)
		_exit(1);
	dup2(child_nul, child_b);
	if (strcmp(child_how, "exec") == 0)
		execl("/bin/true", "true", (char *)NULL);
	_exit(0);
}

static int s_vfork(const char *how)
{
	int a = dial(), b = dial();
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t child;
	char c;
	int st;

	if (nul < 0)
		die("open /dev/null");
	printf("fds %d %d\n", a, b);
	send_str(a, "hi");
	send_str(b, "hi");
	wait_for(a, POLLIN);		/* A now holds unread data */
	child_a = a, child_b = b, child_nul = nul, child_how = how;
	if (strcmp(how, "clone") == 0) {
		/* clone(CLONE_VM | CLONE_VFORK), as a hand-made posix_spawn
		 * does: the same sharing as vfork, another wrapper. */
		static char stack[64 * 1024] __attribute__((aligned(16)));

		child = clone(vfork_child, stack + sizeof(stack),
			      CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	} else {
		child = vfork();
		if (child == 0)
			vfork_child(NULL);
	}
	if (child < 0 || waitpid(child, &st, 0) != child)
		die("vfork");
	say("child", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	send_str(b, "v");
	wait_for(b, 0);
	say("recv", recv(b, &c, 1, 0));
	close(b);
	say("close", close(a));
	return 0;
}

/* How many descriptors this process has from 100 up (where the shim
 * keeps its log). */
static int high_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		die("opendir /proc/self/fd");
	while ((e = readdir(d)) != NULL)
		if (atoi(e->d_name) >= 100 && atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

/*
 * Peer: none (nothing listens at PORT).  ARG: what the vfork child does
 * with its own descriptors before it exits, as a child about to exec
 * another program does: "close2" closes its stderr, "closefrom" closes
 * everything from 3.  The parent connects where nothing listens before
 * and after, and counts its descriptors from 100 up both times.
 */
static int s_vfork_closes(const char *how)
{
	pid_t child;
	int st, before;

	say("refused", refused());
	before = high_fds();
	child = vfork();
	if (child == 0) {
		if (strcmp(how, "close2") == 0)
			close(2);
		else
			closefrom(3);
		_exit(0);
	}
	if (child < 0 || waitpid(child, &st, 0) != child)
		die("vfork");
	say("child", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	say("refused", refused());
	printf("fds from 100: %+d\n", high_fds() - before);
	return 0;
}

/*
 * Peer: none.  After a vfork (so the shim knows a child may share its
 * memory), a fork made with syscall(SYS_clone), which runs no atfork
 * handler: the child's refused connect is the child's to log, as a
 * process of its own.  Prints the child's pid.
 */
static int s_fork_after_vfork(void)
{
	pid_t child = vfork();
	int st;

	if (child == 0)
		_exit(0);
	if (child < 0 || waitpid(child, &st, 0) != child)
		die("vfork");
	child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		_exit(refused() ? 0 : 1);
	if (child < 0 || waitpid(child, &st, 0) != child)
		die("clone");
	printf("child %d %d\n", (int)child, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

struct storm {
	int threads, connects;
	atomic_int failures;
};

static void *storm_thread(void *arg)
{
	struct storm *s = arg;

	for (int i = 0; i < s->connects; i++)
		if (!refused())
			atomic_fetch_add(&s->failures, 1);
	return NULL;
}

/* One process of the storm: its threads, each connecting in a loop. */
static int storm_process(struct storm *s)
{
	pthread_t t[64];

	for (int i = 0; i < s->threads; i++)
		if (pthread_create(&t[i], NULL, storm_thread, s) != 0)
			return 1;
	for (int i = 0; i < s->threads; i++)
		pthread_join(t[i], NULL);
	return atomic_load(&s->failures) != 0;
}

/*
 * Peer: none.  ARG: PROCESSES,THREADS,CONNECTS.  One refused connection
 * here (the log is open before the fork, so every process writes to the
 * same open file), then PROCESSES children with THREADS threads each,
 * every thread making CONNECTS refused connections at once.
 */
static int s_storm(const char *arg)
{
	struct storm s = { 0 };
	int procs, ok = 0;
	pid_t kids[64];

	if (sscanf(arg, "%d,%d,%d", &procs, &s.threads, &s.connects) != 3 ||
	    procs < 1 || procs > 64 || s.threads < 1 || s.threads > 64)
		die("storm: bad ARG");
	if (!refused())
		die("first connect");
	for (int i = 0; i < procs; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(storm_process(&s));
		if (kids[i] < 0)
			die("fork");
	}
	for (int i = 0; i < procs; i++) {
		int st;

		if (waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			ok++;
	}
	printf("children %d ok %d\n", procs, ok);
	return 0;
}

/*
 * Peer: accept, read "hi", reset.  The program raises its descriptor
 * limit as far as it may (the hard limit; as root, up to 1 << 20 first)
 * and moves its connection to the highest number.
 */
static int s_highfd(void)
{
	struct rlimit rl, big = { 1 << 20, 1 << 20 };
	int fd, high;
	char c;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	if (rl.rlim_max < big.rlim_max && setrlimit(RLIMIT_NOFILE, &big) == 0)
		rl = big;
	if (rl.rlim_max > (rlim_t)1 << 30)	/* no int could number it */
		rl.rlim_max = (rlim_t)1 << 30;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	fd = dial();
	high = dup2(fd, (int)rl.rlim_cur - 1);
	if (high < 0)
		die("dup2");
	close(fd);
	printf("fd %d\n", high);
	send_str(high, "hi");
	wait_for(high, 0);
	say("recv", recv(high, &c, 1, 0));
	say("close", close(high));
	return 0;
}

static atomic_int blocked_tid;

static void *blocked_recv(void *arg)
{
	/* Not on the stack: AddressSanitizer leaves the poison around a
	 * stack array in place when cancellation unwinds the frame, and
	 * then reports its own thread exit writing there. */
	static char buf[16];
	int fd = *(int *)arg;

	atomic_store(&blocked_tid, (int)syscall(SYS_gettid));
	recv(fd, buf, sizeof(buf), 0);
	return NULL;	/* not reached: cancelled in recv */
}

/* Is thread tid in the middle of recv (recvfrom, on Linux)? */
static int in_recv(int tid)
{
	char path[64], buf[128];
	ssize_t n;
	int fd;
	long nr;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%ld", &nr) != 1)
		return 0;	/* "running" */
#ifdef SYS_recv
	if (nr == SYS_recv)
		return 1;
#endif
	return nr == SYS_recvfrom;
}

/*
 * Peer: accept, read "hi", then nothing until it sees the end.  A thread
 * blocked in recv on the connection is cancelled and joined; then the
 * connection is closed: an orderly close, nothing left half done.
 */
static int s_cancel(void)
{
	int fd = dial();
	struct timespec start, now;
	pthread_t t;
	void *res;
	int tid;

	send_str(fd, "hi");
	if (pthread_create(&t, NULL, blocked_recv, &fd) != 0)
		die("pthread_create");
	/* Wait until it really is inside recv, by what the kernel says. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((tid = atomic_load(&blocked_tid)) == 0 || !in_recv(tid)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 10)
			die("the thread never blocked in recv");
		sched_yield();
	}
	say("cancel", pthread_cancel(t));
	if (pthread_join(t, &res) != 0)
		die("pthread_join");
	say("cancelled", res == PTHREAD_CANCELED ? 0 : -1);
	say("close", close(fd));
	return 0;
}

/*
 * Peer: none.  Which library's malloc the program runs on, then a storm
 * of 2 processes of 4 threads making 10 refused connections each.
 */
static int s_malloc(void)
{
	Dl_info info;
	void *p = malloc(64);
	const char *name;

	if (dladdr(dlsym(RTLD_DEFAULT, "malloc"), &info) == 0 ||
	    info.dli_fname == NULL)
		die("dladdr malloc");
	name = strrchr(info.dli_fname, '/');
	printf("malloc %s\n", name ? name + 1 : info.dli_fname);
	free(p);
	return s_storm("2,4,10");
}

/* The scenarios by name, with what each does. */
static const struct prog_scenario scenarios[] = {
	{ "vfork", NULL, s_vfork,
	  "a vfork child closes and dup2s over the parent's sockets" },
	{ "fork-after-vfork", s_fork_after_vfork, NULL,
	  "a fork made with syscall(SYS_clone) after a vfork logs its own" },
	{ "vfork-closes", NULL, s_vfork_closes,
	  "a vfork child closes its stderr or everything from 3" },
	{ "storm", NULL, s_storm,
	  "PROCESSES,THREADS,CONNECTS refused connections at once" },
	{ "highfd", s_highfd, NULL,
	  "the connection at the highest descriptor the limit allows" },
	{ "cancel", s_cancel, NULL,
	  "a thread cancelled while blocked in recv, then the close" },
	{ "malloc", s_malloc, NULL,
	  "names the malloc in use, then a small storm" },
};

PROG_MAIN("prog_hardening", scenarios)
