/*
 * testlib.h - helpers for tcpshim's Check suites: run a program under
 * the preload and collect what it printed, read the log, pick fields out
 * of a JSON event line, make loopback listeners.
 */
#ifndef TCPSHIM_TESTLIB_H
#define TCPSHIM_TESTLIB_H

#include <check.h>
#include <stddef.h>
#include <sys/types.h>

/* The build directory (where libtcpshim.so is), absolute. */
const char *tl_build(void);
/* tl_build() + "/" + rel, in a buffer that lives until the process ends. */
const char *tl_path(const char *rel);
/* A file of the source tree (demos/peerhost.sh), absolute. */
const char *tl_source(const char *rel);
/* A fresh file name in this run's private temporary directory. */
const char *tl_tmp(const char *name);

struct tl_proc {
	pid_t pid;
	int in;		/* tl_spawn_io: its stdin, else -1 */
	int out_fd;	/* tl_spawn_io: its stdout (a pipe), else -1 */
	char *acc;	/* tl_spawn_io: its stdout so far */
	size_t acc_len;
	size_t seen;	/* tl_expect: how much of acc it has looked at */
	char out_path[256];
	char err_path[256];
	int status;	/* exit code, or 128 + signal */
	char *out;	/* what it printed (malloc'd, NUL-terminated) */
	char *err;
};

/*
 * Start argv (argv[0] a path) with the environment of this process less
 * every LD_PRELOAD and TCPSHIM_ variable, plus env ("NAME=value", NULL
 * terminated; may be NULL).  stdout and stderr go to files.
 */
void tl_spawn(struct tl_proc *p, const char *const *env,
	      const char *const *argv);
/* tl_spawn, with its stderr at err_fd (a pipe's end the caller reads and
 * closes), not in a file. */
void tl_spawn_err(struct tl_proc *p, const char *const *env,
		  const char *const *argv, int err_fd);
/*
 * tl_spawn, with a pipe to its stdin: talk to it with tl_say, and follow
 * its output as it comes with tl_expect.
 */
void tl_spawn_io(struct tl_proc *p, const char *const *env,
		 const char *const *argv);
/* Write one line to its stdin. */
void tl_say(struct tl_proc *p, const char *line);
/*
 * Wait (up to timeout_ms) for a line of its stdout that starts with
 * prefix; the line into buf.  0, or -1 on timeout or end of output.
 */
int tl_expect(struct tl_proc *p, const char *prefix, int timeout_ms,
	      char *buf, size_t size);
/* Wait for it; fills status, out and err.  Returns status. */
int tl_wait(struct tl_proc *p);
/* tl_spawn then tl_wait. */
int tl_run(struct tl_proc *p, const char *const *env,
	   const char *const *argv);
void tl_free(struct tl_proc *p);

/* The whole file, malloc'd, NUL-terminated ("" if missing). */
char *tl_slurp(const char *path);
int tl_count_lines(const char *text);
/* Line n (from 0) of text into buf, without its newline; NULL if none. */
const char *tl_line(const char *text, int n, char *buf, size_t size);
/* The first line of text containing needle, into buf; NULL if none. */
const char *tl_find_line(const char *text, const char *needle, char *buf,
			 size_t size);
/*
 * The value of "key" in one flat JSON object line, into buf: strings
 * unquoted, numbers and null as written.  Returns buf, or NULL.
 */
const char *tl_json(const char *line, const char *key, char *buf,
		    size_t size);

/* A listening TCP socket on loopback (AF_INET or AF_INET6). */
int tl_listen(int family, int *port);
/* A loopback port with nothing listening on it. */
int tl_closed_port(int family);
/* accept() with a timeout in ms; -1 on timeout. */
int tl_accept(int lfd, int timeout_ms);
/* Wait until fd has all of events (poll); 0, or -1 on timeout. */
int tl_poll(int fd, short events, int timeout_ms);
/* Read exactly n bytes (with a timeout); 0 on success. */
int tl_read_n(int fd, void *buf, size_t n, int timeout_ms);
/* Close with SO_LINGER {1, 0}: the peer gets a RST. */
void tl_reset(int fd);
/* "127.0.0.1" or "::1" */
const char *tl_loopback(int family);

