/*
 * check_command - the tcpshim command as a user runs it: options become
 * TCPSHIM_ variables, the library is appended to LD_PRELOAD from its
 * absolute build path, the command is exec'd (its exit status, signal
 * and pid are its own), bad options stop with one line and status 2,
 * setuid targets are named; and "tcpshim report" over real and crafted
 * JSON logs, from files and stdin.
 *
 * Why one file: the command and its report are one program a user runs;
 * the cases share how it is started and its output read, and the first
 * case runs a program under the command, then reports on its log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "testlib.h"
#include "tcpshim.h"

#define KEEPALIVE_NOTE \
	"tcpshim: note: keepalive does not run while sent data is " \
	"unacknowledged; --user-timeout MS covers that case\n"

static const char *command(void)
{
	return tl_path("tcpshim");
}

static const char *sh(void)
{
	return "/bin/sh";
}

/* Whitespace-separated words of line into word[]; returns how many. */
static int words(const char *line, char word[][128], int max)
{
	int n = 0;

	while (*line && n < max) {
		size_t len;

		line += strspn(line, " ");
		len = strcspn(line, " ");
		if (len == 0)
			break;
		snprintf(word[n++], 128, "%.*s", (int)len, line);
		line += len;
	}
	return n;
}

/* The line of text that follows the line equal to title, into buf. */
static const char *line_after(const char *text, const char *title, int skip,
			      char *buf, size_t size)
{
	char line[1024];

	for (int i = 0; tl_line(text, i, line, sizeof(line)); i++)
		if (strcmp(line, title) == 0)
			return tl_line(text, i + 1 + skip, buf, size);
	return NULL;
}

/*
 * The issue's own example: curl refused through the command exits 7 as
 * curl does, the log holds the refused event, and the report shows it.
 */
START_TEST(curl_refused_exits_7_and_the_report_shows_it)
{
	const char *curl = tl_which("curl");
	int port = tl_closed_port(AF_INET);
	const char *log = tl_tmp("curl.log");
	char line[1024], row[1024], want[11][128], got[11][128];
	struct tl_proc p, r;

	if (curl == NULL) {
		tl_skip(__func__, "curl not found (Debian package curl)");
		return;
	}
	tl_run(&p, NULL,
	       (const char *const[]){ command(), "--json", "--log", log, "--",
				      curl, "-sS",
				      tl_str("http://127.0.0.1:%d/", port),
				      NULL });
	ck_assert_int_eq(p.status, 7);
	ck_assert_msg(strncmp(p.err, "curl: (7) ", 10) == 0, "%s", p.err);
	ck_assert_str_eq(p.out, "");

	char *text = tl_slurp(log);

	TL_ONE_LINE(text, line);
	TL_ASSERT_FIELD(line, "event", "rst_received");
	TL_ASSERT_FIELD(line, "cause", "refused");
	TL_ASSERT_FIELD(line, "errno", "ECONNREFUSED");
	TL_ASSERT_FIELD(line, "peer", tl_str("127.0.0.1:%d", port));
	/* exec, not fork: the pid that logged is the one we started. */
	TL_ASSERT_FIELD(line, "pid", tl_str("%d", (int)p.pid));

	tl_run(&r, NULL, (const char *const[]){ command(), "report", log,
						NULL });
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.err, "");
	ck_assert_ptr_nonnull(tl_line(r.out, 0, row, sizeof(row)));
	ck_assert_str_eq(row, "Connections");
	ck_assert_ptr_nonnull(tl_line(r.out, 1, row, sizeof(row)));
	ck_assert_int_eq(words(row, got, 11), 5);
	ck_assert_str_eq(got[0], "TIME");
	ck_assert_str_eq(got[4], "VERDICT");
	/* The row: the event's time, the reset from the port that refused
	 * to curl's socket, its cause, and the verdict naming curl's pid
	 * and what it saw. */
	ck_assert_ptr_nonnull(tl_line(r.out, 2, row, sizeof(row)));
	ck_assert_int_eq(words(row, got, 11), 11);
	ck_assert_ptr_nonnull(tl_json(line, "time", want[0], 128));
	ck_assert_str_eq(got[0], want[0]);
	ck_assert_ptr_nonnull(tl_json(line, "peer", want[1], 128));
	ck_assert_str_eq(got[1], want[1]);
	ck_assert_ptr_nonnull(tl_json(line, "local", want[2], 128));
	ck_assert_str_eq(got[2], want[2]);
	ck_assert_str_eq(got[3], "refused");
	ck_assert_ptr_nonnull(tl_json(line, "fd", want[3], 128));
	ck_assert_str_eq(strstr(row, "  the connection request"),
			 tl_str("  the connection request of pid %d (fd %s) to "
				"127.0.0.1:%d was refused: nothing listened "
				"there (ECONNREFUSED)", (int)p.pid, want[3],
				port));
	ck_assert_ptr_nonnull(
		line_after(r.out, "Counts by cause", 1, row, sizeof(row)));
	ck_assert_int_eq(words(row, got, 11), 3);
	ck_assert_str_eq(got[0], "refused");
	ck_assert_str_eq(got[1], "rst_received");
	ck_assert_str_eq(got[2], "1");
	ck_assert_ptr_nonnull(
		line_after(r.out, "Counts by peer", 1, row, sizeof(row)));
	ck_assert_int_eq(words(row, got, 11), 4);
	ck_assert_str_eq(got[0], "127.0.0.1");
	ck_assert_str_eq(got[1], "1");
	ck_assert_str_eq(got[2], "refused");
	ck_assert_str_eq(got[3], "1");
	ck_assert_ptr_nonnull(
		line_after(r.out, "Timeline (resets per 1 ms, by cause)", 0,
			   row, sizeof(row)));
	ck_assert_ptr_nonnull(strstr(row, "       1  #"));
	ck_assert_int_eq(tl_count_lines(r.out), 16);
	ck_assert_ptr_nonnull(tl_line(r.out, 15, row, sizeof(row)));
	ck_assert_str_eq(row, "1 connection, 1 event, 0 notices");
	free(text);
	tl_free(&p);
	tl_free(&r);
}
END_TEST

