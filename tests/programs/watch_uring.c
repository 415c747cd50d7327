/*
 * watch_uring - a connection closed through io_uring (IORING_OP_CLOSE),
 * not close(2), for test_watch_programs.sh.  Built only where liburing
 * is (liburing-dev).
 *
 *   watch_uring PORT HOLD
 *
 * The process listens on 127.0.0.1:PORT, forks a server that accepts
 * and sends two bytes, connects with connect(2), waits for the bytes to
 * arrive and closes the connection, unread, through its ring: the kernel
 * resets it, and the server's read fails with ECONNRESET.  Each process
 * prints, for its connection,
 *
 *     role=ROLE pid=PID fd=FD cookie=SO_COOKIE
 *
 * then waits for the file HOLD to exist before it exits.  Exit status
 * 77, with the reason on stdout, where the kernel will not set up a ring
 * (io_uring disabled or filtered out); 1 on any other failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define URING_LIMIT_S 30
#define URING_WAIT_MS 10000

static const char *hold_path;

static void die(const char *what, int err)
{
	fprintf(stderr, "watch_uring[%d]: %s: %s\n", (int)getpid(), what,
		strerror(err));
	exit(1);
}

static void say(const char *role, int fd)
{
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		die("SO_COOKIE", errno);
	printf("role=%s pid=%d fd=%d cookie=%llu\n", role, (int)getpid(), fd,
	       cookie);
	fflush(stdout);
}

static void hold(void)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < URING_LIMIT_S * 50; i++) {
		if (access(hold_path, F_OK) == 0)
			return;
		nanosleep(&tick, NULL);
	}
}

/* The forked server: accept, send two bytes, see the reset. */
static void serve(int lfd)
{
	struct pollfd p;
	char c;
	int a = accept(lfd, NULL, NULL);

	alarm(URING_LIMIT_S);
	if (a < 0)
		die("accept", errno);
	say("server", a);
	if (send(a, "hi", 2, 0) != 2)
		die("send", errno);
	p = (struct pollfd){ .fd = a, .events = POLLIN };
	if (poll(&p, 1, URING_WAIT_MS) != 1)
		die("no reset in time", ETIMEDOUT);
	if (recv(a, &c, 1, MSG_DONTWAIT) != -1 || errno != ECONNRESET)
		die("recv, where a reset was due", errno);
	hold();
	exit(0);
}

/* close(fd) as an IORING_OP_CLOSE; its result. */
static int ring_close(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int err, res;

	if (sqe == NULL)
		return -EBUSY;
	io_uring_prep_close(sqe, fd);
	err = io_uring_submit(ring);
	if (err != 1)
		return err < 0 ? err : -EIO;
	err = io_uring_wait_cqe(ring, &cqe);
	if (err != 0)
		return err;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

int main(int argc, char **argv)
{
	struct sockaddr_in in;
	struct io_uring ring;
	struct pollfd p;
	int lfd, c, err, one = 1, status = 0;
	pid_t server;

	if (argc != 3) {
		fputs("usage: watch_uring PORT HOLD\n", stderr);
		return 2;
	}
	hold_path = argv[2];
	alarm(URING_LIMIT_S);
	err = io_uring_queue_init(4, &ring, 0);
	if (err != 0) {
		printf("io_uring unavailable here: io_uring_setup: %s\n",
		       strerror(-err));
		return 77;
	}
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons((uint16_t)atoi(argv[1]));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(lfd, 1) != 0)
		die("listen", errno);
	fflush(stdout);
	server = fork();
	if (server < 0)
		die("fork", errno);
	if (server == 0)
		serve(lfd);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&in, sizeof(in)) != 0)
		die("connect", errno);
	say("client", c);
	/* The server's two bytes are here, and stay unread. */
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	if (poll(&p, 1, URING_WAIT_MS) != 1)
		die("the server's bytes did not come", ETIMEDOUT);
	err = ring_close(&ring, c);
	if (err != 0)
		die("IORING_OP_CLOSE", -err);
	hold();
	io_uring_queue_exit(&ring);
	if (waitpid(server, &status, 0) != server || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	return 0;
}
