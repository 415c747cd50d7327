/*
 * tcpshim - run a command with libtcpshim preloaded, or summarise logs.
 *
 *   tcpshim [options] -- command [args...]
 *   tcpshim report [LOG...]
 *
 * Each option sets the TCPSHIM_ variable of the same meaning, after
 * checking its value with the library's own parser (so the command never
 * starts with a setting the library would ignore); the library is added
 * to LD_PRELOAD (after what is there, so a sanitizer runtime stays
 * first), found at the absolute path fixed when tcpshim was built, never
 * in the current directory.  Then tcpshim execs the command: its exit
 * status and signals are the command's own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cmd/live_cmd.h"
#include "cmd/report.h"
#include "core/config.h"
#include "tcpshim.h"

#ifndef TCPSHIM_LIBRARY
#error "build with -DTCPSHIM_LIBRARY=\"/path/to/libtcpshim.so\""
#endif

static void usage(FILE *out)
{
	fputs("usage: tcpshim [options] -- command [args...]\n"
	      "       tcpshim report [LOG...]\n"
	      "       tcpshim ls|abort|keepalive PID ... (see tcpshim ls "
	      "--help)\n"
	      "Run command with libtcpshim preloaded: log TCP resets, "
	      "control abortive close\nand keepalive.  'tcpshim report' "
	      "summarises JSON logs (stdin if no LOG).\n\n"
	      "  --log PATH|stderr|syslog|journal|off\n"
	      "                                 where events go "
	      "(TCPSHIM_LOG; %p in PATH: pid)\n"
	      "  --json                         JSON Lines "
	      "(TCPSHIM_FORMAT=json)\n"
	      "  --keepalive IDLE,INTERVAL,COUNT\n"
	      "                                 keepalive on every TCP "
	      "socket (TCPSHIM_KEEPALIVE)\n"
	      "  --user-timeout MS              TCP_USER_TIMEOUT on every "
	      "TCP socket\n"
	      "                                 (TCPSHIM_USER_TIMEOUT)\n"
	      "  --abort-on-close               every close() resets "
	      "(TCPSHIM_CLOSE=abort)\n"
	      "  --events LIST                  events to log: all, or "
	      "rst_sent,rst_received,\n"
	      "                                 halfopen,close; summary: "
	      "totals at exit\n"
	      "                                 (TCPSHIM_EVENTS)\n"
	      "  --rate N|unlimited             events written per second, "
	      "the rest counted\n"
	      "                                 (TCPSHIM_RATE; default "
	      CONFIG_STR(RATE_DAEMON_DEFAULT) " for syslog and\n"
	      "                                 journal, else unlimited)\n"
	      "  --debug                        one line on stderr per "
	      "observation and verdict\n"
	      "                                 (TCPSHIM_DEBUG=1)\n"
	      "  --inject RULE                  reset connections on purpose "
	      "(TCPSHIM_INJECT;\n"
	      "                                 repeatable), RULE as "
	      "reset:COND,... with COND\n"
	      "                                 after_sent=BYTES, "
	      "after_received=BYTES, after_ms=MS,\n"
	      "                                 peer=ADDR[/PREFIX][:PORT], "
	      "port=PORT, prob=P, seed=N,\n"
	      "                                 count=N\n"
	      "  --help, --version\n",
	      out);
}

/* One line on stderr, then exit status 2, as for any bad option. */
static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("tcpshim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see tcpshim --help)\n", stderr);
	exit(2);
}

/*
 * Checking one option's value: config_parse() is given only the variable
 * being checked, so it judges that value alone, with the rules and words
 * the library itself would use at start-up.
 */
static const char *checked_name;
static const char *checked_value;
static char checked_warning[2048];

static const char *only_checked(const char *name)
{
	return strcmp(name, checked_name) == 0 ? checked_value : NULL;
}

static void keep_warning(const char *line)
{
	snprintf(checked_warning, sizeof(checked_warning), "%s", line);
}

/* Exit with the library's own words if it would refuse value. */
static void check_value(const char *option, const char *name,
			const char *value)
{
	struct shim_config cfg;
	char *said, *cut;

	/* "tcpshim --log -- cmd" forgot the value; it did not mean a file
	 * named "--". */
	if (strcmp(value, "--") == 0)
		fail("option '--%s' needs a value", option);
	checked_name = name;
	checked_value = value;
	checked_warning[0] = '\0';
	config_parse(&cfg, only_checked, keep_warning, 0);
	if (checked_warning[0] != '\0') {
		/*
		 * The library says: tcpshim: NAME="VALUE" is not valid:
		 * expected FORM; what it does instead.  Here nothing is done
		 * instead, so keep "VALUE" is not valid: expected FORM.
		 */
		said = strchr(checked_warning, '=');
		cut = strrchr(checked_warning, ';');
		if (said != NULL && cut != NULL && cut > said) {
			*cut = '\0';
			fail("--%s %s", option, said + 1);
		}
		checked_warning[strcspn(checked_warning, "\n")] = '\0';
		fail("--%s: %s", option, checked_warning);
	}
}

static void set_env(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		fail("cannot set %s: %s", name, strerror(errno));
}

static void set_checked(const char *option, const char *name,
			const char *value)
{
	check_value(option, name, value);
	set_env(name, value);
}

/* --inject RULE, repeatable: the rules so far, joined with ';'. */
static char *injected;

