/*
 * check_hardening - the traps a host program sets for a preload library,
 * beyond those of check_traps: a vfork child closing and dup2ing the
 * parent's sockets, a FIFO log nobody reads, 8 processes of 4 threads
 * logging into one file, a connection at the highest descriptor number
 * allowed, a thread cancelled inside recv, jemalloc or tcmalloc preloaded
 * first, a setuid program linked with the library, and static and Go
 * programs, which the library cannot see into.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static void assert_reset(int a)
{
	char buf[8];

	ck_assert_int_eq(tl_poll(a, POLLIN, 10000), 0);
	ck_assert_int_eq(read(a, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(a);
}

/*
 * Every line of the JSON log at path through Python's json.loads: each a
 * refused connection (what the storm scenario makes), no two with the
 * same pid and conn, each process's conns consecutive.  Returns
 * "lines N processes P per-process C1 C2 ..." (largest first), or
 * Python's complaint; NULL without python3.
 */
static char *refused_lines(const char *path)
{
	static const char script[] =
		"import collections, json, sys\n"
		"data = open(sys.argv[1], 'rb').read()\n"
		"if data and not data.endswith(b'\\n'):\n"
		"    sys.exit('last line unterminated')\n"
		"conns = collections.defaultdict(list)\n"
		"for raw in data.splitlines():\n"
		"    ev = json.loads(raw)\n"
		"    want = ('rst_received', 'refused', 'connect', "
		"'ECONNREFUSED')\n"
		"    got = (ev['event'], ev['cause'], ev['call'],\n"
		"           ev['errno'])\n"
		"    if got != want:\n"
		"        sys.exit('unexpected event: %r' % raw)\n"
		"    conns[ev['pid']].append(ev['conn'])\n"
		"for pid, c in conns.items():\n"
		"    c.sort()\n"
		"    if c != list(range(c[0], c[0] + len(c))):\n"
		"        sys.exit('pid %d: conns %r' % (pid, c))\n"
		"sizes = sorted((len(c) for c in conns.values()),\n"
		"               reverse=True)\n"
		"print('lines %d processes %d per-process %s' % (sum(sizes), "
		"len(sizes), ' '.join(map(str, sizes))))\n";
	const char *argv[] = { "/usr/bin/env", "python3", "-c", script, path,
			       NULL };
	struct tl_proc p;
	char *out;

	if (!tl_have("python3"))
		return NULL;
	tl_run(&p, NULL, argv);
	out = strdup(p.status == 0 ? p.out : p.err);
	ck_assert_ptr_nonnull(out);
	tl_free(&p);
	return out;
}

/* Does the ELF file at path ask for a program interpreter (ld.so)? */
static int is_dynamic(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), dynamic = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &eh, sizeof(eh), 0), (ssize_t)sizeof(eh));
	ck_assert_int_eq(memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
	ck_assert_int_eq(eh.e_ident[EI_CLASS], ELFCLASS64);
	for (int i = 0; i < eh.e_phnum; i++) {
		ck_assert_int_eq(pread(fd, &ph, sizeof(ph),
				       (off_t)(eh.e_phoff +
					       (Elf64_Off)i * eh.e_phentsize)),
				 (ssize_t)sizeof(ph));
		if (ph.p_type == PT_INTERP)
			dynamic = 1;
	}
	close(fd);
	return dynamic;
}

/* --- a vfork child shares the parent's memory --- */

/*
 * ThreadSanitizer runs vfork() as fork(): there is no shared memory to
 * protect, and a child's exit() flushes a copy of the parent's stdio.
 */
static int no_vfork_under_tsan(const char *test)
{
	const char *san = getenv("TCPSHIM_TEST_SANITIZER");

	return san != NULL && strstr(san, "thread") != NULL &&
	       tl_sanitized_skip(test, "ThreadSanitizer turns vfork into fork");
}

/*
 * The vfork child runs the wrappers in the parent's memory.  Before the
 * shim knew (shim_in_vfork_child), its close of A and dup2 over B took
 * both out of the parent's table, and the child logged a rst_sent that
 * never happened; the parent then logged B's reset as a new connection
 * with no bytes and no peer, and its close of A with unread data (a real
 * RST) not at all.  A socket the child opened took over A's record.
 */
