/*
 * check_logfail - a log that cannot be written: told, counted, and never
 * fatal.  Each case runs prog_logfail natively and under tcpshim: the
 * exit status and the output are the same, and every event is accounted
 * for: lines written (to the log, or to stderr once the log failed for
 * good) + held back (the fallback's rate) + lost = the events, read from
 * the summary.  A full disk (/dev/full, and a 64 KiB tmpfs filled to 0
 * and to one page free), RLIMIT_FSIZE (ulimit -f) below the log's size, a
 * FIFO whose reader exits, stderr into `head -c 10`, a journald whose
 * queue stays full, a log rotated by rename, and signals the program
 * blocks itself.  The tmpfs and journal cases mount in a mount namespace
 * of the test's own process (Check forks one per test; under CK_FORK=no
 * the mounts stay for the rest of the run).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "testlib.h"

#define EVENTS 200
#define EVENTS_STR "200"

/* What a log and stderr hold, counted (JSON lines). */
struct seen {
	int events;		/* event lines */
	int max_per_second;	/* most event lines in one second */
	long held;		/* the held_back notices, added */
	int summaries;
	long s_events, s_held, s_lost;	/* the summary's */
	int plain;		/* lines that are not JSON */
	char first_plain[1024];
	char last_plain[1024];
	char prev_second[32];
	int run;
};

static long field_long(const char *line, const char *key)
{
	char v[64];

	ck_assert_msg(tl_json(line, key, v, sizeof(v)) != NULL,
		      "no %s in %s", key, line);
	return atol(v);
}

static void seen_event(struct seen *s, const char *line)
{
	char when[64];

	ck_assert_msg(line[strlen(line) - 1] == '}', "cut: %s", line);
	ck_assert_ptr_nonnull(tl_json(line, "time", when, sizeof(when)));
	when[19] = '\0';	/* its second */
	s->run = strcmp(when, s->prev_second) == 0 ? s->run + 1 : 1;
	strcpy(s->prev_second, when);
	if (s->run > s->max_per_second)
		s->max_per_second = s->run;
	s->events++;
}

/* Add what text holds to s. */
static void seen_add(struct seen *s, const char *text)
{
	char line[2048];

	s->prev_second[0] = '\0';
	for (int i = 0; tl_line(text, i, line, sizeof(line)) != NULL; i++) {
		if (line[0] != '{') {
			if (s->plain++ == 0)
				snprintf(s->first_plain, sizeof(s->first_plain),
					 "%s", line);
			snprintf(s->last_plain, sizeof(s->last_plain), "%s",
				 line);
		} else if (strstr(line, "\"event\":\"rst_received\"")) {
			seen_event(s, line);
		} else if (strstr(line, "\"notice\":\"held_back\"")) {
			s->held += field_long(line, "held_back");
		} else if (strstr(line, "\"notice\":\"summary\"")) {
			s->summaries++;
			s->s_events = field_long(line, "events");
			s->s_held = field_long(line, "held_back");
			s->s_lost = field_long(line, "lost");
		} else {
			ck_abort_msg("unexpected line: %s", line);
		}
	}
}

/* Every event told of: written + held back + lost = events. */
static void assert_accounted_of(const struct seen *s, int events)
{
	ck_assert_int_eq(s->summaries, 1);
	ck_assert_int_eq(s->s_events, events);
	ck_assert_msg(s->events + s->s_held + s->s_lost == events,
		      "%d written + %ld held back + %ld lost", s->events,
		      s->s_held, s->s_lost);
	ck_assert_int_eq(s->held, s->s_held);
}

static void assert_accounted(const struct seen *s)
{
	assert_accounted_of(s, EVENTS);
}

/* The settings of these cases, with the log at log. */
static const char *const *env_for(const char *log)
{
	const char **env = calloc(5, sizeof(*env));

	ck_assert_ptr_nonnull(env);
	env[0] = tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so"));
	env[1] = tl_str("TCPSHIM_LOG=%s", log);
	env[2] = "TCPSHIM_FORMAT=json";
	env[3] = "TCPSHIM_EVENTS=rst_received,summary";
	return env;
}

/* prog_logfail PORT EVENTS [FSIZE]: its argv. */
static const char *const *storm_argv(const char *fsize)
{
	const char **argv = calloc(5, sizeof(*argv));

	ck_assert_ptr_nonnull(argv);
	argv[0] = tl_path("tests/prog_logfail");
	argv[1] = tl_str("%d", tl_closed_port(AF_INET));
	argv[2] = EVENTS_STR;
	argv[3] = fsize;
	return argv;
}

