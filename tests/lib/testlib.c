/*
 * testlib.c - see testlib.h.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *tl_build(void)
{
	/* Fixed when the tests are built: /proc/self/exe can name a path
	 * outside the root once a test enters a mount namespace of its own
	 * in a chroot. */
	return TL_BUILD_DIR;
}

static char *keep(const char *s)
{
	char *p = strdup(s);

	ck_assert_ptr_nonnull(p);
	return p;
}

const char *tl_path(const char *rel)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", tl_build(), rel);
	return keep(buf);
}

const char *tl_source(const char *rel)
{
	return tl_str("%s/%s", TL_SOURCE_DIR, rel);
}

const char *tl_tmp(const char *name)
{
	static char dir[PATH_MAX];
	static int serial;
	char buf[PATH_MAX];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/tmp/%d", tl_build(), getpid());
		mkdir(tl_path("tmp"), 0700);
		ck_assert(mkdir(dir, 0700) == 0 || errno == EEXIST);
	}
	snprintf(buf, sizeof(buf), "%s/%d-%s", dir, ++serial, name);
	unlink(buf);
	return keep(buf);
}

static int wanted_env(const char *e)
{
	return strncmp(e, "LD_PRELOAD=", 11) != 0 &&
	       strncmp(e, "TCPSHIM_", 8) != 0;
}

/*
 * make check SANITIZE=...: the library is built with a sanitizer, whose
 * runtime must come first in LD_PRELOAD of every program it is loaded
 * into: put it in front of the test's LD_PRELOAD.
 */
static void sanitizer_first(const char **envp, size_t *k)
{
	const char *first = getenv("TCPSHIM_TEST_PRELOAD");
	size_t i;

	if (first == NULL || *first == '\0')
		return;
	for (i = 0; i < *k; i++)
		if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0)
			envp[i] = tl_str("LD_PRELOAD=%s %s", first, envp[i] + 11);
}

const char *tl_preload_value(void)
{
	const char *first = getenv("TCPSHIM_TEST_PRELOAD");

	if (first == NULL || *first == '\0')
		return tl_path("libtcpshim.so");
	return tl_str("%s %s", first, tl_path("libtcpshim.so"));
}

/* Does env (may be NULL) set the variable e sets?  Then env's wins. */
static int overridden(const char *e, const char *const *env)
{
	size_t len = strcspn(e, "=");

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], e, len + 1) == 0)
			return 1;
	return 0;
}

static void spawn(struct tl_proc *p, const char *const *env,
		  const char *const *argv, int with_stdin, int err_fd)
{
	size_t n = 0, extra = 0;
	int in[2] = { -1, -1 };

	int out_pipe[2] = { -1, -1 };

	memset(p, 0, sizeof(*p));
	p->in = p->out_fd = -1;
	if (with_stdin) {
		ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
		ck_assert_int_eq(pipe2(out_pipe, O_CLOEXEC), 0);
	}
	snprintf(p->out_path, sizeof(p->out_path), "%s", tl_tmp("stdout"));
	snprintf(p->err_path, sizeof(p->err_path), "%s", tl_tmp("stderr"));
	while (environ[n])
		n++;
	while (env && env[extra])
		extra++;

	const char **envp = calloc(n + extra + 1, sizeof(*envp));
	size_t k = 0;

	ck_assert_ptr_nonnull(envp);
	for (size_t i = 0; i < n; i++)
		if (wanted_env(environ[i]) && !overridden(environ[i], env))
			envp[k++] = environ[i];
	for (size_t i = 0; i < extra; i++)
		envp[k++] = env[i];
	sanitizer_first(envp, &k);
	fflush(NULL);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		int out = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (out < 0 || err < 0 || dup2(out, 1) < 0 ||
		    dup2(err_fd >= 0 ? err_fd : err, 2) < 0)
			_exit(125);
		if (with_stdin && (dup2(in[0], 0) < 0 || dup2(out_pipe[1], 1) < 0))
			_exit(125);
		close(out);
		close(err);
		execve(argv[0], (char *const *)argv, (char *const *)envp);
		_exit(127);
	}
	free(envp);
	if (with_stdin) {
		close(in[0]);
		close(out_pipe[1]);
		p->in = in[1];
		p->out_fd = out_pipe[0];
	}
}