static void vfork_child_leaves_parent_table_alone(const char *how)
{
	struct scenario sc = { .prog = "tests/prog_hardening" };
	char la[64], pa[64], lb[64], pb[64], line[1024], buf[2], pid[32];
	int port, lfd = tl_listen(AF_INET, &port), a, b, fa, fb;

	sc_start(&sc, "vfork", AF_INET, port, how, NULL);
	a = sc_accept(lfd, la, pa);
	b = sc_accept(lfd, lb, pb);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(tl_read_n(b, buf, 2, 10000), 0);
	ck_assert_int_eq(write(a, "data", 4), 4);
	/* After the child: "v" on B, and the peer resets B. */
	ck_assert_int_eq(tl_read_n(b, buf, 1, 10000), 0);
	tl_reset(b);
	assert_reset(a);	/* the parent's close of A, unread data */
	sc_finish(&sc);
	ck_assert_int_eq(sscanf(sc.p.out, "fds %d %d", &fa, &fb), 2);
	ck_assert_str_eq(sc.p.out, tl_str("fds %d %d\nchild 0\n"
					  "recv -1 ECONNRESET\nclose 0\n",
					  fa, fb));
	snprintf(pid, sizeof(pid), "%d", (int)sc.p.pid);
	/* Nothing from the child: its closes sent nothing. */
	for (int i = 0; tl_line(sc.log, i, line, sizeof(line)); i++) {
		char who[32];

		ck_assert_ptr_nonnull(tl_json(line, "pid", who, sizeof(who)));
		ck_assert_msg(strcmp(who, pid) == 0,
			      "the vfork child (pid %s) logged: %s", who, line);
	}
	ck_assert_msg(tl_count_lines(sc.log) == 2, "log:\n%s", sc.log);
	tl_line(sc.log, 0, line, sizeof(line));
	sc_assert_event(line, "rst_received", "peer_reset", "recv",
			"ECONNRESET", lb, pb);
	TL_ASSERT_FIELD(line, "pid", pid);
	TL_ASSERT_FIELD(line, "fd", tl_str("%d", fb));
	TL_ASSERT_FIELD(line, "conn", "2");
	TL_ASSERT_FIELD(line, "bytes_sent", "3");
	tl_line(sc.log, 1, line, sizeof(line));
	sc_assert_event(line, "rst_sent", "unread_data", "close", "null", la,
			pa);
	TL_ASSERT_FIELD(line, "pid", pid);
	TL_ASSERT_FIELD(line, "fd", tl_str("%d", fa));
	TL_ASSERT_FIELD(line, "conn", "1");
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	close(lfd);
	sc_free(&sc);
}

START_TEST(vfork_child_exit_leaves_parent_connections_tracked)
{
	if (no_vfork_under_tsan(__func__))
		return;
	vfork_child_leaves_parent_table_alone("exit");
}
END_TEST

START_TEST(vfork_child_exec_leaves_parent_connections_tracked)
{
	if (no_vfork_under_tsan(__func__))
		return;
	vfork_child_leaves_parent_table_alone("exec");
}
END_TEST

/* The child's new socket takes A's number, in the child only. */
START_TEST(clone_vm_child_leaves_parent_connections_tracked)
{
	if (no_vfork_under_tsan(__func__) ||
	    tl_sanitized_skip(__func__, "AddressSanitizer warns on stderr "
			      "about a clone child's stack it did not make"))
		return;
	vfork_child_leaves_parent_table_alone("clone");
}
END_TEST

/* A fork the atfork handlers never saw, after a vfork: not taken for a
 * vfork child, so its own refused connect is logged, with its pid. */
START_TEST(fork_by_syscall_after_vfork_logs_its_own)
{
	struct scenario sc = { .prog = "tests/prog_hardening" };
	char line[1024];
	int child, st;

	if (no_vfork_under_tsan(__func__))
		return;
	sc_start(&sc, "fork-after-vfork", AF_INET, tl_closed_port(AF_INET),
		 NULL, NULL);
	sc_finish(&sc);
	ck_assert_int_eq(sscanf(sc.p.out, "child %d %d", &child, &st), 2);
	ck_assert_int_eq(st, 0);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "refused", "connect",
			"ECONNREFUSED", NULL, NULL);
	TL_ASSERT_FIELD(line, "pid", tl_str("%d", child));
	sc_free(&sc);
}
END_TEST

START_TEST(vfork_child_socket_leaves_parent_connections_tracked)
{
	if (no_vfork_under_tsan(__func__))
		return;
	vfork_child_leaves_parent_table_alone("socket");
}
END_TEST

