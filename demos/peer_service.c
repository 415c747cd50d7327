/*
 * peer_service - the service on a test peer host: it accepts connections
 * and reads whatever arrives, so its TCP stack answers data and keepalive
 * probes like any live peer.
 *
 *   peer_service ADDR PORT
 *
 * Prints "ready" once listening.  On SIGUSR1 it aborts every connection
 * (a live peer's RST) and prints "aborted N".  Every socket has
 * SO_LINGER {1, 0}: when the host crashes and the process is killed, its
 * sockets vanish at once instead of lingering as orphans that would keep
 * the crashed host's network namespace alive.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 16

static volatile sig_atomic_t abort_all;

static void on_usr1(int sig)
{
	(void)sig;
	abort_all = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct pollfd fds[MAX_CONNS + 1];
	int nfds = 1, one = 1, lfd;
	socklen_t len;

	if (argc != 3) {
		fputs("usage: peer_service ADDR PORT\n", stderr);
		return 2;
	}
	if (strchr(argv[1], ':')) {
		struct sockaddr_in6 *in6 = (void *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(argv[2]));
		inet_pton(AF_INET6, argv[1], &in6->sin6_addr);
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (void *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(argv[2]));
		inet_pton(AF_INET, argv[1], &in->sin_addr);
		len = sizeof(*in);
	}
	sigaction(SIGUSR1, &sa, NULL);
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (bind(lfd, (struct sockaddr *)&ss, len) != 0 || listen(lfd, 8) != 0) {
		perror("peer_service: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	fds[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	for (;;) {
		int n = poll(fds, (nfds_t)nfds, -1);

		if (abort_all) {
			/* Accepted sockets inherited SO_LINGER {1, 0}. */
			for (int i = 1; i < nfds; i++)
				close(fds[i].fd);
			printf("aborted %d\n", nfds - 1);
			fflush(stdout);
			nfds = 1;
			abort_all = 0;
			continue;
		}
		if (n < 0)
			continue;
		if ((fds[0].revents & POLLIN) && nfds <= MAX_CONNS) {
			int a = accept(lfd, NULL, NULL);

			if (a >= 0)
				fds[nfds++] = (struct pollfd){ .fd = a,
							       .events = POLLIN };
		}
		for (int i = 1; i < nfds; i++) {
			char buf[4096];

			if (!(fds[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (read(fds[i].fd, buf, sizeof(buf)) <= 0) {
				close(fds[i].fd);
				fds[i--] = fds[--nfds];
			}
		}
	}
}
