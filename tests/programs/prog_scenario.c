/*
 * prog_scenario - an ordinary program that the integration suites run
 * under LD_PRELOAD.  Each scenario does what a real program does around a
 * reset and prints what it saw, one "call result errno" line per step.
 *
 *   prog_scenario SCENARIO FAMILY PORT [ARG]
 *
 * FAMILY is 4 or 6; PORT is the test's peer on loopback (or a closed
 * port).  The peer's side of each exchange is described by the scenario.
 * tcp_abort() is reached through dlsym, as the library is preloaded.
 *
 * Why one file: the suites start this one program by a scenario's name
 * (sc_start runs it unless told otherwise), and prog_scenario_fortify is
 * the same file built with _FORTIFY_SOURCE=2, so that every scenario can
 * run again through __recv_chk and __read_chk; a scenario is one function
 * and one line of the table at the end.
 */
#include <dlfcn.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog_common.h"

static int refused_connect(void)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, port);
	int fd = socket(family, SOCK_STREAM, 0);
	int ret = connect(fd, (struct sockaddr *)&ss, len);

	say("connect", ret);
	return fd;
}

static void recv_str(int fd, const char *want)
{
	char buf[64];
	size_t n = strlen(want), got = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);

		if (r <= 0)
			die("recv");
		got += (size_t)r;
	}
	if (memcmp(buf, want, n) != 0)
		die("recv: unexpected bytes");
}

static int (*api_abort(void))(int)
{
	int (*fn)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "tcp_abort");

	if (fn == NULL)
		die("dlsym tcp_abort (is libtcpshim preloaded?)");
	return fn;
}

/* Peer: refuse (nothing listens at PORT). */
static int s_connect(void)
{
	close(refused_connect());
	return 0;
}

/* Peer: nothing listens.  ARG: how the program learns: sockopt, recv. */
static int s_connect_nb(const char *how)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, port);
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int ret = connect(fd, (struct sockaddr *)&ss, len);

	say("connect", ret);
	wait_for(fd, POLLOUT);
	if (strcmp(how, "sockopt") == 0) {
		int err = 0;
		socklen_t elen = sizeof(err);

		ret = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		printf("so_error %s\n", err ? en(err) : "0");
	} else {
		char c;

		ret = (int)recv(fd, &c, 1, 0);
		say("recv", ret);
	}
	close(fd);
	return 0;
}

/* Peer: accept, read "hi", reset.  The program is blocked in recv. */
/* A length the compiler cannot see: fortified builds then call
 * __recv_chk and __read_chk. */
static volatile size_t chunk = 64;

static int s_recv_reset(void)
{
	int fd = dial();
	char buf[64];
	ssize_t r;

	send_str(fd, "hi");
	r = recv(fd, buf, chunk, 0);
	say("recv", r);
	/* Later calls fail too, but the reset was logged once. */
	r = recv(fd, buf, chunk, 0);
	say("recv", r);
	r = send(fd, "x", 1, MSG_NOSIGNAL);
	say("send", r);
	r = read(fd, buf, chunk);
	say("read", r);
	close(fd);
	return 0;
}

