/*
 * bench_calls.c - an exact number of one wrapped call, for the figures of
 * `make bench` that do not depend on the clock.
 *
 *   bench_calls send|recv|write|read|close|churn N
 *   bench_calls mem N [FD]
 *
 * The call modes make N calls of one kind on a healthy loopback
 * connection (close: of /dev/null; churn: N connections made, accepted
 * and closed).  tests/bench.sh runs each at N and 2N, natively and
 * preloaded, under callgrind (instructions) and strace -c (system calls):
 * the difference between the two runs, divided by N, is what one call
 * costs, with start-up and set-up cancelled out.  The other half of each
 * iteration (draining what send sent, feeding what recv takes, opening
 * what close closes) is a system call made with the instruction itself
 * (the library's shim_raw_syscall, linked in): tcpshim wraps syscall(2)
 * too, so only a call that passes through no libc function costs the
 * same in every configuration.
 *
 * mem makes N TCP sockets and prints the process's anonymous resident
 * memory in KiB, from /proc/self/smaps_rollup: the shim's records and
 * table are anonymous, while shared library pages come and go with
 * fault-around and would only blur the figure.  With FD, one more socket
 * is moved to descriptor FD first (a high number, to see what the table
 * costs there).
 *
 * Every mode prints "tcpshim loaded" or "tcpshim not loaded" first, so
 * the caller knows the preload took.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/real.h"

#define SMALL 64

static void die(const char *what)
{
	fprintf(stderr, "bench_calls: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) != 0)
		die("listen");
	return fd;
}

static void pair(int lfd, const struct sockaddr_in *addr, int *a, int *b)
{
	*a = socket(AF_INET, SOCK_STREAM, 0);
	if (*a < 0 ||
	    connect(*a, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		die("connect");
	*b = accept(lfd, NULL, NULL);
	if (*b < 0)
		die("accept");
}

/* The unwrapped halves: straight to the kernel. */
static void raw_send(int fd, const char *buf)
{
	if (shim_raw_syscall(SYS_sendto, fd, (long)buf, SMALL, 0, 0, 0) != SMALL)
		die("sendto");
}

static void raw_recv(int fd, char *buf)
{
	if (shim_raw_syscall(SYS_recvfrom, fd, (long)buf, SMALL, MSG_WAITALL,
			     0, 0) != SMALL)
		die("recvfrom");
}

static void check(ssize_t got, const char *what)
{
	if (got != SMALL)
		die(what);
}

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "re");

	if (f == NULL)
		die("/proc/self/smaps_rollup");
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Anonymous: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void mem(long n, int high)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (long i = 0; i < n; i++)
		if (socket(AF_INET, SOCK_STREAM, 0) < 0)
			die("socket");
	if (high > 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || dup2(fd, high) != high || close(fd) != 0)
			die("dup2");
	}
	printf("%ld\n", rss_kib());
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	char buf[SMALL];
	const char *mode;
	long n;
	int lfd, a, b;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: bench_calls MODE N [FD]\n");
		return 2;
	}
	mode = argv[1];
	printf("tcpshim %s\n", dlsym(RTLD_DEFAULT, "tcp_abort") ? "loaded"
								 : "not loaded");
	if (strcmp(mode, "mem") == 0) {
		mem(n, argc > 3 ? atoi(argv[3]) : 0);
		return 0;
	}
	memset(buf, 'c', sizeof(buf));
	lfd = listener(&addr);
	pair(lfd, &addr, &a, &b);
	if (strcmp(mode, "send") == 0) {
		for (long i = 0; i < n; i++) {
			check(send(a, buf, SMALL, 0), "send");
			raw_recv(b, buf);
		}
	} else if (strcmp(mode, "recv") == 0) {
		for (long i = 0; i < n; i++) {
			raw_send(a, buf);
			check(recv(b, buf, SMALL, MSG_WAITALL), "recv");
		}
	} else if (strcmp(mode, "write") == 0) {
		for (long i = 0; i < n; i++) {
			check(write(a, buf, SMALL), "write");
			raw_recv(b, buf);
		}
	} else if (strcmp(mode, "read") == 0) {
		/* A read may return less than asked; on loopback, 64 bytes
		 * sent at once arrive at once. */
		for (long i = 0; i < n; i++) {
			raw_send(a, buf);
			check(read(b, buf, SMALL), "read");
		}
	} else if (strcmp(mode, "close") == 0) {
		for (long i = 0; i < n; i++) {
			int fd = (int)shim_raw_syscall(
				SYS_openat, AT_FDCWD, (long)"/dev/null",
				O_RDONLY | O_CLOEXEC, 0, 0, 0);

			if (fd < 0 || close(fd) != 0)
				die("close");
		}
	} else if (strcmp(mode, "churn") == 0) {
		for (long i = 0; i < n; i++) {
			int c, s;

			pair(lfd, &addr, &c, &s);
			if (close(s) != 0 || close(c) != 0)
				die("close");
		}
	} else {
		fprintf(stderr, "bench_calls: no mode %s\n", mode);
		return 2;
	}
	close(b);
	close(a);
	close(lfd);
	return 0;
}
