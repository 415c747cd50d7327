/*
 * bench_watch.c - the workloads of make bench's part on tcpshim watch
 * (tests/bench/bench_watch.sh), each a fixed number of operations, so
 * that the BPF programs' run counts can be read per operation.
 *
 *   bench_watch churn N      N connections over loopback: socket,
 *                            connect, accept, 64 bytes sent and read,
 *                            close of the accepted end, then of the
 *                            dialling one (no reset)
 *   bench_watch pingpong N   N requests of 64 bytes to an echo process,
 *                            answered with 64 bytes; both on one CPU
 *   bench_watch syscall N    N getppid() system calls
 *   bench_watch refused N    N connects to a loopback port bound where
 *                            nothing listens: one reset each
 *   bench_watch linger0 N    N connections the dialling end closes with
 *                            SO_LINGER {1, 0}: one reset each
 *
 * Each prints "CPU_NS WALL_NS": per operation, the CPU time (user and
 * system, from getrusage: the program and the children it reaped, with
 * the softirq work done in their time) and the wall clock.
 *
 *   bench_watch hold K       K connections (fewer if RLIMIT_NOFILE cannot
 *                            make room for them), held open: prints
 *                            "held K PID" once they are, then reads
 *                            commands on standard input, one a line:
 *                            "churn N" churns N more connections beside
 *                            them and prints "churned N CPU_NS WALL_NS";
 *                            at the end of the input it exits (the
 *                            kernel closes the K)
 *
 * Every workload but refused and linger0 is healthy: no reset, nothing
 * unread at any close.  The program pins itself to one CPU, as
 * bench_work does, so that runs compare like with like.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench_net.h"

#define SMALL 64
/* hold: descriptors beside the held ones (standard ones, listener). */
#define FDS_SPARE 64

/* CPU time charged to the program, and with which to its reaped
 * children, in nanoseconds. */
static double cpu_ns(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0)
		die("getrusage");
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

struct span {
	double cpu, wall;
};

static struct span span_start(void)
{
	return (struct span){ cpu_ns(RUSAGE_SELF), now() };
}

/* "CPU_NS WALL_NS" per operation, since start (children reaped since
 * then included). */
static void span_print(const char *prefix, struct span start, long n)
{
	double cpu = cpu_ns(RUSAGE_SELF) + cpu_ns(RUSAGE_CHILDREN) - start.cpu;
	double wall = (now() - start.wall) * 1e9;

	printf("%s%.1f %.1f\n", prefix, cpu / (double)n, wall / (double)n);
	fflush(stdout);
}

/* One healthy connection, from socket() to both closes. */
static void churn_one(int lfd, const struct sockaddr_in *addr)
{
	char buf[SMALL];
	int a, b;

	memset(buf, 'c', sizeof(buf));
	pair(lfd, addr, &a, &b);
	send_all(a, buf, sizeof(buf));
	if (recv_all(b, buf, sizeof(buf)) != 0)
		die("churn: nothing received");
	/* The accepted end closes first: TIME-WAIT stays on the listener's
	 * side, and the dialling end's port is free again at once. */
	if (close(b) != 0 || close(a) != 0)
		die("close");
}

static void churn(int lfd, const struct sockaddr_in *addr, long n)
{
	for (long i = 0; i < n; i++)
		churn_one(lfd, addr);
}

static void pingpong(long n)
{
	char buf[SMALL];
	int lfd, a;
	pid_t pid;

	memset(buf, 'p', sizeof(buf));
	pid = echo_start(&lfd, &a, buf, sizeof(buf));
	for (long i = 0; i < n; i++) {
		send_all(a, buf, sizeof(buf));
		if (recv_all(a, buf, sizeof(buf)) != 0)
			die("echo ended");
	}
	close(a);
	close(lfd);
	/* The echo process's time counts once it is reaped; its warm-up is
	 * in the figure too (ECHO_WARM_UP in 10^5 requests: 0.1%). */
	reap(pid);
}

static void getppids(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void refused(long n)
{
	struct sockaddr_in addr;
	int hold = loopback_bound(&addr, -1);

	for (long i = 0; i < n; i++)
		refused_once(&addr);
	close(hold);
}

static void linger0(int lfd, const struct sockaddr_in *addr, long n)
{
	struct linger lg = { 1, 0 };

	for (long i = 0; i < n; i++) {
		int a, b;

		pair(lfd, addr, &a, &b);
		if (setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
			die("SO_LINGER");
		/* The reset; then the accepted end, reset, closes quietly. */
		if (close(a) != 0 || close(b) != 0)
			die("close");
	}
}

/* Room for 2 k descriptors and a few: the soft limit up to the hard
 * one, or past it where the caller may (CAP_SYS_RESOURCE).  Returns the
 * connections there is room for: k, or fewer. */
static long room_for(long k)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(2 * k + FDS_SPARE);

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	if (rl.rlim_max < want) {
		struct rlimit more = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return k;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit RLIMIT_NOFILE");
	if (rl.rlim_max < want)
		k = ((long)rl.rlim_max - FDS_SPARE) / 2;
	return k;
}

static void hold(long k)
{
	struct sockaddr_in addr;
	char line[64];
	int lfd, a, b;
	long n;

	k = room_for(k);
	if (k < 1)
		die("hold: no descriptors to spare");
	lfd = listener(&addr);
	for (long i = 0; i < k; i++)
		pair(lfd, &addr, &a, &b);
	printf("held %ld %d\n", k, (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct span start;

		if (sscanf(line, "churn %ld", &n) != 1 || n <= 0) {
			fprintf(stderr, "bench_watch: hold: not a command: %s",
				line);
			exit(2);
		}
		start = span_start();
		churn(lfd, &addr, n);
		printf("churned %ld ", n);
		span_print("", start, n);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct span start;
	long n;
	int lfd = -1;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: bench_watch churn|pingpong|syscall|"
			"refused|linger0|hold N\n");
		return 2;
	}
	pin(0);
	if (strcmp(argv[1], "hold") == 0) {
		hold(n);
		return 0;
	}
	if (strcmp(argv[1], "churn") == 0 || strcmp(argv[1], "linger0") == 0)
		lfd = listener(&addr);
	start = span_start();
	if (strcmp(argv[1], "churn") == 0)
		churn(lfd, &addr, n);
	else if (strcmp(argv[1], "pingpong") == 0)
		pingpong(n);
	else if (strcmp(argv[1], "syscall") == 0)
		getppids(n);
	else if (strcmp(argv[1], "refused") == 0)
		refused(n);
	else if (strcmp(argv[1], "linger0") == 0)
		linger0(lfd, &addr, n);
	else {
		fprintf(stderr, "bench_watch: no workload %s\n", argv[1]);
		return 2;
	}
	span_print("", start, n);
	return 0;
}