/* Peer: accept, read "hi", reset.  The program learns it from send. */
static int s_send_reset(void)
{
	int fd = dial();
	struct pollfd p = { .fd = fd, .events = 0 };

	send_str(fd, "hi");
	/* events 0: only POLLERR/POLLHUP wake us, i.e. the RST arrived. */
	if (poll(&p, 1, 10000) != 1)
		die("poll");
	say("send", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
	return 0;
}

/* Peer: accept, read "hi", shutdown(SHUT_WR), read "k", reset.  The RST
 * arrives in CLOSE_WAIT: the program's send sees EPIPE. */
static int s_closewait_epipe(void)
{
	int fd = dial();
	struct pollfd p = { .fd = fd, .events = 0 };
	char c;

	send_str(fd, "hi");
	say("recv", recv(fd, &c, 1, 0));
	send_str(fd, "k");
	if (poll(&p, 1, 10000) != 1)
		die("poll");
	say("send", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
	return 0;
}

static volatile pid_t sigpipe_tid;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipe_tid = gettid();
}

/*
 * Peer: as for closewait-epipe.  The reset shows as EPIPE on send()
 * without MSG_NOSIGNAL, with SIGPIPE as the kernel would raise it.  ARG: default (the signal
 * ends the program), ignore (SIG_IGN), handler (it runs, in this
 * thread), blocked (it stays pending).
 */
static int s_sigpipe(const char *how)
{
	int fd = dial();
	struct pollfd p = { .fd = fd, .events = 0 };
	sigset_t set;
	char c;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (strcmp(how, "ignore") == 0)
		signal(SIGPIPE, SIG_IGN);
	else if (strcmp(how, "handler") == 0)
		signal(SIGPIPE, on_sigpipe);
	else if (strcmp(how, "blocked") == 0)
		sigprocmask(SIG_BLOCK, &set, NULL);
	else
		signal(SIGPIPE, SIG_DFL);
	send_str(fd, "hi");
	say("recv", recv(fd, &c, 1, 0));
	send_str(fd, "k");
	if (poll(&p, 1, 10000) != 1)
		die("poll");
	say("send", send(fd, "x", 1, 0));
	if (strcmp(how, "handler") == 0)
		printf("handler ran in this thread: %d\n",
		       sigpipe_tid == gettid());
	if (strcmp(how, "blocked") == 0) {
		sigpending(&set);
		printf("pending: %d\n", sigismember(&set, SIGPIPE));
	}
	close(fd);
	return 0;
}

/* Peer: accept, read to EOF, close.  EPIPE after our own shutdown is no
 * reset. */
static int s_shutdown_epipe(void)
{
	int fd = dial();

	shutdown(fd, SHUT_WR);
	say("send", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
	return 0;
}

/* Peer: accept, read "hi", write "ok", then read: RST (linger0) or EOF. */
static int s_linger0(void)
{
	int fd = dial();
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	send_str(fd, "hi");
	recv_str(fd, "ok");
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	say("close", close(fd));
	return 0;
}

/* Peer: as for linger0.  A plain close: FIN, or a RST under the policy. */
static int s_close(void)
{
	int fd = dial();

	send_str(fd, "hi");
	recv_str(fd, "ok");
	say("close", close(fd));
	return 0;
}

/* Peer: accept, read "hi", write "data", then read: RST.  ARG syscall:
 * close with syscall(SYS_close), as libuv (Node.js) does; ARG one-left:
 * read 3 bytes of the 4 and close 50 ms later, one byte unread, long
 * after the data came. */
static int s_unread(const char *how)
{
	int fd = dial();
	char buf[3];

	send_str(fd, "hi");
	wait_for(fd, POLLIN);
	if (strcmp(how, "one-left") == 0) {
		if (recv(fd, buf, 3, MSG_WAITALL) != 3)
			die("recv");
		poll(NULL, 0, 50);
	}
	if (strcmp(how, "syscall") == 0)
		say("close", (int)syscall(SYS_close, fd));
	else
		say("close", close(fd));
	return 0;
}

/*
 * Peer: accept, read "hi", write "data", then read.  The connection was
 * open across fork, as in a forking server: the parent closes its copy
 * with the data unread (nothing is sent: the child holds it), then the
 * child closes: RST.  Prints "child <pid>".
 */
static int s_fork_unread(void)
{
	int fd = dial();
	int ctl[2], st;
	pid_t child;
	char c;

	send_str(fd, "hi");
	wait_for(fd, POLLIN);
	if (pipe(ctl) != 0)
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(ctl[1]);
		(void)!read(ctl[0], &c, 1);	/* until the parent closed */
		_exit(close(fd) == 0 ? 0 : 1);
	}
	close(ctl[0]);
	say("close", close(fd));
	close(ctl[1]);
	waitpid(child, &st, 0);
	printf("child %d %d\n", (int)child, WEXITSTATUS(st));
	return 0;
}

/*
 * Peer: accept, read "hi", write "ok", then read: RST.  Another process
 * that holds the socket, and is not preloaded (its connect is a bare
 * system call), disconnects it; then this one's recv fails.
 */
static int s_killed(void)
{
	int fd = dial();
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	pid_t child;
	char c;

	send_str(fd, "hi");
	recv_str(fd, "ok");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		_exit(syscall(SYS_connect, fd, &unspec, sizeof(unspec)) == 0
			      ? 0 : 1);
	waitpid(child, NULL, 0);
	say("recv", recv(fd, &c, 1, 0));
	say("close", close(fd));
	return 0;
}

/*
 * Peer: accept, read "hi", write "data", then read: RST.  The program
 * ends with the connection open and the data unread, by ARG: exit,
 * _exit, or linger0 (SO_LINGER {1, 0}, the data read, then _exit).
 */
static int s_exit(const char *how)
{
	int fd = dial();
	char buf[4];

	send_str(fd, "hi");
	wait_for(fd, POLLIN);
	if (strcmp(how, "linger0") == 0) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (read(fd, buf, sizeof(buf)) != 4)
			die("read");
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	puts("exiting");
	fflush(stdout);
	if (strcmp(how, "exit") == 0)
		exit(0);
	_exit(0);
}

/*
 * Started as inetd starts a service: the connection is descriptors 0 and
 * 1, from the start.  Read one byte of the request, close both with the
 * rest unread: RST.  Exit status 0 when every call succeeded.
 */
static int s_inetd(void)
{
	char c;

	if (read(0, &c, 1) != 1 || close(0) != 0 || close(1) != 0)
		return 1;
	return 0;
}

/*
 * Peer: accept, read "hi", write "data", then read: RST.  The program
 * puts itself under a seccomp filter, as sshd's sandbox does, that kills
 * it for the calls it does not make itself (getsockopt, ioctl, socket,
 * getpid, getsockname, getpeername), passes the socket to itself with
 * SCM_RIGHTS, then closes both descriptors with the data unread and
 * exits.  It must live to exit 0.
 */
static int s_sandboxed(void)
{
#define KILL_IF(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		KILL_IF(SYS_getsockopt), KILL_IF(SYS_ioctl),
		KILL_IF(SYS_socket), KILL_IF(SYS_getpid),
		KILL_IF(SYS_getsockname), KILL_IF(SYS_getpeername),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
#undef KILL_IF
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(*filter),
				   .filter = filter };
	int fd = dial(), pair[2], copy;

	send_str(fd, "hi");
	wait_for(fd, POLLIN);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0)
		die("socketpair");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		die("prctl");
	/* A socket that arrives with SCM_RIGHTS is asked nothing here. */
	say("sendmsg", pass_fd(pair[0], fd, "sendmsg"));
	copy = take_fd(pair[1], "recvmsg");
	say("recvmsg", copy >= 0 ? 1 : -1);
	say("close", close(copy));
	say("close", close(fd));
	exit(0);
}

