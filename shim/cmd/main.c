/*
 * main.c - the tcpshim command: run a program with libtcpshim preloaded,
 * act on the connections of a running one, or summarise logs.
 *
 *   tcpshim [options] -- command [args...]   run command, preloaded
 *   tcpshim report [LOG...]                  summarise JSON logs
 *                                            (cmd/report.c)
 *   tcpshim ls PID...                        list a running process's
 *                                            TCP connections (live_ls.c)
 *   tcpshim abort PID [FD...] [--peer ADDR[:PORT]] [--cookie N] [--dead]
 *                                            reset chosen ones now
 *                                            (live_abort.c)
 *   tcpshim keepalive PID IDLE,INTERVAL,COUNT [--user-timeout MS]
 *                                            turn on keepalive in them
 *                                            (live_keepalive.c)
 *   tcpshim watch [--pid PID]... [--json] ...  every reset on the host,
 *                                            through eBPF (watch.c)
 *
 * A subcommand is the first argument, and nothing else: "tcpshim --
 * report" runs a program named report.  Otherwise each option sets the
 * TCPSHIM_ variable of the same meaning, after checking its value with
 * the library's own parser (so the command never starts with a setting
 * the library would ignore); the library is added to LD_PRELOAD (after
 * what is there, so a sanitizer runtime stays first), found at the
 * absolute path fixed when tcpshim was built, never in the current
 * directory.  Then tcpshim execs the command: its exit status and
 * signals are the command's own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/live_cmd.h"
#include "cmd/preload.h"
#include "cmd/report.h"
#include "cmd/watch.h"
#include "core/config.h"
#include "tcpshim.h"

#ifndef TCPSHIM_LIBRARY
#error "build with -DTCPSHIM_LIBRARY=\"/path/to/libtcpshim.so\""
#endif

/*
 * The subcommands, named by the first argument; each is given the rest
 * (its own name first) and returns the exit status.  usage is its line
 * in tcpshim --help; abort and keepalive share the line of ls.
 */
static const struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} subcommands[] = {
	{ "report", report_main, "tcpshim report [LOG...]" },
	{ "ls", live_ls_main,
	  "tcpshim ls|abort|keepalive PID ... (see tcpshim ls --help)" },
	{ "abort", live_abort_main, NULL },
	{ "keepalive", live_keepalive_main, NULL },
	{ "watch", watch_main,
	  "tcpshim watch [--pid PID]... [--port PORT] [--json] ... (every "
	  "reset on the host, eBPF)" },
};

#define SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *out)
{
	fputs("usage: tcpshim [options] -- command [args...]\n", out);
	for (size_t i = 0; i < SUBCOMMANDS; i++)
		if (subcommands[i].usage != NULL)
			fprintf(out, "       %s\n", subcommands[i].usage);
	fputs("Run command with libtcpshim preloaded: log TCP resets, "
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
/* --keepalive was given. */
static int keepalive_given;

/*
 * What an option does beyond setting its variable: each returns -1 to
 * go on, or the exit status to end with at once.
 */
static int add_inject(const char *rule)
{
	char *joined;

	check_value("inject", ENV_INJECT, rule);
	if (asprintf(&joined, "%s%s%s", injected ? injected : "",
		     injected ? ";" : "", rule) < 0)
		fail("out of memory");
	free(injected);
	injected = joined;
	return -1;
}

static int note_keepalive(const char *arg)
{
	(void)arg;
	keepalive_given = 1;
	return -1;
}

static int show_help(const char *arg)
{
	(void)arg;
	usage(stdout);
	return 0;
}

static int show_version(const char *arg)
{
	(void)arg;
	puts("tcpshim " TCPSHIM_VERSION);
	return 0;
}

/*
 * The options: --name sets env (when it has one) to fixed, or to its
 * argument when fixed is NULL, once the library's parser has accepted
 * the value; then act, if any, does the rest.
 */
static const struct setting {
	const char *name;
	int has_arg;
	const char *env;
	const char *fixed;
	int (*act)(const char *arg);
} settings[] = {
	{ "log", required_argument, ENV_LOG, NULL, NULL },
	{ "json", no_argument, ENV_FORMAT, "json", NULL },
	{ "keepalive", required_argument, ENV_KEEPALIVE, NULL,
	  note_keepalive },
	{ "user-timeout", required_argument, ENV_USER_TIMEOUT, NULL, NULL },
	{ "abort-on-close", no_argument, ENV_CLOSE, "abort", NULL },
	{ "events", required_argument, ENV_EVENTS, NULL, NULL },
	{ "rate", required_argument, ENV_RATE, NULL, NULL },
	{ "debug", no_argument, ENV_DEBUG, "1", NULL },
	{ "inject", required_argument, NULL, NULL, add_inject },
	{ "help", no_argument, NULL, NULL, show_help },
	{ "version", no_argument, NULL, NULL, show_version },
};

#define SETTINGS (sizeof(settings) / sizeof(settings[0]))

/* getopt_long's codes for the settings are above any character, so that
 * its optopt tells them from an unknown short option. */
#define SETTING_CODE 256

/* getopt_long has refused an option: say which and why, in one line. */
static void __attribute__((noreturn)) bad_option(char **argv)
{
	const char *arg = argv[optind - 1];
	size_t len = strcspn(arg, "=");
	const struct setting *s;

	if (optopt == 0)
		fail("unknown option '%.*s'", (int)len, arg);
	if (optopt < SETTING_CODE)
		fail("unknown option '-%c'", optopt);
	if ((size_t)(optopt - SETTING_CODE) >= SETTINGS)
		fail("bad option '%s'", arg);
	s = &settings[optopt - SETTING_CODE];
	if (s->has_arg == no_argument)
		fail("option '--%s' takes no value", s->name);
	fail("option '--%s' needs a value", s->name);
}

/* The options before the command: -1 to run it, or the exit status. */
static int take_options(int argc, char **argv)
{
	struct option options[SETTINGS + 1] = { { 0 } };
	int c, status;

	for (size_t i = 0; i < SETTINGS; i++)
		options[i] = (struct option){ settings[i].name,
					      settings[i].has_arg, NULL,
					      SETTING_CODE + (int)i };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		const struct setting *s;

		if (c < SETTING_CODE || (size_t)(c - SETTING_CODE) >= SETTINGS)
			bad_option(argv);
		s = &settings[c - SETTING_CODE];
		if (s->env != NULL)
			set_checked(s->name, s->env,
				    s->fixed != NULL ? s->fixed : optarg);
		if (s->act != NULL && (status = s->act(optarg)) >= 0)
			return status;
	}
	return -1;
}

/* Run the command after the options, preloaded: returns only if it
 * cannot, with 127 (not found) or 126. */
static int run_preloaded(int argc, char **argv)
{
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
	if (keepalive_given && getenv(ENV_USER_TIMEOUT) == NULL)
		fputs("tcpshim: note: keepalive does not run while sent data is "
		      "unacknowledged; --user-timeout MS covers that case\n",
		      stderr);
	preload_warn_if_secure(argv[optind]);
	if (preload_add(TCPSHIM_LIBRARY) != 0)
		fail("out of memory");
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "tcpshim: cannot run %s: %s\n", argv[optind],
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	int status;

	for (size_t i = 0; argc > 1 && i < SUBCOMMANDS; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	status = take_options(argc, argv);
	if (status >= 0)
		return status;
	return run_preloaded(argc, argv);
}
