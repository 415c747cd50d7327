/*
 * unit_config.c - config_parse() over a fake environment.
 *
 * Covers every TCPSHIM_ variable: its default when unset, the values it
 * accepts, and bad values.  A bad value must give exactly one warning
 * line (naming the variable, the value and the accepted form, ending in
 * "\n"), keep that setting's default, and leave the other settings to
 * parse normally.
 *
 * Why one file: config_parse() reads every variable in one pass, and a
 * bad value of one must leave the others parsed as they were: every case
 * uses the one fake environment, its record of warnings and the check of
 * each setting, good or default.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/tally.h"
#include "tcpshim.h"

#define DEFAULT_EVENTS ((1u << TCP_EVENT_RST_SENT) | \
			(1u << TCP_EVENT_RST_RECEIVED) | \
			(1u << TCP_EVENT_HALFOPEN))
#define ALL_EVENTS (DEFAULT_EVENTS | (1u << TCP_EVENT_CLOSE))

/* The fake environment: names and values, NULL value when unset. */
static const char *const var_names[] = {
	ENV_LOG, ENV_FORMAT, ENV_KEEPALIVE,
	ENV_USER_TIMEOUT, ENV_CLOSE, ENV_EVENTS, ENV_RATE, ENV_DEBUG, ENV_INJECT,
};
#define NVARS (sizeof(var_names) / sizeof(*var_names))

static const char *var_values[NVARS];
static int var_lookups[NVARS];
static int foreign_lookups;

/* Every warning line config_parse() gave, in order. */
#define MAX_WARNINGS 16
static char warnings[MAX_WARNINGS][1024];
static int nwarnings;

static int var_index(const char *name)
{
	for (size_t i = 0; i < NVARS; i++)
		if (strcmp(var_names[i], name) == 0)
			return (int)i;
	return -1;
}

static const char *fake_getenv(const char *name)
{
	int i = var_index(name);

	if (i < 0) {
		foreign_lookups++;
		return NULL;
	}
	var_lookups[i]++;
	return var_values[i];
}

static void record_warning(const char *line)
{
	if (nwarnings < MAX_WARNINGS)
		snprintf(warnings[nwarnings], sizeof(warnings[0]), "%s", line);
	nwarnings++;
}

static void set_var(const char *name, const char *value)
{
	int i = var_index(name);

	ck_assert_int_ge(i, 0);
	var_values[i] = value;
}

static void parse(struct shim_config *cfg)
{
	config_parse(cfg, fake_getenv, record_warning, 7);
}

static void env_clear(void)
{
	memset(var_values, 0, sizeof(var_values));
	memset(var_lookups, 0, sizeof(var_lookups));
	foreign_lookups = 0;
	memset(warnings, 0, sizeof(warnings));
	nwarnings = 0;
}

/* One good value per variable, none of them the default. */
static const char good_log[] = "/var/log/tcpshim-%p.log";

static void set_all_good(void)
{
	set_var(ENV_LOG, good_log);
	set_var(ENV_FORMAT, "json");
	set_var(ENV_KEEPALIVE, "60,10,5");
	set_var(ENV_USER_TIMEOUT, "110000");	/* agrees with 60,10,5 */
	set_var(ENV_CLOSE, "abort");
	set_var(ENV_EVENTS, "rst_sent,close,summary");
	set_var(ENV_RATE, "250");
	set_var(ENV_DEBUG, "1");
	set_var(ENV_INJECT, "reset:after_sent=10");
}

/* Each variable's setting: the default, or the value set_all_good() gives. */
static void check_log(const struct shim_config *cfg, int good)
{
	if (good) {
		ck_assert_int_eq(cfg->log, LOG_FILE);
		ck_assert_str_eq(cfg->log_path, good_log);
	} else {
		ck_assert_int_eq(cfg->log, LOG_STDERR);
		ck_assert_str_eq(cfg->log_path, "");
	}
}

static void check_format(const struct shim_config *cfg, int good)
{
	ck_assert_int_eq(cfg->json, good);
}

static void check_keepalive(const struct shim_config *cfg, int good)
{
	ck_assert_int_eq(cfg->keepalive, good);
	ck_assert_int_eq(cfg->keep_idle, good ? 60 : 0);
	ck_assert_int_eq(cfg->keep_intvl, good ? 10 : 0);
	ck_assert_int_eq(cfg->keep_cnt, good ? 5 : 0);
}