static void add_inject(const char *rule)
{
	char *joined;

	check_value("inject", ENV_INJECT, rule);
	if (asprintf(&joined, "%s%s%s", injected ? injected : "",
		     injected ? ";" : "", rule) < 0)
		fail("out of memory");
	free(injected);
	injected = joined;
}

/* The file execvp would run, for the setuid check; NULL if not found. */
static char *resolve(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *p;

		if (asprintf(&p, "%s/%s", *dir ? dir : ".", cmd) < 0)
			break;
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

/*
 * The dynamic loader ignores LD_PRELOAD in secure-execution mode: when
 * exec changes the user or group (a setuid or setgid file not owned by
 * the caller's user or group) or grants file capabilities.  Name the file
 * then, or the user waits for a log that cannot come.
 */
static void warn_if_secure(const char *cmd)
{
	char *file = resolve(cmd);
	const char *why = NULL;
	struct stat st;

	if (file == NULL || stat(file, &st) != 0) {
		free(file);
		return;
	}
	if ((st.st_mode & S_ISUID) && st.st_uid != getuid())
		why = "is setuid";
	else if ((st.st_mode & S_ISGID) && st.st_gid != getgid())
		why = "is setgid";
	else if (getuid() != 0 &&
		 getxattr(file, "security.capability", NULL, 0) > 0)
		why = "has file capabilities";
	if (why != NULL)
		fprintf(stderr,
			"tcpshim: warning: %s %s: the dynamic loader ignores "
			"LD_PRELOAD for it, so nothing will be logged\n",
			file, why);
	free(file);
}

static void add_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;

	if (old == NULL || *old == '\0') {
		setenv("LD_PRELOAD", lib, 1);
		return;
	}
	if (asprintf(&val, "%s:%s", old, lib) < 0)
		fail("out of memory");
	setenv("LD_PRELOAD", val, 1);
	free(val);
}

/* Long options have codes above any character, so that getopt_long's
 * optopt tells them from an unknown short option. */
enum {
	OPT_LOG = 256, OPT_JSON, OPT_KEEPALIVE, OPT_USER_TIMEOUT,
	OPT_ABORT_ON_CLOSE, OPT_EVENTS, OPT_RATE, OPT_DEBUG, OPT_INJECT, OPT_HELP,
	OPT_VERSION,
};

static const struct option options[] = {
	{ "log", required_argument, NULL, OPT_LOG },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "user-timeout", required_argument, NULL, OPT_USER_TIMEOUT },
	{ "abort-on-close", no_argument, NULL, OPT_ABORT_ON_CLOSE },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "inject", required_argument, NULL, OPT_INJECT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* getopt_long has refused an option: say which and why, in one line. */
static void __attribute__((noreturn)) bad_option(char **argv)
{
	const char *arg = argv[optind - 1];
	size_t len = strcspn(arg, "=");

	if (optopt == 0)
		fail("unknown option '%.*s'", (int)len, arg);
	if (optopt < OPT_LOG)
		fail("unknown option '-%c'", optopt);
	for (const struct option *o = options; o->name; o++) {
		if (o->val != optopt)
			continue;
		if (o->has_arg == no_argument)
			fail("option '--%s' takes no value", o->name);
		fail("option '--%s' needs a value", o->name);
	}
	fail("bad option '%s'", arg);
}

int main(int argc, char **argv)
{
	int keepalive = 0;
	int c;

	/* "tcpshim -- report" runs a program named report. */
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "ls") == 0)
		return live_ls_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "abort") == 0)
		return live_abort_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "keepalive") == 0)
		return live_keepalive_main(argc - 1, argv + 1);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (c) {
		case OPT_LOG:
			set_checked("log", ENV_LOG, optarg);
			break;
		case OPT_JSON:
			set_checked("json", ENV_FORMAT, "json");
			break;
		case OPT_KEEPALIVE:
			set_checked("keepalive", ENV_KEEPALIVE, optarg);
			keepalive = 1;
			break;
		case OPT_USER_TIMEOUT:
			set_checked("user-timeout", ENV_USER_TIMEOUT, optarg);
			break;
		case OPT_ABORT_ON_CLOSE:
			set_checked("abort-on-close", ENV_CLOSE, "abort");
			break;
		case OPT_EVENTS:
			set_checked("events", ENV_EVENTS, optarg);
			break;
		case OPT_RATE:
			set_checked("rate", ENV_RATE, optarg);
			break;
		case OPT_DEBUG:
			set_checked("debug", ENV_DEBUG, "1");
			break;
		case OPT_INJECT:
			add_inject(optarg);
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			puts("tcpshim " TCPSHIM_VERSION);
			return 0;
		default:
			bad_option(argv);
		}
	}
	if (injected != NULL) {
		/* Each rule was good alone; together they may be too many. */
		check_value("inject", ENV_INJECT, injected);
		set_env(ENV_INJECT, injected);
	}
	if (optind >= argc)
		fail("no command given: tcpshim [options] -- command [args...]");
	/*
	 * The library keeps quiet about this: a program may well want
	 * keepalive alone.  Someone typing --keepalive to catch a dead peer
	 * should know the case it cannot catch.
	 */
	if (keepalive && getenv(ENV_USER_TIMEOUT) == NULL)
		fputs("tcpshim: note: keepalive does not run while sent data is "
		      "unacknowledged; --user-timeout MS covers that case\n",
		      stderr);
	warn_if_secure(argv[optind]);
	add_preload(TCPSHIM_LIBRARY);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "tcpshim: cannot run %s: %s\n", argv[optind],
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