void tl_spawn(struct tl_proc *p, const char *const *env,
	      const char *const *argv)
{
	spawn(p, env, argv, 0, -1);
}

void tl_spawn_err(struct tl_proc *p, const char *const *env,
		  const char *const *argv, int err_fd)
{
	spawn(p, env, argv, 0, err_fd);
}

void tl_spawn_io(struct tl_proc *p, const char *const *env,
		 const char *const *argv)
{
	spawn(p, env, argv, 1, -1);
}

void tl_say(struct tl_proc *p, const char *line)
{
	size_t len = strlen(line);

	ck_assert_int_eq(write(p->in, line, len), (ssize_t)len);
	ck_assert_int_eq(write(p->in, "\n", 1), 1);
}

/* Read what its stdout pipe has now (up to timeout_ms); 0 at its end. */
static ssize_t take_output(struct tl_proc *p, int timeout_ms)
{
	char buf[4096];
	ssize_t n;

	if (tl_poll(p->out_fd, POLLIN, timeout_ms) != 0)
		return -1;
	n = read(p->out_fd, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	p->acc = realloc(p->acc, p->acc_len + (size_t)n + 1);
	ck_assert_ptr_nonnull(p->acc);
	memcpy(p->acc + p->acc_len, buf, (size_t)n);
	p->acc_len += (size_t)n;
	p->acc[p->acc_len] = '\0';
	return n;
}

int tl_expect(struct tl_proc *p, const char *prefix, int timeout_ms,
	      char *buf, size_t size)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		char *nl;
		long left;

		while (p->acc &&
		       (nl = strchr(p->acc + p->seen, '\n')) != NULL) {
			const char *line = p->acc + p->seen;
			size_t len = (size_t)(nl - line);

			p->seen += len + 1;
			if (strncmp(line, prefix, strlen(prefix)) == 0) {
				snprintf(buf, size, "%.*s", (int)len, line);
				return 0;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || take_output(p, (int)left) <= 0)
			return -1;
	}
}

int tl_wait(struct tl_proc *p)
{
	int st;

	if (p->in >= 0) {
		close(p->in);
		p->in = -1;
	}
	if (p->out_fd >= 0) {
		while (take_output(p, 60000) > 0)
			;
		close(p->out_fd);
		p->out_fd = -1;
	}
	ck_assert_int_eq(waitpid(p->pid, &st, 0), p->pid);
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (p->acc != NULL) {
		p->out = p->acc;
		p->acc = NULL;
	} else {
		p->out = tl_slurp(p->out_path);
	}
	p->err = tl_slurp(p->err_path);
	return p->status;
}

int tl_run(struct tl_proc *p, const char *const *env,
	   const char *const *argv)
{
	tl_spawn(p, env, argv);
	return tl_wait(p);
}

void tl_free(struct tl_proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
}

char *tl_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return keep("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	n = (long)fread(buf, 1, (size_t)n, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int tl_count_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; *p; p++)
		if (*p == '\n')
			n++;
	return n;
}

const char *tl_line(const char *text, int n, char *buf, size_t size)
{
	const char *p = text;

	while (n-- > 0) {
		p = strchr(p, '\n');
		if (p == NULL)
			return NULL;
		p++;
	}
	if (*p == '\0')
		return NULL;

	size_t len = strcspn(p, "\n");

	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

const char *tl_find_line(const char *text, const char *needle, char *buf,
			 size_t size)
{
	const char *hit = strstr(text, needle);
	const char *start;

	if (hit == NULL)
		return NULL;
	start = hit;
	while (start > text && start[-1] != '\n')
		start--;
	return tl_line(start, 0, buf, size);
}

const char *tl_json(const char *line, const char *key, char *buf,
		    size_t size)
{
	char pat[128];
	const char *p, *end;
	size_t len;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	if (*p == '"') {
		p++;
		end = strchr(p, '"');
	} else {
		end = p + strcspn(p, ",}");
	}
	if (end == NULL)
		return NULL;
	len = (size_t)(end - p);
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

const char *tl_loopback(int family)
{
	return family == AF_INET6 ? "::1" : "127.0.0.1";
}

static socklen_t loopback_addr(int family, int port,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		in6->sin6_addr = in6addr_loopback;
		return sizeof(*in6);
	}

	struct sockaddr_in *in = (void *)ss;

	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*in);
}

