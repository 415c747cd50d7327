/*
 * prog_watch_volume - many loopback connections, each ended one known
 * way, for tcpshim watch to account for one by one (test_watch_volume.sh,
 * test_watch_preload.sh).
 *
 *   prog_watch_volume COUNT THREADS MIX PORT
 *
 * COUNT connections over THREADS client threads in this process, each to
 * its own listener on 127.0.0.1:PORT+thread, served by THREADS threads
 * of a forked server process: two processes, so that every end has an
 * owner of its own.  Connection i belongs to thread i % THREADS, which
 * makes its connections one after the other; its server thread accepts
 * them in the same order.  MIX is a seed (each connection's ending drawn
 * from it, the same in both processes) or "each" (the endings in turn).
 * The endings:
 *
 *   client_linger0  the server sends a byte, the client reads it and
 *                   closes with SO_LINGER {1, 0}; the server's recv
 *                   fails with ECONNRESET, then it closes
 *   server_linger0  the server closes what it accepted with SO_LINGER
 *                   {1, 0}; the client's recv fails with ECONNRESET
 *   unread          the server sends a byte, the client closes with it
 *                   unread (polled until it is there); ECONNRESET at the
 *                   server
 *   orderly         the client reads the byte and closes, the server
 *                   reads end of file and closes: no reset
 *   refused         a connect to 127.0.0.1:PORT+THREADS+thread, bound by
 *                   no listener: ECONNREFUSED; no server end
 *
 * Every reset is over (sent, and received by the end that stays open)
 * before the thread moves on.  The client's ACK of the byte may still be
 * on its way, overtaken by the client's reset: it then reaches the
 * listener, which answers with a reset of its own (reason TCP_FLAGS).
 * At the end, one more refused connect, to PORT+2*THREADS: the marker.
 * A watcher that has printed its reset has printed everything before it.
 * Prints, after both processes are done:
 *
 *   pid CLIENT_PID server=SERVER_PID
 *   listener port=PORT cookie=C     (one per thread)
 *   conn i=I end=ENDING client_fd=FD client_cookie=C local=L peer=P
 *        server_fd=FD server_cookie=C server_local=L server_peer=P
 *        (one line; the server's four are "-" for refused)
 *   marker fd=FD cookie=C local=L
 *   elapsed_ms MS
 *
 * where fd is the descriptor the connection's end had in its process
 * (numbers are reused at once by the next connection, in any thread),
 * cookie its SO_COOKIE and local/peer the ports as that end sees them.
 * Any step that goes otherwise: "error ..." on stderr, exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS_MAX 64

enum ending { CLIENT_LINGER0, SERVER_LINGER0, UNREAD, ORDERLY, REFUSED,
	      ENDINGS };

static const char *const ending_name[ENDINGS] = {
	"client_linger0", "server_linger0", "unread", "orderly", "refused",
};

/* One connection, filled by both processes (shared memory). */
struct conn {
	int client_fd, server_fd;
	uint64_t client_cookie, server_cookie;
	int local, peer;		/* the client's ports */
	int server_local, server_peer;
};

static long count;
static int threads, each, base_port;
static uint64_t seed;
static struct conn *conns;
static int listeners[THREADS_MAX];
static uint64_t listener_cookies[THREADS_MAX];

static void die(const char *what, long i)
{
	fprintf(stderr, "error connection %ld: %s: %s\n", i, what,
		strerror(errno));
	exit(1);
}

/* splitmix64: the same draw for connection i in both processes. */
static enum ending ending_of(long i)
{
	uint64_t z = seed + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;

	if (each)
		return (enum ending)(i % ENDINGS);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (enum ending)((z ^ (z >> 31)) % ENDINGS);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static uint64_t cookie_of(int fd, long i)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len) != 0)
		die("getsockopt SO_COOKIE", i);
	return c;
}

/* The ports of fd as it sees them. */
static void ports_of(int fd, int *local, int *peer, long i)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("getsockname", i);
	*local = ntohs(a.sin_port);
	len = sizeof(a);
	if (peer != NULL) {
		if (getpeername(fd, (struct sockaddr *)&a, &len) != 0)
			die("getpeername", i);
		*peer = ntohs(a.sin_port);
	}
}

static void linger0(int fd, long i)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) != 0)
		die("SO_LINGER", i);
}

/* recv of one byte that must fail with ECONNRESET (want < 0), return
 * end of file (want 0) or return the byte (want 1). */
static void recv_expect(int fd, int want, long i)
{
	char b;
	ssize_t n;

	do
		n = recv(fd, &b, 1, 0);
	while (n < 0 && errno == EINTR);
	if (want < 0 ? !(n < 0 && errno == ECONNRESET) : n != want) {
		fprintf(stderr, "error connection %ld: recv returned %zd (%s), "
			"expected %s\n", i, n, n < 0 ? strerror(errno) : "",
			want < 0 ? "ECONNRESET" : want ? "a byte" : "end of file");
		exit(1);
	}
}

/* Connect to a port where nothing listens: refused.  Returns the fd. */
static int refused_connect(int port, long i, int *local)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket", i);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ||
	    errno != ECONNREFUSED)
		die("connect to a closed port: not refused", i);
	ports_of(fd, local, NULL, i);
	return fd;
}