/* Peer: as for linger0, then read: RST.  ARG: plain, dup or fork: another
 * descriptor or process still holds the connection. */
static int s_abort(const char *how)
{
	int (*tcp_abort)(int) = api_abort();
	int fd = dial();
	int d = -1, ctl[2];
	pid_t child = -1;

	send_str(fd, "hi");
	recv_str(fd, "ok");
	if (strcmp(how, "dup") == 0)
		d = dup(fd);
	if (strcmp(how, "fork") == 0) {
		if (pipe(ctl) != 0)
			die("pipe");
		child = fork();
		if (child == 0) {
			struct tcp_info ti;
			socklen_t tlen = sizeof(ti);
			char c;

			close(ctl[1]);
			(void)!read(ctl[0], &c, 1);	/* hold fd until told */
			/* Its copy is already reset: state CLOSE (7). */
			if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen))
				_exit(100);
			_exit(ti.tcpi_state);
		}
		close(ctl[0]);
	}
	say("tcp_abort", tcp_abort(fd));
	say("fcntl", fcntl(fd, F_GETFD));
	if (d >= 0) {
		say("dup_fcntl", fcntl(d, F_GETFD) >= 0 ? 0 : -1);
		say("dup_send", send(d, "x", 1, MSG_NOSIGNAL));
		close(d);
	}
	if (child > 0) {
		int st;

		close(ctl[1]);
		waitpid(child, &st, 0);
		say("child", WEXITSTATUS(st));
	}
	return 0;
}

