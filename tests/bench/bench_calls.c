/*
 * bench_calls.c - an exact number of one wrapped call, for the figures of
 * `make bench` that do not depend on the clock.
 *
 *   bench_calls MODE N
 *   bench_calls mem N [FD]
 *
 * The call modes make N calls of one kind, 64 bytes each, on a healthy
 * loopback TCP connection: send, sendto, sendmsg, write and writev on
 * one end, drained at the other; recv, recvfrom, recvmsg, read and readv
 * on one end, fed at the other.  close closes /dev/null; churn makes,
 * accepts and closes N connections.  Three are shaped like programs:
 *
 *   send1   1-byte blocking sends, flags 0, while a thread of the
 *           program drains the other end with recv, 8 bytes a call
 *           (counted over every thread: the drain's own wrapped calls
 *           are part of what a send costs)
 *   udpmsg  recvmsg on a UDP socket with IP_PKTINFO and SO_TIMESTAMP
 *           on, its control messages read on every call, as UDP and
 *           QUIC servers do
 *
 * tests/bench/bench.sh runs each at N and 2N, natively and preloaded, under
 * callgrind (instructions) and strace -c (system calls): the difference
 * over N is what one call costs.  callgrind counts only inside the
 * functions named loop_* (--toggle-collect), so that set-up and the last
 * closes (whose path depends on timing) stay out and every run counts
 * the same.  The other half of each iteration (draining what a send
 * sent, feeding what a receive takes, opening what close closes) is a
 * system call made with the library's shim_raw_syscall, linked in:
 * tcpshim wraps syscall(2) too.
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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "os/real.h"

#define SMALL 64
/* send1: bytes per recv of the draining thread. */
#define DRAIN 8
/* udpmsg: room for IP_PKTINFO and SO_TIMESTAMP. */
#define CONTROL 128

static void die(const char *what)
{
	fprintf(stderr, "bench_calls: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A socket of type on loopback, bound to an ephemeral port (addr), and
 * listening if it is a stream. */
static int bound(int type, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, type, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) != 0) ||
	    getsockname(fd, (struct sockaddr *)addr, &len) != 0)
		die("bind");
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

/* One iteration of a call mode: a is the sending end, b the receiving
 * end of a connection, buf SMALL bytes. */
struct ends {
	int a, b;
	char *buf;
};

static void one_send(const struct ends *e)
{
	check(send(e->a, e->buf, SMALL, 0), "send");
	raw_recv(e->b, e->buf);
}

static void one_sendto(const struct ends *e)
{
	check(sendto(e->a, e->buf, SMALL, 0, NULL, 0), "sendto");
	raw_recv(e->b, e->buf);
}

static void one_sendmsg(const struct ends *e)
{
	struct iovec iov = { e->buf, SMALL };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	check(sendmsg(e->a, &msg, 0), "sendmsg");
	raw_recv(e->b, e->buf);
}

static void one_write(const struct ends *e)
{
	check(write(e->a, e->buf, SMALL), "write");
	raw_recv(e->b, e->buf);
}

static void one_writev(const struct ends *e)
{
	struct iovec iov = { e->buf, SMALL };

	check(writev(e->a, &iov, 1), "writev");
	raw_recv(e->b, e->buf);
}

static void one_recv(const struct ends *e)
{
	raw_send(e->a, e->buf);
	check(recv(e->b, e->buf, SMALL, MSG_WAITALL), "recv");
}

static void one_recvfrom(const struct ends *e)
{
	raw_send(e->a, e->buf);
	check(recvfrom(e->b, e->buf, SMALL, MSG_WAITALL, NULL, NULL),
	      "recvfrom");
}

static void one_recvmsg(const struct ends *e)
{
	struct iovec iov = { e->buf, SMALL };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	raw_send(e->a, e->buf);
	check(recvmsg(e->b, &msg, MSG_WAITALL), "recvmsg");
}

/* A read or readv may return less than asked; on loopback, 64 bytes sent
 * at once arrive at once. */
static void one_read(const struct ends *e)
{
	raw_send(e->a, e->buf);
	check(read(e->b, e->buf, SMALL), "read");
}

static void one_readv(const struct ends *e)
{
	struct iovec iov = { e->buf, SMALL };

	raw_send(e->a, e->buf);
	check(readv(e->b, &iov, 1), "readv");
}

static void one_close(const struct ends *e)
{
	int fd = (int)shim_raw_syscall(SYS_openat, AT_FDCWD, (long)"/dev/null",
				       O_RDONLY | O_CLOEXEC, 0, 0, 0);

	(void)e;
	if (fd < 0 || close(fd) != 0)
		die("close");
}

