/*
 * abort_demo - what an abortive close does to queued data, next to an
 * orderly one.  A sender fills the connection (its send buffer and the
 * receiver's receive buffer) and then closes it, with close() or with
 * tcp_abort(); the receiver then reads what it can and says how the
 * connection ended.
 *
 *   abort_demo close|abort PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpshim.h"

static void fail(const char *what)
{
	fprintf(stderr, "abort_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	static char chunk[65536];
	long queued = 0, got = 0;
	int lfd, sender, receiver, one = 1, aborting;
	ssize_t n;

	if (argc != 3 || (strcmp(argv[1], "close") && strcmp(argv[1], "abort"))) {
		fputs("usage: abort_demo close|abort PORT\n", stderr);
		return 2;
	}
	aborting = strcmp(argv[1], "abort") == 0;
	in.sin_port = htons((uint16_t)atoi(argv[2]));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&in, sizeof(in)) || listen(lfd, 1))
		fail("listen");
	sender = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(sender, (struct sockaddr *)&in, sizeof(in)))
		fail("connect");
	receiver = accept(lfd, NULL, NULL);
	close(lfd);
	/* Fill both buffers: everything the kernel will take now. */
	fcntl(sender, F_SETFL, O_NONBLOCK);
	memset(chunk, 'x', sizeof(chunk));
	while ((n = send(sender, chunk, sizeof(chunk), 0)) > 0)
		queued += n;
	printf("sender:   %ld bytes queued, then %s\n", queued,
	       aborting ? "tcp_abort(fd)" : "close(fd)");
	if (aborting ? tcp_abort(sender) : close(sender))
		fail(argv[1]);
	while ((n = read(receiver, chunk, sizeof(chunk))) > 0)
		got += n;
	if (n == 0)
		printf("receiver: read %ld bytes, then end of file: an orderly "
		       "close, nothing lost\n", got);
	else
		printf("receiver: read %ld bytes, then %s: the connection was "
		       "reset, %ld bytes never arrived\n", got,
		       strerrorname_np(errno), queued - got);
	close(receiver);
	return 0;
}