/*
 * The same trap: the child's close(2) used to tell the parent's shim that
 * stderr was gone, and the parent's events, logged to stderr by default,
 * were lost from then on.
 */
START_TEST(vfork_child_closing_stderr_leaves_parent_log_on)
{
	if (no_vfork_under_tsan(__func__))
		return;
	struct scenario sc = { .prog = "tests/prog_hardening",
			       .stderr_ok = 1 };
	const char *env[] = { "TCPSHIM_LOG=stderr", NULL };
	char line[1024];

	sc_start(&sc, "vfork-closes", AF_INET, tl_closed_port(AF_INET),
		 "close2", env);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "refused 1\nchild 0\nrefused 1\n"
				   "fds from 100: +0\n");
	ck_assert_msg(tl_count_lines(sc.p.err) == 2, "stderr:\n%s",
		      sc.p.err);
	for (int i = 0; i < 2; i++) {
		tl_line(sc.p.err, i, line, sizeof(line));
		sc_assert_event(line, "rst_received", "refused", "connect",
				"ECONNREFUSED", NULL, NULL);
	}
	sc_free(&sc);
}
END_TEST

/*
 * The same trap: the child's closefrom(3) used to release the parent's
 * log descriptor in the shared state; the parent opened its log again
 * and the old descriptor leaked, one per vfork.
 */
START_TEST(vfork_child_closefrom_leaks_no_parent_log_descriptor)
{
	if (no_vfork_under_tsan(__func__))
		return;
	struct scenario sc = { .prog = "tests/prog_hardening" };

	sc_start(&sc, "vfork-closes", AF_INET, tl_closed_port(AF_INET),
		 "closefrom", NULL);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "refused 1\nchild 0\nrefused 1\n"
				   "fds from 100: +0\n");
	ck_assert_int_eq(tl_count_lines(sc.log), 2);
	sc_free(&sc);
}
END_TEST

/* --- the log --- */

/* A FIFO nobody reads: the shim's open fails at once (O_NONBLOCK gives
 * ENXIO) instead of blocking the program; it says so once, and logs to
 * stderr. */
START_TEST(fifo_log_without_reader_never_blocks)
{
	struct scenario sc = { .stderr_ok = 1 };
	const char *fifo = tl_tmp("fifo");
	const char *env[] = { tl_str("TCPSHIM_LOG=%s", fifo), NULL };
	char line[1024];

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	sc_start(&sc, "connect", AF_INET, tl_closed_port(AF_INET), NULL, env);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, "connect -1 ECONNREFUSED\n");
	ck_assert_int_eq(tl_count_lines(sc.p.err), 2);
	tl_line(sc.p.err, 0, line, sizeof(line));
	ck_assert_str_eq(line, tl_str("tcpshim: cannot open log %s: ENXIO; "
				      "logging to stderr instead", fifo));
	tl_line(sc.p.err, 1, line, sizeof(line));
	sc_assert_event(line, "rst_received", "refused", "connect",
			"ECONNREFUSED", NULL, NULL);
	sc_free(&sc);
}
END_TEST

/*
 * A FIFO whose reader stops reading: once the pipe is full, a write would
 * block; the shim's descriptor is non-blocking, so the program runs on
 * and the lines that do not fit are dropped, whole (each is one write of
 * less than PIPE_BUF bytes: all or nothing), counted, and told of in one
 * line on stderr as the child that lost them ends.
 */
