/*
 * refused_demo - a connection request to a port where nothing listens,
 * from C: the program's connect() fails with ECONNREFUSED, and a
 * tcp_on_event() callback receives the event tcpshim logs.
 *
 *   refused_demo PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpshim.h"

static void on_event(const struct tcp_event *ev, void *arg)
{
	(void)arg;
	printf("callback: event=%s cause=%s call=%s errno=%s conn=%llu\n",
	       ev->event, ev->cause_name, ev->call,
	       ev->error ? strerrorname_np(ev->error) : "-",
	       (unsigned long long)ev->conn);
}

int main(int argc, char **argv)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	int fd, ret;

	if (argc != 2) {
		fputs("usage: refused_demo PORT\n", stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	tcp_on_event(on_event, NULL);
	in.sin_port = htons((uint16_t)atoi(argv[1]));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ret = connect(fd, (struct sockaddr *)&in, sizeof(in));
	printf("connect() = %d, errno %s\n", ret,
	       ret ? strerrorname_np(errno) : "-");
	close(fd);
	return 0;
}
