/*
 * tcpshim - run a command with libtcpshim preloaded.
 *
 *   tcpshim [options] -- command [args...]
 *
 * Each option sets the TCPSHIM_ variable of the same meaning; the
 * library is added to LD_PRELOAD (after what is there, so a sanitizer
 * runtime stays first), found at the path fixed when tcpshim was built.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcpshim.h"

#ifndef TCPSHIM_LIBRARY
#error "build with -DTCPSHIM_LIBRARY=\"/path/to/libtcpshim.so\""
#endif

static void usage(FILE *out)
{
	fputs("usage: tcpshim [options] -- command [args...]\n"
	      "Run command with libtcpshim preloaded: log TCP resets, "
	      "control abortive close\nand keepalive.\n\n"
	      "  --log PATH|stderr|syslog|off   where events go "
	      "(TCPSHIM_LOG; %p in PATH: pid)\n"
	      "  --json                         JSON Lines "
	      "(TCPSHIM_FORMAT=json)\n"
	      "  --keepalive IDLE,INTERVAL,COUNT\n"
	      "                                 keepalive on every TCP "
	      "socket (TCPSHIM_KEEPALIVE)\n"
	      "  --user-timeout MS              TCP_USER_TIMEOUT on every "
	      "TCP socket\n"
	      "  --abort-on-close               every close() resets "
	      "(TCPSHIM_CLOSE=abort)\n"
	      "  --events LIST                  events to log: all, or "
	      "rst_sent,rst_received,\n"
	      "                                 halfopen,close "
	      "(TCPSHIM_EVENTS)\n"
	      "  --help, --version\n",
	      out);
}

static void fail(const char *msg, const char *arg)
{
	fprintf(stderr, "tcpshim: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	fputs("Try 'tcpshim --help'.\n", stderr);
	exit(2);
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

static void add_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;

	if (old == NULL || *old == '\0') {
		setenv("LD_PRELOAD", lib, 1);
		return;
	}
	if (asprintf(&val, "%s:%s", old, lib) < 0)
		fail("out of memory", NULL);
	setenv("LD_PRELOAD", val, 1);
	free(val);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "user-timeout", required_argument, NULL, 'u' },
		{ "abort-on-close", no_argument, NULL, 'a' },
		{ "events", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat st;
	char *file;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'l': setenv("TCPSHIM_LOG", optarg, 1); break;
		case 'j': setenv("TCPSHIM_FORMAT", "json", 1); break;
		case 'k': setenv("TCPSHIM_KEEPALIVE", optarg, 1); break;
		case 'u': setenv("TCPSHIM_USER_TIMEOUT", optarg, 1); break;
		case 'a': setenv("TCPSHIM_CLOSE", "abort", 1); break;
		case 'e': setenv("TCPSHIM_EVENTS", optarg, 1); break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("tcpshim " TCPSHIM_VERSION); return 0;
		default:
			fail(optopt ? "unknown or incomplete option"
				    : "unknown option",
			     argv[optind - 1]);
		}
	}
	if (optind >= argc)
		fail("no command given", NULL);
	file = resolve(argv[optind]);
	if (file != NULL && stat(file, &st) == 0 &&
	    (st.st_mode & (S_ISUID | S_ISGID)))
		fprintf(stderr,
			"tcpshim: warning: %s is set%cid: the dynamic loader "
			"ignores LD_PRELOAD for it, so nothing will be logged\n",
			file, (st.st_mode & S_ISUID) ? 'u' : 'g');
	free(file);
	add_preload(TCPSHIM_LIBRARY);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "tcpshim: cannot run %s: %s\n", argv[optind],
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