static void check_user_timeout(const struct shim_config *cfg, int good)
{
	ck_assert_int_eq(cfg->user_timeout, good);
	ck_assert_uint_eq(cfg->user_timeout_ms, good ? 110000 : 0);
}

static void check_close(const struct shim_config *cfg, int good)
{
	ck_assert_int_eq(cfg->close_abort, good);
}

static void check_events(const struct shim_config *cfg, int good)
{
	ck_assert_uint_eq(cfg->events,
			  good ? (1u << TCP_EVENT_RST_SENT) |
					 (1u << TCP_EVENT_CLOSE)
			       : DEFAULT_EVENTS);
	ck_assert_int_eq(cfg->summary, good);
}

/* Not set, or bad: the default of a log to a file or stderr. */
static void check_rate(const struct shim_config *cfg, int good)
{
	ck_assert_uint_eq(cfg->rate, good ? 250 : TALLY_UNLIMITED);
	ck_assert_int_eq(cfg->rate_set, good);
}

static void check_debug(const struct shim_config *cfg, int good)
{
	ck_assert_int_eq(cfg->debug, good);
}

static void check_inject(const struct shim_config *cfg, int good)
{
	ck_assert_int_eq(cfg->inject.n, good);
	if (good)
		ck_assert_str_eq(cfg->inject.rule[0].text,
				 "reset:after_sent=10");
}

static void (*const checks[NVARS])(const struct shim_config *, int) = {
	check_log, check_format, check_keepalive,
	check_user_timeout, check_close, check_events, check_rate,
	check_debug, check_inject,
};

/* Every setting good except bad_var (-1: none), which has its default. */
static void check_all_but(const struct shim_config *cfg, int bad_var)
{
	for (size_t i = 0; i < NVARS; i++)
		checks[i](cfg, (int)i != bad_var);
}

static void check_all_default(const struct shim_config *cfg)
{
	for (size_t i = 0; i < NVARS; i++)
		checks[i](cfg, 0);
}

/* Words of the accepted form each warning must show, per variable. */
static const char *const accepted[NVARS][7] = {
	{ "stderr", "off", "syslog", "journal", "file path" },
	{ "text", "json" },
	{ "IDLE,INTERVAL,COUNT" },
	{ "milliseconds" },
	{ "normal", "abort" },
	{ "all", "rst_sent", "rst_received", "halfopen", "close", "summary" },
	{ "events per second", "0-1000000", "unlimited" },
	{ "1", "0" },
	{ "reset[:COND,...]", "after_sent=BYTES", "peer=ADDR[/PREFIX][:PORT]",
	  "prob=P", "count=N" },
};

/*
 * The one warning: one line, ending in "\n", from tcpshim, naming the
 * variable, the value (quoted, so an empty one shows) and the form.
 * shown is the part of the value the line must carry.
 */
static void check_one_warning(const char *name, const char *shown)
{
	const char *line = warnings[0];
	const char *nl = strchr(line, '\n');
	char quoted[256];
	int var = var_index(name);

	ck_assert_int_eq(nwarnings, 1);
	ck_assert_msg(nl != NULL && nl[1] == '\0',
		      "warning is not one line ending in \\n: \"%s\"", line);
	ck_assert_msg(strncmp(line, "tcpshim", 7) == 0,
		      "warning does not say it comes from tcpshim: %s", line);
	ck_assert_msg(strstr(line, name) != NULL,
		      "warning does not name %s: %s", name, line);
	snprintf(quoted, sizeof(quoted), "\"%s\"", shown);
	ck_assert_msg(strstr(line, quoted) != NULL,
		      "warning does not show the value %s: %s", quoted, line);
	for (int i = 0; accepted[var][i] != NULL; i++)
		ck_assert_msg(strstr(line, accepted[var][i]) != NULL,
			      "warning does not give the form (%s): %s",
			      accepted[var][i], line);
}

static void setup(void)
{
	env_clear();
}

/* --- defaults --- */