START_TEST(options_set_the_variables_and_preload_the_build_library)
{
	const char *env = tl_which("env");
	const char *log = tl_tmp("unused.log");
	struct tl_proc p;
	char line[4096];

	ck_assert_ptr_nonnull(env);
	/* 60,10,5 with 110000 ms: the timeout changes nothing, no warning. */
	tl_run(&p, NULL,
	       (const char *const[]){ command(), "--log", log, "--json",
				      "--keepalive", "60,10,5",
				      "--user-timeout=110000",
				      "--abort-on-close", "--events",
				      "rst_sent,close", "--inject",
				      "reset:after_sent=5", "--inject",
				      "reset:port=80;reset", "--", env, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	ck_assert_ptr_nonnull(tl_find_line(p.out, "TCPSHIM_LOG=", line,
					   sizeof(line)));
	ck_assert_str_eq(line, tl_str("TCPSHIM_LOG=%s", log));
	ck_assert_ptr_nonnull(strstr(p.out, "\nTCPSHIM_FORMAT=json\n"));
	ck_assert_ptr_nonnull(strstr(p.out, "\nTCPSHIM_KEEPALIVE=60,10,5\n"));
	ck_assert_ptr_nonnull(strstr(p.out, "\nTCPSHIM_USER_TIMEOUT=110000\n"));
	ck_assert_ptr_nonnull(strstr(p.out, "\nTCPSHIM_CLOSE=abort\n"));
	ck_assert_ptr_nonnull(strstr(p.out, "\nTCPSHIM_EVENTS=rst_sent,close\n"));
	/* --inject again and again: the rules joined, in order. */
	ck_assert_ptr_nonnull(strstr(p.out, "\nTCPSHIM_INJECT=reset:after_sent=5;"
					    "reset:port=80;reset\n"));
	ck_assert_ptr_nonnull(tl_find_line(p.out, "LD_PRELOAD=", line,
					   sizeof(line)));
	ck_assert_str_eq(line,
			 tl_str("LD_PRELOAD=%s/libtcpshim.so", tl_build()));
	tl_free(&p);
}
END_TEST

START_TEST(ld_preload_is_appended_to_not_replaced)
{
	const char *env[] = { "LD_PRELOAD=/nonexistent/first.so", NULL };
	struct tl_proc p;
	char line[4096];

	tl_run(&p, env,
	       (const char *const[]){ command(), "--", tl_which("env"),
				      NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_ptr_nonnull(tl_find_line(p.out, "LD_PRELOAD=", line,
					   sizeof(line)));
	ck_assert_str_eq(line,
			 tl_str("LD_PRELOAD=/nonexistent/first.so:%s/"
				"libtcpshim.so", tl_build()));
	tl_free(&p);
}
END_TEST

/* Run from a directory that holds a libtcpshim.so of its own: the
 * command still names the absolute build path. */
START_TEST(library_path_is_absolute_never_the_current_directory)
{
	const char *dir = tl_tmp("cwd");
	struct tl_proc p;
	char line[4096];
	FILE *f;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	f = fopen(tl_str("%s/libtcpshim.so", dir), "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	tl_run(&p, NULL,
	       (const char *const[]){ sh(), "-c",
				      "cd \"$1\" && exec \"$2\" -- env", "sh",
				      dir, command(), NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	ck_assert_ptr_nonnull(tl_find_line(p.out, "LD_PRELOAD=", line,
					   sizeof(line)));
	ck_assert_str_eq(line,
			 tl_str("LD_PRELOAD=%s/libtcpshim.so", tl_build()));
	ck_assert_msg(tl_build()[0] == '/', "%s", tl_build());
	tl_free(&p);
}
END_TEST

START_TEST(keepalive_alone_prints_one_note)
{
	const char *env[] = { "TCPSHIM_USER_TIMEOUT=110000", NULL };
	const char *tru = tl_which("true");
	struct tl_proc p;

	tl_run(&p, NULL,
	       (const char *const[]){ command(), "--keepalive", "60,10,5",
				      "--", tru, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, KEEPALIVE_NOTE);
	tl_free(&p);

	/* The user timeout covers that case: no note. */
	tl_run(&p, NULL,
	       (const char *const[]){ command(), "--keepalive", "60,10,5",
				      "--user-timeout", "110000", "--", tru,
				      NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	tl_free(&p);

	/* Set in the environment instead of by option: no note either. */
	tl_run(&p, env,
	       (const char *const[]){ command(), "--keepalive", "60,10,5",
				      "--", tru, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

START_TEST(bad_options_stop_with_one_line_and_status_2)
{
	static const struct {
		const char *args[3];
		const char *err;
	} cases[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "--bogus=1" }, "unknown option '--bogus'" },
		{ { "-x" }, "unknown option '-x'" },
		{ { "--json=yes" }, "option '--json' takes no value" },
		{ { "--log" }, "option '--log' needs a value" },
		{ { "--log", "--" }, "option '--log' needs a value" },
		{ { "--log=" }, "--log \"\" is not valid: expected stderr, "
				"off, syslog, journal, or a file path" },
		{ { "--keepalive", "60" },
		  "--keepalive \"60\" is not valid: expected IDLE,INTERVAL,"
		  "COUNT in seconds (e.g. 60,10,5; idle and interval "
		  "1-32767, count 1-127)" },
		{ { "--keepalive", "60,10,128" },
		  "--keepalive \"60,10,128\" is not valid: expected IDLE,"
		  "INTERVAL,COUNT in seconds (e.g. 60,10,5; idle and "
		  "interval 1-32767, count 1-127)" },
		{ { "--user-timeout", "0" },
		  "--user-timeout \"0\" is not valid: expected milliseconds, "
		  "1-2147483647" },
		{ { "--events", "rst_sent,reset" },
		  "--events \"rst_sent,reset\" is not valid: expected all, or "
		  "a comma list of rst_sent, rst_received, halfopen, close, "
		  "and summary" },
		{ { "--rate", "fast" },
		  "--rate \"fast\" is not valid: expected events per second, "
		  "0-1000000, or unlimited" },
		{ { "--inject", "reset:after_sent=1", "--inject=reset:count" },
		  "--inject \"reset:count\" is not valid (count needs a number "
		  "of resets: \"count\"): expected reset[:COND,...] with COND "
		  "one of after_sent=BYTES, after_received=BYTES, after_ms=MS, "
		  "peer=ADDR[/PREFIX][:PORT], port=PORT, prob=P (0 to 1), "
		  "seed=N, count=N; rules separated by ';'" },
	};
	const char *touch = tl_which("touch");

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *mark = tl_tmp("ran");
		const char *argv[10];
		struct tl_proc p;
		struct stat st;
		int n = 0;

		argv[n++] = command();
		for (int k = 0; k < 3 && cases[i].args[k]; k++)
			argv[n++] = cases[i].args[k];
		if (strcmp(argv[n - 1], "--") != 0)
			argv[n++] = "--";
		argv[n++] = touch;
		argv[n++] = mark;
		argv[n] = NULL;
		tl_run(&p, NULL, argv);
		ck_assert_msg(p.status == 2, "%s: status %d", cases[i].args[0],
			      p.status);
		ck_assert_str_eq(p.err, tl_str("tcpshim: %s (see tcpshim "
					       "--help)\n", cases[i].err));
		ck_assert_str_eq(p.out, "");
		/* The command never ran. */
		ck_assert_int_eq(stat(mark, &st), -1);
		tl_free(&p);
	}
}
END_TEST

/* Each --inject rule is good alone; 17 of them are too many, and the
 * command never starts. */
START_TEST(too_many_inject_rules_stop_before_the_command)
{
	const char *argv[40];
	struct tl_proc p;
	int n = 0;

	argv[n++] = command();
	for (int i = 0; i < 17; i++) {
		argv[n++] = "--inject";
		argv[n++] = "reset:count=1";
	}
	argv[n++] = "--";
	argv[n++] = tl_which("true");
	argv[n] = NULL;
	tl_run(&p, NULL, argv);
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.err, "(more than 16 rules)"));
	ck_assert_int_eq(tl_count_lines(p.err), 1);
	tl_free(&p);
}
END_TEST

START_TEST(no_command_is_a_bad_usage)
{
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "--json", "--",
						NULL });
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.err, "tcpshim: no command given: tcpshim [options] "
				"-- command [args...] (see tcpshim --help)\n");
	tl_free(&p);
}
END_TEST

START_TEST(help_and_version)
{
	struct tl_proc p;
	char line[256];

	tl_run(&p, NULL, (const char *const[]){ command(), "--help", NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	ck_assert_str_eq(tl_line(p.out, 0, line, sizeof(line)),
			 "usage: tcpshim [options] -- command [args...]");
	ck_assert_str_eq(tl_line(p.out, 1, line, sizeof(line)),
			 "       tcpshim report [LOG...]");
	/* Every option is listed. */
	ck_assert_ptr_nonnull(strstr(p.out, "  --log PATH|stderr|syslog|journal|off\n"));
	ck_assert_ptr_nonnull(strstr(p.out, "  --json "));
	ck_assert_ptr_nonnull(strstr(p.out, "  --keepalive IDLE,INTERVAL,COUNT"));
	ck_assert_ptr_nonnull(strstr(p.out, "  --user-timeout MS "));
	ck_assert_ptr_nonnull(strstr(p.out, "  --abort-on-close "));
	ck_assert_ptr_nonnull(strstr(p.out, "  --events LIST "));
	ck_assert_ptr_nonnull(strstr(p.out, "  --inject RULE "));
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ command(), "--version", NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "tcpshim " TCPSHIM_VERSION "\n");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

/* exec, not fork and wait: status, signal and pid are the command's. */
START_TEST(exit_status_signal_and_pid_are_the_commands)
{
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "--", sh(), "-c",
						"exit 3", NULL });
	ck_assert_int_eq(p.status, 3);
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ command(), "--", sh(), "-c",
						"kill -TERM $$", NULL });
	ck_assert_int_eq(p.status, 128 + 15);
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ command(), "--", sh(), "-c",
						"echo $$", NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, tl_str("%d\n", (int)p.pid));
	tl_free(&p);

	/* Without "--", options end at the first word that is not one. */
	tl_run(&p, NULL, (const char *const[]){ command(), "--json", sh(),
						"-c", "exit 4", NULL });
	ck_assert_int_eq(p.status, 4);
	tl_free(&p);
}
END_TEST

START_TEST(command_not_found_or_not_executable)
{
	const char *missing = tl_tmp("no-such-command");
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "--", missing,
						NULL });
	ck_assert_int_eq(p.status, 127);
	ck_assert_str_eq(p.err, tl_str("tcpshim: cannot run %s: No such file "
				       "or directory\n", missing));
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ command(), "--", tl_build(),
						NULL });
	ck_assert_int_eq(p.status, 126);
	ck_assert_str_eq(p.err, tl_str("tcpshim: cannot run %s: Permission "
				       "denied\n", tl_build()));
	tl_free(&p);
}
END_TEST

