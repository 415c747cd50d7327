/*
 * prog_static - built with gcc -static: the dynamic loader never runs,
 * so LD_PRELOAD means nothing to it and tcpshim sees none of its calls
 * (docs/limits.md).  check_hardening runs it with and without the preload
 * and compares.
 *
 *   prog_static PORT    PORT: a loopback port where nothing listens
 *
 * It talks to itself over loopback, has the peer reset, and connects
 * where nothing listens, printing what it saw.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(const char *call, long ret)
{
	int err = errno;

	if (ret < 0)
		printf("%s %ld %s\n", call, ret, strerrorname_np(err));
	else
		printf("%s %ld\n", call, ret);
}

static socklen_t loopback(struct sockaddr_in *in, int port)
{
	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*in);
}

int main(int argc, char **argv)
{
	struct sockaddr_in in;
	socklen_t len = loopback(&in, 0);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct pollfd p;
	int lfd, c, a;
	char buf[8];

	if (argc != 2) {
		fputs("usage: prog_static PORT\n", stderr);
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&in, len) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&in, &len) != 0)
		return 1;
	c = socket(AF_INET, SOCK_STREAM, 0);
	say("connect", connect(c, (struct sockaddr *)&in, len));
	a = accept(lfd, NULL, NULL);
	say("send", send(c, "ping", 4, 0));
	say("recv", recv(a, buf, sizeof(buf), 0));
	/* The accepted end resets: the client's recv sees it. */
	setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(a);
	p = (struct pollfd){ .fd = c, .events = 0 };
	poll(&p, 1, 10000);
	say("recv", recv(c, buf, sizeof(buf), 0));
	close(c);
	close(lfd);
	c = socket(AF_INET, SOCK_STREAM, 0);
	len = loopback(&in, atoi(argv[1]));
	say("connect", connect(c, (struct sockaddr *)&in, len));
	close(c);
	return 0;
}