START_TEST(unset_environment_gives_every_default)
{
	struct shim_config cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	parse(&cfg);
	ck_assert_int_eq(nwarnings, 0);
	ck_assert_int_eq(cfg.log, LOG_STDERR);
	ck_assert_int_eq(cfg.json, 0);
	ck_assert_int_eq(cfg.keepalive, 0);
	ck_assert_int_eq(cfg.user_timeout, 0);
	ck_assert_int_eq(cfg.close_abort, 0);
	ck_assert_uint_eq(cfg.events, DEFAULT_EVENTS);
	check_all_default(&cfg);
}
END_TEST

START_TEST(config_defaults_match_parse_of_empty_environment)
{
	struct shim_config a, b;

	memset(&a, 0x5a, sizeof(a));
	config_defaults(&a);
	parse(&b);
	check_all_default(&a);
	check_all_default(&b);
}
END_TEST

START_TEST(parse_reads_each_variable_once_and_nothing_else)
{
	struct shim_config cfg;

	parse(&cfg);
	for (size_t i = 0; i < NVARS; i++)
		ck_assert_msg(var_lookups[i] == 1, "%s read %d times",
			      var_names[i], var_lookups[i]);
	ck_assert_int_eq(foreign_lookups, 0);
}
END_TEST

START_TEST(all_good_values_parse_together_without_warning)
{
	struct shim_config cfg;

	set_all_good();
	parse(&cfg);
	ck_assert_int_eq(nwarnings, 0);
	check_all_but(&cfg, -1);
}
END_TEST

START_TEST(parse_starts_from_defaults_not_previous_settings)
{
	struct shim_config cfg;

	set_all_good();
	parse(&cfg);
	env_clear();
	parse(&cfg);
	ck_assert_int_eq(nwarnings, 0);
	check_all_default(&cfg);
}
END_TEST

/* --- TCPSHIM_LOG --- */

START_TEST(log_accepts_stderr_off_and_syslog)
{
	static const struct {
		const char *value;
		enum log_kind kind;
	} cases[] = {
		{ "stderr", LOG_STDERR },
		{ "off", LOG_OFF },
		{ "syslog", LOG_SYSLOG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_LOG, cases[i].value);
		parse(&cfg);
		ck_assert_int_eq(nwarnings, 0);
		ck_assert_int_eq(cfg.log, cases[i].kind);
		ck_assert_str_eq(cfg.log_path, "");
	}
}
END_TEST

START_TEST(log_file_path_is_kept_verbatim_with_pid_marker)
{
	static const char *const paths[] = {
		"/tmp/tcpshim-%p.log", "relative.log", "./off", "Stderr",
		" syslog", "/tmp/a b",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_LOG, paths[i]);
		parse(&cfg);
		ck_assert_int_eq(nwarnings, 0);
		ck_assert_int_eq(cfg.log, LOG_FILE);
		ck_assert_str_eq(cfg.log_path, paths[i]);
	}
}
END_TEST

START_TEST(log_path_of_longest_allowed_length_is_accepted)
{
	static char path[CONFIG_PATH_MAX];
	struct shim_config cfg;

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	set_var(ENV_LOG, path);
	parse(&cfg);
	ck_assert_int_eq(nwarnings, 0);
	ck_assert_int_eq(cfg.log, LOG_FILE);
	ck_assert_str_eq(cfg.log_path, path);
}
END_TEST

