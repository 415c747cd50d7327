/*
 * prog_groundtruth.c - resets made on purpose, for comparing tcpshim's
 * log with the kernel's tracepoints (check_kernel).  A plain program run
 * under LD_PRELOAD: it reaches tcp_abort through dlsym(RTLD_DEFAULT).
 *
 *   prog_groundtruth abort    connect to ourselves over loopback, then
 *                             tcp_abort() the connecting end
 *   prog_groundtruth unread   connect to ourselves, let the accepted end
 *                             send 16 bytes, and close() the connecting
 *                             end without reading them (the kernel resets)
 *
 * In both, the accepted end then calls recv(), which reveals the reset it
 * received (ECONNRESET), and closes.  Prints one line per step:
 *   abort 0 | close 0
 *   recv -1 ECONNRESET
 * Exits 0 when every step gave what is expected, 1 otherwise.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 10000

static int connected_pair(int *cfd, int *sfd)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t len = sizeof(in);
	int lfd;

	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&in, &len) != 0)
		return -1;
	*cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&in, sizeof(in)) != 0)
		return -1;
	*sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	return *sfd < 0 ? -1 : 0;
}

/* Wait until fd is readable (data, EOF or an error). */
static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, WAIT_MS) == 1 ? 0 : -1;
}

static int report(const char *what, int ret, int err)
{
	printf("%s %d %s\n", what, ret, ret == 0 ? "0" : strerrorname_np(err));
	fflush(stdout);
	return ret;
}

int main(int argc, char **argv)
{
	int (*abort_fn)(int);
	char buf[16];
	int cfd, sfd, ret, err, ok = 1;

	if (argc != 2 || (strcmp(argv[1], "abort") != 0 &&
			  strcmp(argv[1], "unread") != 0)) {
		fprintf(stderr, "usage: prog_groundtruth abort|unread\n");
		return 2;
	}
	if (connected_pair(&cfd, &sfd) != 0) {
		perror("prog_groundtruth: loopback connection");
		return 1;
	}

	if (strcmp(argv[1], "abort") == 0) {
		abort_fn = (int (*)(int))dlsym(RTLD_DEFAULT, "tcp_abort");
		if (abort_fn == NULL) {
			fprintf(stderr, "prog_groundtruth: no tcp_abort: run "
					"me with LD_PRELOAD=libtcpshim.so\n");
			return 1;
		}
		ret = abort_fn(cfd);
		ok &= report("abort", ret, errno) == 0;
	} else {
		memset(buf, 'u', sizeof(buf));
		if (send(sfd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
		    readable(cfd) != 0) {
			perror("prog_groundtruth: send");
			return 1;
		}
		ret = close(cfd);
		ok &= report("close", ret, errno) == 0;
	}

	if (readable(sfd) != 0) {
		fprintf(stderr, "prog_groundtruth: no reset within %d ms\n",
			WAIT_MS);
		return 1;
	}
	ret = (int)recv(sfd, buf, sizeof(buf), 0);
	err = errno;
	ok &= report("recv", ret, err) == -1 && err == ECONNRESET;
	close(sfd);
	return ok ? 0 : 1;
}