/* A copy of true in dir, with mode and owner. */
static const char *setid_copy_in(const char *dir, const char *name,
				 mode_t mode, uid_t uid, gid_t gid)
{
	const char *file = tl_str("%s/%s", dir, name);
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ tl_which("cp"),
						tl_which("true"), file,
						NULL });
	ck_assert_int_eq(p.status, 0);
	tl_free(&p);
	ck_assert_int_eq(chown(file, uid, gid), 0);
	ck_assert_int_eq(chmod(file, mode), 0);
	return file;
}

/* The same, in a directory of its own. */
static const char *setid_copy(const char *name, mode_t mode, uid_t uid,
			      gid_t gid)
{
	const char *dir = tl_tmp("bin");

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	return setid_copy_in(dir, name, mode, uid, gid);
}

START_TEST(setuid_and_setgid_targets_are_named_in_a_warning)
{
	const char *suid, *sgid, *own;
	struct tl_proc p;

	if (!tl_is_root()) {
		tl_skip(__func__, "giving a file to another user needs root");
		return;
	}
	suid = setid_copy("suid-true", 04755, 65534, 0);
	sgid = setid_copy("sgid-true", 02755, 0, 65534);
	own = setid_copy("own-suid-true", 04755, getuid(), getgid());

	tl_run(&p, NULL, (const char *const[]){ command(), "--", suid, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, tl_str("tcpshim: warning: %s is setuid: the "
				       "dynamic loader ignores LD_PRELOAD for "
				       "it, so nothing will be logged\n",
				       suid));
	tl_free(&p);

	/* Found on PATH, as execvp finds it: named by its full path. */
	tl_run(&p, NULL,
	       (const char *const[]){ sh(), "-c",
				      "PATH=\"${1%/*}:$PATH\" exec \"$2\" -- "
				      "sgid-true", "sh", sgid, command(),
				      NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, tl_str("tcpshim: warning: %s is setgid: the "
				       "dynamic loader ignores LD_PRELOAD for "
				       "it, so nothing will be logged\n",
				       sgid));
	tl_free(&p);

	/* Set-id to the caller's own user changes nothing: no warning. */
	tl_run(&p, NULL, (const char *const[]){ command(), "--", own, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

/*
 * A file with capabilities, run by a user who is not root: the loader is
 * in secure mode there too.  Run as nobody through setpriv, from a
 * directory nobody can read.
 */
START_TEST(file_capabilities_are_named_for_a_user_not_root)
{
	const char *setpriv = tl_which("setpriv");
	struct vfs_cap_data cap = { 0 };
	char dir[] = "/tmp/tcpshim-caps-XXXXXX";
	const char *file;
	struct tl_proc p;

	if (!tl_is_root() || setpriv == NULL) {
		tl_skip(__func__, "needs root and setpriv (Debian package "
				  "util-linux)");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	file = setid_copy_in(dir, "caps-true", 0755, 0, 0);
	cap.magic_etc = htole32(VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE);
	cap.data[0].permitted = htole32(1u << CAP_NET_RAW);
	if (setxattr(file, "security.capability", &cap, XATTR_CAPS_SZ_2,
		     0) != 0) {
		tl_skip(__func__, tl_str("cannot set file capabilities in "
					 "/tmp: %s", strerror(errno)));
	} else {
		tl_run(&p, NULL, (const char *const[]){
			       setpriv, "--reuid=65534", "--regid=65534",
			       "--clear-groups", command(), "--", file,
			       NULL });
		ck_assert_int_eq(p.status, 0);
		ck_assert_str_eq(p.err,
				 tl_str("tcpshim: warning: %s has file "
					"capabilities: the dynamic loader "
					"ignores LD_PRELOAD for it, so nothing "
					"will be logged\n", file));
		tl_free(&p);
	}
	unlink(file);
	rmdir(dir);
}
END_TEST

/*
 * A crafted log: two processes, a reused pid (same pid and conn, another
 * cookie: another connection), IPv6, a notice, a blank line, and two
 * lines that are no event.
 */
static const char crafted_log[] =
	"{\"time\":\"2026-11-24T10:00:02.000000Z\",\"pid\":10,\"fd\":4,"
	"\"conn\":2,\"notice\":\"policy_overridden\",\"option\":"
	"\"TCP_USER_TIMEOUT\",\"value\":0,\"policy\":"
	"\"TCPSHIM_USER_TIMEOUT=5000\"}\n"
	"{\"time\":\"2026-11-24T10:00:03.000000Z\",\"pid\":10,\"fd\":4,"
	"\"conn\":2,\"cookie\":77,\"event\":\"rst_received\",\"cause\":"
	"\"peer_reset\",\"call\":\"recv\",\"errno\":\"ECONNRESET\","
	"\"local\":\"127.0.0.1:40000\",\"peer\":\"127.0.0.1:8080\","
	"\"bytes_sent\":12,\"bytes_received\":3456,\"probes\":0,"
	"\"retransmits\":0,\"idle_ms\":5,\"unacked\":0}\n"
	"this is not json\n"
	"\n"
	"{\"time\":\"2026-11-24T10:00:01.000000Z\",\"pid\":11,\"fd\":3,"
	"\"conn\":1,\"cookie\":78,\"event\":\"halfopen\",\"cause\":"
	"\"keepalive_timeout\",\"call\":\"recv\",\"errno\":\"ETIMEDOUT\","
	"\"local\":\"[::1]:50000\",\"peer\":\"[::1]:443\",\"bytes_sent\":0,"
	"\"bytes_received\":0,\"probes\":2,\"retransmits\":0,"
	"\"idle_ms\":3000,\"unacked\":0}\n"
	"{\"time\":\"2026-11-24T10:00:04.000000Z\",\"pid\":10,\"fd\":5,"
	"\"conn\":3,\"cookie\":79,\"event\":\"rst_received\",\"cause\":"
	"\"refused\",\"call\":\"connect\",\"errno\":\"ECONNREFUSED\","
	"\"local\":\"127.0.0.1:40001\",\"peer\":\"127.0.0.1:8081\","
	"\"bytes_sent\":0,\"bytes_received\":0,\"probes\":0,"
	"\"retransmits\":0,\"idle_ms\":null,\"unacked\":0}\n"
	"[\"an array\"]\n"
	"{\"time\":\"2026-11-24T10:00:05.000000Z\",\"pid\":10,\"fd\":4,"
	"\"conn\":2,\"cookie\":90,\"event\":\"rst_sent\",\"cause\":"
	"\"abort\",\"call\":\"tcp_abort\",\"errno\":null,"
	"\"local\":\"127.0.0.1:40002\",\"peer\":\"127.0.0.1:8080\","
	"\"bytes_sent\":1,\"bytes_received\":0}\n";

static const char crafted_report[] =
	"Connections\n"
	"TIME                         FROM             TO               C"
	"AUSE              VERDICT\n"
	"2026-11-24T10:00:01.000000Z  [::1]:50000      [::1]:443        k"
	"eepalive_timeout  the keepalive probes of pid 11 (fd 3) went una"
	"nswered: the peer is gone, and its kernel gave up on the connect"
	"ion\n"
	"2026-11-24T10:00:03.000000Z  127.0.0.1:8080   127.0.0.1:40000  p"
	"eer_reset         pid 10 (fd 4) saw ECONNRESET in recv: the peer"
	" reset the connection; the sender's end is not in these logs\n"
	"2026-11-24T10:00:04.000000Z  127.0.0.1:8081   127.0.0.1:40001  r"
	"efused            the connection request of pid 10 (fd 5) to 127"
	".0.0.1:8081 was refused: nothing listened there (ECONNREFUSED)\n"
	"2026-11-24T10:00:05.000000Z  127.0.0.1:40002  127.0.0.1:8080   a"
	"bort              pid 10 (fd 4) aborted the connection (tcp_abor"
	"t): a reset left at once; the receiver's end is not in these log"
	"s\n"
	"\n"
	"Timeline (resets per 1 s, by cause)\n"
	"2026-11-24T10:00:01.000000Z       1  ###########################"
	"#############  keepalive_timeout 1\n"
	"2026-11-24T10:00:02.000000Z       0\n"
	"2026-11-24T10:00:03.000000Z       1  ###########################"
	"#############  peer_reset 1\n"
	"2026-11-24T10:00:04.000000Z       1  ###########################"
	"#############  refused 1\n"
	"2026-11-24T10:00:05.000000Z       1  ###########################"
	"#############  abort 1\n"
	"\n"
	"Counts by cause\n"
	"CAUSE              EVENT         COUNT\n"
	"keepalive_timeout  halfopen          1\n"
	"peer_reset         rst_received      1\n"
	"refused            rst_received      1\n"
	"abort              rst_sent          1\n"
	"\n"
	"Counts by peer\n"
	"PEER       EVENTS  CAUSES\n"
	"127.0.0.1       3  peer_reset 1, refused 1, abort 1\n"
	"[::1]           1  keepalive_timeout 1\n"
	"\n"
	"Notices\n"
	"TIME                         PID  CONN  FD  NOTICE             O"
	"PTION            VALUE  POLICY\n"
	"2026-11-24T10:00:02.000000Z   10     2   4  policy_overridden  T"
	"CP_USER_TIMEOUT      0  TCPSHIM_USER_TIMEOUT=5000\n"
	"\n"
	"4 connections, 4 events, 1 notice, 2 lines skipped\n";

static const char *write_file(const char *name, const char *content)
{
	const char *path = tl_tmp(name);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(content, f), 0);
	fclose(f);
	return path;
}

/* The two skipped lines, named by file and line number, and nothing else. */
static void assert_skips(const char *err, const char *name)
{
	char line[1024];
	const char *bad = tl_str("tcpshim report: %s:3: not valid JSON (",
				 name);

	ck_assert_int_eq(tl_count_lines(err), 2);
	tl_line(err, 0, line, sizeof(line));
	ck_assert_msg(strncmp(line, bad, strlen(bad)) == 0, "%s", line);
	ck_assert_msg(strstr(line, "); line skipped") != NULL, "%s", line);
	tl_line(err, 1, line, sizeof(line));
	ck_assert_str_eq(line, tl_str("tcpshim report: %s:7: neither a "
				      "tcpshim event nor a notice; line "
				      "skipped", name));
}

START_TEST(report_rows_counts_and_notices_of_a_crafted_log)
{
	const char *log = write_file("crafted.log", crafted_log);
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "report", log,
						NULL });
	ck_assert_str_eq(p.out, crafted_report);
	assert_skips(p.err, log);
	/* Lines were skipped: the status says so. */
	ck_assert_int_eq(p.status, 1);
	tl_free(&p);
}
END_TEST

START_TEST(report_reads_stdin_when_no_file_or_dash)
{
	const char *log = write_file("stdin.log", crafted_log);
	struct tl_proc p;

	tl_run(&p, NULL,
	       (const char *const[]){ sh(), "-c", "exec \"$1\" report < \"$2\"",
				      "sh", command(), log, NULL });
	ck_assert_str_eq(p.out, crafted_report);
	assert_skips(p.err, "stdin");
	ck_assert_int_eq(p.status, 1);
	tl_free(&p);

	tl_run(&p, NULL,
	       (const char *const[]){ sh(), "-c",
				      "exec \"$1\" report - < \"$2\"", "sh",
				      command(), log, NULL });
	ck_assert_str_eq(p.out, crafted_report);
	assert_skips(p.err, "stdin");
	tl_free(&p);
}
END_TEST

/* Several files are one report; one that cannot be read is said, and
 * the others still count. */
START_TEST(report_of_several_files_and_a_missing_one)
{
	const char *a = write_file("a.log",
		"{\"time\":\"2026-11-24T10:00:01.000000Z\",\"pid\":1,"
		"\"conn\":1,\"cookie\":5,\"event\":\"rst_sent\",\"cause\":"
		"\"linger0\",\"local\":\"127.0.0.1:1000\",\"peer\":"
		"\"127.0.0.1:2000\",\"bytes_sent\":1,\"bytes_received\":2}\n");
	const char *b = write_file("b.log",
		"{\"time\":\"2026-11-24T10:00:00.000000Z\",\"pid\":2,"
		"\"conn\":1,\"cookie\":null,\"event\":\"close\",\"cause\":"
		"\"normal\",\"local\":\"127.0.0.1:1001\",\"peer\":"
		"\"127.0.0.1:2000\",\"bytes_sent\":3,\"bytes_received\":4}\n");
	const char *missing = tl_tmp("missing.log");
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "report", a,
						missing, b, NULL });
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.err, tl_str("tcpshim report: cannot open %s: No "
				       "such file or directory\n", missing));
	ck_assert_str_eq(p.out,
		"Connections\n"
		"TIME                         FROM            TO              CAU"
		"SE    VERDICT\n"
		"2026-11-24T10:00:00.000000Z  127.0.0.1:1001  127.0.0.1:2000  nor"
		"mal   pid 2 closed the connection in order: no reset\n"
		"2026-11-24T10:00:01.000000Z  127.0.0.1:1000  127.0.0.1:2000  lin"
		"ger0  pid 1 closed with SO_LINGER {1, 0}: its kernel reset the c"
		"onnection; the receiver's end is not in these logs\n"
		"\n"
		"Timeline (resets per 1 ms, by cause)\n"
		"2026-11-24T10:00:01.000000Z       1  ###########################"
		"#############  linger0 1\n"
		"\n"
		"Counts by cause\n"
		"CAUSE    EVENT     COUNT\n"
		"normal   close         1\n"
		"linger0  rst_sent      1\n"
		"\n"
		"Counts by peer\n"
		"PEER       EVENTS  CAUSES\n"
		"127.0.0.1       2  normal 1, linger0 1\n"
		"\n"
		"2 connections, 2 events, 0 notices\n");
	tl_free(&p);
}
END_TEST