START_TEST(fifo_log_with_stalled_reader_drops_whole_lines)
{
	struct scenario sc = { .prog = "tests/prog_hardening", .stderr_ok = 1 };
	const char *fifo = tl_tmp("fifo"), *copy = tl_tmp("fifo-content");
	const char *env[] = { tl_str("TCPSHIM_LOG=%s", fifo), NULL };
	char buf[65536], *check;
	int rd, out, lines, lost = -1;
	long total = 0;
	ssize_t n;

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(rd, 0);
	sc_start(&sc, "storm", AF_INET, tl_closed_port(AF_INET), "1,1,400",
		 env);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, "children 1 ok 1\n");
	out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(out, 0);
	while ((n = read(rd, buf, sizeof(buf))) > 0) {
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
		total += n;
	}
	close(out);
	close(rd);
	check = tl_slurp(copy);
	lines = tl_count_lines(check);
	/* Some, not all: the pipe holds 64 KiB, the storm logs ~130 KiB. */
	ck_assert_msg(lines > 0 && lines < 401, "%d lines", lines);
	free(check);
	/* The child lost what the FIFO did not take: it says how many. */
	ck_assert_int_eq(tl_count_lines(sc.p.err), 1);
	ck_assert_msg(sscanf(sc.p.err, "tcpshim[%*d]: lost %d of 400 events: "
				       "cannot write log %*s EAGAIN\n",
			     &lost) == 1 &&
			      strstr(sc.p.err, tl_str(" log %s: EAGAIN\n",
						      fifo)) != NULL,
		      "stderr: %s", sc.p.err);
	ck_assert_int_eq(lines + lost, 401);
	check = refused_lines(copy);
	if (check == NULL) {
		tl_skip(__func__, "python3 missing: lines not parsed as JSON");
	} else {
		ck_assert_msg(strncmp(check, tl_str("lines %d processes ",
						    lines),
				      strlen(tl_str("lines %d processes ",
						    lines))) == 0,
			      "%s", check);
		printf("fifo: %d of 401 lines (%ld bytes) got through\n", lines,
		       total);
		free(check);
	}
	sc_free(&sc);
}
END_TEST

/* 8 processes of 4 threads, 25 refused connections each, at once, into
 * one JSON log: every line whole and valid, none lost, none twice. */
START_TEST(eight_processes_of_four_threads_lose_and_mangle_no_line)
{
	struct scenario sc = { .prog = "tests/prog_hardening" };
	char *check;

	sc_start(&sc, "storm", AF_INET, tl_closed_port(AF_INET), "8,4,25",
		 NULL);
	sc_finish(&sc);
	ck_assert_int_eq(sc.p.status, 0);
	ck_assert_str_eq(sc.p.out, "children 8 ok 8\n");
	ck_assert_int_eq(tl_count_lines(sc.log), 1 + 8 * 4 * 25);
	check = refused_lines(sc.log_path);
	if (check == NULL) {
		tl_skip(__func__, "python3 missing: lines not parsed as JSON");
	} else {
		ck_assert_str_eq(check, "lines 801 processes 9 per-process "
					"100 100 100 100 100 100 100 100 1\n");
		free(check);
	}
	sc_free(&sc);
}
END_TEST

/* --- descriptors and threads --- */

