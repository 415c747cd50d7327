/*
 * bench_work.c - the timed workloads of `make bench`.
 *
 *   bench_work WORKLOAD SECONDS DIR
 *
 * Runs WORKLOAD for about SECONDS and prints one number: nanoseconds per
 * operation, lower is better (manysock adds a note on what it set up).
 * tests/bench/bench.sh runs it natively and under
 * each preload, interleaved, and compares the medians.  DIR is where the
 * run may put files (build/bench).
 *
 *   pingpong   64 bytes there and back over loopback TCP, to an echo
 *              process (per round trip)
 *   bulk       64 KiB writes to a reader process, until it has read
 *              them all (per write)
 *   fileclose  close() of regular files; only the closes are timed
 *              (per close)
 *   churn      socket, connect, accept, close, close (per connection)
 *   manysock   one 64-byte send on each of many connected sockets, as
 *              many as the fd hard limit allows, in a new random order
 *              each sweep; only the sends are timed (per send)
 *   threads    two threads at once, each sending 64 bytes on its own
 *              connection and receiving them at the other end (per send,
 *              both threads together)
 *   spawn      fork and exec /bin/true, which inherits the preload
 *              (per start)
 *   storm      socket, connect to a loopback port where nothing listens
 *              (the peer's RST refuses it), close: a reset storm (per
 *              reset)
 *
 * Every workload but storm is healthy: no reset, no unread data at
 * close, so a preloaded run logs no event.  The program pins itself to fixed CPUs, so
 * that runs compare like with like.  The two ends of pingpong and bulk
 * share one CPU: the time is then the work the calls do, which is what a
 * shim adds to, and not how soon an idle CPU wakes up, which on a
 * virtual machine varies from run to run by far more than 1%.  Only
 * threads, which is about two CPUs at once, uses two.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_net.h"

#define SMALL 64
#define BIG (64 * 1024)
#define CLOSE_BATCH 256
/* manysock: a bound on set-up time where the hard limit is very high. */
#define MANY_MAX 16384
/* Operations between two looks at the clock. */
#define STRIDE 32
#define NOTE_MAX 128

extern char **environ;

static double pingpong(double secs)
{
	char buf[SMALL];
	int lfd, a;
	long n = 0;
	double t0, t;
	pid_t pid;

	memset(buf, 'p', sizeof(buf));
	pid = echo_start(&lfd, &a, buf, sizeof(buf));
	t0 = now();
	do {
		for (int i = 0; i < STRIDE; i++) {
			send_all(a, buf, sizeof(buf));
			if (recv_all(a, buf, sizeof(buf)) != 0)
				die("echo ended");
		}
		n += STRIDE;
	} while ((t = now()) - t0 < secs);
	close(a);
	close(lfd);
	reap(pid);
	return (t - t0) * 1e9 / (double)n;
}

static double bulk(double secs)
{
	static char buf[BIG];
	struct sockaddr_in addr;
	int lfd = listener(&addr), a, b;
	uint64_t total = 0, told;
	double t0, t;
	pid_t pid;
	long n = 0;

	pair(lfd, &addr, &a, &b);
	memset(buf, 'b', sizeof(buf));
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		ssize_t got;

		close(lfd);
		close(a);
		pin(0);
		while ((got = read(b, buf, sizeof(buf))) > 0)
			total += (uint64_t)got;
		if (got < 0)
			die("read");
		if (write(b, &total, sizeof(total)) != sizeof(total))
			die("write");
		close(b);
		_exit(0);
	}
	close(b);
	pin(0);
	t0 = now();
	do {
		for (size_t off = 0; off < sizeof(buf);) {
			ssize_t w = write(a, buf + off, sizeof(buf) - off);

			if (w <= 0)
				die("write");
			off += (size_t)w;
		}
		n++;
	} while (now() - t0 < secs);
	/* Timed until the reader has it all, not until it is queued. */
	if (shutdown(a, SHUT_WR) != 0)
		die("shutdown");
	for (size_t off = 0; off < sizeof(told);) {
		ssize_t r = read(a, (char *)&told + off, sizeof(told) - off);

		if (r <= 0)
			die("read");
		off += (size_t)r;
	}
	t = now();
	if (told != (uint64_t)n * sizeof(buf)) {
		fprintf(stderr, "bench_work: reader got %llu bytes of %llu\n",
			(unsigned long long)told,
			(unsigned long long)n * sizeof(buf));
		exit(1);
	}
	close(a);
	close(lfd);
	reap(pid);
	return (t - t0) * 1e9 / (double)n;
}

