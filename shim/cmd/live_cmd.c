/*
 * live_cmd.c - what the live subcommands share: their usage, and their
 * words for a bad option or process id.
 */
#include "cmd/live_cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int live_cmd_usage(FILE *out, const char *text, int status)
{
	fputs(text, out);
	return status;
}

int live_cmd_bad_option(const char *name, const char *arg)
{
	fprintf(stderr, "tcpshim %s: unknown option '%s' (see tcpshim %s "
		"--help)\n", name, arg, name);
	return 2;
}

pid_t live_cmd_parse_pid(const char *cmd, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > INT32_MAX) {
		fprintf(stderr, "tcpshim %s: '%s' is not a process id "
			"(see tcpshim %s --help)\n", cmd, s, cmd);
		return -1;
	}
	return (pid_t)v;
}
