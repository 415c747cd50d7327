/*
 * options.h - the options of "tcpshim [options] -- command", which
 * tcpshim service takes too: each checked with the library's own parser
 * and turned into the TCPSHIM_ variable of the same meaning.
 */
#ifndef SHIM_CMD_OPTIONS_H
#define SHIM_CMD_OPTIONS_H

#include <stdio.h>

/* What the options are for: set receives each variable and its value;
 * help prints the caller's usage; see names the help to read after an
 * error ("tcpshim --help"). */
struct options_target {
	void (*set)(const char *name, const char *value, void *ctx);
	void *ctx;
	void (*help)(FILE *out);
	const char *see;
};

/*
 * Take the options from argv[optind] on, up to the first argument that
 * is not one (getopt_long, "--" ends them).  A bad option or value
 * exits with status 2 and one line on stderr.  Returns -1 when the
 * options end, or 0 once --help or --version has been printed.
 */
int options_take(int argc, char **argv, const struct options_target *t);

/* After options_take: the --inject rules, joined and checked together,
 * given to set; and the note on --keepalive without --user-timeout. */
void options_finish(const struct options_target *t);

/* The options' lines of a usage text. */
void options_usage(FILE *out);

/* "tcpshim: MESSAGE (see HELP)" on stderr, then exit status 2. */
void options_fail(const struct options_target *t, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

#endif
