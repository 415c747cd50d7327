/*
 * prog_inject - the C side of check_inject: a client or a server that
 * moves bytes until its connection ends, run under TCPSHIM_INJECT, and
 * prints how far each connection got and how it ended:
 *
 *   conn I got|sent BYTES end eof|ERRNO
 *
 * Scenarios (ARG: how many connections, one after another; default 1):
 *   recv, read, readv, recvmsg    connect to PORT, send "hi", receive
 *                                 with that call until the end
 *   send, write, writev, sendmsg  connect to PORT, send 1000-byte chunks
 *                                 with that call, 64 KB at most, then
 *                                 wait for the peer to close
 *   serve                         listen on PORT ("ready"), and receive
 *                                 on each connection accepted
 *   late                          connect to PORT, wait (poll) until
 *                                 data comes, then recv until the end:
 *                                 no call on it before the data
 */
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include "prog_common.h"

static const char *call_name;

static ssize_t receive(int fd, char *buf, size_t len)
{
	struct iovec iov[2] = { { buf, len / 2 }, { buf + len / 2, len / 2 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	if (strcmp(call_name, "read") == 0)
		return read(fd, buf, len);
	if (strcmp(call_name, "readv") == 0)
		return readv(fd, iov, 2);
	if (strcmp(call_name, "recvmsg") == 0)
		return recvmsg(fd, &msg, 0);
	return recv(fd, buf, len, 0);
}

static ssize_t transmit(int fd, const char *buf, size_t len)
{
	struct iovec iov[2] = { { (void *)buf, len / 2 },
				{ (void *)(buf + len / 2), len - len / 2 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	if (strcmp(call_name, "write") == 0)
		return write(fd, buf, len);
	if (strcmp(call_name, "writev") == 0)
		return writev(fd, iov, 2);
	if (strcmp(call_name, "sendmsg") == 0)
		return sendmsg(fd, &msg, 0);
	return send(fd, buf, len, 0);
}

static void ended(int i, const char *what, unsigned long n, ssize_t last)
{
	printf("conn %d %s %lu end %s\n", i, what, n,
	       last == 0 ? "eof" : en(errno));
	fflush(stdout);
}

/* Receive until the end of the stream or an error. */
static void drain(int i, int fd)
{
	char buf[4096];
	unsigned long got = 0;
	ssize_t n;

	while ((n = receive(fd, buf, sizeof(buf))) > 0)
		got += (unsigned long)n;
	ended(i, "got", got, n);
}

static int connections(const char *arg)
{
	return arg[0] ? atoi(arg) : 1;
}

static int receiving(const char *arg)
{
	for (int i = 0; i < connections(arg); i++) {
		int fd = dial();

		send_str(fd, "hi");
		drain(i, fd);
		close(fd);
	}
	return 0;
}

static int late(void)
{
	int fd = dial();

	wait_for(fd, POLLIN);
	drain(0, fd);
	close(fd);
	return 0;
}

static int sending(const char *arg)
{
	char chunk[1000];

	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < connections(arg); i++) {
		int fd = dial();
		unsigned long sent = 0;
		ssize_t n = 1;

		while (sent < 65536 && (n = transmit(fd, chunk, sizeof(chunk))) > 0)
			sent += (unsigned long)n;
		if (n > 0) {
			/* All sent: the peer closes when it has it all. */
			char c;

			shutdown(fd, SHUT_WR);
			n = recv(fd, &c, 1, 0);
		}
		ended(i, "sent", sent, n);
		close(fd);
	}
	return 0;
}

static int serving(const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, port);
	int one = 1, lfd = socket(family, SOCK_STREAM, 0);

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(lfd, 16) != 0)
		die("listen");
	puts("ready");
	fflush(stdout);
	for (int i = 0; i < connections(arg); i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		drain(i, fd);
		close(fd);
	}
	close(lfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const receivers[] = { "recv", "read", "readv",
						 "recvmsg" };
	static const char *const senders[] = { "send", "write", "writev",
					       "sendmsg" };
	const char *arg = argc > 4 ? argv[4] : "";

	if (argc < 4) {
		fprintf(stderr, "usage: prog_inject SCENARIO FAMILY PORT [N]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	family = strcmp(argv[2], "6") == 0 ? AF_INET6 : AF_INET;
	port = atoi(argv[3]);
	call_name = argv[1];
	for (int i = 0; i < 4; i++) {
		if (strcmp(argv[1], receivers[i]) == 0)
			return receiving(arg);
		if (strcmp(argv[1], senders[i]) == 0)
			return sending(arg);
	}
	if (strcmp(argv[1], "late") == 0) {
		call_name = "recv";
		return late();
	}
	if (strcmp(argv[1], "serve") == 0) {
		call_name = "recv";
		return serving(arg);
	}
	fprintf(stderr, "prog_inject: unknown scenario %s\n", argv[1]);
	return 2;
}