/* The same program without tcpshim: its status and output are what a
 * preloaded run must show. */
static void assert_as_native(const struct tl_proc *p,
			     const char *const *argv)
{
	struct tl_proc native;

	tl_run(&native, NULL, argv);
	ck_assert_int_eq(p->status, native.status);
	ck_assert_str_eq(p->out, native.out);
	ck_assert_int_eq(p->status, 0);
	tl_free(&native);
}

/* A log that fails for good: the one warning, first on stderr. */
static void assert_warned(const struct seen *s, const char *log,
			  const char *err)
{
	ck_assert_str_eq(s->first_plain,
			 tl_str("tcpshim: cannot write log %s: %s; logging to "
				"stderr instead", log, err));
	ck_assert_int_eq(s->plain, 1);
	/* The fallback's rate: 100 a second (and the line that met the
	 * failure, admitted before it). */
	ck_assert_int_le(s->max_per_second, 101);
}

/* Every line of text is a whole event line. */
static void assert_whole_lines(const char *text)
{
	struct seen f = { 0 };

	seen_add(&f, text);
	ck_assert_int_gt(f.events, 0);
	ck_assert_int_eq(f.plain, 0);
	ck_assert_msg(text[strlen(text) - 1] == '\n', "last line cut");
}

/* A storm logged to log, which fails for good with err: the program as
 * without tcpshim, one warning, every event accounted for.  The log's
 * content into *text. */
static void storm_into(const char *log, const char *err, const char *fsize,
		       struct seen *s, char **text)
{
	const char *const *argv = storm_argv(fsize);
	struct tl_proc p;
	int fds[2];
	char buf[4096];
	char *errs = calloc(1, 1);
	size_t len = 0;
	ssize_t n;

	/* stderr through a pipe: RLIMIT_FSIZE would limit a file. */
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	tl_spawn_err(&p, env_for(log), argv, fds[1]);
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		errs = realloc(errs, len + (size_t)n + 1);
		memcpy(errs + len, buf, (size_t)n);
		errs[len += (size_t)n] = '\0';
	}
	close(fds[0]);
	tl_wait(&p);
	assert_as_native(&p, argv);
	*text = tl_slurp(log);
	memset(s, 0, sizeof(*s));
	seen_add(s, *text);
	ck_assert_int_eq(s->plain, 0);
	seen_add(s, errs);
	assert_warned(s, log, err);
	assert_accounted(s);
	free(errs);
	tl_free(&p);
}

