/*
 * prog_unix - Unix sockets, which tcpshim does not track, around the
 * calls it wraps.
 *
 *   prog_unix sigpipe 4 0 HOW,CALL
 *
 * A Unix socket whose other end is closed: CALL (send, sendto, sendmsg
 * or sendmmsg) meets EPIPE, with SIGPIPE at its default (HOW default),
 * ignored (ignore), handled (handler), or asked away with MSG_NOSIGNAL
 * (nosignal).  The signal must do what it does without the shim.  HOW
 * seqpacket or udp: a sequenced-packet Unix socket whose peer is gone, or
 * a UDP socket shut down for writing, where EPIPE raises no SIGPIPE.
 *
 *   prog_unix rights-stale FAMILY PORT
 *
 * A socket pair on a number whose table entry is stale (a TCP socket
 * fclose'd there, where no wrapper sees the close) and a child forked
 * before the connection exists; the program connects, sends "hi", waits
 * for the peer's data, passes the connection to the child with
 * SCM_RIGHTS and exits with it open and the data unread: the child holds
 * it (and reads to the end), so no reset is due and none may be logged.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prog_common.h"

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

static int rights_stale(void)
{
	int pair[2], stale = stale_number(), fd;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0 || pair[0] != stale)
		die("socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		hold_passed(pair);
	close(pair[1]);
	fd = dial();
	say("send", send(fd, "hi", 2, MSG_NOSIGNAL));
	wait_for(fd, POLLIN);
	say("sendmsg", pass_fd(pair[0], fd, "sendmsg"));
	exit(0);
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* The sockets whose EPIPE raises no SIGPIPE, with SIGPIPE at its
 * default: a sequenced-packet Unix socket whose peer is gone, and a UDP
 * socket shut down for writing. */
static int no_sigpipe(const char *how, const char *call)
{
	struct sockaddr_storage ss;
	int pair[2], fd;

	if (strcmp(how, "seqpacket") == 0) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) != 0)
			die("socketpair");
		close(pair[1]);
		fd = pair[0];
	} else {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 ||
		    connect(fd, (struct sockaddr *)&ss, peer_addr(&ss, 9)) != 0 ||
		    shutdown(fd, SHUT_WR) != 0)
			die("udp");
	}
	if (strcmp(call, "sendto") == 0)
		say(call, sendto(fd, "x", 1, 0, NULL, 0));
	else
		say(call, send(fd, "x", 1, 0));
	puts("alive");
	return 0;
}

static int unix_sigpipe(const char *how, const char *call)
{
	int pair[2], flags = strcmp(how, "nosignal") == 0 ? MSG_NOSIGNAL : 0;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov,
					   .msg_iovlen = 1 } };
	long r;

	if (strcmp(how, "seqpacket") == 0 || strcmp(how, "udp") == 0)
		return no_sigpipe(how, call);
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
	char how[32], call[32];

	if (argc < 4) {
		fputs("usage: prog_unix sigpipe|rights-stale FAMILY PORT "
		      "[HOW,CALL]\n", stderr);
		return 2;
	}
	if (strcmp(argv[1], "sigpipe") == 0)
		return argc > 4 && sscanf(argv[4], "%31[^,],%31s", how,
					  call) == 2
			       ? unix_sigpipe(how, call)
			       : 2;
	family = strcmp(argv[2], "6") == 0 ? AF_INET6 : AF_INET;
	port = atoi(argv[3]);
	if (strcmp(argv[1], "rights-stale") == 0)
		return rights_stale();
	return 2;
}
