/*
 * options.c - the options of "tcpshim [options] -- command" (and of
 * tcpshim service), from a table.  Each sets the TCPSHIM_ variable of
 * the same meaning after checking its value with the library's own
 * parser, so that nothing starts with a setting the library would
 * ignore.
 */
#include "cmd/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "tcpshim.h"

void options_fail(const struct options_target *t, const char *fmt, ...)
{
	va_list ap;

	fputs("tcpshim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s)\n", t->see);
	exit(2);
}

void options_usage(FILE *out)
{
	fputs("  --log PATH|stderr|syslog|journal|off\n"
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
static void check_value(const struct options_target *t, const char *option,
			const char *name, const char *value)
{
	struct shim_config cfg;
	char *said, *cut;

	/* "tcpshim --log -- cmd" forgot the value; it did not mean a file
	 * named "--". */
	if (strcmp(value, "--") == 0)
		options_fail(t, "option '--%s' needs a value", option);
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
			options_fail(t, "--%s %s", option, said + 1);
		}
		checked_warning[strcspn(checked_warning, "\n")] = '\0';
		options_fail(t, "--%s: %s", option, checked_warning);
	}
}

/* --inject RULE, repeatable: the rules so far, joined with ';'. */
static char *injected;
/* --keepalive and --user-timeout were given. */
static int keepalive_given, user_timeout_given;

/*
 * What an option does beyond setting its variable: each returns -1 to
 * go on, or the exit status to end with at once.
 */
static int add_inject(const struct options_target *t, const char *rule)
{
	char *joined;

	check_value(t, "inject", ENV_INJECT, rule);
	if (asprintf(&joined, "%s%s%s", injected ? injected : "",
		     injected ? ";" : "", rule) < 0)
		options_fail(t, "out of memory");
	free(injected);
	injected = joined;
	return -1;
}

static int note_keepalive(const struct options_target *t, const char *arg)
{
	(void)t;
	(void)arg;
	keepalive_given = 1;
	return -1;
}

static int note_user_timeout(const struct options_target *t,
			     const char *arg)
{
	(void)t;
	(void)arg;
	user_timeout_given = 1;
	return -1;
}

static int show_help(const struct options_target *t, const char *arg)
{
	(void)arg;
	t->help(stdout);
	return 0;
}

static int show_version(const struct options_target *t, const char *arg)
{
	(void)t;
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
	int (*act)(const struct options_target *t, const char *arg);
} settings[] = {
	{ "log", required_argument, ENV_LOG, NULL, NULL },
	{ "json", no_argument, ENV_FORMAT, "json", NULL },
	{ "keepalive", required_argument, ENV_KEEPALIVE, NULL,
	  note_keepalive },
	{ "user-timeout", required_argument, ENV_USER_TIMEOUT, NULL,
	  note_user_timeout },
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
static void __attribute__((noreturn))
bad_option(const struct options_target *t, char **argv)
{
	const char *arg = argv[optind - 1];
	size_t len = strcspn(arg, "=");
	const struct setting *s;

	if (optopt == 0)
		options_fail(t, "unknown option '%.*s'", (int)len, arg);
	if (optopt < SETTING_CODE)
		options_fail(t, "unknown option '-%c'", optopt);
	if ((size_t)(optopt - SETTING_CODE) >= SETTINGS)
		options_fail(t, "bad option '%s'", arg);
	s = &settings[optopt - SETTING_CODE];
	if (s->has_arg == no_argument)
		options_fail(t, "option '--%s' takes no value", s->name);
	options_fail(t, "option '--%s' needs a value", s->name);
}

int options_take(int argc, char **argv, const struct options_target *t)
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
		const char *value;

		if (c < SETTING_CODE || (size_t)(c - SETTING_CODE) >= SETTINGS)
			bad_option(t, argv);
		s = &settings[c - SETTING_CODE];
		if (s->env != NULL) {
			value = s->fixed != NULL ? s->fixed : optarg;
			check_value(t, s->name, s->env, value);
			t->set(s->env, value, t->ctx);
		}
		if (s->act != NULL && (status = s->act(t, optarg)) >= 0)
			return status;
	}
	return -1;
}

void options_finish(const struct options_target *t)
{
	if (injected != NULL) {
		/* Each rule was good alone; together they may be too many. */
		check_value(t, "inject", ENV_INJECT, injected);
		t->set(ENV_INJECT, injected, t->ctx);
	}
	/*
	 * The library keeps quiet about this: a program may well want
	 * keepalive alone.  Someone typing --keepalive to catch a dead peer
	 * should know the case it cannot catch.
	 */
	if (keepalive_given && !user_timeout_given &&
	    getenv(ENV_USER_TIMEOUT) == NULL)
		fputs("tcpshim: note: keepalive does not run while sent data is "
		      "unacknowledged; --user-timeout MS covers that case\n",
		      stderr);
}