/* /dev/full: ENOSPC at every write.  Before: exit 0, nothing anywhere. */
START_TEST(dev_full_log_moves_to_stderr_and_counts_add_up)
{
	struct seen s;
	char *text;

	storm_into("/dev/full", "ENOSPC", NULL, &s, &text);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

/* RLIMIT_FSIZE below the log's size.  Before: SIGXFSZ (exit 153) and a
 * line cut in the middle. */
START_TEST(file_size_limit_never_kills_and_leaves_whole_lines)
{
	const char *log = tl_tmp("limited.log");
	struct seen s;
	char *text;
	size_t len;

	storm_into(log, "EFBIG", "8000", &s, &text);
	len = strlen(text);
	ck_assert_msg(len > 0 && len <= 8000, "%zu bytes", len);
	assert_whole_lines(text);
	free(text);
}
END_TEST

/*
 * This test's own mount namespace (Check runs each test in a process of
 * its own, so the mounts go with it): 0, or -1 with the reason printed.
 */
static int private_mounts(const char *test)
{
	if (!tl_is_root()) {
		tl_skip(test, "needs root to mount a tmpfs");
		return -1;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		tl_skip(test, tl_str("cannot make a private mount namespace: "
				     "%s", strerror(errno)));
		return -1;
	}
	return 0;
}

/* A 64 KiB tmpfs, filled until free_pages pages are left: its path. */
static const char *tiny_tmpfs(int free_pages)
{
	const char *dir = tl_tmp("tiny");
	static char page[4096];
	struct statvfs vfs;
	int fd;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(mount("tmpfs", dir, "tmpfs", 0, "size=64k"), 0);
	fd = open(tl_str("%s/fill", dir), O_WRONLY | O_CREAT | O_CLOEXEC,
		  0600);
	ck_assert_int_ge(fd, 0);
	while (write(fd, page, sizeof(page)) == (ssize_t)sizeof(page))
		;
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(ftruncate(fd, lseek(fd, 0, SEEK_END) -
					       free_pages * (off_t)sizeof(page)),
			 0);
	close(fd);
	ck_assert_int_eq(statvfs(dir, &vfs), 0);
	ck_assert_int_eq(vfs.f_bavail * vfs.f_bsize, free_pages * 4096);
	return dir;
}

/* A full disk.  Before: a log of 0 bytes, nothing on stderr, every
 * event gone. */
START_TEST(full_tmpfs_log_moves_to_stderr_and_counts_add_up)
{
	const char *log;
	struct seen s;
	char *text;

	if (private_mounts(__func__) != 0)
		return;
	log = tl_str("%s/events.log", tiny_tmpfs(0));
	storm_into(log, "ENOSPC", NULL, &s, &text);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

/* One page free: it fills with whole lines, and the line that did not
 * fit is cut away, not left half written.  Before: 13 whole lines, one
 * cut in the middle, then nothing: 186 events and the summary gone. */
START_TEST(tmpfs_with_one_page_keeps_whole_lines_only)
{
	const char *log;
	struct seen s;
	char *text;
	size_t len;

	if (private_mounts(__func__) != 0)
		return;
	log = tl_str("%s/events.log", tiny_tmpfs(1));
	storm_into(log, "ENOSPC", NULL, &s, &text);
	len = strlen(text);
	ck_assert_msg(len > 3000 && len <= 4096, "%zu bytes", len);
	assert_whole_lines(text);
	free(text);
}
END_TEST

/* What a test does between a step-by-step run's two steps. */
typedef void (*between_fn)(void *arg);

/* prog_logfail step by step: FIRST events, between(arg), then the rest
 * of EVENTS; with env NULL, natively.  Waited for. */
static void two_steps(struct tl_proc *p, const char *const *env,
		      const char *port, int first, between_fn between,
		      void *arg)
{
	const char *argv[] = { tl_path("tests/prog_logfail"), port, NULL };
	char line[64];

	tl_spawn_io(p, env, argv);
	tl_say(p, tl_str("%d", first));
	ck_assert_int_eq(tl_expect(p, "refused ", 30000, line, sizeof(line)),
			 0);
	if (between != NULL)
		between(arg);
	tl_say(p, tl_str("%d", EVENTS - first));
	ck_assert_int_eq(tl_expect(p, "refused ", 30000, line, sizeof(line)),
			 0);
	tl_wait(p);
}

/* The step-by-step run natively: status and output the same as p's. */
static void assert_steps_as_native(const struct tl_proc *p,
				   const char *port, int first)
{
	struct tl_proc native;

	two_steps(&native, NULL, port, first, NULL, NULL);
	ck_assert_int_eq(p->status, native.status);
	ck_assert_str_eq(p->out, native.out);
	ck_assert_str_eq(p->out, tl_str("refused %d\nrefused %d\ntotal %d\n",
					first, EVENTS - first, EVENTS));
	tl_free(&native);
}

struct reader {
	int fd;
	char *got;
};

/* The FIFO's reader takes what is there, and exits. */
static void reader_exits(void *arg)
{
	struct reader *r = arg;
	char buf[65536];
	ssize_t n = read(r->fd, buf, sizeof(buf) - 1);

	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	r->got = strdup(buf);
	close(r->fd);
}

/* A FIFO whose reader exits.  Before: the program died of SIGPIPE (exit
 * 141) at the next line. */
START_TEST(fifo_whose_reader_exits_never_kills)
{
	const char *fifo = tl_tmp("fifo");
	const char *port = tl_str("%d", tl_closed_port(AF_INET));
	struct reader r;
	struct tl_proc p;
	struct seen s = { 0 };

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	r.fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(r.fd, 0);
	two_steps(&p, env_for(fifo), port, 5, reader_exits, &r);
	assert_steps_as_native(&p, port, 5);
	seen_add(&s, r.got);
	ck_assert_int_eq(s.events, 5);
	seen_add(&s, p.err);
	assert_warned(&s, fifo, "EPIPE");
	assert_accounted(&s);
	free(r.got);
	tl_free(&p);
}
END_TEST

/* Read what the FIFO holds now into *acc. */
static void drain(int fd, char **acc)
{
	char buf[65536];
	size_t len = strlen(*acc);
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		*acc = realloc(*acc, len + (size_t)n + 1);
		memcpy(*acc + len, buf, (size_t)n);
		(*acc)[len += (size_t)n] = '\0';
	}
}

/* Events lost to a FIFO whose reader fell behind, with the program's
 * stderr closed: the line at exit has nowhere to go but the log, and
 * there it is the summary notice, though "summary" was not asked for. */
START_TEST(lost_events_are_told_in_the_log_when_stderr_is_gone)
{
	const char *fifo = tl_tmp("fifo");
	const char *argv[] = { "/bin/sh", "-c", "exec \"$@\" 2>&-", "sh",
			       tl_path("tests/prog_logfail"),
			       tl_str("%d", tl_closed_port(AF_INET)), NULL };
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", fifo), "TCPSHIM_FORMAT=json", NULL,
	};
	struct tl_proc p;
	struct seen s = { 0 };
	char line[64], *got = calloc(1, 1);
	int rd;

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(rd, 0);
	tl_spawn_io(&p, env, argv);
	/* 1000 lines do not fit in the pipe: the rest are lost. */
	tl_say(&p, "1000");
	ck_assert_int_eq(tl_expect(&p, "refused 1000", 30000, line, 64), 0);
	drain(rd, &got);
	tl_wait(&p);
	drain(rd, &got);
	close(rd);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "refused 1000\ntotal 1000\n");
	seen_add(&s, got);
	ck_assert_int_eq(s.plain, 0);
	ck_assert_int_gt(s.s_lost, 0);
	assert_accounted_of(&s, 1000);
	free(got);
	tl_free(&p);
}
END_TEST