START_TEST(connection_at_highest_allowed_descriptor_is_followed)
{
	struct scenario sc = { .prog = "tests/prog_hardening" };
	char local[64], peer[64], line[1024], buf[2];
	int a, fd;
	struct rlimit rl;

	a = sc_start_accept(&sc, "highfd", AF_INET, NULL, NULL, local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	tl_reset(a);
	sc_finish(&sc);
	ck_assert_int_eq(sscanf(sc.p.out, "fd %d", &fd), 1);
	ck_assert_str_eq(sc.p.out, tl_str("fd %d\nrecv -1 ECONNRESET\n"
					  "close 0\n", fd));
	/* At least our own hard limit, less one. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_ge(fd, (int)(rl.rlim_max < (1u << 30) ? rl.rlim_max
							    : 1u << 30) - 1);
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "rst_received", "peer_reset", "recv",
			"ECONNRESET", local, peer);
	TL_ASSERT_FIELD(line, "fd", tl_str("%d", fd));
	TL_ASSERT_FIELD(line, "conn", "1");
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	sc_free(&sc);
}
END_TEST

/* A thread cancelled inside recv leaves nothing half done: the close
 * that follows is an orderly one (FIN), classified as such. */
START_TEST(thread_cancelled_in_recv_then_close_is_orderly)
{
	struct scenario sc = { .prog = "tests/prog_hardening" };
	const char *env[] = { "TCPSHIM_EVENTS=all", NULL };
	char local[64], peer[64], line[1024], buf[8];
	int a;

	a = sc_start_accept(&sc, "cancel", AF_INET, NULL, env, local, peer);
	ck_assert_int_eq(tl_read_n(a, buf, 2, 10000), 0);
	ck_assert_int_eq(tl_poll(a, POLLIN, 10000), 0);
	ck_assert_int_eq(read(a, buf, sizeof(buf)), 0);	/* FIN, no RST */
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "cancel 0\ncancelled 0\nclose 0\n");
	TL_ONE_LINE(sc.log, line);
	sc_assert_event(line, "close", "normal", "close", "null", local, peer);
	TL_ASSERT_FIELD(line, "conn", "1");
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	TL_ASSERT_FIELD(line, "bytes_received", "0");
	close(a);
	sc_free(&sc);
}
END_TEST

/* --- other libraries, other programs --- */

static const struct {
	const char *lib;	/* found by the loader, as LD_PRELOAD allows */
	const char *package;
} allocators[] = {
	{ "libjemalloc.so.2", "libjemalloc2" },
	{ "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4" },
};

/* The allocator first in LD_PRELOAD, tcpshim after it. */
START_TEST(another_allocator_preloaded_first)
{
	const char *lib = allocators[_i].lib;
	const char *log = tl_tmp("events.log");
	const char *env[] = {
		tl_str("LD_PRELOAD=%s %s", lib, tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", log), "TCPSHIM_FORMAT=json", NULL
	};
	const char *argv[] = { tl_path("tests/prog_hardening"), "malloc", "4",
			       tl_str("%d", tl_closed_port(AF_INET)), NULL };
	const char *test = tl_str("another_allocator_preloaded_first(%s)",
				  lib);
	struct tl_proc p;
	char *text, *check;

	if (getenv("TCPSHIM_TEST_SANITIZER") != NULL) {
		tl_skip(test, "a sanitizer's runtime owns malloc here");
		return;
	}
	tl_run(&p, env, argv);
	if (strstr(p.err, "cannot be preloaded") != NULL) {
		tl_skip(test, tl_str("%s missing (Debian package %s)", lib,
				     allocators[_i].package));
		tl_free(&p);
		return;
	}
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
		      p.err);
	ck_assert_str_eq(p.out, tl_str("malloc %s\nchildren 2 ok 2\n", lib));
	ck_assert_str_eq(p.err, "");
	text = tl_slurp(log);
	ck_assert_int_eq(tl_count_lines(text), 1 + 2 * 4 * 10);
	free(text);
	check = refused_lines(log);
	if (check != NULL) {
		ck_assert_str_eq(check, "lines 81 processes 3 per-process "
					"40 40 1\n");
		free(check);
	}
	tl_free(&p);
}
END_TEST

/*
 * A program linked with -ltcpshim, made setuid root and run by nobody: the
 * loader is in secure mode, the library loads (by its absolute run path)
 * and works, but reads no TCPSHIM_ variable (secure_getenv): the log file
 * named is never created, the event goes to stderr as text, the bad
 * TCPSHIM_CLOSE draws no warning.  Run by root, the same copy is not in
 * secure mode, and reads them all.
 */
START_TEST(setuid_program_reads_no_tcpshim_variable)
{
	static const char text_event[] = " rst_received cause=refused "
					 "call=connect errno=ECONNREFUSED ";
	const char *setpriv = tl_which("setpriv");
	char dir[] = "/tmp/tcpshim-setuid-XXXXXX";
	const char *prog, *log, *control, *port;
	const char *cp[4];
	struct tl_proc p;
	char line[1024], *text;

	if (!tl_is_root() || setpriv == NULL) {
		tl_skip(__func__, "needs root and setpriv (Debian package "
				  "util-linux)");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	prog = tl_str("%s/prog", dir);
	log = tl_str("%s/events.log", dir);
	control = tl_str("%s/control.log", dir);
	port = tl_str("%d", tl_closed_port(AF_INET));
	cp[0] = tl_which("cp");
	cp[1] = tl_path("tests/prog_linked_secure");
	cp[2] = prog;
	cp[3] = NULL;
	tl_run(&p, NULL, cp);
	ck_assert_int_eq(p.status, 0);
	tl_free(&p);
	ck_assert_int_eq(chown(prog, 0, 0), 0);
	ck_assert_int_eq(chmod(prog, 04755), 0);

	/* Root: not secure; the variables are read. */
	tl_run(&p, (const char *const[]){ tl_str("TCPSHIM_LOG=%s", control),
					  "TCPSHIM_FORMAT=json",
					  "TCPSHIM_CLOSE=sometimes", NULL },
	       (const char *const[]){ prog, port, NULL });
	ck_assert_str_eq(p.out, "secure 0\nconnect -1 ECONNREFUSED\n");
	ck_assert_msg(strstr(p.err, "TCPSHIM_CLOSE=\"sometimes\"") != NULL,
		      "%s", p.err);
	text = tl_slurp(control);
	TL_ONE_LINE(text, line);
	TL_ASSERT_FIELD(line, "cause", "refused");
	free(text);
	tl_free(&p);

	/* nobody: secure mode. */
	tl_run(&p, (const char *const[]){ tl_str("TCPSHIM_LOG=%s", log),
					  "TCPSHIM_FORMAT=json",
					  "TCPSHIM_CLOSE=sometimes", NULL },
	       (const char *const[]){ setpriv, "--reuid=65534",
				      "--regid=65534", "--clear-groups", prog,
				      port, NULL });
	if (strstr(p.err, "error while loading shared libraries") != NULL) {
		tl_skip(__func__, tl_str("nobody cannot load %s: %s",
					 tl_path("libtcpshim.so.1"), p.err));
	} else {
		ck_assert_msg(p.status == 0, "status %d: %s", p.status, p.err);
		ck_assert_str_eq(p.out, "secure 1\nconnect -1 ECONNREFUSED\n");
		ck_assert_int_eq(access(log, F_OK), -1);
		TL_ONE_LINE(p.err, line);
		ck_assert_msg(strncmp(line, "tcpshim[", 8) == 0 &&
				      strstr(line, text_event) != NULL,
			      "not a text event line: %s", line);
	}
	tl_free(&p);
	unlink(control);
	unlink(log);
	unlink(prog);
	rmdir(dir);
}
END_TEST

/*
 * A static program has no loader to preload anything: it runs exactly as
 * without the shim, and the shim logs nothing of it (docs/limits.md).
 * The bad TCPSHIM_CLOSE would draw a warning from a library that loaded.
 */
START_TEST(static_program_runs_unchanged_and_unseen)
{
	const char *prog = tl_path("tests/prog_static");
	const char *log = tl_tmp("events.log");
	const char *port = tl_str("%d", tl_closed_port(AF_INET));
	const char *argv[] = { prog, port, NULL };
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", log), "TCPSHIM_EVENTS=all",
		"TCPSHIM_CLOSE=sometimes", NULL
	};
	const char *want = "connect 0\nsend 4\nrecv 4\nrecv -1 ECONNRESET\n"
			   "connect -1 ECONNREFUSED\n";
	struct tl_proc p;

	ck_assert_msg(!is_dynamic(prog), "%s is not static", prog);
	tl_run(&p, NULL, argv);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, want);
	tl_free(&p);
	tl_run(&p, env, argv);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, want);
	ck_assert_str_eq(p.err, "");
	ck_assert_int_eq(access(log, F_OK), -1);
	tl_free(&p);
}
END_TEST

