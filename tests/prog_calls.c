/*
 * prog_calls - the less common ways to move bytes, each one through the
 * wrapper of its own call.
 *
 *   prog_calls via FAMILY PORT SEND,RECV,REVEAL
 *
 * Sends "hi" with SEND (sendmsg, sendmmsg, writev, sendfile, sendfile64),
 * receives "ok" with RECV (recvmsg, recvmmsg, readv, read), waits until
 * the peer has reset the connection, and lets REVEAL (any of those) meet
 * the reset.  Prints each step as "call result errno".
 *
 *   prog_calls rights FAMILY PORT
 *
 * Sends "hi", waits for the peer's "ok" and more, passes the socket to a
 * child with SCM_RIGHTS, and closes its own copy with data unread: the
 * child holds the connection, so nothing is reset.  The child then waits
 * until the peer closes.
 *
 *   prog_calls rights-stale FAMILY PORT
 *
 * As rights, with the socket pair on a number whose table entry is stale
 * (a TCP socket fclose'd there, where no wrapper sees the close) and the
 * child forked before the connection exists; the program then exits with
 * the connection open and data unread: the child holds it, so no reset
 * is due and none may be logged.
 *
 *   prog_calls fcntl64 FAMILY PORT
 *
 * As "send recv send", through a copy made with fcntl64(F_DUPFD), the
 * original closed first.
 *
 *   prog_calls sigpipe 4 0 HOW,CALL
 *
 * A Unix socket, which tcpshim does not track, whose other end is
 * closed: CALL (send, sendto, sendmsg or sendmmsg) meets EPIPE, with
 * SIGPIPE at its default (HOW default), ignored (ignore), handled
 * (handler), or asked away with MSG_NOSIGNAL (nosignal).  The signal
 * must do what it does without the shim.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog_common.h"

int fcntl64(int fd, int cmd, ...);

/* A file that holds "hi", for sendfile. */
static int hi_file(void)
{
	char path[] = "/tmp/tcpshim-calls.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, "hi", 2) != 2)
		die("mkstemp");
	unlink(path);
	return fd;
}

static long send_with(const char *how, int fd, const char *s, size_t n)
{
	struct iovec iov = { .iov_base = (void *)s, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = msg };

	if (strcmp(how, "sendmsg") == 0)
		return sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (strcmp(how, "sendmmsg") == 0) {
		int r = sendmmsg(fd, &mm, 1, MSG_NOSIGNAL);

		return r == 1 ? (long)mm.msg_len : r;
	}
	if (strcmp(how, "writev") == 0)
		return writev(fd, &iov, 1);
	if (strcmp(how, "sendfile") == 0 || strcmp(how, "sendfile64") == 0) {
		int f = hi_file();
		long r;

		if (strcmp(how, "sendfile") == 0) {
			off_t off = 0;

			r = sendfile(fd, f, &off, n);
		} else {
			off64_t off = 0;

			r = sendfile64(fd, f, &off, n);
		}
		close(f);
		return r;
	}
	if (strcmp(how, "send") == 0)
		return send(fd, s, n, MSG_NOSIGNAL);
	die("unknown send call");
	return -1;
}

static long recv_with(const char *how, int fd, char *buf, size_t n)
{
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = msg };

	if (strcmp(how, "recvmsg") == 0)
		return recvmsg(fd, &msg, MSG_WAITALL);
	if (strcmp(how, "recvmmsg") == 0) {
		int r = recvmmsg(fd, &mm, 1, MSG_WAITALL, NULL);

		return r == 1 ? (long)mm.msg_len : r;
	}
	if (strcmp(how, "readv") == 0)
		return readv(fd, &iov, 1);
	if (strcmp(how, "read") == 0)
		return read(fd, buf, n);
	if (strcmp(how, "recv") == 0)
		return recv(fd, buf, n, MSG_WAITALL);
	die("unknown recv call");
	return -1;
}

static int is_send(const char *how)
{
	return strncmp(how, "send", 4) == 0 || strcmp(how, "writev") == 0;
}

/* Until the peer's RST has arrived: an error or hang-up is pending. */
static void wait_reset(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	if (poll(&p, 1, 10000) != 1)
		die("poll");
}

static int exchange(int fd, const char *snd, const char *rcv,
		    const char *reveal)
{
	char buf[8];

	say(snd, send_with(snd, fd, "hi", 2));
	say(rcv, recv_with(rcv, fd, buf, 2));
	wait_reset(fd);
	if (is_send(reveal))
		say(reveal, send_with(reveal, fd, "x", 1));
	else
		say(reveal, recv_with(reveal, fd, buf, 1));
	close(fd);
	return 0;
}