/* Peer: as for linger0, then read: RST.  The program resets the
 * connection itself with connect(AF_UNSPEC). */
static int s_unspec(void)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int fd = dial();

	send_str(fd, "hi");
	recv_str(fd, "ok");
	say("connect", connect(fd, &unspec, sizeof(unspec)));
	say("close", close(fd));
	return 0;
}

/* Peer: accept, read "hi"; ARG: a closed port.  The socket is closed behind the shim's back
 * (as glibc does with some descriptors); the next socket() gets its
 * number and must start clean: a new conn, no bytes, no stale event. */
static int s_stale(const char *closed_port)
{
	int fd = dial();
	int again;

	send_str(fd, "hi");
	syscall(SYS_close, fd);
	again = socket(family, SOCK_STREAM, 0);
	printf("same %d\n", again == fd);
	close(again);
	port = atoi(closed_port);
	close(refused_connect());
	return 0;
}

/* Peer: none.  ARG: a file.  The program closes stderr, and its next
 * open() takes number 2: a log line there would corrupt the file. */
static int s_stderr_closed(const char *victim)
{
	int fd;

	close(2);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	printf("fd %d\n", fd);
	close(refused_connect());
	return 0;
}

/* Peer: none.  ARG: a file.  The program puts its own stderr at 2 with
 * dup2: the log follows it there, like any diagnostics. */
static int s_stderr_replaced(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	dup2(fd, 2);
	close(fd);
	close(refused_connect());
	return 0;
}

/* Peer: accept, read "hi".  The socket is closed inside glibc (fclose of
 * an fdopen'd stream: no wrapper sees it), a UNIX socket pair takes its
 * number, and that pair's ECONNRESET is no TCP reset. */
static int s_fdopen(void)
{
	int fd = dial(), sv[2];
	char c;

	send_str(fd, "hi");
	fclose(fdopen(fd, "r+"));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
	printf("same %d\n", sv[0] == fd || sv[1] == fd);
	send(sv[0], "x", 1, 0);
	close(sv[1]);			/* with "x" unread: ECONNRESET */
	say("recv", recv(sv[0], &c, 1, 0));
	close(sv[0]);
	return 0;
}

/* Peer: PORT listens; ARG: a closed port.  A refused socket connects
 * again, to PORT, whose peer then resets: two connections, two events. */
static int s_reconnect(const char *closed_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, listening = port;
	char c;

	port = atoi(closed_port);
	fd = refused_connect();
	port = listening;
	len = peer_addr(&ss, port);
	say("connect", connect(fd, (struct sockaddr *)&ss, len));
	send_str(fd, "hi");
	say("recv", recv(fd, &c, 1, 0));
	close(fd);
	return 0;
}

/* Peer: accept, read "hi", write "data".  dup3 with a bad flag fails
 * and leaves its target alone; the later close is the one that resets. */
static int s_dup3_fails(void)
{
	int fd = dial();

	send_str(fd, "hi");
	say("dup3", dup3(0, fd, 0x4000));
	wait_for(fd, POLLIN);
	say("close", close(fd));
	return 0;
}

/* Peer: accept, write "data", read "hi", reset.  A peek moves no bytes:
 * only the real read counts. */
static int s_peek(void)
{
	int fd = dial();
	char buf[4];

	say("peek", recv(fd, buf, 4, MSG_PEEK | MSG_WAITALL));
	say("recv", recv(fd, buf, 4, MSG_WAITALL));
	send_str(fd, "hi");
	say("recv", recv(fd, buf, 4, 0));
	close(fd);
	return 0;
}

