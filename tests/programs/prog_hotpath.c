/*
 * prog_hotpath.c - the calls a busy program makes over and over, for
 * counting system calls with and without the preload.
 *
 *   prog_hotpath N [churn]
 *
 * Makes its own loopback TCP connection (listen, connect, accept), then N
 * times: send 64 bytes and recv them, write 64 bytes and read them,
 * sendmsg and recvmsg them, writev and readv them, open("/dev/null")
 * and close it, and again with syscall(SYS_close).  With "churn", N
 * times instead: a new connection, accepted, and both ends closed.  Prints "tcpshim loaded" or "tcpshim not
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
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHUNK 64

static int fail(const char *what)
{
	fprintf(stderr, "prog_hotpath: %s: %s\n", what, strerror(errno));
	return 1;
}

enum how { BY_RECV, BY_READ, BY_RECVMSG, BY_READV };

static ssize_t receive(int fd, char *buf, size_t len, enum how how)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	switch (how) {
	case BY_RECV:
		return recv(fd, buf, len, 0);
	case BY_READ:
		return read(fd, buf, len);
	case BY_RECVMSG:
		return recvmsg(fd, &msg, 0);
	default:
		return readv(fd, &iov, 1);
	}
}

/* Receive exactly CHUNK bytes. */
static int take(int fd, char *buf, enum how how)
{
	size_t got = 0;

	while (got < CHUNK) {
		ssize_t n = receive(fd, buf + got, CHUNK - got, how);

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
	int lfd, cfd, sfd, churn;

	if (argc < 2 || argc > 3 || (n = strtol(argv[1], NULL, 10)) <= 0 ||
	    (argc == 3 && strcmp(argv[2], "churn") != 0)) {
		fprintf(stderr, "usage: prog_hotpath N [churn]\n");
		return 2;
	}
	churn = argc == 3;
	memset(out, 'x', sizeof(out));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&in, &len) != 0)
		return fail("listen");
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&in, sizeof(in)) != 0)
		return fail("connect");
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		return fail("accept");

	for (long i = 0; churn && i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0 ||
		    connect(c, (struct sockaddr *)&in, sizeof(in)) != 0 ||
		    (s = accept(lfd, NULL, NULL)) < 0)
			return fail("churn");
		close(s);
		close(c);
	}
	for (long i = 0; !churn && i < n; i++) {
		struct iovec iov = { out, sizeof(out) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		int fd;

		if (send(cfd, out, sizeof(out), 0) != (ssize_t)sizeof(out) ||
		    take(sfd, back, BY_RECV) != 0)
			return fail("send/recv");
		if (write(sfd, out, sizeof(out)) != (ssize_t)sizeof(out) ||
		    take(cfd, back, BY_READ) != 0)
			return fail("write/read");
		if (sendmsg(cfd, &msg, 0) != (ssize_t)sizeof(out) ||
		    take(sfd, back, BY_RECVMSG) != 0)
			return fail("sendmsg/recvmsg");
		if (writev(sfd, &iov, 1) != (ssize_t)sizeof(out) ||
		    take(cfd, back, BY_READV) != 0)
			return fail("writev/readv");
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || close(fd) != 0)
			return fail("open/close");
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_close, fd) != 0)
			return fail("open/syscall(SYS_close)");
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
