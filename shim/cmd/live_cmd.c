/*
 * live_cmd.c - what the live subcommands share.
 */
#include "cmd/live_cmd.h"

/* sock_diag's idiag_timer values (the kernel's inet_diag.c). */
#define DIAG_TIMER_KEEPALIVE 2

int live_usage(FILE *out, const char *text, int status)
{
	fputs(text, out);
	return status;
}

int live_bad_option(const char *name, const char *arg)
{
	fprintf(stderr, "tcpshim %s: unknown option '%s' (see tcpshim %s "
		"--help)\n", name, arg, name);
	return 2;
}

int live_keepalive_timer(const struct live_conn *c)
{
	return c->timer == DIAG_TIMER_KEEPALIVE;
}
