/*
 * prog_linked_causes.c - the programs of test_watch_causes.sh: each
 * makes one kind of reset happen and prints who holds each end, one line
 * per end, "role=ROLE pid=PID fd=FD local=ADDR:PORT peer=ADDR:PORT"
 * (peer "?:0" when there is none), before the reset, so that the test
 * can hold tcpshim watch's owner to it.  Links with -ltcpshim for
 * tcp_abort().
 *
 *   refused PORT          connect to loopback PORT, where nothing listens
 *                         (role client)
 *   pair MODE PORT        a server on loopback PORT and a forked client
 *                         (roles server and client); the client sends
 *                         "hi", then ends its connection by MODE:
 *       linger0   SO_LINGER {1, 0}, then close(2)
 *       abort     tcp_abort() of libtcpshim
 *       unspec    connect(2) with an AF_UNSPEC address, made by the
 *                 program itself (the system call, no wrapper), then
 *                 close(2)
 *       unread    close(2) with the server's "data" received and unread
 *       hold      nothing: it waits in recv(2) until someone else
 *                 resets the connection (ss -K, tcpshim abort)
 *                 The server waits in recv(2) until the reset reaches it.
 *   serve ADDR PORT N     print "listening", accept N connections (role
 *                         server, one line each), each with SO_LINGER
 *                         {1, 0}; answer "ok" to whatever comes; run
 *                         until killed
 *   client MODE ADDR PORT [GOFILE]   one connection to ADDR PORT:
 *       keepalive  keepalive after 1 s idle, probes 1 s apart, the
 *                  first unanswered one the last; waits in recv(2)
 *       probe      the same with 10 probes allowed; waits in recv(2)
 *       data       sends "hi", reads the answer; once GOFILE exists,
 *                  1.2 s after that answer, sends again; then recv(2)
 *                  The error that ends the connection is printed as
 *                  "client: recv ERRNO-NAME".
 *
 * Exits 0 when the connection ended as the mode expects, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcpshim.h"

#define SILENCE_MS 1200

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "prog_linked_causes: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ADDR:PORT of one end of fd's connection. */
static const char *end_of(int fd, int peer, char *out, size_t size)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	char addr[INET_ADDRSTRLEN] = "?";

	memset(&in, 0, sizeof(in));
	if ((peer ? getpeername(fd, (struct sockaddr *)&in, &len) :
		    getsockname(fd, (struct sockaddr *)&in, &len)) == 0)
		inet_ntop(AF_INET, &in.sin_addr, addr, sizeof(addr));
	snprintf(out, size, "%s:%d", addr, ntohs(in.sin_port));
	return out;
}

static void say(const char *role, int fd)
{
	char local[32], peer[32];

	printf("role=%s pid=%d fd=%d local=%s peer=%s\n", role, (int)getpid(),
	       fd, end_of(fd, 0, local, sizeof(local)),
	       end_of(fd, 1, peer, sizeof(peer)));
	fflush(stdout);
}

static void address(struct sockaddr_in *in, const char *addr, int port)
{
	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &in->sin_addr) != 1) {
		fprintf(stderr, "prog_linked_causes: bad address %s\n", addr);
		exit(2);
	}
}

static int connected(const char *addr, int port)
{
	struct sockaddr_in in;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	address(&in, addr, port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&in, sizeof(in)) != 0)
		die("connect");
	return fd;
}

static int listening(const char *addr, int port)
{
	struct sockaddr_in in;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	address(&in, addr, port);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(fd, 8) != 0)
		die("listen");
	return fd;
}

/* recv until the connection ends; the errno that ended it, 0 at EOF. */
static int ended(int fd)
{
	char buf[64];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	return n == 0 ? 0 : errno;
}

static void exactly(int fd, const void *buf, size_t len, int sending)
{
	ssize_t n = sending ? send(fd, buf, len, MSG_NOSIGNAL) :
			      recv(fd, (void *)buf, len, MSG_WAITALL);

	if (n != (ssize_t)len)
		die(sending ? "send" : "recv");
}

static int refused(int port)
{
	struct sockaddr_in in;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ret, err;

	address(&in, "127.0.0.1", port);
	ret = connect(fd, (struct sockaddr *)&in, sizeof(in));
	err = errno;
	say("client", fd);
	return ret == -1 && err == ECONNREFUSED ? 0 : 1;
}