START_TEST(overlong_log_path_warns_once_and_keeps_stderr)
{
	static char path[CONFIG_PATH_MAX + 1];
	char shown[65];
	struct shim_config cfg;

	memset(path, 'q', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	set_all_good();
	set_var(ENV_LOG, path);
	parse(&cfg);
	/*
	 * A 4096-byte value cannot sensibly fill a warning line: the line
	 * must show at least its beginning.
	 */
	memcpy(shown, path, sizeof(shown) - 1);
	shown[sizeof(shown) - 1] = '\0';
	ck_assert_int_eq(nwarnings, 1);
	ck_assert_ptr_nonnull(strstr(warnings[0], shown));
	ck_assert_uint_eq(warnings[0][strlen(warnings[0]) - 1], '\n');
	ck_assert_ptr_eq(strchr(warnings[0], '\n'),
			 warnings[0] + strlen(warnings[0]) - 1);
	ck_assert_ptr_nonnull(strstr(warnings[0], ENV_LOG));
	ck_assert_ptr_nonnull(strstr(warnings[0], "file path"));
	check_all_but(&cfg, var_index(ENV_LOG));
}
END_TEST

/* --- TCPSHIM_FORMAT --- */

START_TEST(format_accepts_text_and_json)
{
	struct shim_config cfg;

	set_var(ENV_FORMAT, "json");
	parse(&cfg);
	ck_assert_int_eq(cfg.json, 1);
	set_var(ENV_FORMAT, "text");
	parse(&cfg);
	ck_assert_int_eq(cfg.json, 0);
	ck_assert_int_eq(nwarnings, 0);
}
END_TEST

/* --- TCPSHIM_KEEPALIVE --- */

START_TEST(keepalive_accepts_three_values_within_kernel_limits)
{
	static const struct {
		const char *value;
		int idle, intvl, cnt;
	} cases[] = {
		{ "60,10,5", 60, 10, 5 },
		{ "1,1,1", 1, 1, 1 },
		{ "32767,32767,127", 32767, 32767, 127 },
		{ "007,08,9", 7, 8, 9 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_KEEPALIVE, cases[i].value);
		parse(&cfg);
		ck_assert_msg(nwarnings == 0, "%s: %s", cases[i].value,
			      warnings[0]);
		ck_assert_int_eq(cfg.keepalive, 1);
		ck_assert_int_eq(cfg.keep_idle, cases[i].idle);
		ck_assert_int_eq(cfg.keep_intvl, cases[i].intvl);
		ck_assert_int_eq(cfg.keep_cnt, cases[i].cnt);
	}
}
END_TEST

/* --- TCPSHIM_USER_TIMEOUT --- */

START_TEST(user_timeout_accepts_one_to_int_max_milliseconds)
{
	static const struct {
		const char *value;
		unsigned int ms;
	} cases[] = {
		{ "1", 1 },
		{ "30000", 30000 },
		{ "2147483647", 2147483647u },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_USER_TIMEOUT, cases[i].value);
		parse(&cfg);
		ck_assert_int_eq(nwarnings, 0);
		ck_assert_int_eq(cfg.user_timeout, 1);
		ck_assert_uint_eq(cfg.user_timeout_ms, cases[i].ms);
	}
}
END_TEST

/* --- TCPSHIM_CLOSE --- */

START_TEST(close_accepts_normal_and_abort)
{
	struct shim_config cfg;

	set_var(ENV_CLOSE, "abort");
	parse(&cfg);
	ck_assert_int_eq(cfg.close_abort, 1);
	set_var(ENV_CLOSE, "normal");
	parse(&cfg);
	ck_assert_int_eq(cfg.close_abort, 0);
	ck_assert_int_eq(nwarnings, 0);
}
END_TEST

/* --- TCPSHIM_EVENTS --- */

/* "summary" adds the notice at exit; alone it keeps the default events. */
START_TEST(events_accepts_all_and_any_comma_list_of_names)
{
	static const struct {
		const char *value;
		unsigned int mask;
		int summary;
	} cases[] = {
		{ "summary", DEFAULT_EVENTS, 1 },
		{ "summary,summary", DEFAULT_EVENTS, 1 },
		{ "all,summary", ALL_EVENTS, 1 },
		{ "summary,close", 1u << TCP_EVENT_CLOSE, 1 },
		{ "rst_received,summary", 1u << TCP_EVENT_RST_RECEIVED, 1 },
		{ "all", ALL_EVENTS, 0 },
		{ "rst_sent", 1u << TCP_EVENT_RST_SENT, 0 },
		{ "rst_received", 1u << TCP_EVENT_RST_RECEIVED, 0 },
		{ "halfopen", 1u << TCP_EVENT_HALFOPEN, 0 },
		{ "close", 1u << TCP_EVENT_CLOSE, 0 },
		{ "rst_sent,rst_received,halfopen", DEFAULT_EVENTS, 0 },
		{ "close,halfopen,rst_received,rst_sent", ALL_EVENTS, 0 },
		{ "rst_sent,rst_sent", 1u << TCP_EVENT_RST_SENT, 0 },
		{ "all,close", ALL_EVENTS, 0 },
		{ "close,all", ALL_EVENTS, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_EVENTS, cases[i].value);
		parse(&cfg);
		ck_assert_int_eq(nwarnings, 0);
		ck_assert_int_eq(cfg.summary, cases[i].summary);
		ck_assert_msg(cfg.events == cases[i].mask,
			      "%s: events 0x%x, expected 0x%x", cases[i].value,
			      cfg.events, cases[i].mask);
	}
}
END_TEST

