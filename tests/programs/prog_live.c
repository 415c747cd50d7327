/*
 * prog_live.c - a target for "tcpshim ls|abort|keepalive": a plain
 * program with a listener and connections, driven line by line on stdin
 * (tests/programs/live_target.py and tests/programs/live_target.go speak
 * the same words):
 *
 *   listen ADDR          -> "listening PORT FD"
 *   accept               -> "accepted FD PEER"
 *   connect ADDR PORT    -> "connected FD LOCAL"
 *   recv FD              -> "recv FD ok N" or "recv FD ERRNO-NAME"
 *   send FD              -> "send FD ok" or "send FD ERRNO-NAME"
 *   quit
 *
 * It starts by printing "pid PID".  ADDR is an IPv4 or IPv6 literal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int make_addr(const char *host, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return AF_INET6;
	}
	return -1;
}

/* ADDR:PORT or [ADDR]:PORT, as tcpshim writes it. */
static const char *endpoint(const struct sockaddr_storage *ss, char *buf,
			    size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	}
	return buf;
}

static const char *err_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

static int do_listen(const char *host)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int family = make_addr(host, 0, &ss), one = 1, fd;

	fd = socket(family < 0 ? AF_INET : family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family < 0 || bind(fd, (void *)&ss, sizeof(ss)) != 0 ||
	    listen(fd, 16) != 0 || getsockname(fd, (void *)&ss, &len) != 0) {
		printf("listen %s\n", err_name(errno));
		return -1;
	}
	/* sin_port and sin6_port are at the same place. */
	printf("listening %u %d\n",
	       ntohs(((struct sockaddr_in *)&ss)->sin_port), fd);
	return fd;
}

static void do_accept(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[80];
	int fd = accept(lfd, (void *)&ss, &len);

	if (fd < 0)
		printf("accept %s\n", err_name(errno));
	else
		printf("accepted %d %s\n", fd, endpoint(&ss, buf, sizeof(buf)));
}

static void do_connect(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[80];
	int family = make_addr(host, port, &ss);
	int fd = socket(family < 0 ? AF_INET : family, SOCK_STREAM, 0);

	if (family < 0 || connect(fd, (void *)&ss, sizeof(ss)) != 0 ||
	    getsockname(fd, (void *)&ss, &len) != 0)
		printf("connect %s\n", err_name(errno));
	else
		printf("connected %d %s\n", fd,
		       endpoint(&ss, buf, sizeof(buf)));
}

int main(void)
{
	char line[256], word[16], a[64];
	int lfd = -1, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid %d\n", (int)getpid());
	while (fgets(line, sizeof(line), stdin) != NULL) {
		int fd = -1, port = 0;
		char byte = 'x';
		ssize_t got;

		n = sscanf(line, "%15s %63s %d", word, a, &port);
		if (n >= 2)
			fd = atoi(a);
		if (strcmp(word, "quit") == 0)
			break;
		if (strcmp(word, "listen") == 0 && n >= 2) {
			lfd = do_listen(a);
		} else if (strcmp(word, "accept") == 0) {
			do_accept(lfd);
		} else if (strcmp(word, "connect") == 0 && n == 3) {
			do_connect(a, port);
		} else if (strcmp(word, "recv") == 0 && n >= 2) {
			got = recv(fd, &byte, 1, 0);
			if (got < 0)
				printf("recv %d %s\n", fd, err_name(errno));
			else
				printf("recv %d ok %zd\n", fd, got);
		} else if (strcmp(word, "send") == 0 && n >= 2) {
			if (send(fd, &byte, 1, MSG_NOSIGNAL) < 0)
				printf("send %d %s\n", fd, err_name(errno));
			else
				printf("send %d ok\n", fd);
		} else {
			printf("what? %s", line);
		}
	}
	return 0;
}