/* A log named by --host is that host's, read once even when it is named
 * among the logs too; a bad --host, or a filter's bad value, is a usage
 * error that names the accepted form. */
START_TEST(report_host_names_a_log_once_and_bad_values_are_said)
{
	const char *a = write_file("host.log",
		"{\"time\":\"2026-11-24T10:00:01.000000Z\",\"pid\":1,"
		"\"conn\":1,\"event\":\"rst_sent\",\"cause\":\"linger0\","
		"\"local\":\"10.0.0.2:80\",\"peer\":\"10.0.0.1:4000\"}\n");
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "report", "--json",
						"--host", tl_str("web=%s", a),
						a, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_int_eq(tl_count_lines(p.out), 1);
	ck_assert_ptr_nonnull(strstr(p.out, "\"host\":\"web\""));
	ck_assert_ptr_nonnull(strstr(p.out, "\"verdict\":\"pid 1 on web closed "
					    "with SO_LINGER {1, 0}: its kernel "
					    "reset the connection; the "
					    "receiver's end is not in these "
					    "logs\""));
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ command(), "report", "--host",
						"web", a, NULL });
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.err, "tcpshim report: --host 'web': expected "
				"NAME=LOG\n");
	tl_free(&p);
	tl_run(&p, NULL, (const char *const[]){ command(), "report", "--since",
						"yesterday", a, NULL });
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.err, "tcpshim report: --since 'yesterday': not a "
				"time (RFC 3339: 2026-11-24T00:59:10Z, or with "
				".fraction or +hh:mm)\n");
	tl_free(&p);
	tl_run(&p, NULL, (const char *const[]){ command(), "report", "--peer",
						"nowhere:80", a, NULL });
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.err, "tcpshim report: --peer 'nowhere:80': not an "
				"address (ADDR, ADDR:PORT or [ADDR]:PORT)\n");
	tl_free(&p);
}
END_TEST