int tl_listen(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(family, 0, &ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int tl_closed_port(int family)
{
	int port;
	int fd = tl_listen(family, &port);

	close(fd);
	return port;
}

int tl_poll(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return (pfd.revents & events) || (pfd.revents & (POLLERR | POLLHUP))
		       ? 0
		       : -1;
}

int tl_accept(int lfd, int timeout_ms)
{
	if (tl_poll(lfd, POLLIN, timeout_ms) != 0)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

int tl_read_n(int fd, void *buf, size_t n, int timeout_ms)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		if (tl_poll(fd, POLLIN, timeout_ms) != 0)
			return -1;
		r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

void tl_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
			 0);
	ck_assert_int_eq(close(fd), 0);
}

int tl_is_root(void)
{
	return geteuid() == 0;
}

const char *tl_str(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	return s;
}

const char *tl_which(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy = keep(path ? path : "/usr/bin:/bin");
	char *dir, *save = NULL;
	const char *found = NULL;

	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		const char *p = tl_str("%s/%s", dir, cmd);

		if (access(p, X_OK) == 0)
			found = p;
	}
	free(copy);
	return found;
}

int tl_can_netns(const char *test)
{
	if (!tl_is_root()) {
		tl_skip(test, "needs root for network namespaces");
		return 0;
	}
	if (!tl_have("ip")) {
		tl_skip(test, "ip (Debian package iproute2) is not installed");
		return 0;
	}
	return 1;
}

void tl_peerhost(const char *verb, const char *tag)
{
	struct tl_proc p;
	const char *argv[] = { "/bin/sh", tl_source("demos/peerhost.sh"), verb,
			       tag, NULL };

	tl_run(&p, NULL, argv);
	ck_assert_msg(p.status == 0, "peerhost.sh %s %s: %s", verb, tag,
		      p.err);
	tl_free(&p);
}

int tl_have(const char *cmd)
{
	return tl_which(cmd) != NULL;
}

int tl_sanitized_skip(const char *test, const char *why)
{
	const char *san = getenv("TCPSHIM_TEST_SANITIZER");

	if (san == NULL || *san == '\0')
		return 0;
	tl_skip(test, tl_str("with SANITIZE=%s: %s", san, why));
	return 1;
}

void tl_skip(const char *test, const char *why)
{
	size_t len = strlen(test);

	if (len > 3 && strcmp(test + len - 3, "_fn") == 0)
		len -= 3;
	printf("SKIP %.*s: %s\n", (int)len, test, why);
	fflush(stdout);
}

void sc_start(struct scenario *sc, const char *name, int family, int port,
	      const char *arg, const char *const *env)
{
	const char *envp[16];
	const char *argv[6];
	char portbuf[16];
	char logenv[PATH_MAX + 16];
	int n = 0;

	sc->log_path = tl_tmp("events.log");
	snprintf(logenv, sizeof(logenv), "TCPSHIM_LOG=%s", sc->log_path);
	/* getenv() finds the first: the test's own entries win. */
	for (int i = 0; env && env[i] && n < 12; i++)
		envp[n++] = env[i];
	envp[n++] = keep(logenv);
	envp[n++] = "TCPSHIM_FORMAT=json";
	{
		char pre[PATH_MAX + 16];

		snprintf(pre, sizeof(pre), "LD_PRELOAD=%s/libtcpshim.so",
			 tl_build());
		envp[n++] = keep(pre);
	}
	envp[n] = NULL;
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	argv[0] = tl_path(sc->prog ? sc->prog : "tests/prog_scenario");
	argv[1] = name;
	argv[2] = family == AF_INET6 ? "6" : "4";
	argv[3] = portbuf;
	argv[4] = arg;
	argv[5] = NULL;
	if (sc->interactive)
		tl_spawn_io(&sc->p, envp, argv);
	else
		tl_spawn(&sc->p, envp, argv);
}

