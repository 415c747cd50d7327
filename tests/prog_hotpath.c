/*
 * prog_hotpath.c - the calls a busy program makes over and over, for
 * counting system calls with and without the preload.
 *
 *   prog_hotpath N
 *
 * Makes its own loopback TCP connection (listen, connect, accept), then N
 * times: send 64 bytes and recv them, write 64 bytes and read them, and
 * open("/dev/null") and close it.  Prints "tcpshim loaded" or "tcpshim not
 * loaded" (so a test knows the preload took), and exits 0, or 1 with a
 * message on stderr if any call fails.  check_startup runs it under
 * strace -c for two values of N: whatever the shim costs per iteration
 * shows in the difference.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 64

static int fail(const char *what)
{
	fprintf(stderr, "prog_hotpath: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Receive exactly CHUNK bytes with recv() or read(). */
static int take(int fd, char *buf, int use_recv)
{
	size_t got = 0;

	while (got < CHUNK) {
		ssize_t n = use_recv ? recv(fd, buf + got, CHUNK - got, 0)
				     : read(fd, buf + got, CHUNK - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t len = sizeof(in);
	char out[CHUNK], back[CHUNK];
	long n;
	int lfd, cfd, sfd;

	if (argc != 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: prog_hotpath N\n");
		return 2;
	}
	memset(out, 'x', sizeof(out));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&in, &len) != 0)
		return fail("listen");
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&in, sizeof(in)) != 0)
		return fail("connect");
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		return fail("accept");

	for (long i = 0; i < n; i++) {
		int fd;

		if (send(cfd, out, sizeof(out), 0) != (ssize_t)sizeof(out) ||
		    take(sfd, back, 1) != 0)
			return fail("send/recv");
		if (write(sfd, out, sizeof(out)) != (ssize_t)sizeof(out) ||
		    take(cfd, back, 0) != 0)
			return fail("write/read");
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || close(fd) != 0)
			return fail("open/close");
	}

	/*
	 * The same end on every run: cfd has read the FIN of sfd's close
	 * before it closes, so the last closes find the same states however
	 * late the kernel processes that FIN (a loaded machine).
	 */
	close(sfd);
	if (read(cfd, back, 1) != 0)
		return fail("read of the FIN");
	close(cfd);
	close(lfd);
	printf("tcpshim %s\n", dlsym(RTLD_DEFAULT, "tcp_abort") ? "loaded"
								: "not loaded");
	return 0;
}