int tl_is_root(void);
/* cmd's full path on PATH, or NULL. */
const char *tl_which(const char *cmd);
/* Can demos/peerhost.sh make hosts here?  0 with the reason printed. */
int tl_can_netns(const char *test);
/* demos/peerhost.sh VERB TAG (up, crash, restart, down), which must work. */
void tl_peerhost(const char *verb, const char *tag);
/* Is cmd found on PATH? */
int tl_have(const char *cmd);
/*
 * Print why a test is skipped, in the form tests/run.sh counts.  test may
 * be __func__ (Check's test functions end in "_fn": that is dropped).
 */
void tl_skip(const char *test, const char *why);
/*
 * Under make check SANITIZE=...: print why test cannot run with a
 * sanitized library and return 1; otherwise return 0.
 */
int tl_sanitized_skip(const char *test, const char *why);
/* LD_PRELOAD's value for a program started by a tool (strace -E), with
 * the sanitizer runtime in front under make check SANITIZE=... */
const char *tl_preload_value(void);
/* Why a test that runs curl is skipped under SANITIZE (the
 * Sanitizers section of CONTRIBUTING.md says where and why). */
#define TL_CURL_SANITIZED "curl hangs in setlocale() with a sanitizer " \
	"runtime preloaded, tcpshim or not (CONTRIBUTING.md: Sanitizers)"

/* A formatted string that lives until the test process ends. */
const char *tl_str(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Check whether the log holds exactly one line, and return it in buf. */
#define TL_ONE_LINE(text, buf) do { \
	ck_assert_int_eq(tl_count_lines(text), 1); \
	ck_assert_ptr_nonnull(tl_line((text), 0, (buf), sizeof(buf))); \
} while (0)

/* Assert that JSON line has key equal to want. */
#define TL_ASSERT_FIELD(line, key, want) do { \
	char tl_v_[256]; \
	ck_assert_msg(tl_json((line), (key), tl_v_, sizeof(tl_v_)) != NULL, \
		      "no field %s in %s", (key), (line)); \
	ck_assert_msg(strcmp(tl_v_, (want)) == 0, \
		      "field %s is %s, expected %s, in %s", (key), tl_v_, \
		      (want), (line)); \
} while (0)

/*
 * One run of build/tests/prog_scenario (or prog, if set) under the
 * preload, logging JSON to a file of its own.  Zero-initialise it.
 */
struct scenario {
	const char *prog;	/* relative to the build directory */
	struct tl_proc p;
	const char *log_path;
	char *log;		/* the log's content after sc_finish */
	int stderr_ok;		/* set: the program may print on stderr */
	int interactive;	/* set: with a stdin (tl_say to sc->p) */
};

void sc_start(struct scenario *sc, const char *name, int family, int port,
	      const char *arg, const char *const *env);
void sc_finish(struct scenario *sc);
void sc_free(struct scenario *sc);
/*
 * Assert one JSON event line: event, cause, call, errno ("null" for
 * none), local and peer (NULL: any address), and that the fields every
 * event carries are there.
 */
void sc_assert_event(const char *line, const char *event, const char *cause,
		     const char *call, const char *err, const char *local,
		     const char *peer);

/*
 * Accept the scenario's connection on lfd; the scenario's local and peer
 * addresses, as it will log them, into sc_local and sc_peer (64 bytes).
 */
int sc_accept(int lfd, char *sc_local, char *sc_peer);
/*
 * sc_start with the test as the peer: a fresh listener on loopback is
 * the scenario's PORT, and the scenario's connection to it is accepted
 * (sc_accept: the addresses into sc_local and sc_peer).  Returns the
 * peer's end.  The listener is closed once it has served, so this is
 * for a scenario that connects to PORT once.
 */
int sc_start_accept(struct scenario *sc, const char *name, int family,
		    const char *arg, const char *const *env, char *sc_local,
		    char *sc_peer);
/*
 * The peer of a scenario whose connection ends in a reset: on a, read
 * "hi", write reply, and see the RST: ECONNRESET.  Closes a.
 */
void sc_peer_sees_rst(int a, const char *reply);
/*
 * The peer's part in the linger0, close and abort scenarios: read "hi",
 * write "ok", and say how the connection ended: 0 for a FIN,
 * -ECONNRESET for a RST.
 */
int sc_peer_end(int a);

/* Run a suite; returns the process exit status. */
int tl_main(Suite *s);

#endif