START_TEST(report_of_an_empty_log_and_a_text_log)
{
	const char *empty = write_file("empty.log", "");
	const char *text = write_file("text.log",
		"tcpshim[7] 2026-11-24T00:26:06.361234Z rst_received "
		"cause=refused call=connect errno=ECONNREFUSED fd=5 conn=1\n");
	struct tl_proc p;
	char line[1024];

	tl_run(&p, NULL, (const char *const[]){ command(), "report", empty,
						NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "0 connections, 0 events, 0 notices\n");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);

	/* Not lost in silence: the line is named, with what to do. */
	tl_run(&p, NULL, (const char *const[]){ command(), "report", text,
						NULL });
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.out, "0 connections, 0 events, 0 notices, 1 line "
				"skipped\n");
	ck_assert_int_eq(tl_count_lines(p.err), 2);
	tl_line(p.err, 0, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, tl_str("tcpshim report: %s:1: not "
						  "valid JSON (", text)));
	tl_line(p.err, 1, line, sizeof(line));
	ck_assert_str_eq(line, "tcpshim report: this looks like a text-format "
			       "log: log with tcpshim --json "
			       "(TCPSHIM_FORMAT=json) to report on it");
	tl_free(&p);
}
END_TEST

/* A last line cut short (a log still being written, or cut by a full
 * disk) is named and skipped, and is no error; a line cut inside the
 * file still is. */
