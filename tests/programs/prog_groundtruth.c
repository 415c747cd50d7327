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
 *   prog_groundtruth reused   connect to ourselves, and close() the
 *                             accepted end with SO_LINGER {1, 0}, under
 *                             tests/lib_reconnect.so, which connects the
 *                             same four addresses again at once; then
 *                             accept that connection and close it
 *
 * In the first two, the accepted end then calls recv(), which reveals the
 * reset it received (ECONNRESET), and closes; in reused, the connecting
 * end does.  Prints one line per step:
 *   abort 0 | close 0
 *   recv -1 ECONNRESET
 *   accept 0 (reused)
 * Exits 0 when every step gave what is expected, 1 otherwise.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 10000

/* A loopback connection, and its listener, still listening. */
static int connected_pair(int *cfd, int *sfd, int *lfd_out)
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
	*lfd_out = lfd;
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

/* tcp_abort() the connecting end. */
static int by_abort(int cfd)
{
	int (*abort_fn)(int) =
		(int (*)(int))dlsym(RTLD_DEFAULT, "tcp_abort");

	if (abort_fn == NULL) {
		fprintf(stderr, "prog_groundtruth: no tcp_abort: run me with "
				"LD_PRELOAD=libtcpshim.so\n");
		return -1;
	}
	return report("abort", abort_fn(cfd), errno) == 0 ? 0 : 1;
}

/* Close the connecting end with 16 bytes unread. */
static int by_unread(int cfd, int sfd)
{
	char buf[16];

	memset(buf, 'u', sizeof(buf));
	if (send(sfd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
	    readable(cfd) != 0) {
		perror("prog_groundtruth: send");
		return -1;
	}
	return report("close", close(cfd), errno) == 0 ? 0 : 1;
}

/* Close the accepted end with SO_LINGER {1, 0}, the connecting end named
 * to lib_reconnect.so. */
static int by_linger0_reused(int cfd, int sfd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char num[16];

	snprintf(num, sizeof(num), "%d", cfd);
	if (setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0 ||
	    setenv("RECONNECT_WAIT_FD", num, 1) != 0) {
		perror("prog_groundtruth: SO_LINGER");
		return -1;
	}
	return report("close", close(sfd), errno) == 0 ? 0 : 1;
}

/* The connection lib_reconnect.so made again: accepted and closed. */
static int accept_again(int lfd)
{
	int fd = readable(lfd) == 0
			 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC)
			 : -1;

	report("accept", fd >= 0 ? 0 : -1, errno);
	return fd >= 0 && close(fd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc == 2 ? argv[1] : "";
	int reused = strcmp(mode, "reused") == 0;
	int cfd, sfd, lfd, hit, bad, ret, err;
	char buf[16];

	if (strcmp(mode, "abort") != 0 && strcmp(mode, "unread") != 0 &&
	    !reused) {
		fprintf(stderr, "usage: prog_groundtruth abort|unread|reused\n");
		return 2;
	}
	if (connected_pair(&cfd, &sfd, &lfd) != 0) {
		perror("prog_groundtruth: loopback connection");
		return 1;
	}
	bad = reused			      ? by_linger0_reused(cfd, sfd)
	      : strcmp(mode, "abort") == 0 ? by_abort(cfd)
					   : by_unread(cfd, sfd);
	if (bad < 0)
		return 1;
	/* The end that the reset reached. */
	hit = reused ? cfd : sfd;
	if (readable(hit) != 0) {
		fprintf(stderr, "prog_groundtruth: no reset within %d ms\n",
			WAIT_MS);
		return 1;
	}
	ret = (int)recv(hit, buf, sizeof(buf), 0);
	err = errno;
	bad |= !(report("recv", ret, err) == -1 && err == ECONNRESET);
	close(hit);
	if (reused)
		bad |= accept_again(lfd);
	close(lfd);
	return bad ? 1 : 0;
}
