/*
 * prog_watch - connections that change hands, for test_watch_programs.sh:
 * built with gcc -static (no loader, so no preload reaches it), and each
 * reset it causes must be put by tcpshim watch on the process and
 * descriptor that held the connection.  Every process prints one line
 * per connection it holds, at the moment it holds it:
 *
 *     role=ROLE pid=PID fd=FD cookie=SO_COOKIE
 *
 * then, before it exits, waits for the file HOLD to exist (the script
 * makes it once watch has printed the case's events), so that every
 * process of the case is alive while watch looks for owners.
 *
 *   prog_watch MODE PORT HOLD
 *
 * The server listens on 127.0.0.1:PORT.  MODE:
 *   unread         a client connects and sends two bytes; the server
 *                  closes its accepted socket without reading them.
 *   fork_linger    the server (parent) accepts, forks, closes its own
 *                  copy; the child moves the socket to another
 *                  descriptor and closes it with SO_LINGER {1, 0}.
 *   fork_reset     the same hand-over, the parent's old descriptor
 *                  reused for /dev/null; then the client closes with
 *                  SO_LINGER {1, 0}, and the child receives the reset.
 *   rights_reset   process A connects, passes the descriptor to B over
 *                  a Unix socket (SCM_RIGHTS), closes its copy and
 *                  reuses the number for /dev/null; the server then
 *                  closes with SO_LINGER {1, 0}: B receives the reset.
 *   rights_linger  the same hand-over; B closes with SO_LINGER {1, 0}.
 *
 * Exit status 0 when every process saw what it expected (the resets
 * arrive as ECONNRESET), 1 otherwise, with a line on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* No process of a case outlives this, whatever goes wrong. */
#define WATCH_PROG_LIMIT_S 30
#define WATCH_PROG_WAIT_MS 10000

static const char *hold_path;

static void die(const char *what)
{
	fprintf(stderr, "prog_watch[%d]: %s: %s\n", (int)getpid(), what,
		strerror(errno));
	exit(1);
}

/* The line the script holds watch's owner to. */
static void say(const char *role, int fd)
{
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		die("SO_COOKIE");
	printf("role=%s pid=%d fd=%d cookie=%llu\n", role, (int)getpid(), fd,
	       cookie);
	fflush(stdout);
}

/* Wait (bounded) for the script's word that watch has seen the case. */
static void hold(void)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < WATCH_PROG_LIMIT_S * 50; i++) {
		if (access(hold_path, F_OK) == 0)
			return;
		nanosleep(&tick, NULL);
	}
}

static pid_t child(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		alarm(WATCH_PROG_LIMIT_S);
	return pid;
}

/* A child's last steps: hold, then go. */
static void child_end(void)
{
	hold();
	exit(0);
}

static void signal_to(int fd)
{
	if (write(fd, "x", 1) != 1)
		die("write to pipe");
}

static void await_signal(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		die("read from pipe");
}

static int connect_to(const struct sockaddr_in *in)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)in, sizeof(*in)) != 0)
		die("connect");
	return fd;
}

static int accept_on(int lfd)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	return fd;
}

static void close_linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
		die("SO_LINGER");
	if (close(fd) != 0)
		die("close");
}

/* Block until the peer's reset arrives on fd; anything else fails. */
static void await_reset(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	ssize_t n;

	if (poll(&p, 1, WATCH_PROG_WAIT_MS) != 1)
		die("no reset in time");
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	if (n != -1 || errno != ECONNRESET) {
		fprintf(stderr, "prog_watch[%d]: fd %d: recv gave %zd (%s), "
			"not a reset\n", (int)getpid(), fd, n, strerror(errno));
		exit(1);
	}
}

/* A descriptor number taken by /dev/null (a closed socket's, reused). */
static void reuse_number(void)
{
	if (open("/dev/null", O_RDONLY) < 0)
		die("/dev/null");
}

static void send_fd(int unix_fd, int fd)
{
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(unix_fd, &m, 0) != 1)
		die("sendmsg SCM_RIGHTS");
}

static int recv_fd(int unix_fd)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(unix_fd, &m, 0) != 1)
		die("recvmsg SCM_RIGHTS");
	c = CMSG_FIRSTHDR(&m);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS)
		die("no descriptor passed");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The server closes with two unread bytes: the kernel resets. */