/* A log that cannot be opened goes to stderr under the same rate. */
START_TEST(unopenable_log_goes_to_stderr_under_the_rate)
{
	const char *const *argv = storm_argv(NULL);
	const char *log = "/nonexistent/dir/events.log";
	struct tl_proc p;
	struct seen s = { 0 };

	tl_run(&p, env_for(log), argv);
	assert_as_native(&p, argv);
	seen_add(&s, p.err);
	ck_assert_str_eq(s.first_plain,
			 tl_str("tcpshim: cannot open log %s: ENOENT; logging "
				"to stderr instead", log));
	ck_assert_int_eq(s.plain, 1);
	ck_assert_int_le(s.max_per_second, 101);
	assert_accounted(&s);
	tl_free(&p);
}
END_TEST

/* A trace of the program's writes, and the 10 bytes head would read. */
struct head_run {
	struct tl_proc p;
	const char *trace;	/* NULL without strace */
	char first[16];
};

/* prog_logfail PORT 2000 with TCPSHIM_LOG=stderr, its stderr a pipe that
 * is closed once 10 bytes were read (`| head -c 10`): 2000 lines do not
 * fit in the pipe, so the shim meets EPIPE whenever head exits. */
static void into_head(struct head_run *h, const char *const *argv)
{
	const char *strace = tl_which("strace");
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		"TCPSHIM_LOG=stderr", "TCPSHIM_FORMAT=json", NULL,
	};
	const char *traced[] = {
		strace, "-f", "-qq", "-e", "trace=write", "-o",
		h->trace = tl_tmp("head.trace"), "-E",
		tl_str("LD_PRELOAD=%s", tl_preload_value()), "-E",
		"TCPSHIM_LOG=stderr", "-E", "TCPSHIM_FORMAT=json", argv[0],
		argv[1], argv[2], NULL,
	};
	int fds[2];
	size_t got = 0;
	ssize_t n;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	if (strace == NULL)
		h->trace = NULL;
	tl_spawn_err(&h->p, strace ? NULL : env, strace ? traced : argv,
		     fds[1]);
	close(fds[1]);
	while (got < 10 && (n = read(fds[0], h->first + got, 10 - got)) > 0)
		got += (size_t)n;
	h->first[got] = '\0';
	close(fds[0]);
	tl_wait(&h->p);
}

/* Is there a write to descriptor 2 in trace after one that failed with
 * EPIPE?  How many failed (at most one may). */
static int failed_writes(const char *trace, int *after)
{
	char line[512];
	int failed = 0;

	*after = 0;
	for (int i = 0; tl_line(trace, i, line, sizeof(line)) != NULL; i++) {
		if (strstr(line, "write(2, ") == NULL)
			continue;
		if (failed > 0)
			(*after)++;
		if (strstr(line, "= -1 EPIPE") != NULL)
			failed++;
	}
	return failed;
}

/* The program's stderr into `head -c 10`, the log on stderr.  Before:
 * SIGPIPE (exit 141) at the shim's second line. */