/* --- TCPSHIM_RATE --- */

START_TEST(rate_defaults_to_a_limit_for_daemons_and_none_for_files)
{
	static const struct {
		const char *log;
		unsigned int rate;
	} cases[] = {
		{ NULL, TALLY_UNLIMITED },
		{ "stderr", TALLY_UNLIMITED },
		{ "/tmp/x.log", TALLY_UNLIMITED },
		{ "off", TALLY_UNLIMITED },
		{ "syslog", RATE_DAEMON_DEFAULT },
		{ "journal", RATE_DAEMON_DEFAULT },
	};

	ck_assert_int_eq(RATE_DAEMON_DEFAULT, 100);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_LOG, cases[i].log);
		parse(&cfg);
		ck_assert_int_eq(nwarnings, 0);
		ck_assert_uint_eq(cfg.rate, cases[i].rate);
		/* Set, it holds for every log. */
		set_var(ENV_RATE, "7");
		parse(&cfg);
		ck_assert_uint_eq(cfg.rate, 7);
	}
}
END_TEST

START_TEST(rate_accepts_0_to_a_million_and_unlimited)
{
	static const struct {
		const char *value;
		unsigned int rate;
	} cases[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "100", 100 },
		{ "1000000", 1000000 },
		{ "007", 7 },
		{ "unlimited", TALLY_UNLIMITED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_LOG, "journal");
		set_var(ENV_RATE, cases[i].value);
		parse(&cfg);
		ck_assert_int_eq(nwarnings, 0);
		ck_assert_uint_eq(cfg.rate, cases[i].rate);
	}
}
END_TEST

/* --- bad values --- */

static const struct bad_case {
	const char *name;
	const char *value;
} bad_cases[] = {
	{ ENV_LOG, "" },
	{ ENV_FORMAT, "" },
	{ ENV_FORMAT, "xml" },
	{ ENV_FORMAT, "JSON" },
	{ ENV_FORMAT, "json " },
	{ ENV_KEEPALIVE, "" },
	{ ENV_KEEPALIVE, "abc" },
	{ ENV_KEEPALIVE, "60" },
	{ ENV_KEEPALIVE, "1,2" },
	{ ENV_KEEPALIVE, "1,2,3,4" },
	{ ENV_KEEPALIVE, "1,2,3," },
	{ ENV_KEEPALIVE, ",1,2" },
	{ ENV_KEEPALIVE, "1,,3" },
	{ ENV_KEEPALIVE, "0,1,1" },
	{ ENV_KEEPALIVE, "1,0,1" },
	{ ENV_KEEPALIVE, "1,1,0" },
	{ ENV_KEEPALIVE, "1,1,128" },
	{ ENV_KEEPALIVE, "32768,1,1" },
	{ ENV_KEEPALIVE, "1,32768,1" },
	{ ENV_KEEPALIVE, "-5,1,1" },
	{ ENV_KEEPALIVE, "+5,1,1" },
	{ ENV_KEEPALIVE, " 5,1,1" },
	{ ENV_KEEPALIVE, "5, 1,1" },
	{ ENV_KEEPALIVE, "5,1,1 " },
	{ ENV_KEEPALIVE, "5x,1,1" },
	{ ENV_KEEPALIVE, "0x10,1,1" },
	{ ENV_KEEPALIVE, "60;10;5" },
	{ ENV_KEEPALIVE, "99999999999999999999999999,1,1" },
	{ ENV_USER_TIMEOUT, "" },
	{ ENV_USER_TIMEOUT, "abc" },
	{ ENV_USER_TIMEOUT, "-5" },
	{ ENV_USER_TIMEOUT, "+5" },
	{ ENV_USER_TIMEOUT, " 5" },
	{ ENV_USER_TIMEOUT, "5x" },
	{ ENV_USER_TIMEOUT, "5 " },
	{ ENV_USER_TIMEOUT, "5.0" },
	{ ENV_USER_TIMEOUT, "1,2" },
	{ ENV_USER_TIMEOUT, "0" },
	{ ENV_USER_TIMEOUT, "2147483648" },
	{ ENV_USER_TIMEOUT, "4294967296" },
	{ ENV_USER_TIMEOUT, "9223372036854775808" },
	{ ENV_USER_TIMEOUT, "99999999999999999999999999999999" },
	{ ENV_CLOSE, "" },
	{ ENV_CLOSE, "reset" },
	{ ENV_CLOSE, "ABORT" },
	{ ENV_CLOSE, "1" },
	{ ENV_EVENTS, "" },
	{ ENV_EVENTS, "bogus" },
	{ ENV_EVENTS, "rst_sent,bogus" },
	{ ENV_EVENTS, "rst_sent," },
	{ ENV_EVENTS, ",rst_sent" },
	{ ENV_EVENTS, "rst_sent,,close" },
	{ ENV_EVENTS, "rst_sent, close" },
	{ ENV_EVENTS, "rst_sent;close" },
	{ ENV_EVENTS, "ALL" },
	{ ENV_EVENTS, "summary," },
	{ ENV_EVENTS, "Summary" },
	{ ENV_EVENTS, "summary,bogus" },
	{ ENV_RATE, "" },
	{ ENV_RATE, "-1" },
	{ ENV_RATE, "+5" },
	{ ENV_RATE, " 5" },
	{ ENV_RATE, "5 " },
	{ ENV_RATE, "1.5" },
	{ ENV_RATE, "1000001" },
	{ ENV_RATE, "99999999999999999999999" },
	{ ENV_RATE, "fast" },
	{ ENV_RATE, "10/s" },
	{ ENV_RATE, "Unlimited" },
	{ ENV_RATE, "none" },
	{ ENV_EVENTS, "rst" },
	{ ENV_EVENTS, "rst_sent_" },
	{ ENV_DEBUG, "" },
	{ ENV_DEBUG, "yes" },
	{ ENV_DEBUG, "2" },
	{ ENV_DEBUG, "1 " },
	{ ENV_INJECT, "reset:bogus=1" },
	{ ENV_INJECT, "reset:after_sent" },
	{ ENV_INJECT, "kill" },
};
#define NBAD ((int)(sizeof(bad_cases) / sizeof(*bad_cases)))

