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
 *   tcpshim service SERVICE [options] [--print|--remove]
 *                                            run a systemd service
 *                                            under tcpshim (service.c)
 *
 * A subcommand is the first argument, and nothing else: "tcpshim --
 * report" runs a program named report.  Otherwise each option sets the
 * TCPSHIM_ variable of the same meaning, after checking its value with
 * the library's own parser (options.c); the library is added to
 * LD_PRELOAD (after what is there, so a sanitizer runtime stays first),
 * found at the absolute path fixed when tcpshim was built, never in the
 * current directory.  Then tcpshim execs the command: its exit status and
 * signals are the command's own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/live_cmd.h"
#include "cmd/options.h"
#include "cmd/preload.h"
#include "cmd/report.h"
#include "cmd/service.h"
#include "cmd/watch.h"

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
	{ "service", service_main,
	  "tcpshim service SERVICE [options] [--print|--remove] (a systemd "
	  "service under tcpshim)" },
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
	      "summarises JSON logs (stdin if no LOG).\n\n", out);
	options_usage(out);
}

static void set_env(const char *name, const char *value, void *ctx)
{
	(void)ctx;
	if (setenv(name, value, 1) != 0) {
		fprintf(stderr, "tcpshim: cannot set %s: %s\n", name,
			strerror(errno));
		exit(2);
	}
}

static const struct options_target run_target = {
	.set = set_env, .help = usage, .see = "tcpshim --help",
};

/* Run the command after the options, preloaded: returns only if it
 * cannot, with 127 (not found) or 126. */
static int run_preloaded(int argc, char **argv)
{
	options_finish(&run_target);
	if (optind >= argc)
		options_fail(&run_target, "no command given: tcpshim [options] "
			     "-- command [args...]");
	preload_warn_if_secure(argv[optind]);
	if (preload_add(TCPSHIM_LIBRARY) != 0)
		options_fail(&run_target, "out of memory");
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
	status = options_take(argc, argv, &run_target);
	if (status >= 0)
		return status;
	return run_preloaded(argc, argv);
}