/* Peer: none.  send() on a socket never connected fails with EPIPE: no
 * reset. */
static int s_unconnected_send(void)
{
	int fd = socket(family, SOCK_STREAM, 0);

	say("send", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
	return 0;
}

/* Peer: nothing listens.  Two refusals, with the test's "go" between
 * them (it restarts the syslog daemon there). */
static int s_syslog_restart(void)
{
	char line[16];

	close(refused_connect());
	if (fgets(line, sizeof(line), stdin) == NULL)
		die("stdin");
	close(refused_connect());
	return 0;
}

static void abort_bad_one(int (*tcp_abort)(int), const char *what, int fd)
{
	int ret = tcp_abort(fd);
	int err = errno;
	int open_now = fcntl(fd, F_GETFD) >= 0;

	printf("%s %d %s %s\n", what, ret, ret ? en(err) : "-",
	       open_now ? "open" : "closed");
	fflush(stdout);
}

/* Peer: none (PORT listens, for the listener case it is not used). */
static int s_abort_bad(void)
{
	int (*tcp_abort)(int) = api_abort();
	int p[2], one = 1;
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, 0);
	int lfd;

	if (pipe(p) != 0)
		die("pipe");
	abort_bad_one(tcp_abort, "pipe", p[0]);
	abort_bad_one(tcp_abort, "udp", socket(family, SOCK_DGRAM, 0));
	abort_bad_one(tcp_abort, "unix", socket(AF_UNIX, SOCK_STREAM, 0));
	abort_bad_one(tcp_abort, "closed", 1000);
	abort_bad_one(tcp_abort, "negative", -1);
	lfd = socket(family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) != 0 || listen(lfd, 1) != 0)
		die("listen");
	abort_bad_one(tcp_abort, "listener", lfd);
	abort_bad_one(tcp_abort, "unconnected", socket(family, SOCK_STREAM, 0));
	return 0;
}

/* Peer: accept two, write "data" on each.  close_range closes both with
 * unread data.  ARG syscall: through syscall(SYS_close_range). */
static int s_close_range(const char *how)
{
	int a = dial();
	int b = dial();
	int low = a < b ? a : b;

	wait_for(a, POLLIN);
	wait_for(b, POLLIN);
	printf("fds %d %d\n", a, b);
	fflush(stdout);
	if (strcmp(how, "syscall") == 0)
		say("close_range", (int)syscall(SYS_close_range,
						(unsigned int)low, ~0u, 0));
	else
		say("close_range", close_range((unsigned int)low, ~0u, 0));
	return 0;
}

/* Peer: accept, write "data".  dup2 puts /dev/null over the socket. */
static int s_dup2_over(void)
{
	int fd = dial();
	int nul = open("/dev/null", O_RDONLY);

	wait_for(fd, POLLIN);
	printf("fd %d\n", fd);
	say("dup2", dup2(nul, fd));
	close(nul);
	return 0;
}

/* Peer: accept, read "hi", write "data".  The connection moves to fd 200
 * (dup2, then close of the original); its record follows. */
static int s_dup2_track(void)
{
	int fd = dial();
	int moved = dup2(fd, 200);

	say("dup2", moved);
	close(fd);
	send_str(moved, "hi");
	wait_for(moved, POLLIN);
	say("close", close(moved));
	return 0;
}

static void *send_forever(void *arg)
{
	static char chunk[65536];
	int fd = *(int *)arg;
	ssize_t r;

	while ((r = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL)) > 0)
		;
	return (void *)(long)(r < 0 ? errno : 0);
}

/* Peer: accept and do not read until the program exits.  One thread is
 * blocked in send when the process forks. */