START_TEST(bad_value_warns_once_and_keeps_its_default)
{
	const struct bad_case *bc = &bad_cases[_i];
	struct shim_config cfg;

	set_all_good();
	set_var(bc->name, bc->value);
	parse(&cfg);
	check_one_warning(bc->name, bc->value);
	check_all_but(&cfg, var_index(bc->name));
}
END_TEST

START_TEST(bad_value_alone_leaves_every_default)
{
	const struct bad_case *bc = &bad_cases[_i];
	struct shim_config cfg;

	set_var(bc->name, bc->value);
	parse(&cfg);
	check_one_warning(bc->name, bc->value);
	check_all_default(&cfg);
}
END_TEST

START_TEST(every_variable_bad_gives_one_warning_each_in_order)
{
	struct shim_config cfg;

	set_var(ENV_LOG, "");
	set_var(ENV_FORMAT, "yaml");
	set_var(ENV_KEEPALIVE, "1,2");
	set_var(ENV_USER_TIMEOUT, "-5");
	set_var(ENV_CLOSE, "slam");
	set_var(ENV_EVENTS, "rst_sent,bogus");
	set_var(ENV_RATE, "lots");
	set_var(ENV_DEBUG, "on");
	set_var(ENV_INJECT, "reset:when=now");
	parse(&cfg);
	ck_assert_int_eq(nwarnings, (int)NVARS);
	for (size_t i = 0; i < NVARS; i++) {
		size_t len = strlen(warnings[i]);

		ck_assert_ptr_nonnull(strstr(warnings[i], var_names[i]));
		ck_assert_ptr_eq(strchr(warnings[i], '\n'),
				 warnings[i] + len - 1);
	}
	check_all_default(&cfg);
}
END_TEST

/*
 * With keepalive and a user timeout, the kernel drops a silent peer at
 * the first probe once the user timeout has passed, whatever the count:
 * a warning says so when that differs from keepalive alone.
 */
