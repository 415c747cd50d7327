/*
 * prog_calls - the less common ways to move bytes, each one through the
 * wrapper of its own call.
 *
 *   prog_calls via FAMILY PORT SEND,RECV,REVEAL
 *
 * Sends "hi" with SEND (sendmsg, sendmmsg, writev, sendfile, sendfile64),
 * receives "ok" with RECV (recvmsg, recvmmsg, readv, read), waits until
 * the peer has reset the connection, and lets REVEAL (any of those) meet
 * the reset.  Prints each step as "call result errno".
 *
 *   prog_calls rights FAMILY PORT
 *
 * Sends "hi", waits for the peer's "ok" and more, passes the socket to a
 * child with SCM_RIGHTS, and closes its own copy with data unread: the
 * child holds the connection, so nothing is reset.  The child then waits
 * until the peer closes.
 *
 *   prog_calls handoff FAMILY PORT SEND,RECV,HOW
 *
 * Forks a worker, then connects, sends "hi", waits for the peer's data
 * and hands the socket to the worker with SEND (sendmsg, sendmmsg); the
 * worker takes it with RECV (recvmsg, recvmmsg) and ends it by HOW
 * (handoff() below).  Prints "worker PID STATUS" at the end.
 *
 *   prog_calls selfpass FAMILY PORT N
 *
 * N connections of its own (PORT is not used), each given to itself
 * with SCM_RIGHTS and closed through both descriptors at once, by two
 * threads, with data unread: one reset each.
 *
 *   prog_calls fcntl64 FAMILY PORT
 *
 * As "send recv send", through a copy made with fcntl64(F_DUPFD), the
 * original closed first.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog_common.h"

int fcntl64(int fd, int cmd, ...);

/* A file that holds "hi", for sendfile. */
static int hi_file(void)
{
	char path[] = "/tmp/tcpshim-calls.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, "hi", 2) != 2)
		die("mkstemp");
	unlink(path);
	return fd;
}

static long send_with(const char *how, int fd, const char *s, size_t n)
{
	struct iovec iov = { .iov_base = (void *)s, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = msg };

	if (strcmp(how, "sendmsg") == 0)
		return sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (strcmp(how, "sendmmsg") == 0) {
		int r = sendmmsg(fd, &mm, 1, MSG_NOSIGNAL);

		return r == 1 ? (long)mm.msg_len : r;
	}
	if (strcmp(how, "writev") == 0)
		return writev(fd, &iov, 1);
	if (strcmp(how, "sendfile") == 0 || strcmp(how, "sendfile64") == 0) {
		int f = hi_file();
		long r;

		if (strcmp(how, "sendfile") == 0) {
			off_t off = 0;

			r = sendfile(fd, f, &off, n);
		} else {
			off64_t off = 0;

			r = sendfile64(fd, f, &off, n);
		}
		close(f);
		return r;
	}
	if (strcmp(how, "send") == 0)
		return send(fd, s, n, MSG_NOSIGNAL);
	die("unknown send call");
	return -1;
}

static long recv_with(const char *how, int fd, char *buf, size_t n)
{
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = msg };

	if (strcmp(how, "recvmsg") == 0)
		return recvmsg(fd, &msg, MSG_WAITALL);
	if (strcmp(how, "recvmmsg") == 0) {
		int r = recvmmsg(fd, &mm, 1, MSG_WAITALL, NULL);

		return r == 1 ? (long)mm.msg_len : r;
	}
	if (strcmp(how, "readv") == 0)
		return readv(fd, &iov, 1);
	if (strcmp(how, "read") == 0)
		return read(fd, buf, n);
	if (strcmp(how, "recv") == 0)
		return recv(fd, buf, n, MSG_WAITALL);
	die("unknown recv call");
	return -1;
}

static int is_send(const char *how)
{
	return strncmp(how, "send", 4) == 0 || strcmp(how, "writev") == 0;
}

/* Until the peer's RST has arrived: an error or hang-up is pending. */
static void wait_reset(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	if (poll(&p, 1, 10000) != 1)
		die("poll");
}

static int exchange(int fd, const char *snd, const char *rcv,
		    const char *reveal)
{
	char buf[8];

	say(snd, send_with(snd, fd, "hi", 2));
	say(rcv, recv_with(rcv, fd, buf, 2));
	wait_reset(fd);
	if (is_send(reveal))
		say(reveal, send_with(reveal, fd, "x", 1));
	else
		say(reveal, recv_with(reveal, fd, buf, 1));
	close(fd);
	return 0;
}

static int rights(int fd)
{
	int pair[2], st;
	pid_t child;

	say("send", send(fd, "hi", 2, MSG_NOSIGNAL));
	wait_for(fd, POLLIN);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		die("socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(fd);
		hold_passed(pair);
	}
	close(pair[1]);
	say("sendmsg", pass_fd(pair[0], fd, "sendmsg"));
	say("close", close(fd));
	close(pair[0]);
	waitpid(child, &st, 0);
	say("child", WEXITSTATUS(st));
	return 0;
}

/*
 * The worker's part of handoff: take the connection from u with rcv,
 * say so, wait until the program closed its copy (so that this close is
 * the last), then end it as how says.  Its exit status: 0 when all went as
 * planned.
 */