static void mode_unread(int lfd, const struct sockaddr_in *in)
{
	struct pollfd p;
	int a, c;

	if (child() == 0) {
		c = connect_to(in);
		say("client", c);
		if (send(c, "hi", 2, 0) != 2)
			die("send");
		await_reset(c);
		child_end();
	}
	a = accept_on(lfd);
	say("server", a);
	p = (struct pollfd){ .fd = a, .events = POLLIN };
	if (poll(&p, 1, WATCH_PROG_WAIT_MS) != 1)
		die("the client's bytes did not come");
	if (close(a) != 0)
		die("close");
}

/* Accepted, then forked: the child holds it, at a descriptor of its
 * own; the parent closes its copy (and, for fork_reset, reuses its
 * number).  linger: the child closes with SO_LINGER {1, 0}; otherwise
 * the client does, and the child receives the reset. */
static void mode_fork(int lfd, const struct sockaddr_in *in, int linger)
{
	int to_client[2], to_child[2], to_parent[2];
	int a, c, d;

	if (pipe(to_client) != 0 || pipe(to_child) != 0 || pipe(to_parent) != 0)
		die("pipe");
	if (child() == 0) {
		c = connect_to(in);
		say("client", c);
		if (linger) {
			await_reset(c);
		} else {
			await_signal(to_client[0]);
			close_linger0(c);
		}
		child_end();
	}
	a = accept_on(lfd);
	say("parent", a);
	if (child() == 0) {
		d = fcntl(a, F_DUPFD, a + 10);
		if (d < 0 || close(a) != 0)
			die("moving the descriptor");
		if (linger) {
			await_signal(to_child[0]);
			say("child", d);
			close_linger0(d);
		} else {
			say("child", d);
			signal_to(to_parent[1]);
			await_reset(d);
		}
		child_end();
	}
	if (!linger)
		await_signal(to_parent[0]);
	if (close(a) != 0)
		die("close");
	if (linger) {
		signal_to(to_child[1]);
	} else {
		reuse_number();
		signal_to(to_client[1]);
	}
}

/* A connects and hands the descriptor to B; then the server resets it
 * (linger 0) or B closes it with SO_LINGER {1, 0} (linger 1). */
static void mode_rights(int lfd, const struct sockaddr_in *in, int linger)
{
	int u[2], to_server[2], to_b[2];
	int c, r, s;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, u) != 0 || pipe(to_server) != 0 ||
	    pipe(to_b) != 0)
		die("socketpair or pipe");
	if (child() == 0) {		/* A */
		c = connect_to(in);
		say("A", c);
		send_fd(u[0], c);
		if (close(c) != 0)
			die("close");
		reuse_number();
		signal_to(to_server[1]);
		signal_to(to_b[1]);
		child_end();
	}
	if (child() == 0) {		/* B */
		/* Three descriptors more than A: B's number is not A's. */
		for (int i = 0; i < 3; i++)
			reuse_number();
		r = recv_fd(u[1]);
		say("B", r);
		signal_to(to_server[1]);
		if (linger) {
			/* A has closed its copy, and the server has accepted:
			 * the reset meets a socket that somebody holds. */
			await_signal(to_b[0]);
			await_signal(to_b[0]);
			close_linger0(r);
		} else {
			await_reset(r);
		}
		child_end();
	}
	s = accept_on(lfd);
	say("server", s);
	if (linger) {
		signal_to(to_b[1]);
		await_reset(s);
		return;
	}
	/* A has closed its copy, and B holds the connection. */
	await_signal(to_server[0]);
	await_signal(to_server[0]);
	close_linger0(s);
}

int main(int argc, char **argv)
{
	struct sockaddr_in in;
	int lfd, one = 1, failed = 0, status;
	const char *mode;

	if (argc != 4) {
		fputs("usage: prog_watch unread|fork_linger|fork_reset|"
		      "rights_reset|rights_linger PORT HOLD\n", stderr);
		return 2;
	}
	mode = argv[1];
	hold_path = argv[3];
	alarm(WATCH_PROG_LIMIT_S);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons((uint16_t)atoi(argv[2]));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(lfd, 4) != 0)
		die("listen");
	if (strcmp(mode, "unread") == 0)
		mode_unread(lfd, &in);
	else if (strcmp(mode, "fork_linger") == 0 ||
		 strcmp(mode, "fork_reset") == 0)
		mode_fork(lfd, &in, strcmp(mode, "fork_linger") == 0);
	else if (strcmp(mode, "rights_linger") == 0 ||
		 strcmp(mode, "rights_reset") == 0)
		mode_rights(lfd, &in, strcmp(mode, "rights_linger") == 0);
	else
		return 2;
	hold();
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	return failed;
}
