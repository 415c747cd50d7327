/*
 * livelib.c - running targets for the live-control suites (livelib.h).
 */
#include "livelib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TARGET_TIMEOUT_MS 20000
#define ARGS_MAX 24

int target_available(int kind, const char *test)
{
	if (kind == TARGET_PYTHON && !tl_have("python3")) {
		tl_skip(test, "python3 is not installed");
		return 0;
	}
	if (kind == TARGET_GO &&
	    access(tl_path("tests/live_target_go"), X_OK) != 0) {
		tl_skip(test, "Go is not installed (golang-go): no static "
			      "target was built");
		return 0;
	}
	return 1;
}

int target_start(struct target *t, int kind, const char *const *env,
		 const char *const *prefix, const char *test)
{
	const char *argv[ARGS_MAX];
	char line[128];
	int n = 0;

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (!target_available(kind, test))
		return 0;
	for (; prefix != NULL && prefix[n] != NULL; n++)
		argv[n] = prefix[n];
	if (kind == TARGET_C) {
		argv[n++] = tl_path("tests/prog_live");
	} else if (kind == TARGET_PYTHON) {
		/* The system's: a user's own (pyenv) may be closed to nobody. */
		argv[n++] = access("/usr/bin/python3", X_OK) == 0
				    ? "/usr/bin/python3"
				    : tl_which("python3");
		/* Its text, not its path: the checkout may be closed to
		 * nobody (root's clone in a 0700 /root). */
		argv[n++] = "-c";
		argv[n++] = tl_slurp(tl_source("tests/programs/live_target.py"));
	} else {
		argv[n++] = tl_path("tests/live_target_go");
	}
	argv[n] = NULL;
	tl_spawn_io(&t->p, env, argv);
	ck_assert_msg(tl_expect(&t->p, "pid ", TARGET_TIMEOUT_MS, line,
				sizeof(line)) == 0,
		      "the target did not start");
	t->pid = atoi(line + 4);
	return 1;
}

void target_stop(struct target *t)
{
	tl_say(&t->p, "quit");
	tl_wait(&t->p);
	tl_free(&t->p);
}

void target_ask(struct target *t, const char *line, const char *expect,
		char *buf, size_t size)
{
	tl_say(&t->p, line);
	ck_assert_msg(tl_expect(&t->p, expect, TARGET_TIMEOUT_MS, buf,
				size) == 0,
		      "target: '%s' had no '%s' answer", line, expect);
}

void target_listen(struct target *t, const char *host)
{
	char line[128];

	target_ask(t, tl_str("listen %s", host), "listening ", line,
		   sizeof(line));
	ck_assert_int_eq(sscanf(line, "listening %d %d", &t->port, &t->lfd),
			 2);
}

void target_call(struct target *t, const char *call, int fd,
		 const char *result)
{
	char line[128];
	const char *start = tl_str("%s %d ", call, fd);

	target_ask(t, tl_str("%s %d", call, fd), start, line, sizeof(line));
	ck_assert_str_eq(line + strlen(start), result);
}

int target_connect(struct target *t, int family, int *fd, char *peer)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	char line[128], addr[80];
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	if (family == AF_INET6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)t->port);
	} else {
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons((uint16_t)t->port);
	}
	ck_assert_int_eq(connect(s, (void *)&ss, sizeof(ss)), 0);
	target_ask(t, "accept", "accepted ", line, sizeof(line));
	ck_assert_int_eq(sscanf(line, "accepted %d %79s", fd, addr), 2);
	if (peer != NULL)
		snprintf(peer, 80, "%s", addr);
	return s;
}

int tcpshim(struct tl_proc *p, const char *const *prefix, ...)
{
	const char *argv[ARGS_MAX];
	const char *arg;
	va_list ap;
	int n = 0;

	for (; prefix != NULL && prefix[n] != NULL; n++)
		argv[n] = prefix[n];
	argv[n++] = tl_path("tcpshim");
	va_start(ap, prefix);
	while ((arg = va_arg(ap, const char *)) != NULL && n < ARGS_MAX - 1)
		argv[n++] = arg;
	va_end(ap);
	argv[n] = NULL;
	return tl_run(p, NULL, argv);
}

int peer_recv_errno(int fd)
{
	char byte;

	if (tl_poll(fd, POLLIN, TARGET_TIMEOUT_MS) != 0)
		return 0;
	return recv(fd, &byte, 1, MSG_DONTWAIT) < 0 ? errno : 0;
}

int ptrace_scope(void)
{
	char *text = tl_slurp("/proc/sys/kernel/yama/ptrace_scope");
	int v = *text ? atoi(text) : -1;

	free(text);
	return v;
}
