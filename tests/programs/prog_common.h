/*
 * prog_common.h - what the scenario programs share: the peer's address
 * on loopback, and printing each step as "call result errno".  Each
 * program is a single file; these are static inline, so a program that
 * does not use one pays nothing.
 */
#ifndef TCPSHIM_PROG_COMMON_H
#define TCPSHIM_PROG_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The peer: loopback, this family, this port (set from argv). */
static int family = AF_INET;
static int port;

static inline const char *en(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "?";
}

/* Print a call's result; errno is read here, after the call returned
 * (an argument list has no order of evaluation). */
static inline void say(const char *call, long ret)
{
	int err = errno;

	if (ret < 0)
		printf("%s %ld %s\n", call, ret, en(err));
	else
		printf("%s %ld\n", call, ret);
	fflush(stdout);
}

static inline void die(const char *what)
{
	printf("FAILED %s: %s\n", what, en(errno));
	fflush(stdout);
	exit(1);
}

static inline socklen_t peer_addr(struct sockaddr_storage *ss, int p)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		in6->sin6_addr = in6addr_loopback;
		return sizeof(*in6);
	}

	struct sockaddr_in *in = (void *)ss;

	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)p);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*in);
}

/* A connected socket to the peer, or exit. */
static inline int dial(void)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, port);
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0)
		die("connect");
	return fd;
}

static inline void send_str(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) != (ssize_t)strlen(s))
		die("send");
}

/* Until fd has events (events 0: until POLLERR or POLLHUP, that is a RST
 * arrived), or exit after 10 s. */
static inline void wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, 10000) != 1)
		die("poll");
}

/* A scenario of a test program: its name, the function that runs it
 * (with ARG, or without), and what it does. */
struct prog_scenario {
	const char *name;
	int (*run)(void);
	int (*run_arg)(const char *arg);
	const char *what;
};

/*
 * main() of a test program: PROG SCENARIO FAMILY PORT [ARG].  Runs the
 * named scenario of table (n of them); 2 for bad usage or an unknown name.
 */
static inline int prog_main(const char *prog, const struct prog_scenario *table,
			    size_t n, int argc, char **argv)
{
	const char *arg;

	if (argc < 4) {
		fprintf(stderr, "usage: %s SCENARIO FAMILY PORT [ARG]\n", prog);
		return 2;
	}
	family = strcmp(argv[2], "6") == 0 ? AF_INET6 : AF_INET;
	port = atoi(argv[3]);
	arg = argc > 4 ? argv[4] : "";
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], table[i].name) == 0)
			return table[i].run ? table[i].run()
					    : table[i].run_arg(arg);
	fprintf(stderr, "%s: unknown scenario %s\n", prog, argv[1]);
	return 2;
}

#define PROG_MAIN(prog, table) \
	int main(int argc, char **argv) \
	{ \
		return prog_main((prog), (table), \
				 sizeof(table) / sizeof(*(table)), argc, \
				 argv); \
	}

/* Pass fd over the Unix socket u with how (sendmsg or sendmmsg). */
static inline long pass_fd(int u, int fd, const char *how)
{
	char c = 'f', cmsgbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1,
					   .msg_control = cmsgbuf,
					   .msg_controllen = sizeof(cmsgbuf) } };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mm.msg_hdr);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	if (strcmp(how, "sendmmsg") == 0)
		return sendmmsg(u, &mm, 1, 0) == 1 ? (long)mm.msg_len : -1;
	return sendmsg(u, &mm.msg_hdr, 0);
}

/* A descriptor from the Unix socket u, taken with how (recvmsg or
 * recvmmsg), or -1. */
static inline int take_fd(int u, const char *how)
{
	char c, cmsgbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1,
					   .msg_control = cmsgbuf,
					   .msg_controllen = sizeof(cmsgbuf) } };
	struct cmsghdr *cm;
	int got = -1;
	long n = strcmp(how, "recvmmsg") == 0
			 ? (recvmmsg(u, &mm, 1, 0, NULL) == 1 ? 1 : -1)
			 : recvmsg(u, &mm.msg_hdr, 0);

	if (n == 1 && (cm = CMSG_FIRSTHDR(&mm.msg_hdr)) != NULL &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&got, CMSG_DATA(cm), sizeof(got));
	return got;
}

/* A forked child's part: take a connection from pair[1], then hold it,
 * reading, until the peer ends it; exit 0 if one came. */
static inline void hold_passed(const int pair[2])
{
	char buf[64];
	int got;

	close(pair[0]);
	got = take_fd(pair[1], "recvmsg");
	while (got >= 0 && read(got, buf, sizeof(buf)) > 0)
		;
	_exit(got >= 0 ? 0 : 1);
}

#endif