START_TEST(stderr_into_head_never_kills_and_costs_nothing_more)
{
	const char *port = tl_str("%d", tl_closed_port(AF_INET));
	const char *argv[] = { tl_path("tests/prog_logfail"), port, "2000",
			       NULL };
	struct head_run h;
	struct tl_proc native;
	char *trace;
	int after;

	into_head(&h, argv);
	tl_run(&native, NULL, argv);
	ck_assert_int_eq(h.p.status, native.status);
	ck_assert_str_eq(h.p.out, native.out);
	ck_assert_str_eq(h.p.out, "refused 2000\n");
	ck_assert_str_eq(h.first, "{\"time\":\"2");
	if (h.trace == NULL) {
		tl_skip(__func__, "strace missing (Debian package strace): "
				  "writes after EPIPE not counted");
	} else {
		/* One write met EPIPE; none was tried after it. */
		trace = tl_slurp(h.trace);
		ck_assert_int_eq(failed_writes(trace, &after), 1);
		ck_assert_int_eq(after, 0);
		free(trace);
	}
	tl_free(&native);
	tl_free(&h.p);
}
END_TEST

/* prog_logfail PORT 3 blocked own|none, its log failing with EPIPE (a
 * stderr pipe already closed: epipe) or EFBIG (ulimit -f 1), natively
 * (env NULL) or not.  Its stdout. */
static char *blocked_run(int epipe, const char *own, const char *const *env)
{
	const char *port = tl_str("%d", tl_closed_port(AF_INET));
	const char *argv[] = { tl_path("tests/prog_logfail"), port, "3",
			       "blocked", own, NULL };
	const char *limited[] = { "/bin/sh", "-c", "ulimit -f 1 && exec \"$@\"",
				  "sh", argv[0], port, "3", "blocked", own,
				  NULL };
	struct tl_proc p;
	int fds[2];
	char *out;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	close(fds[0]);
	if (epipe)
		tl_spawn_err(&p, env, argv, fds[1]);
	else
		tl_spawn(&p, env, limited);
	close(fds[1]);
	tl_wait(&p);
	ck_assert_int_eq(p.status, 0);
	out = strdup(p.out);
	tl_free(&p);
	return out;
}

/* A program that blocks SIGPIPE and SIGXFSZ itself finds pending what
 * it raised, and nothing of the shim's. */
START_TEST(signals_the_program_blocks_stay_its_own)
{
	static const struct {
		int epipe;
		const char *own, *want;
	} cases[] = {
		{ 1, "none", "pending SIGPIPE 0 SIGXFSZ 0\n" },
		{ 1, "own", "pending SIGPIPE 1 SIGXFSZ 1\n" },
		{ 0, "none", "pending SIGPIPE 0 SIGXFSZ 0\n" },
		{ 0, "own", "pending SIGPIPE 1 SIGXFSZ 1\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *log = cases[i].epipe ? "stderr"
						 : tl_tmp("blocked.log");
		char *native = blocked_run(cases[i].epipe, cases[i].own, NULL);
		char *shim = blocked_run(cases[i].epipe, cases[i].own,
					 env_for(log));

		ck_assert_str_eq(native,
				 tl_str("refused 3\n%s", cases[i].want));
		ck_assert_str_eq(shim, native);
		free(native);
		free(shim);
	}
}
END_TEST

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* A journald that never reads: a datagram socket at journald's path, in
 * a /run of this test's own.  Its descriptor. */
static int deaf_journal(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX,
				   .sun_path = JOURNAL_SOCKET };
	int fd;

	ck_assert_int_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
	ck_assert_int_eq(mkdir("/run/systemd", 0755), 0);
	ck_assert_int_eq(mkdir("/run/systemd/journal", 0755), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* The event datagrams that reached it. */
static int journal_events(int fd)
{
	static char buf[65536];
	ssize_t n;
	int events = 0;

	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		events += strstr(buf, "\nTCPSHIM_EVENT=rst_received\n") != NULL;
	}
	return events;
}

/* A journal whose queue stays full: a passing failure, so the log is
 * kept, the lines it did not take are counted, and one line at exit says
 * how many, on stderr (the summary went to the journal, and was lost
 * with them). */
START_TEST(journal_that_stops_reading_counts_and_tells_the_lost)
{
	const char *const *argv = storm_argv(NULL);
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		"TCPSHIM_LOG=journal", "TCPSHIM_RATE=unlimited",
		"TCPSHIM_EVENTS=rst_received,summary", NULL,
	};
	struct tl_proc p;
	int fd, written, lost = -1;

	if (private_mounts(__func__) != 0)
		return;
	fd = deaf_journal();
	tl_run(&p, env, argv);
	assert_as_native(&p, argv);
	written = journal_events(fd);
	ck_assert_int_eq(tl_count_lines(p.err), 1);
	ck_assert_msg(sscanf(p.err, "tcpshim[%*d]: lost %d of " EVENTS_STR
				    " events: cannot write log " JOURNAL_SOCKET
				    ": EAGAIN\n",
			     &lost) == 1 &&
			      strstr(p.err, ": EAGAIN\n") != NULL,
		      "stderr: %s", p.err);
	ck_assert_int_gt(lost, 0);
	ck_assert_int_eq(written + lost, EVENTS);
	close(fd);
	tl_free(&p);
}
END_TEST