/* Talks to itself over loopback, has the peer reset, then connects where
 * nothing listens (the port is its argument). */
static const char go_source[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"errors\"\n"
	"\t\"fmt\"\n"
	"\t\"net\"\n"
	"\t\"os\"\n"
	"\t\"syscall\"\n"
	")\n"
	"\n"
	"func main() {\n"
	"\tl, err := net.Listen(\"tcp\", \"127.0.0.1:0\")\n"
	"\tif err != nil {\n"
	"\t\tfmt.Println(\"listen\", err)\n"
	"\t\tos.Exit(1)\n"
	"\t}\n"
	"\tgo func() {\n"
	"\t\tc, err := l.Accept()\n"
	"\t\tif err != nil {\n"
	"\t\t\treturn\n"
	"\t\t}\n"
	"\t\tbuf := make([]byte, 4)\n"
	"\t\tc.Read(buf)\n"
	"\t\tc.(*net.TCPConn).SetLinger(0)\n"
	"\t\tc.Close()\n"
	"\t}()\n"
	"\tc, err := net.Dial(\"tcp\", l.Addr().String())\n"
	"\tif err != nil {\n"
	"\t\tfmt.Println(\"dial\", err)\n"
	"\t\tos.Exit(1)\n"
	"\t}\n"
	"\tc.Write([]byte(\"ping\"))\n"
	"\t_, err = c.Read(make([]byte, 4))\n"
	"\tfmt.Println(\"reset\", errors.Is(err, syscall.ECONNRESET))\n"
	"\t_, err = net.Dial(\"tcp\", \"127.0.0.1:\"+os.Args[1])\n"
	"\tfmt.Println(\"refused\", errors.Is(err, syscall.ECONNREFUSED))\n"
	"}\n";

/*
 * A Go program makes its system calls itself, not through libc: it runs
 * as without the shim, and the shim logs nothing of it (docs/limits.md).
 * Built with cgo (as by default), it is dynamically linked: the library
 * then does load, and its constructor runs (the bad TCPSHIM_CLOSE draws
 * its warning), and still nothing changes.
 */
START_TEST(go_program_runs_unchanged_and_unseen)
{
	const char *go = tl_which("go");
	const char *dir = tl_tmp("go"), *src, *bin;
	const char *log = tl_tmp("events.log");
	const char *port = tl_str("%d", tl_closed_port(AF_INET));
	const char *want = "reset true\nrefused true\n";
	struct tl_proc p;
	FILE *f;

	if (go == NULL) {
		tl_skip(__func__, "go missing (Debian package golang-go)");
		return;
	}
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	src = tl_str("%s/main.go", dir);
	bin = tl_str("%s/gorst", dir);
	f = fopen(src, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(go_source, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	tl_run(&p, (const char *const[]){ tl_str("GOCACHE=%s",
						 tl_path("go-cache")),
					  tl_str("GOPATH=%s/gopath", dir),
					  tl_str("HOME=%s", dir),
					  "GO111MODULE=off", "GOFLAGS=", NULL },
	       (const char *const[]){ go, "build", "-o", bin, src, NULL });
	ck_assert_msg(p.status == 0, "go build: %s%s", p.out, p.err);
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ bin, port, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, want);
	tl_free(&p);
	tl_run(&p, (const char *const[]){
		       tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		       tl_str("TCPSHIM_LOG=%s", log), "TCPSHIM_EVENTS=all",
		       "TCPSHIM_CLOSE=sometimes", NULL },
	       (const char *const[]){ bin, port, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, want);
	if (is_dynamic(bin))
		ck_assert_str_eq(p.err, "tcpshim: TCPSHIM_CLOSE=\"sometimes\" "
					"is not valid: expected normal or "
					"abort; closing normally\n");
	else
		ck_assert_str_eq(p.err, "");
	ck_assert_int_eq(access(log, F_OK), -1);
	tl_free(&p);
}
END_TEST

Suite *hardening_suite(void)
{
	Suite *s = suite_create("hardening");
	TCase *proc = tcase_create("processes");
	TCase *log = tcase_create("log");
	TCase *fds = tcase_create("descriptors");
	TCase *other = tcase_create("other_programs");

	tcase_set_timeout(proc, 30);
	tcase_add_test(proc,
		       vfork_child_exit_leaves_parent_connections_tracked);
	tcase_add_test(proc,
		       vfork_child_exec_leaves_parent_connections_tracked);
	tcase_add_test(proc,
		       vfork_child_socket_leaves_parent_connections_tracked);
	tcase_add_test(proc, clone_vm_child_leaves_parent_connections_tracked);
	tcase_add_test(proc, fork_by_syscall_after_vfork_logs_its_own);
	tcase_add_test(proc, vfork_child_closing_stderr_leaves_parent_log_on);
	tcase_add_test(proc,
		       vfork_child_closefrom_leaks_no_parent_log_descriptor);
	tcase_add_test(proc, thread_cancelled_in_recv_then_close_is_orderly);
	tcase_set_timeout(log, 30);
	tcase_add_test(log, fifo_log_without_reader_never_blocks);
	tcase_add_test(log, fifo_log_with_stalled_reader_drops_whole_lines);
	tcase_add_test(log,
		       eight_processes_of_four_threads_lose_and_mangle_no_line);
	tcase_set_timeout(fds, 30);
	tcase_add_test(fds,
		       connection_at_highest_allowed_descriptor_is_followed);
	/* go build takes a few seconds when its cache is cold. */
	tcase_set_timeout(other, 120);
	tcase_add_loop_test(other, another_allocator_preloaded_first, 0,
			    sizeof(allocators) / sizeof(*allocators));
	tcase_add_test(other, setuid_program_reads_no_tcpshim_variable);
	tcase_add_test(other, static_program_runs_unchanged_and_unseen);
	tcase_add_test(other, go_program_runs_unchanged_and_unseen);
	suite_add_tcase(s, proc);
	suite_add_tcase(s, log);
	suite_add_tcase(s, fds);
	suite_add_tcase(s, other);
	return s;
}

int main(void)
{
	return tl_main(hardening_suite());
}