START_TEST(user_timeout_that_overrides_the_probe_count_is_warned_about)
{
	struct shim_config cfg;

	set_var(ENV_KEEPALIVE, "1,1,100");
	set_var(ENV_USER_TIMEOUT, "4000");
	parse(&cfg);
	ck_assert_int_eq(nwarnings, 1);
	ck_assert_str_eq(warnings[0],
			 "tcpshim: TCPSHIM_USER_TIMEOUT=4000 overrides the "
			 "probe count of TCPSHIM_KEEPALIVE=1,1,100: a silent "
			 "peer is dropped after about 4 s, not 101 s "
			 "(tcp(7))\n");
	/* Both settings still hold: a warning is not a rejection. */
	ck_assert_int_eq(cfg.keepalive, 1);
	ck_assert_int_eq(cfg.keep_cnt, 100);
	ck_assert_uint_eq(cfg.user_timeout_ms, 4000);
}
END_TEST

START_TEST(user_timeout_longer_than_keepalive_is_warned_about)
{
	struct shim_config cfg;

	set_var(ENV_KEEPALIVE, "1,1,2");
	set_var(ENV_USER_TIMEOUT, "30000");
	parse(&cfg);
	ck_assert_int_eq(nwarnings, 1);
	ck_assert_msg(strstr(warnings[0], "after about 30 s, not 3 s") != NULL,
		      "%s", warnings[0]);
}
END_TEST

START_TEST(user_timeout_that_agrees_with_keepalive_is_not_warned_about)
{
	static const char *const pairs[][2] = {
		{ "60,10,5", "110000" },	/* exactly the same end */
		{ "1,1,3", "4000" },
		{ "1,1,3", "3500" },		/* within one interval */
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_KEEPALIVE, pairs[i][0]);
		set_var(ENV_USER_TIMEOUT, pairs[i][1]);
		parse(&cfg);
		ck_assert_msg(nwarnings == 0, "%s with %s: %s", pairs[i][0],
			      pairs[i][1], warnings[0]);
	}
}
END_TEST

/*
 * Found by tests/fuzz/fuzz_config.c (UBSan: "division by zero" in
 * check_combination): with keepalive unset its interval is 0, and the
 * probe count was divided by it before the check that both settings are
 * on.  gcc -O2 happens to move the division past that check; a library
 * built with CFLAGS=-O0 died of SIGFPE in every program that did not set
 * both variables.  So this test fails only where the division stays in
 * place: make check SANITIZE=undefined, or a build with -O0.
 */
START_TEST(user_timeout_or_keepalive_alone_divides_by_nothing)
{
	static const char *const alone[][2] = {
		{ NULL, NULL },
		{ NULL, "5000" },
		{ "60,10,5", NULL },
	};

	for (size_t i = 0; i < sizeof(alone) / sizeof(*alone); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_KEEPALIVE, alone[i][0]);
		set_var(ENV_USER_TIMEOUT, alone[i][1]);
		parse(&cfg);
		ck_assert_int_eq(nwarnings, 0);
		ck_assert_int_eq(cfg.keepalive, alone[i][0] != NULL);
		ck_assert_int_eq(cfg.user_timeout, alone[i][1] != NULL);
	}
}
END_TEST

START_TEST(leading_tab_is_rejected_like_leading_space)
{
	/*
	 * strtol() skips leading white space of every kind; a number here
	 * must be digits only, so a tab or newline is as bad as a space.
	 */
	static const char *const values[] = { "\t5", "\n5", "\v5" };

	for (size_t i = 0; i < sizeof(values) / sizeof(*values); i++) {
		struct shim_config cfg;

		env_clear();
		set_var(ENV_USER_TIMEOUT, values[i]);
		parse(&cfg);
		ck_assert_msg(nwarnings == 1 && cfg.user_timeout == 0,
			      "TCPSHIM_USER_TIMEOUT=<0x%02x>5 accepted as "
			      "%u ms with %d warnings",
			      (unsigned char)values[i][0],
			      cfg.user_timeout_ms, nwarnings);
	}
}
END_TEST

START_TEST(bad_value_with_newline_still_warns_on_one_line)
{
	/* Control characters in the value are escaped: still one line. */
	struct shim_config cfg;
	const char *nl;

	set_var(ENV_FORMAT, "json\nx");
	parse(&cfg);
	ck_assert_int_eq(nwarnings, 1);
	ck_assert_int_eq(cfg.json, 0);
	nl = strchr(warnings[0], '\n');
	ck_assert_msg(nl != NULL && nl[1] == '\0',
		      "warning is not one line: \"%s\"", warnings[0]);
}
END_TEST