static double fileclose(double secs, const char *dir)
{
	char path[PATH_MAX];
	int fds[CLOSE_BATCH];
	double start = now(), busy = 0;
	long n = 0;
	int fd;

	pin(0);
	snprintf(path, sizeof(path), "%s/fileclose.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		die(path);
	close(fd);
	do {
		double t0;

		for (int i = 0; i < CLOSE_BATCH; i++) {
			fds[i] = open(path, O_RDONLY | O_CLOEXEC);
			if (fds[i] < 0)
				die("open");
		}
		t0 = now();
		for (int i = 0; i < CLOSE_BATCH; i++)
			if (close(fds[i]) != 0)
				die("close");
		busy += now() - t0;
		n += CLOSE_BATCH;
	} while (now() - start < secs);
	unlink(path);
	return busy * 1e9 / (double)n;
}

static double churn(double secs)
{
	struct sockaddr_in addr;
	int lfd = listener(&addr);
	double t0, t;
	long n = 0;

	pin(0);
	t0 = now();
	do {
		for (int i = 0; i < STRIDE; i++) {
			int a, b;

			pair(lfd, &addr, &a, &b);
			/*
			 * The accepted end closes first, so the TIME_WAIT
			 * state lands on the listener's side: the client's
			 * ephemeral ports are free again at once.
			 */
			if (close(b) != 0 || close(a) != 0)
				die("close");
		}
		n += STRIDE;
	} while ((t = now()) - t0 < secs);
	close(lfd);
	return (t - t0) * 1e9 / (double)n;
}

/* xorshift64: the same shuffles in every run and configuration. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double manysock(double secs, char *note)
{
	struct sockaddr_in addr;
	struct rlimit rl;
	char buf[SMALL];
	uint64_t seed = 0x9e3779b97f4a7c15u;
	double start, busy = 0;
	long conns, n = 0;
	int *from, *to, lfd, high = 0;

	pin(0);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	/* Two descriptors per connection, and room for the few others. */
	conns = rl.rlim_cur > 2 * MANY_MAX + 16 ? MANY_MAX
						: ((long)rl.rlim_cur - 16) / 2;
	from = malloc(sizeof(*from) * (size_t)conns);
	to = malloc(sizeof(*to) * (size_t)conns);
	if (from == NULL || to == NULL || conns < 1)
		die("manysock set-up");
	lfd = listener(&addr);
	for (long i = 0; i < conns; i++) {
		pair(lfd, &addr, &from[i], &to[i]);
		high = to[i] > high ? to[i] : high;
	}
	snprintf(note, NOTE_MAX, "%ld connections, fds up to %d", conns, high);
	memset(buf, 'm', sizeof(buf));
	start = now();
	do {
		double t0;

		for (long i = conns - 1; i > 0; i--) {
			long j = (long)(next_random(&seed) % (uint64_t)(i + 1));
			int f = from[i], r = to[i];

			from[i] = from[j];
			to[i] = to[j];
			from[j] = f;
			to[j] = r;
		}
		t0 = now();
		for (long i = 0; i < conns; i++)
			if (send(from[i], buf, sizeof(buf), 0) != sizeof(buf))
				die("send");
		busy += now() - t0;
		n += conns;
		/* Untimed: keep the receive queues short. */
		for (long i = 0; i < conns; i++)
			recv_all(to[i], buf, sizeof(buf));
	} while (now() - start < secs);
	/*
	 * Exit with every connection open: the kernel tears them down, and
	 * the set-up is not timed anyway.
	 */
	return busy * 1e9 / (double)n;
}

