/*
 * live_keepalive.c - "tcpshim keepalive PID IDLE,INTERVAL,COUNT
 * [--user-timeout MS]": half-open detection for the connections and
 * listeners a running process already has (connections it accepts later
 * inherit the settings from their listener).  The values are checked by
 * the library's own parser, with its words and warnings.
 *
 * Each socket is reached through a duplicate (pidfd_getfd), set, and
 * let go.  Should the target close that descriptor in the microseconds
 * the duplicate is held, the close the kernel acts on is the duplicate's:
 * the same close, a moment later.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/live.h"
#include "cmd/live_cmd.h"
#include "cmd/live_dup.h"
#include "core/classify.h"
#include "core/config.h"
#include "core/names.h"
#include "core/sockopts.h"

static const char usage_text[] =
	"usage: tcpshim keepalive PID IDLE,INTERVAL,COUNT "
	"[--user-timeout MS]\n"
	"Turn on keepalive probing (idle and interval in seconds, probes "
	"before the\npeer is given up) on every TCP connection and listener "
	"of a running\nprocess, and TCP_USER_TIMEOUT with --user-timeout; "
	"connections it accepts\nlater inherit them.  Prints what it "
	"changed.\n";

static const char *given[2];	/* TCPSHIM_KEEPALIVE, _USER_TIMEOUT */
static int bad;

static const char *given_env(const char *name)
{
	if (strcmp(name, ENV_KEEPALIVE) == 0)
		return given[0];
	if (strcmp(name, ENV_USER_TIMEOUT) == 0)
		return given[1];
	return NULL;
}

/* The library's words for a setting, and the command's. */
static const char *const words[][2] = {
	{ ENV_KEEPALIVE "=", "keepalive " },
	{ ENV_USER_TIMEOUT "=", "--user-timeout " },
};

/*
 * A warning of the library's, said in this command's terms; a bad value
 * is an error here (exit 2), and nothing is changed.
 */
static void said(const char *line)
{
	char out[512];
	size_t len = 0;
	int error = strstr(line, " is not valid: ") != NULL;
	const char *cut = NULL;

	/* The library's last clause says what it keeps: not so here. */
	for (const char *p = line; error && (p = strstr(p, "; ")); p++)
		cut = p;

	while (*line && len + 32 < sizeof(out)) {
		size_t w = 0;

		while (w < 2 && strncmp(line, words[w][0],
					strlen(words[w][0])) != 0)
			w++;
		if (w < 2) {
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						"%s", words[w][1]);
			line += strlen(words[w][0]);
		} else if (line == cut) {
			break;
		} else {
			out[len++] = *line++;
		}
	}
	out[len] = '\0';
	fflush(stdout);
	fprintf(stderr, "%s%s", out, out[len - 1] == '\n' ? "" : "\n");
	bad |= error;
}

/* Set cfg's keepalive and user timeout on dup. */
static int apply(int dup, const struct shim_config *cfg)
{
	struct sockopt opt[KEEPALIVE_OPTIONS];
	int ms = (int)cfg->user_timeout_ms;

	sockopts_keepalive(opt, cfg->keep_idle, cfg->keep_intvl, cfg->keep_cnt);
	for (int i = 0; i < KEEPALIVE_OPTIONS; i++)
		if (setsockopt(dup, opt[i].level, opt[i].name, &opt[i].value,
			       sizeof(int)) != 0)
			return -1;
	if (cfg->user_timeout &&
	    setsockopt(dup, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)) != 0)
		return -1;
	return 0;
}

/* Does a socket in this state take the settings?  Not one that ended. */
static int settable(int state)
{
	return state != TCPS_CLOSE && state != TCPS_TIME_WAIT &&
	       state != TCPS_LAST_ACK && state != TCPS_CLOSING;
}

static int set_one(struct live_target *t, const struct live_conn *c,
		   const struct shim_config *cfg)
{
	int dup = live_dup_fd(t, c->fd);

	if (dup < 0)
		return -1;
	if (apply(dup, cfg) != 0) {
		fprintf(stderr, "tcpshim keepalive: process %d, fd %d: %s\n",
			(int)t->pid, c->fd, strerror(errno));
		close(dup);
		return -1;
	}
	close(dup);
	printf("process %d fd %d (%s): keepalive %d,%d,%d", (int)t->pid,
	       c->fd, names_tcp_state(c->state), cfg->keep_idle,
	       cfg->keep_intvl, cfg->keep_cnt);
	if (cfg->user_timeout)
		printf(", user timeout %u ms", cfg->user_timeout_ms);
	putchar('\n');
	return 0;
}

static int parse(int argc, char **argv, struct shim_config *cfg)
{
	static const struct option opts[] = {
		{ "user-timeout", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			return live_cmd_usage(stdout, usage_text, -1);
		if (c != 'u')
			return live_cmd_bad_option("keepalive",
						   argv[optind - 1]);
		given[1] = optarg;
	}
	if (argc - optind != 2)
		return live_cmd_usage(stderr, usage_text, 2);
	given[0] = argv[optind + 1];
	config_parse(cfg, given_env, said, 0);
	return bad ? 2 : 0;
}

int live_keepalive_main(int argc, char **argv)
{
	struct shim_config cfg;
	struct live_target t;
	int status = parse(argc, argv, &cfg), done = 0;
	pid_t pid;

	if (status != 0)
		return status < 0 ? 0 : status;
	pid = live_cmd_parse_pid("keepalive", argv[optind]);
	if (pid < 0)
		return 2;
	if (live_open(pid, &t) != 0)
		return 1;
	for (size_t k = 0; k < t.n; k++) {
		if (!settable(t.conn[k].state))
			continue;
		done++;
		if (set_one(&t, &t.conn[k], &cfg) != 0)
			status = 1;
	}
	if (done == 0)
		fprintf(stderr, "tcpshim keepalive: process %d has no open TCP "
			"connection or listener\n", (int)pid);
	live_close(&t);
	return status;
}