static int s_fork_send(void)
{
	int fd = dial();
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	pthread_t t;
	void *res;
	pid_t child;
	int st;

	if (pthread_create(&t, NULL, send_forever, &fd) != 0)
		die("pthread_create");
	/* The send buffer is full once POLLOUT stays away. */
	while (poll(&p, 1, 200) != 0)
		;
	child = fork();
	if (child == 0) {
		int s = socket(family, SOCK_STREAM, 0);
		int d = dup(fd);

		close(d);
		close(s);
		close(fd);
		_exit(0);
	}
	waitpid(child, &st, 0);
	say("child", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	shutdown(fd, SHUT_RDWR);	/* wakes the sender */
	pthread_join(t, &res);
	say("joined", 0);
	close(fd);
	return 0;
}

static int sig_fd = -1;	/* a connection that lives through the run */
static volatile sig_atomic_t signals;

static void on_alarm(int sig)
{
	int saved = errno;
	int s = socket(family, SOCK_STREAM, 0);

	(void)sig;
	close(dup(sig_fd));
	close(s);
	(void)!send(sig_fd, "s", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	signals++;
	errno = saved;
}

/* Self-contained: a signal handler closes, dups and writes while the
 * program churns connections. */
static int s_signal_close(void)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, 0);
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	int lfd = socket(family, SOCK_STREAM, 0);
	int rounds = 2000;

	if (bind(lfd, (struct sockaddr *)&ss, len) != 0 || listen(lfd, 8) != 0)
		die("listen");
	len = sizeof(ss);
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	sig_fd = socket(family, SOCK_STREAM, 0);
	if (connect(sig_fd, (struct sockaddr *)&ss, len) != 0 ||
	    accept(lfd, NULL, NULL) < 0)
		die("connect");
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < rounds; i++) {
		int c = socket(family, SOCK_STREAM, 0);
		int a;
		char x;

		if (connect(c, (struct sockaddr *)&ss, len) != 0)
			die("connect");
		a = accept(lfd, NULL, NULL);
		if (a < 0 || send(c, "x", 1, 0) != 1 || recv(a, &x, 1, 0) != 1)
			die("exchange");
		close(a);
		close(c);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	printf("rounds %d signals %s\n", rounds, signals > 0 ? "yes" : "no");
	return 0;
}

/* Peer: nothing listens.  The program closes every descriptor up to its
 * limit, the shim's log among them, and carries on. */
static int s_close_all(void)
{
	struct rlimit rl;
	int closed = 0;

	close(refused_connect());
	getrlimit(RLIMIT_NOFILE, &rl);
	for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
		if (close((int)fd) == 0)
			closed++;
	close(refused_connect());
	printf("closed %d\n", closed);
	return 0;
}

#define ERRNO_SENTINEL EDOM

static int errno_bad;

static void errno_check(const char *call, int want)
{
	if (errno != want) {
		printf("errno after %s is %s, expected %s\n", call, en(errno),
		       en(want));
		errno_bad = 1;
	}
	errno = ERRNO_SENTINEL;
}

/* Self-contained.  Successful calls leave errno alone; failing calls set
 * exactly what libc set. */