struct sender {
	int cpu, from, to;
	double secs;
	pthread_barrier_t *go;
	long n;
	double elapsed;
};

static void *send_loop(void *arg)
{
	struct sender *s = arg;
	char buf[SMALL];
	double t0, t;

	pin(s->cpu);
	memset(buf, 't', sizeof(buf));
	pthread_barrier_wait(s->go);
	t0 = now();
	do {
		for (int i = 0; i < STRIDE; i++) {
			send_all(s->from, buf, sizeof(buf));
			recv_all(s->to, buf, sizeof(buf));
		}
		s->n += STRIDE;
	} while ((t = now()) - t0 < s->secs);
	s->elapsed = t - t0;
	return NULL;
}

static double threads(double secs)
{
	struct sockaddr_in addr;
	struct sender s[2];
	pthread_t tid[2];
	pthread_barrier_t go;
	int lfd = listener(&addr);
	double rate = 0;

	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++) {
		s[i] = (struct sender){ .cpu = i, .secs = secs, .go = &go };
		pair(lfd, &addr, &s[i].from, &s[i].to);
	}
	for (int i = 0; i < 2; i++)
		if (pthread_create(&tid[i], NULL, send_loop, &s[i]) != 0)
			die("pthread_create");
	for (int i = 0; i < 2; i++) {
		pthread_join(tid[i], NULL);
		rate += (double)s[i].n / s[i].elapsed;
		close(s[i].to);
		close(s[i].from);
	}
	close(lfd);
	return 1e9 / rate;
}

static double spawn(double secs)
{
	char *argv[] = { "/bin/true", NULL };
	double t0, t;
	long n = 0;

	pin(0);
	t0 = now();
	do {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(argv[0], argv, environ);
			_exit(127);
		}
		reap(pid);
		n++;
	} while ((t = now()) - t0 < secs);
	return (t - t0) * 1e9 / (double)n;
}

static double storm(double secs)
{
	struct sockaddr_in addr;
	int hold = loopback_bound(&addr, -1);
	double t0, t;
	long n = 0;

	pin(0);
	t0 = now();
	do {
		for (int i = 0; i < STRIDE; i++)
			refused_once(&addr);
		n += STRIDE;
	} while ((t = now()) - t0 < secs);
	close(hold);
	return (t - t0) * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	char note[NOTE_MAX] = "";
	double secs, ns;

	if (argc != 4 || (secs = strtod(argv[2], NULL)) <= 0) {
		fprintf(stderr, "usage: bench_work WORKLOAD SECONDS DIR\n");
		return 2;
	}
	if (strcmp(argv[1], "pingpong") == 0)
		ns = pingpong(secs);
	else if (strcmp(argv[1], "bulk") == 0)
		ns = bulk(secs);
	else if (strcmp(argv[1], "fileclose") == 0)
		ns = fileclose(secs, argv[3]);
	else if (strcmp(argv[1], "churn") == 0)
		ns = churn(secs);
	else if (strcmp(argv[1], "manysock") == 0)
		ns = manysock(secs, note);
	else if (strcmp(argv[1], "threads") == 0)
		ns = threads(secs);
	else if (strcmp(argv[1], "spawn") == 0)
		ns = spawn(secs);
	else if (strcmp(argv[1], "storm") == 0)
		ns = storm(secs);
	else {
		fprintf(stderr, "bench_work: no workload %s\n", argv[1]);
		return 2;
	}
	printf("%.1f%s%s\n", ns, *note ? " " : "", note);
	return 0;
}
