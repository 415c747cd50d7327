/*
 * bench_net.h - what the benchmark programs share: dying with a message,
 * the clock, pinning to a CPU, and loopback connections.  Static
 * functions, included by each program (bench_work.c, bench_watch.c).
 */
#ifndef TCPSHIM_BENCH_NET_H
#define TCPSHIM_BENCH_NET_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(errno));
	exit(1);
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Run the calling thread on the n-th CPU it is allowed (modulo their
 * number).  With one CPU there is nothing to choose.
 */
static inline void pin(int n)
{
	cpu_set_t all, one;
	int count;

	if (sched_getaffinity(0, sizeof(all), &all) != 0)
		return;
	count = CPU_COUNT(&all);
	if (count < 2)
		return;
	n %= count;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &all) || n-- > 0)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) != 0)
			die("sched_setaffinity");
		return;
	}
}

/* A TCP socket bound to a loopback port the kernel picks (*addr),
 * listening with that backlog; or never (backlog < 0), so that the port
 * stays ours and refuses every connect. */
static inline int loopback_bound(struct sockaddr_in *addr, int backlog)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
	    (backlog >= 0 && listen(fd, backlog) != 0) ||
	    getsockname(fd, (struct sockaddr *)addr, &len) != 0)
		die(backlog >= 0 ? "listen" : "bind");
	return fd;
}

/* A loopback listener on a port the kernel picks; *addr is where it is. */
static inline int listener(struct sockaddr_in *addr)
{
	return loopback_bound(addr, SOMAXCONN);
}

/* A connection to the listener: *a dialled, *b accepted. */
static inline void pair(int lfd, const struct sockaddr_in *addr, int *a, int *b)
{
	*a = socket(AF_INET, SOCK_STREAM, 0);
	if (*a < 0 ||
	    connect(*a, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		die("connect");
	*b = accept(lfd, NULL, NULL);
	if (*b < 0)
		die("accept");
}

static inline void nodelay(int fd)
{
	int on = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0)
		die("TCP_NODELAY");
}

static inline void send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, 0);

		if (n <= 0)
			die("send");
		buf += n;
		len -= (size_t)n;
	}
}

/* Exactly len bytes; returns 0, or -1 at end of stream before any. */
static inline int recv_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n == 0 && got == 0)
			return -1;
		if (n <= 0)
			die("recv");
		got += (size_t)n;
	}
	return 0;
}

static inline void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: child failed\n",
			program_invocation_short_name);
		exit(1);
	}
}

/* One connect to a port where nothing listens (loopback_bound with no
 * backlog), refused (the peer's RST), and the close. */
static inline void refused_once(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ||
	    errno != ECONNREFUSED)
		die("connect was not refused");
	close(fd);
}

/* Round trips before a ping-pong is timed: both ends are running. */
#define ECHO_WARM_UP 100

/*
 * A ping-pong's set-up: a loopback connection, TCP_NODELAY at both ends,
 * and a child process that echoes every len bytes that reach its end,
 * until the end of the stream.  Both on the first CPU; warmed up with
 * ECHO_WARM_UP round trips of buf.  *lfd is the listener, *a the end to
 * talk on; returns the child's pid, for reap() once *a is closed.
 */
static inline pid_t echo_start(int *lfd, int *a, char *buf, size_t len)
{
	struct sockaddr_in addr;
	pid_t pid;
	int b;

	*lfd = listener(&addr);
	pair(*lfd, &addr, a, &b);
	nodelay(*a);
	nodelay(b);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(*lfd);
		close(*a);
		pin(0);
		while (recv_all(b, buf, len) == 0)
			send_all(b, buf, len);
		close(b);
		_exit(0);
	}
	close(b);
	pin(0);
	for (int i = 0; i < ECHO_WARM_UP; i++) {
		send_all(*a, buf, len);
		recv_all(*a, buf, len);
	}
	return pid;
}

#endif