static int rights(int fd)
{
	int pair[2], st;
	char c, cmsgbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cmsgbuf,
			      .msg_controllen = sizeof(cmsgbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	pid_t child;

	say("send", send(fd, "hi", 2, MSG_NOSIGNAL));
	wait_for(fd, POLLIN);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		die("socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		int got = -1;

		close(pair[0]);
		close(fd);
		if (recvmsg(pair[1], &msg, 0) == 1 &&
		    (cm = CMSG_FIRSTHDR(&msg)) != NULL)
			memcpy(&got, CMSG_DATA(cm), sizeof(got));
		/* Hold the connection until the peer ends it. */
		while (got >= 0 && read(got, cmsgbuf, sizeof(cmsgbuf)) > 0)
			;
		_exit(got >= 0 ? 0 : 1);
	}
	close(pair[1]);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	c = 'f';
	say("sendmsg", sendmsg(pair[0], &msg, 0));
	say("close", close(fd));
	close(pair[0]);
	waitpid(child, &st, 0);
	say("child", WEXITSTATUS(st));
	return 0;
}

/* fd's number, now stale in the table: a TCP socket closed by fclose. */
static int stale_number(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f = t < 0 ? NULL : fdopen(t, "r+");

	if (f == NULL)
		die("fdopen");
	fclose(f);
	return t;
}

/* The socket passed in one message with SCM_RIGHTS over to. */
static long pass(int to, int fd)
{
	char c = 'f', cmsgbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cmsgbuf,
			      .msg_controllen = sizeof(cmsgbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(to, &msg, 0);
}

static int rights_stale(void)
{
	int pair[2], stale = stale_number(), fd;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0 || pair[0] != stale)
		die("socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		char buf[64], cmsgbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = buf, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cmsgbuf,
				      .msg_controllen = sizeof(cmsgbuf) };
		struct cmsghdr *cm;
		int got = -1;

		close(pair[0]);
		if (recvmsg(pair[1], &msg, 0) == 1 &&
		    (cm = CMSG_FIRSTHDR(&msg)) != NULL)
			memcpy(&got, CMSG_DATA(cm), sizeof(got));
		while (got >= 0 && read(got, buf, sizeof(buf)) > 0)
			;
		_exit(got >= 0 ? 0 : 1);
	}
	close(pair[1]);
	fd = dial();
	say("send", send(fd, "hi", 2, MSG_NOSIGNAL));
	wait_for(fd, POLLIN);
	say("sendmsg", pass(pair[0], fd));
	fflush(stdout);
	exit(0);
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static int unix_sigpipe(const char *how, const char *call)
{
	int pair[2], flags = strcmp(how, "nosignal") == 0 ? MSG_NOSIGNAL : 0;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov,
					   .msg_iovlen = 1 } };
	long r;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		die("socketpair");
	close(pair[1]);
	signal(SIGPIPE, strcmp(how, "ignore") == 0    ? SIG_IGN
			: strcmp(how, "handler") == 0 ? on_sigpipe
						      : SIG_DFL);
	if (strcmp(call, "send") == 0)
		r = send(pair[0], "x", 1, flags);
	else if (strcmp(call, "sendto") == 0)
		r = sendto(pair[0], "x", 1, flags, NULL, 0);
	else if (strcmp(call, "sendmsg") == 0)
		r = sendmsg(pair[0], &mm.msg_hdr, flags);
	else
		r = sendmmsg(pair[0], &mm, 1, flags);
	say(call, r);
	printf("signals %d\n", (int)sigpipes);
	return 0;
}

int main(int argc, char **argv)
{
	char snd[32], rcv[32], reveal[32];
	int fd;

	if (argc < 4) {
		fputs("usage: prog_calls via|rights|fcntl64|sigpipe FAMILY PORT "
		      "[SEND,RECV,REVEAL]\n", stderr);
		return 2;
	}
	if (strcmp(argv[1], "sigpipe") == 0 && argc > 4 &&
	    sscanf(argv[4], "%31[^,],%31s", snd, rcv) == 2)
		return unix_sigpipe(snd, rcv);
	family = strcmp(argv[2], "6") == 0 ? AF_INET6 : AF_INET;
	port = atoi(argv[3]);
	if (strcmp(argv[1], "rights-stale") == 0)
		return rights_stale();
	fd = dial();
	if (strcmp(argv[1], "rights") == 0)
		return rights(fd);
	if (strcmp(argv[1], "fcntl64") == 0) {
		int copy = fcntl64(fd, F_DUPFD, 10);

		say("fcntl64", copy >= 10 ? 0 : -1);
		close(fd);
		return exchange(copy, "send", "recv", "send");
	}
	if (argc < 5 || sscanf(argv[4], "%31[^,],%31[^,],%31s", snd, rcv,
			       reveal) != 3)
		return 2;
	return exchange(fd, snd, rcv, reveal);
}
