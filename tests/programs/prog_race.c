/*
 * prog_race - the close that races the peer's FIN, many times over.
 *
 *   prog_race peer PORT N           serve N connections on 127.0.0.1:PORT:
 *                                   send 4 KB, read to end of file, close
 *   prog_race client PORT N HOW     N times: connect, wait for the data,
 *                                   shutdown(SHUT_WR), wait 0 to 99 us,
 *                                   close
 *
 * HOW is "unread" (close with the data unread: the kernel resets, unless
 * the peer's FIN came first) or "linger0" (read it all, set SO_LINGER
 * {1, 0}, close: a reset, unless the FIN came first).  The peer's FIN
 * answers the client's shutdown at once, so it lands before, during and
 * after the client's close: what the kernel then did is for its
 * tracepoints to say.  Prints "done N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "prog_common.h"

#define DATA 4096

static struct sockaddr_in addr_of(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int peer(int port, int n)
{
	struct sockaddr_in a = addr_of(port);
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[DATA];

	memset(buf, 'x', sizeof(buf));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(lfd, 128) != 0)
		die("bind or listen");
	puts("ready");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	printf("done %d\n", n);
	return 0;
}

/* Busy-wait us microseconds: a sleep would be far too coarse. */
static void spin_us(long us)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000L +
		       (t.tv_nsec - t0.tv_nsec) / 1000 <
	       us);
}

static int client(int port, int n, int linger0)
{
	struct sockaddr_in a = addr_of(port);
	char buf[DATA];

	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		size_t got = 0;

		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
			die("connect");
		if (poll(&p, 1, 10000) != 1)
			die("poll");
		if (linger0) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			while (got < DATA) {
				ssize_t r = read(fd, buf, sizeof(buf) - got);

				if (r <= 0)
					die("read");
				got += (size_t)r;
			}
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		shutdown(fd, SHUT_WR);
		spin_us(i % 100);
		close(fd);
	}
	printf("done %d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "peer") == 0)
		return peer(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "client") == 0)
		return client(atoi(argv[2]), atoi(argv[3]),
			      strcmp(argv[4], "linger0") == 0);
	fputs("usage: prog_race peer PORT N | client PORT N unread|linger0\n",
	      stderr);
	return 2;
}