static int s_errno(void)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(&ss, 0);
	struct linger lg = { 1, 0 };
	int lfd, c, a, d, p[2], v;
	socklen_t vlen = sizeof(v);
	char buf[8];

	errno = ERRNO_SENTINEL;
	lfd = socket(family, SOCK_STREAM, 0);
	errno_check("socket", ERRNO_SENTINEL);
	bind(lfd, (struct sockaddr *)&ss, len);
	listen(lfd, 4);
	len = sizeof(ss);
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	errno = ERRNO_SENTINEL;
	c = socket(family, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&ss, len);
	errno_check("connect", ERRNO_SENTINEL);
	a = accept(lfd, NULL, NULL);
	errno_check("accept", ERRNO_SENTINEL);
	send(c, "ping", 4, 0);
	errno_check("send", ERRNO_SENTINEL);
	recv(a, buf, 4, 0);
	errno_check("recv", ERRNO_SENTINEL);
	(void)!write(a, "pong", 4);
	errno_check("write", ERRNO_SENTINEL);
	(void)!read(c, buf, 4);
	errno_check("read", ERRNO_SENTINEL);
	getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &vlen);
	errno_check("getsockopt", ERRNO_SENTINEL);
	d = dup(c);
	errno_check("dup", ERRNO_SENTINEL);
	dup2(c, d);
	errno_check("dup2", ERRNO_SENTINEL);
	close(d);
	errno_check("close(dup)", ERRNO_SENTINEL);
	if (pipe(p) == 0) {
		(void)!write(p[1], "x", 1);
		errno_check("write(pipe)", ERRNO_SENTINEL);
		close(p[0]);
		close(p[1]);
		errno_check("close(pipe)", ERRNO_SENTINEL);
	}
	/* The peer resets: the program's recv fails with ECONNRESET, and
	 * the shim's logging in between changes nothing. */
	setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	errno_check("setsockopt", ERRNO_SENTINEL);
	send(a, "z", 1, 0);
	close(a);
	errno_check("close(linger0)", ERRNO_SENTINEL);
	{
		struct pollfd pf = { .fd = c, .events = 0 };

		poll(&pf, 1, 10000);
		errno = ERRNO_SENTINEL;
	}
	recv(c, buf, sizeof(buf), 0);	/* "z" */
	recv(c, buf, sizeof(buf), 0);
	errno_check("recv(reset)", ECONNRESET);
	send(c, "x", 1, MSG_NOSIGNAL);
	errno_check("send(after reset)", EPIPE);
	close(c);
	errno_check("close(reset)", ERRNO_SENTINEL);
	close(-1);
	errno_check("close(-1)", EBADF);
	send(1000, "x", 1, 0);
	errno_check("send(1000)", EBADF);
	close(refused_connect());
	errno = ERRNO_SENTINEL;
	{
		int s = socket(family, SOCK_STREAM, 0);
		struct sockaddr_storage cs;
		socklen_t clen = peer_addr(&cs, port);

		connect(s, (struct sockaddr *)&cs, clen);
		errno_check("connect(refused)", ECONNREFUSED);
		close(s);
	}
	close(lfd);
	puts(errno_bad ? "errno changed" : "errno ok");
	return errno_bad;
}

/* The descriptor the shim writes its log file on, found in /proc. */
static int find_log_fd(void)
{
	const char *path = getenv("TCPSHIM_LOG");
	char link[64], target[PATH_MAX];

	for (int fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (path && strcmp(target, path) == 0)
			return fd;
	}
	die("no log descriptor");
	return -1;
}

/* PORT: closed.  ARG: a file path.  The program closes the shim's log
 * descriptor and opens its own file at the same number. */
static int s_logfd_close(const char *victim)
{
	int logfd, fd;
	/* Kept open, so that the log's number is the lowest free one. */
	int s = refused_connect();

	logfd = find_log_fd();
	printf("append %d cloexec %d\n", !!(fcntl(logfd, F_GETFL) & O_APPEND),
	       !!(fcntl(logfd, F_GETFD) & FD_CLOEXEC));
	close(logfd);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd != logfd) {
		/* The log sits high; take its number the ordinary way: the
		 * lowest free one from there up. */
		int moved = fcntl(fd, F_DUPFD, logfd);

		close(fd);
		fd = moved;
	}
	printf("same %d\n", fd == logfd);
	close(refused_connect());
	close(fd);
	close(s);
	return 0;
}

/* PORT: closed; ARG: the peer's port.  Peer: accept, read to EOF, expect
 * exactly "hello".  The program dup2s a socket over the shim's log. */
static int s_logfd_dup2(const char *peer_port)
{
	int logfd, s;
	int closed_port = port;

	close(refused_connect());
	logfd = find_log_fd();
	port = atoi(peer_port);
	s = dial();
	port = closed_port;
	say("dup2", dup2(s, logfd) == logfd ? 0 : -1);
	close(s);
	close(refused_connect());
	send_str(logfd, "hello");
	close(logfd);
	return 0;
}

/*
 * The scenarios by name, with what each does (the comment above each
 * function says what its peer does).  A scenario either takes no ARG
 * (run) or takes it, "" when the test gave none (run_arg).
 */