static int worker_part(int u, const char *rcv, const char *how)
{
	char buf[8];
	int got = take_fd(u, rcv);

	/* Taken (the program closes its copy only then), and closed. */
	if (got < 0 || write(u, "t", 1) != 1 || read(u, buf, 1) != 1)
		return 1;
	if (strcmp(how, "unread") == 0) {
		if (read(got, buf, 1) != 1)
			return 2;
	} else if (recv(got, buf, 4, MSG_WAITALL) != 4) {
		return 2;
	}
	/* reset: until the peer's RST, which the next read meets. */
	if (strcmp(how, "reset") == 0 &&
	    (read(got, buf, 1) != -1 || errno != ECONNRESET))
		return 3;
	return close(got) == 0 ? 0 : 4;
}

/*
 * A worker forked before any connection takes the connection the program
 * hands it (SEND) with RECV and ends it by HOW: unread (reads one byte of
 * the peer's four and closes), linger0 (the program set SO_LINGER {1, 0}
 * before the handoff; reads all and closes) or reset (reads all, then
 * meets the peer's reset).
 */
static int handoff(const char *snd, const char *rcv, const char *how)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int pair[2], st, fd;
	char taken;
	pid_t worker;

	/* The pair takes the numbers two UDP sockets had. */
	pair[0] = socket(AF_INET, SOCK_DGRAM, 0);
	pair[1] = socket(AF_INET, SOCK_DGRAM, 0);
	close(pair[0]);
	close(pair[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		die("socketpair");
	worker = fork();
	if (worker < 0)
		die("fork");
	if (worker == 0) {
		close(pair[0]);
		_exit(worker_part(pair[1], rcv, how));
	}
	close(pair[1]);
	fd = dial();
	say("send", send(fd, "hi", 2, MSG_NOSIGNAL));
	wait_for(fd, POLLIN);
	if (strcmp(how, "linger0") == 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
		die("setsockopt");
	say(snd, pass_fd(pair[0], fd, snd));
	if (read(pair[0], &taken, 1) != 1)
		die("read");
	say("close", close(fd));
	if (write(pair[0], "c", 1) != 1)
		die("write");
	waitpid(worker, &st, 0);
	printf("worker %d %d\n", (int)worker, WEXITSTATUS(st));
	return 0;
}

static pthread_barrier_t both;

/* One of two threads that close a descriptor each, at the same moment. */
static void *close_at_once(void *fd)
{
	pthread_barrier_wait(&both);
	close((int)(long)fd);
	return NULL;
}

/*
 * N times: a connection of its own, the accepted end given to itself
 * with SCM_RIGHTS (two descriptors, two records, one socket), both
 * closed at once by two threads with the peer's bytes unread.  Prints
 * "selfpass N".
 */
static int selfpass(int n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int lfd = socket(family, SOCK_STREAM, 0), pair[2], i;

	if (lfd < 0 || listen(lfd, 8) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len) != 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0)
		die("listen");
	port = ntohs(family == AF_INET6
			     ? ((struct sockaddr_in6 *)&ss)->sin6_port
			     : ((struct sockaddr_in *)&ss)->sin_port);
	for (i = 0; i < n; i++) {
		int c = dial(), a = accept(lfd, NULL, NULL), copy;
		pthread_t t[2];

		if (a < 0 || send(c, "xy", 2, 0) != 2)
			die("accept");
		wait_for(a, POLLIN);
		if (pass_fd(pair[0], a, "sendmsg") != 1 ||
		    (copy = take_fd(pair[1], "recvmsg")) < 0)
			die("pass");
		pthread_barrier_init(&both, NULL, 2);
		pthread_create(&t[0], NULL, close_at_once, (void *)(long)a);
		pthread_create(&t[1], NULL, close_at_once, (void *)(long)copy);
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		pthread_barrier_destroy(&both);
		close(c);
	}
	printf("selfpass %d\n", i);
	return 0;
}

int main(int argc, char **argv)
{
	char snd[32], rcv[32], reveal[32];
	int fd;

	if (argc < 4) {
		fputs("usage: prog_calls via|rights|handoff|fcntl64 FAMILY "
		      "PORT [SEND,RECV,REVEAL|HOW]\n", stderr);
		return 2;
	}
	family = strcmp(argv[2], "6") == 0 ? AF_INET6 : AF_INET;
	port = atoi(argv[3]);
	if (strcmp(argv[1], "selfpass") == 0)
		return selfpass(atoi(argv[4]));
	if (strcmp(argv[1], "handoff") == 0)
		return argc < 5 || sscanf(argv[4], "%31[^,],%31[^,],%31s", snd,
					  rcv, reveal) != 3
			       ? 2
			       : handoff(snd, rcv, reveal);
	fd = dial();
	if (strcmp(argv[1], "rights") == 0)
		return rights(fd);
	if (strcmp(argv[1], "fcntl64") == 0) {
		int copy = fcntl64(fd, F_DUPFD, 10);

		say("fcntl64", copy >= 10 ? 0 : -1);
		close(fd);
		return exchange(copy, "send", "recv", "send");
	}
	if (argc < 5 || sscanf(argv[4], "%31[^,],%31[^,],%31s", snd, rcv,
			       reveal) != 3)
		return 2;
	return exchange(fd, snd, rcv, reveal);
}