START_TEST(report_of_a_log_whose_last_line_is_cut)
{
	static const char whole[] =
		"{\"time\":\"2026-11-24T10:00:01.000000Z\",\"pid\":1,"
		"\"conn\":1,\"cookie\":5,\"event\":\"rst_sent\","
		"\"cause\":\"linger0\"}\n";
	static const char cut[] = "{\"time\":\"2026-11-24T10:00:02";
	const char *last = write_file("cut.log", tl_str("%s%s", whole, cut));
	const char *inside = write_file("inside.log",
					tl_str("%s\n%s", cut, whole));
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "report", last,
						NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, tl_str("tcpshim report: %s:2: last line cut "
				       "short (a log still being written, or "
				       "cut by a full disk); line skipped\n",
				       last));
	ck_assert_ptr_nonnull(strstr(p.out, "\n1 connection, 1 event, 0 "
					    "notices, 1 last line cut "
					    "short\n"));
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ command(), "report", inside,
						NULL });
	ck_assert_int_eq(p.status, 1);
	ck_assert_ptr_nonnull(strstr(p.err, tl_str("tcpshim report: %s:1: "
						   "not valid JSON (",
						   inside)));
	tl_free(&p);
}
END_TEST

/* Fields a line lacks show as "-"; a cause counts under its event. */
START_TEST(report_of_lines_with_missing_fields)
{
	const char *log = write_file("sparse.log",
		"{\"event\":\"rst_sent\",\"cause\":\"odd\"}\n"
		"{\"event\":\"halfopen\",\"cause\":\"odd\",\"pid\":3,"
		"\"conn\":1,\"peer\":\"[::1]:80\"}\n");
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ command(), "report", log,
						NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.err, "");
	ck_assert_str_eq(p.out,
		"Connections\n"
		"TIME  FROM  TO        CAUSE  VERDICT\n"
		"-     -     -         odd    a process the log does not name sen"
		"t a reset (odd); the receiver's end is not in these logs\n"
		"-     -     [::1]:80  odd    pid 3 sent a reset (odd)\n"
		"\n"
		"Counts by cause\n"
		"CAUSE  EVENT     COUNT\n"
		"odd    rst_sent      1\n"
		"odd    halfopen      1\n"
		"\n"
		"Counts by peer\n"
		"PEER   EVENTS  CAUSES\n"
		"-           1  odd 1\n"
		"[::1]       1  odd 1\n"
		"\n"
		"2 connections, 2 events, 0 notices\n");
	tl_free(&p);
}
END_TEST