void sc_finish(struct scenario *sc)
{
	tl_wait(&sc->p);
	sc->log = tl_slurp(sc->log_path);
	if (!sc->stderr_ok)
		ck_assert_msg(strcmp(sc->p.err, "") == 0, "stderr: %s",
			      sc->p.err);
}

void sc_free(struct scenario *sc)
{
	tl_free(&sc->p);
	free(sc->log);
	sc->log = NULL;
}

void sc_assert_event(const char *line, const char *event, const char *cause,
		     const char *call, const char *err, const char *local,
		     const char *peer)
{
	static const char *const always[] = { "time", "pid", "fd", "conn",
					      "cookie", "bytes_sent",
					      "bytes_received" };
	char v[256];

	TL_ASSERT_FIELD(line, "event", event);
	TL_ASSERT_FIELD(line, "cause", cause);
	TL_ASSERT_FIELD(line, "call", call);
	TL_ASSERT_FIELD(line, "errno", err);
	if (local != NULL)
		TL_ASSERT_FIELD(line, "local", local);
	else
		ck_assert_msg(tl_json(line, "local", v, sizeof(v)) &&
				      strcmp(v, "null") != 0,
			      "no local address in %s", line);
	if (peer != NULL)
		TL_ASSERT_FIELD(line, "peer", peer);
	for (size_t i = 0; i < sizeof(always) / sizeof(*always); i++)
		ck_assert_msg(tl_json(line, always[i], v, sizeof(v)) &&
				      strcmp(v, "null") != 0,
			      "no %s in %s", always[i], line);
}

/* The scenario's address as the peer sees it, "ADDR:PORT" or "[ADDR]:PORT". */
static void addr_of(int fd, int peer, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (peer)
		ck_assert_int_eq(getpeername(fd, (void *)&ss, &len), 0);
	else
		ck_assert_int_eq(getsockname(fd, (void *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%d", host, ntohs(in6->sin6_port));
	} else {
		struct sockaddr_in *in = (void *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%d", host, ntohs(in->sin_port));
	}
}

/* Accept the scenario's connection; its address into local/peer strings
 * as the scenario will log them. */
int sc_accept(int lfd, char *sc_local, char *sc_peer)
{
	int a = tl_accept(lfd, 10000);

	ck_assert_int_ge(a, 0);
	addr_of(a, 1, sc_local, 64);
	addr_of(a, 0, sc_peer, 64);
	return a;
}

int sc_start_accept(struct scenario *sc, const char *name, int family,
		    const char *arg, const char *const *env, char *sc_local,
		    char *sc_peer)
{
	int port, lfd = tl_listen(family, &port), a;

	sc_start(sc, name, family, port, arg, env);
	a = sc_accept(lfd, sc_local, sc_peer);
	/* The connection lives on without the listener: closing it here
	 * leaves the test nothing to clean up but its own end. */
	close(lfd);
	return a;
}

void sc_peer_sees_rst(int a, const char *reply)
{
	char buf[8];

	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(write(a, reply, strlen(reply)),
			 (ssize_t)strlen(reply));
	ck_assert_int_eq(tl_poll(a, POLLIN, 10000), 0);
	ck_assert_int_eq(read(a, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(a);
}

/* Peer of linger0, close and abort: read "hi", write "ok", then see how
 * the connection ends: 0 for FIN, -1 ECONNRESET for RST. */
int sc_peer_end(int a)
{
	char buf[8];
	ssize_t r;

	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(write(a, "ok", 2), 2);
	ck_assert_int_eq(tl_poll(a, POLLIN, 10000), 0);
	r = read(a, buf, sizeof(buf));
	return r < 0 ? -errno : (int)r;
}

int tl_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	/* Forked tests: a crash fails one test, not the run. */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