/* Rotation by rename: the shim looks at the path at most once a second
 * and opens it again; no line is lost or cut on the way. */
START_TEST(log_renamed_away_is_opened_again)
{
	const char *log = tl_tmp("rotated.log");
	const char *port = tl_str("%d", tl_closed_port(AF_INET));
	const char *argv[] = { tl_path("tests/prog_logfail"), port, NULL };
	struct tl_proc p;
	struct seen s = { 0 };
	char line[64], *old, *new;
	int tries = 0;

	tl_spawn_io(&p, env_for(log), argv);
	tl_say(&p, "1");
	ck_assert_int_eq(tl_expect(&p, "refused 1", 30000, line, 64), 0);
	/* logrotate's default: rename, then one event at a time until the
	 * path names a file again.  The condition is the file appearing;
	 * the pause only keeps the old log from growing by thousands of
	 * lines meanwhile. */
	ck_assert_int_eq(rename(log, tl_str("%s.1", log)), 0);
	for (; access(log, F_OK) != 0 && tries < 500; tries++) {
		tl_say(&p, "1");
		ck_assert_int_eq(tl_expect(&p, "refused 1", 30000, line, 64),
				 0);
		poll(NULL, 0, 10);
	}
	ck_assert_int_eq(access(log, F_OK), 0);
	tl_say(&p, "5");
	ck_assert_int_eq(tl_expect(&p, "refused 5", 30000, line, 64), 0);
	tl_wait(&p);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	old = tl_slurp(tl_str("%s.1", log));
	new = tl_slurp(log);
	assert_whole_lines(old);
	assert_whole_lines(new);
	seen_add(&s, old);
	seen_add(&s, new);
	ck_assert_int_eq(s.summaries, 1);
	ck_assert_int_eq(s.events, s.s_events);
	ck_assert_int_eq(s.s_events, 1 + tries + 5);
	ck_assert_int_eq(s.s_lost, 0);
	ck_assert_int_ge(tl_count_lines(new), 5 + 1);
	free(old);
	free(new);
	tl_free(&p);
}
END_TEST

static Suite *logfail_suite(void)
{
	Suite *s = suite_create("logfail");
	TCase *full = tcase_create("full");
	TCase *gone = tcase_create("reader_gone");
	TCase *rotate = tcase_create("rotation");

	tcase_set_timeout(full, 60);
	tcase_add_test(full, dev_full_log_moves_to_stderr_and_counts_add_up);
	tcase_add_test(full, full_tmpfs_log_moves_to_stderr_and_counts_add_up);
	tcase_add_test(full, tmpfs_with_one_page_keeps_whole_lines_only);
	tcase_add_test(full, file_size_limit_never_kills_and_leaves_whole_lines);
	tcase_add_test(full, unopenable_log_goes_to_stderr_under_the_rate);
	tcase_set_timeout(gone, 60);
	tcase_add_test(gone, fifo_whose_reader_exits_never_kills);
	tcase_add_test(gone, stderr_into_head_never_kills_and_costs_nothing_more);
	tcase_add_test(gone, signals_the_program_blocks_stay_its_own);
	tcase_add_test(gone,
		       lost_events_are_told_in_the_log_when_stderr_is_gone);
	tcase_add_test(gone, journal_that_stops_reading_counts_and_tells_the_lost);
	tcase_set_timeout(rotate, 60);
	tcase_add_test(rotate, log_renamed_away_is_opened_again);
	suite_add_tcase(s, full);
	suite_add_tcase(s, gone);
	suite_add_tcase(s, rotate);
	return s;
}

int main(void)
{
	return tl_main(logfail_suite());
}