static const struct prog_scenario scenarios[] = {
	{ "connect", s_connect, NULL, "a blocking connect, refused" },
	{ "connect-nb", NULL, s_connect_nb,
	  "a non-blocking connect, refused; ARG: sockopt or recv sees it" },
	{ "recv-reset", s_recv_reset, NULL,
	  "blocked in recv when the peer resets" },
	{ "send-reset", s_send_reset, NULL, "send after the peer's reset" },
	{ "closewait-epipe", s_closewait_epipe, NULL,
	  "send gets EPIPE for a reset in CLOSE_WAIT" },
	{ "shutdown-epipe", s_shutdown_epipe, NULL,
	  "send gets EPIPE after its own shutdown: no reset" },
	{ "linger0", s_linger0, NULL, "close with SO_LINGER {1, 0}" },
	{ "close", s_close, NULL, "a plain close" },
	{ "unread", NULL, s_unread,
	  "close with data unread; ARG syscall: through SYS_close, one-left: "
	  "one byte unread, 50 ms after it came" },
	{ "fork-unread", s_fork_unread, NULL,
	  "parent and forked child both close with data unread" },
	{ "killed", s_killed, NULL,
	  "another process that holds the socket disconnects it" },
	{ "exit", NULL, s_exit,
	  "ends with data unread; ARG: exit, _exit or linger0" },
	{ "sigpipe", NULL, s_sigpipe,
	  "a reset raises SIGPIPE; ARG: default, ignore, handler, blocked" },
	{ "inetd", s_inetd, NULL,
	  "the connection is fds 0 and 1; closed with data unread" },
	{ "sandboxed", s_sandboxed, NULL,
	  "closes with data unread under a seccomp filter" },
	{ "abort", NULL, s_abort,
	  "tcp_abort(); ARG: plain, or a dup or fork holds it too" },
	{ "abort-bad", s_abort_bad, NULL,
	  "tcp_abort() on what is not a TCP connection" },
	{ "unspec", s_unspec, NULL, "resets with connect(AF_UNSPEC)" },
	{ "stale", NULL, s_stale,
	  "a socket closed behind the shim; ARG: a closed port" },
	{ "syslog-restart", s_syslog_restart, NULL,
	  "two refusals, with the test's \"go\" between them" },
	{ "stderr-closed", NULL, s_stderr_closed,
	  "closes stderr, then opens ARG (a file) at number 2" },
	{ "stderr-replaced", NULL, s_stderr_replaced,
	  "puts ARG (a file) at stderr with dup2" },
	{ "fdopen", s_fdopen, NULL,
	  "fclose() closes the socket; a UNIX pair takes its number" },
	{ "reconnect", NULL, s_reconnect,
	  "refused at ARG (a closed port), connects again to PORT" },
	{ "dup3-fails", s_dup3_fails, NULL,
	  "dup3 with a bad flag leaves its target tracked" },
	{ "peek", s_peek, NULL, "MSG_PEEK, then the real read" },
	{ "unconnected-send", s_unconnected_send, NULL,
	  "send on a socket never connected: EPIPE, no reset" },
	{ "close-range", NULL, s_close_range,
	  "close_range over two sockets; ARG syscall: SYS_close_range" },
	{ "dup2-over", s_dup2_over, NULL, "dup2 puts /dev/null over it" },
	{ "dup2-track", s_dup2_track, NULL, "dup2 moves it to fd 200" },
	{ "fork-send", s_fork_send, NULL,
	  "forks while a thread is blocked in send" },
	{ "signal-close", s_signal_close, NULL,
	  "a signal handler closes and dups amid connections" },
	{ "close-all", s_close_all, NULL,
	  "closes every descriptor, the shim's log among them" },
	{ "errno", s_errno, NULL, "errno after every call is libc's" },
	{ "logfd-close", NULL, s_logfd_close,
	  "closes the shim's log, opens ARG (a file) at its number" },
	{ "logfd-dup2", NULL, s_logfd_dup2,
	  "dup2s a socket to ARG (a port) over the shim's log" },
};

PROG_MAIN("prog_scenario", scenarios)