/* tcpshim watch's options: one setting by name, the rest untouched. */
START_TEST(config_set_takes_one_setting_by_name)
{
	struct shim_config cfg;
	const char *expected = NULL;

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, ENV_LOG, "journal", &expected), 0);
	ck_assert_int_eq(cfg.log, LOG_JOURNAL);
	ck_assert_int_eq(config_set(&cfg, ENV_RATE, "fast", &expected), -1);
	ck_assert_str_eq(expected, "events per second, 0-1000000, or unlimited");
	ck_assert_int_eq(cfg.rate_set, 0);
	config_default_rate(&cfg);
	ck_assert_uint_eq(cfg.rate, RATE_DAEMON_DEFAULT);
	ck_assert_int_eq(config_set(&cfg, ENV_EVENTS, "rst_sent,summary",
				    &expected), 0);
	ck_assert_uint_eq(cfg.events, 1u << TCP_EVENT_RST_SENT);
	ck_assert_int_eq(cfg.summary, 1);
	ck_assert_int_eq(config_set(&cfg, "TCPSHIM_NONE", "1", &expected), -1);
	ck_assert_str_eq(expected, "no such setting");
	ck_assert_int_eq(cfg.log, LOG_JOURNAL);
}
END_TEST

/* %p is the pid, wherever and however often it appears. */
START_TEST(log_path_expands_every_pid_mark)
{
	char out[32];

	ck_assert_int_eq(config_log_path(out, sizeof(out), "/l/%p.%p", 42), 0);
	ck_assert_str_eq(out, "/l/42.42");
	ck_assert_int_eq(config_log_path(out, 8, "/var/log/x", 1), -1);
}
END_TEST

Suite *unit_config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, unset_environment_gives_every_default);
	tcase_add_test(tc, config_defaults_match_parse_of_empty_environment);
	tcase_add_test(tc, parse_reads_each_variable_once_and_nothing_else);
	tcase_add_test(tc, all_good_values_parse_together_without_warning);
	tcase_add_test(tc, parse_starts_from_defaults_not_previous_settings);
	suite_add_tcase(s, tc);

	tc = tcase_create("good_values");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, log_accepts_stderr_off_and_syslog);
	tcase_add_test(tc, log_file_path_is_kept_verbatim_with_pid_marker);
	tcase_add_test(tc, log_path_of_longest_allowed_length_is_accepted);
	tcase_add_test(tc, format_accepts_text_and_json);
	tcase_add_test(tc, keepalive_accepts_three_values_within_kernel_limits);
	tcase_add_test(tc, user_timeout_accepts_one_to_int_max_milliseconds);
	tcase_add_test(tc, close_accepts_normal_and_abort);
	tcase_add_test(tc, events_accepts_all_and_any_comma_list_of_names);
	tcase_add_test(tc, rate_defaults_to_a_limit_for_daemons_and_none_for_files);
	tcase_add_test(tc, rate_accepts_0_to_a_million_and_unlimited);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad_values");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, bad_value_warns_once_and_keeps_its_default, 0,
			    NBAD);
	tcase_add_loop_test(tc, bad_value_alone_leaves_every_default, 0, NBAD);
	tcase_add_test(tc, overlong_log_path_warns_once_and_keeps_stderr);
	tcase_add_test(tc, every_variable_bad_gives_one_warning_each_in_order);
	tcase_add_test(tc, leading_tab_is_rejected_like_leading_space);
	tcase_add_test(tc,
		       user_timeout_that_overrides_the_probe_count_is_warned_about);
	tcase_add_test(tc, user_timeout_longer_than_keepalive_is_warned_about);
	tcase_add_test(tc, user_timeout_or_keepalive_alone_divides_by_nothing);
	tcase_add_test(tc,
		       user_timeout_that_agrees_with_keepalive_is_not_warned_about);
	tcase_add_test(tc, bad_value_with_newline_still_warns_on_one_line);
	tcase_add_test(tc, config_set_takes_one_setting_by_name);
	tcase_add_test(tc, log_path_expands_every_pid_mark);
	suite_add_tcase(s, tc);

	return s;
}