START_TEST(report_help_and_bad_option)
{
	struct tl_proc p;
	char line[256];

	tl_run(&p, NULL, (const char *const[]){ command(), "report", "--help",
						NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(tl_line(p.out, 0, line, sizeof(line)),
			 "usage: tcpshim report [options] [LOG...]");
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ command(), "report", "--bogus",
						NULL });
	ck_assert_int_eq(p.status, 2);
	ck_assert_str_eq(p.out, "");
	ck_assert_str_eq(p.err, "tcpshim report: unknown option '--bogus' "
				"(see tcpshim report --help)\n");
	tl_free(&p);
}
END_TEST

/* The report and its JSON library stay out of the preloaded library. */
/* Built where jansson is missing: everything works but the report, which
 * says what to install. */
START_TEST(report_without_jansson_says_what_to_install)
{
	const char *cmd = tl_path("tests/tcpshim_nojansson");
	struct tl_proc p;

	tl_run(&p, NULL, (const char *const[]){ cmd, "report", NULL });
	ck_assert_int_eq(p.status, 1);
	ck_assert_str_eq(p.out, "");
	ck_assert_str_eq(p.err,
			 "tcpshim report: this tcpshim was built without "
			 "jansson, which the report needs to read JSON.\n"
			 "  Install it, then rebuild: apt-get install "
			 "libjansson-dev && make\n");
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){ cmd, "--events", "all", "--",
						tl_which("sh"), "-c",
						"echo \"$TCPSHIM_EVENTS\"",
						NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "all\n");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