/* The forked client of "pair": its end of the connection, by mode. */
static int pair_client(const char *mode, int port, int go)
{
	int fd = connected("127.0.0.1", port), err;
	char byte;

	exactly(fd, "hi", 2, 1);
	if (read(go, &byte, 1) != 1)
		die("read the server's go");
	say("client", fd);
	if (strcmp(mode, "linger0") == 0) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) != 0)
			die("SO_LINGER");
		return close(fd) == 0 ? 0 : 1;
	}
	if (strcmp(mode, "abort") == 0)
		return tcp_abort(fd) == 0 ? 0 : 1;
	if (strcmp(mode, "unspec") == 0) {
		struct sockaddr unspec = { .sa_family = AF_UNSPEC };

		if (syscall(SYS_connect, fd, &unspec, sizeof(unspec)) != 0)
			die("connect AF_UNSPEC");
		return close(fd) == 0 ? 0 : 1;
	}
	if (strcmp(mode, "unread") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		/* The server's bytes are here, and stay unread. */
		if (poll(&p, 1, -1) != 1)
			die("poll");
		return close(fd) == 0 ? 0 : 1;
	}
	err = ended(fd);
	printf("client: recv %s\n", err ? errname(err) : "EOF");
	return err ? 0 : 1;
}

static int pair(const char *mode, int port)
{
	int lfd = listening("127.0.0.1", port), go[2], afd, err, status;
	char buf[2];
	pid_t child;

	if (pipe(go) != 0)
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(lfd);
		close(go[1]);
		exit(pair_client(mode, port, go[0]));
	}
	close(go[0]);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	exactly(afd, buf, 2, 0);
	say("server", afd);
	if (strcmp(mode, "unread") == 0)
		exactly(afd, "data", 4, 1);
	if (write(go[1], "g", 1) != 1)
		die("write the client's go");
	err = ended(afd);
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	if (err != ECONNRESET) {
		fprintf(stderr, "prog_linked_causes: the server's recv ended "
			"with %s, not ECONNRESET\n", err ? errname(err) : "EOF");
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int serve(const char *addr, int port, int n)
{
	struct linger now = { .l_onoff = 1, .l_linger = 0 };
	struct pollfd p[17];
	int accepted = 0;
	char buf[64];

	if (n < 1 || n > 16)
		return 2;
	p[0].fd = listening(addr, port);
	p[0].events = POLLIN;
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		if (poll(p, (nfds_t)accepted + 1, -1) < 0)
			die("poll");
		for (int i = 1; i <= accepted; i++) {
			if (!(p[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (recv(p[i].fd, buf, sizeof(buf), 0) > 0)
				send(p[i].fd, "ok", 2, MSG_NOSIGNAL);
			else
				p[i].fd = -p[i].fd - 1;	/* ended: poll no more */
		}
		if (!(p[0].revents & POLLIN))
			continue;
		p[++accepted].fd = accept(p[0].fd, NULL, NULL);
		/* Killed with its host, each connection vanishes at once (a
		 * RST into a link that is down), leaving no orphan to keep
		 * the host's network namespace alive. */
		if (p[accepted].fd < 0 ||
		    setsockopt(p[accepted].fd, SOL_SOCKET, SO_LINGER, &now,
			       sizeof(now)) != 0)
			die("accept");
		p[accepted].events = POLLIN;
		say("server", p[accepted].fd);
		if (accepted == n)
			p[0].fd = -p[0].fd - 1;	/* no more */
	}
}

static void keepalive(int fd, int count)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)))
		die("keepalive");
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Wait for a file the test makes, and until ms on the monotonic clock. */
static void await(const char *file, long long until)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct stat st;

	while (stat(file, &st) != 0)
		nanosleep(&tick, NULL);
	while (now_ms() < until)
		nanosleep(&tick, NULL);
}

static int client(const char *mode, const char *addr, int port,
		  const char *go)
{
	int fd = connected(addr, port), err, want = ECONNRESET;
	char buf[2];

	if (strcmp(mode, "keepalive") == 0) {
		keepalive(fd, 1);
		want = ETIMEDOUT;
		say("client", fd);
	} else if (strcmp(mode, "probe") == 0) {
		keepalive(fd, 10);
		say("client", fd);
	} else if (strcmp(mode, "data") == 0 && go != NULL) {
		exactly(fd, "hi", 2, 1);
		exactly(fd, buf, 2, 0);
		say("client", fd);
		await(go, now_ms() + SILENCE_MS);
		exactly(fd, "hi", 2, 1);
	} else {
		return 2;
	}
	err = ended(fd);
	printf("client: recv %s\n", err ? errname(err) : "EOF");
	return err == want ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "refused") == 0)
		return refused(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "pair") == 0)
		return pair(argv[2], atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], atoi(argv[3]), atoi(argv[4]));
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "client") == 0)
		return client(argv[2], argv[3], atoi(argv[4]),
			      argc == 6 ? argv[5] : NULL);
	fputs("usage: prog_linked_causes refused PORT | pair MODE PORT | "
	      "serve ADDR PORT N | client MODE ADDR PORT [GOFILE]\n", stderr);
	return 2;
}