static void *client_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (long i = t; i < count; i += threads) {
		struct conn *c = &conns[i];
		enum ending e = ending_of(i);
		struct sockaddr_in a = loopback(base_port + t);
		struct pollfd p;
		int fd;

		if (e == REFUSED) {
			fd = refused_connect(base_port + threads + t, i,
					     &c->local);
			c->client_fd = fd;
			c->client_cookie = cookie_of(fd, i);
			c->peer = base_port + threads + t;
			close(fd);
			continue;
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket", i);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
			die("connect", i);
		c->client_fd = fd;
		c->client_cookie = cookie_of(fd, i);
		/* Not getpeername: the server may have reset it already. */
		ports_of(fd, &c->local, NULL, i);
		c->peer = base_port + t;
		switch (e) {
		case CLIENT_LINGER0:
			recv_expect(fd, 1, i);
			linger0(fd, i);
			break;
		case SERVER_LINGER0:
			recv_expect(fd, -1, i);
			break;
		case UNREAD:
			p = (struct pollfd){ .fd = fd, .events = POLLIN };
			while (poll(&p, 1, -1) != 1)
				if (errno != EINTR)
					die("poll", i);
			break;
		default:
			recv_expect(fd, 1, i);
			break;
		}
		close(fd);
	}
	return NULL;
}

static void *server_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (long i = t; i < count; i += threads) {
		struct conn *c = &conns[i];
		enum ending e = ending_of(i);
		int fd;

		if (e == REFUSED)
			continue;
		do
			fd = accept4(listeners[t], NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			die("accept", i);
		c->server_fd = fd;
		c->server_cookie = cookie_of(fd, i);
		ports_of(fd, &c->server_local, &c->server_peer, i);
		if (e == SERVER_LINGER0) {
			linger0(fd, i);
		} else {
			if (send(fd, "a", 1, MSG_NOSIGNAL) != 1)
				die("send", i);
			recv_expect(fd, e == ORDERLY ? 0 : -1, i);
		}
		close(fd);
	}
	return NULL;
}

static void run_threads(void *(*fn)(void *))
{
	pthread_t th[THREADS_MAX];

	for (int t = 0; t < threads; t++) {
		errno = pthread_create(&th[t], NULL, fn, (void *)(intptr_t)t);
		if (errno != 0)
			die("pthread_create", -1);
	}
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
}

/* A socket bound to port: a listener, or (no backlog) one that only
 * keeps the port from anybody else. */
static int bound(int port, int backlog)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket", -1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("bind", -1);
	if (backlog > 0 && listen(fd, backlog) != 0)
		die("listen", -1);
	return fd;
}

static void print_conn(long i)
{
	const struct conn *c = &conns[i];
	enum ending e = ending_of(i);

	printf("conn i=%ld end=%s client_fd=%d client_cookie=%llu local=%d "
	       "peer=%d", i, ending_name[e], c->client_fd,
	       (unsigned long long)c->client_cookie, c->local, c->peer);
	if (e == REFUSED)
		printf(" server_fd=- server_cookie=- server_local=- "
		       "server_peer=-\n");
	else
		printf(" server_fd=%d server_cookie=%llu server_local=%d "
		       "server_peer=%d\n", c->server_fd,
		       (unsigned long long)c->server_cookie, c->server_local,
		       c->server_peer);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	int status, marker_local, fd;
	pid_t server;

	if (argc != 5) {
		fprintf(stderr, "usage: prog_watch_volume COUNT THREADS "
			"SEED|each PORT\n");
		return 2;
	}
	count = atol(argv[1]);
	threads = atoi(argv[2]);
	each = strcmp(argv[3], "each") == 0;
	seed = strtoull(argv[3], NULL, 10);
	base_port = atoi(argv[4]);
	if (count < 1 || threads < 1 || threads > THREADS_MAX ||
	    base_port < 1 || base_port + 2 * threads > 65535) {
		fprintf(stderr, "prog_watch_volume: bad arguments\n");
		return 2;
	}
	conns = mmap(NULL, sizeof(*conns) * (size_t)count,
		     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (conns == MAP_FAILED)
		die("mmap", -1);
	for (int t = 0; t < threads; t++) {
		listeners[t] = bound(base_port + t, 128);
		listener_cookies[t] = cookie_of(listeners[t], -1);
		bound(base_port + threads + t, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(stdout);
	server = fork();
	if (server < 0)
		die("fork", -1);
	if (server == 0) {
		run_threads(server_thread);
		_exit(0);
	}
	run_threads(client_thread);
	if (waitpid(server, &status, 0) != server || status != 0) {
		fprintf(stderr, "error: the server process ended with status "
			"%d\n", status);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fd = refused_connect(base_port + 2 * threads, -1, &marker_local);
	printf("pid %d server=%d\n", (int)getpid(), (int)server);
	for (int t = 0; t < threads; t++)
		printf("listener port=%d cookie=%llu\n", base_port + t,
		       (unsigned long long)listener_cookies[t]);
	for (long i = 0; i < count; i++)
		print_conn(i);
	printf("marker fd=%d cookie=%llu local=%d\n", fd,
	       (unsigned long long)cookie_of(fd, -1), marker_local);
	close(fd);
	printf("elapsed_ms %ld\n", (long)((t1.tv_sec - t0.tv_sec) * 1000 +
					  (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}