static const struct {
	const char *name;
	void (*one)(const struct ends *e);
} modes[] = {
	{ "send", one_send }, { "sendto", one_sendto },
	{ "sendmsg", one_sendmsg }, { "write", one_write },
	{ "writev", one_writev }, { "recv", one_recv },
	{ "recvfrom", one_recvfrom }, { "recvmsg", one_recvmsg },
	{ "read", one_read }, { "readv", one_readv }, { "close", one_close },
};

/* send1's other thread: a reader of the program's own, which takes
 * DRAIN bytes at a time (MSG_WAITALL), so that it makes N / DRAIN calls
 * whatever the scheduling, and the count is exact. */
static __attribute__((noinline)) void *loop_drain(void *arg)
{
	char buf[DRAIN];
	ssize_t got;

	while ((got = recv(*(int *)arg, buf, sizeof(buf), MSG_WAITALL)) > 0)
		continue;
	if (got < 0)
		die("recv");
	return NULL;
}

static __attribute__((noinline)) void loop_send1(int a, long n)
{
	for (long i = 0; i < n; i++)
		if (send(a, "x", 1, 0) != 1)
			die("send");
}

static void send1(int a, int b, long n)
{
	pthread_t t;

	if (pthread_create(&t, NULL, loop_drain, &b) != 0)
		die("pthread_create");
	loop_send1(a, n);
	if (shutdown(a, SHUT_WR) != 0 || pthread_join(t, NULL) != 0)
		die("shutdown");
}

/* Datagrams fed with raw sendto from s to r (at to), each read with its
 * control messages, which the loop looks through as a server would. */
static __attribute__((noinline)) void loop_udpmsg(int r, int s,
						  const struct sockaddr_in *to,
						  long n)
{
	struct sockaddr_in peer;
	char buf[SMALL], control[CONTROL];
	struct iovec iov = { buf, SMALL };
	struct msghdr msg = { .msg_name = &peer, .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = control };

	memset(buf, 'u', sizeof(buf));
	for (long i = 0; i < n; i++) {
		int seen = 0;

		if (shim_raw_syscall(SYS_sendto, s, (long)buf, SMALL, 0,
				     (long)to, sizeof(*to)) != SMALL)
			die("sendto");
		msg.msg_namelen = sizeof(peer);
		msg.msg_controllen = sizeof(control);
		check(recvmsg(r, &msg, 0), "recvmsg");
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		     cm = CMSG_NXTHDR(&msg, cm))
			seen++;
		if (seen != 2)
			die("control messages");
	}
}

static void udpmsg(long n)
{
	struct sockaddr_in to, from;
	int on = 1, r = bound(SOCK_DGRAM, &to), s = bound(SOCK_DGRAM, &from);

	if (setsockopt(r, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) != 0 ||
	    setsockopt(r, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on)) != 0)
		die("setsockopt");
	loop_udpmsg(r, s, &to, n);
	close(s);
	close(r);
}

static __attribute__((noinline)) void loop_churn(int lfd,
						 const struct sockaddr_in *addr,
						 long n)
{
	for (long i = 0; i < n; i++) {
		int c, s;

		pair(lfd, addr, &c, &s);
		if (close(s) != 0 || close(c) != 0)
			die("close");
	}
}

static __attribute__((noinline)) void
loop_calls(void (*one)(const struct ends *), const struct ends *e, long n)
{
	for (long i = 0; i < n; i++)
		one(e);
}

static int calls(const char *mode, long n)
{
	struct sockaddr_in addr;
	char buf[SMALL];
	struct ends e = { .buf = buf };
	int lfd;

	if (strcmp(mode, "udpmsg") == 0) {
		udpmsg(n);
		return 0;
	}
	memset(buf, 'c', sizeof(buf));
	lfd = bound(SOCK_STREAM, &addr);
	pair(lfd, &addr, &e.a, &e.b);
	if (strcmp(mode, "send1") == 0) {
		send1(e.a, e.b, n);
	} else if (strcmp(mode, "churn") == 0) {
		loop_churn(lfd, &addr, n);
	} else {
		size_t m = 0, nm = sizeof(modes) / sizeof(modes[0]);

		while (m < nm && strcmp(modes[m].name, mode) != 0)
			m++;
		if (m == nm)
			return fprintf(stderr, "bench_calls: no mode %s\n", mode), 2;
		loop_calls(modes[m].one, &e, n);
	}
	close(e.b);
	close(e.a);
	close(lfd);
	return 0;
}

int main(int argc, char **argv)
{
	long n;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: bench_calls MODE N [FD]\n");
		return 2;
	}
	printf("tcpshim %s\n", dlsym(RTLD_DEFAULT, "tcp_abort") ? "loaded"
								 : "not loaded");
	if (strcmp(argv[1], "mem") == 0) {
		mem(n, argc > 3 ? atoi(argv[3]) : 0);
		return 0;
	}
	return calls(argv[1], n);
}