START_TEST(report_is_not_in_the_library)
{
	const char *readelf = tl_which("readelf");
	struct tl_proc p;

	if (readelf == NULL) {
		tl_skip(__func__, "readelf not found (Debian package binutils)");
		return;
	}
	tl_run(&p, NULL, (const char *const[]){ readelf, "-d", "-W",
						tl_path("libtcpshim.so"),
						NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_msg(strstr(p.out, "(NEEDED)") != NULL, "%s", p.out);
	ck_assert_msg(strstr(p.out, "jansson") == NULL, "%s", p.out);
	tl_free(&p);
	tl_run(&p, NULL, (const char *const[]){ readelf, "-s", "-W",
						tl_path("libtcpshim.so"),
						NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_msg(strstr(p.out, "report_main") == NULL,
		      "report code in the library");
	tl_free(&p);
}
END_TEST

Suite *command_suite(void)
{
	Suite *s = suite_create("command");
	TCase *run_tc = tcase_create("run");
	TCase *report_tc = tcase_create("report");

	tcase_set_timeout(run_tc, 30);
	tcase_set_timeout(report_tc, 30);
	tcase_add_test(run_tc, curl_refused_exits_7_and_the_report_shows_it);
	tcase_add_test(run_tc,
		       options_set_the_variables_and_preload_the_build_library);
	tcase_add_test(run_tc, ld_preload_is_appended_to_not_replaced);
	tcase_add_test(run_tc,
		       library_path_is_absolute_never_the_current_directory);
	tcase_add_test(run_tc, keepalive_alone_prints_one_note);
	tcase_add_test(run_tc, bad_options_stop_with_one_line_and_status_2);
	tcase_add_test(run_tc, no_command_is_a_bad_usage);
	tcase_add_test(run_tc, too_many_inject_rules_stop_before_the_command);
	tcase_add_test(run_tc, help_and_version);
	tcase_add_test(run_tc, exit_status_signal_and_pid_are_the_commands);
	tcase_add_test(run_tc, command_not_found_or_not_executable);
	tcase_add_test(run_tc, setuid_and_setgid_targets_are_named_in_a_warning);
	tcase_add_test(run_tc, file_capabilities_are_named_for_a_user_not_root);
	tcase_add_test(report_tc,
		       report_rows_counts_and_notices_of_a_crafted_log);
	tcase_add_test(report_tc, report_reads_stdin_when_no_file_or_dash);
	tcase_add_test(report_tc, report_of_several_files_and_a_missing_one);
	tcase_add_test(report_tc,
		       report_host_names_a_log_once_and_bad_values_are_said);
	tcase_add_test(report_tc, report_of_an_empty_log_and_a_text_log);
	tcase_add_test(report_tc, report_of_a_log_whose_last_line_is_cut);
	tcase_add_test(report_tc, report_of_lines_with_missing_fields);
	tcase_add_test(report_tc, report_help_and_bad_option);
	tcase_add_test(report_tc, report_is_not_in_the_library);
	tcase_add_test(report_tc, report_without_jansson_says_what_to_install);
	suite_add_tcase(s, run_tc);
	suite_add_tcase(s, report_tc);
	return s;
}

int main(void)
{
	return tl_main(command_suite());
}
