/*
 * live_abort.c - "tcpshim abort PID [FD...] [--peer ADDR[:PORT]]
 * [--cookie N] [--dead]": a real RST now on each chosen connection of a
 * running process, by a disconnect (connect with AF_UNSPEC) of a
 * duplicate of its descriptor: the kernel resets the connection at once,
 * idle or not, and the target sees the reset at its next call.  The
 * duplicate is then dropped, which, the connection being gone, does
 * nothing more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/live.h"
#include "cmd/live_cmd.h"
#include "cmd/live_dup.h"
#include "core/addr_spec.h"
#include "core/classify.h"
#include "core/format.h"
#include "core/names.h"

static const char usage_text[] =
	"usage: tcpshim abort [--json] PID [FD...] [--peer ADDR[:PORT]] "
	"[--cookie N] [--dead]\n"
	"Send a real RST now on the chosen TCP connections of a running "
	"process;\nit sees the reset at its next call.  Choose them by "
	"descriptor (FD...),\nby peer address, by socket cookie (tcpshim "
	"ls), or --dead: those whose\npeer is known dead (two keepalive "
	"probes unanswered, or three\nretransmission timeouts in a "
	"row).  Given together, all must hold.  One\nrst_sent/killed event "
	"is printed per connection reset.  Listeners are never\nreset.\n";

struct choice {
	int *fds;
	int nfds;
	int by_peer;
	struct sockaddr_storage peer;	/* port 0: any port */
	int by_cookie;
	uint64_t cookie;
	int dead;
	int json;
};

/* ADDR, ADDR:PORT, [ADDR] or [ADDR]:PORT, or ADDR6 alone. */
static int parse_peer(const char *s, struct sockaddr_storage *ss)
{
	struct addr_spec spec;

	memset(ss, 0, sizeof(*ss));
	if (addr_spec_parse(&spec, s, strlen(s),
			    ADDR_SPEC_V4_IN_BRACKETS) != 0)
		return -1;
	spec.addr.port = htons(spec.port);
	conn_addr_to_sockaddr(&spec.addr, ss);
	return 0;
}

static int same_peer(const struct sockaddr_storage *want,
		     const struct sockaddr_storage *got)
{
	const struct sockaddr_in *w4 = (const void *)want, *g4 = (const void *)got;
	const struct sockaddr_in6 *w6 = (const void *)want,
				  *g6 = (const void *)got;

	if (want->ss_family != got->ss_family)
		return 0;
	if (want->ss_family == AF_INET)
		return w4->sin_addr.s_addr == g4->sin_addr.s_addr &&
		       (w4->sin_port == 0 || w4->sin_port == g4->sin_port);
	return memcmp(&w6->sin6_addr, &g6->sin6_addr, 16) == 0 &&
	       (w6->sin6_port == 0 || w6->sin6_port == g6->sin6_port);
}

static int chosen(const struct choice *ch, const struct live_conn *c)
{
	int named = ch->nfds == 0;

	for (int i = 0; i < ch->nfds; i++)
		named |= ch->fds[i] == c->fd;
	return named && (!ch->by_peer || same_peer(&ch->peer, &c->peer)) &&
	       (!ch->by_cookie || ch->cookie == c->cookie) &&
	       (!ch->dead || live_conn_peer_dead(c));
}

/* The event a reset made here is: rst_sent, killed. */
static void print_event(pid_t pid, const struct live_conn *c, int json)
{
	struct tcp_event ev = { 0 };
	char line[FORMAT_LINE_MAX];

	clock_gettime(CLOCK_REALTIME, &ev.time);
	ev.pid = pid;
	ev.fd = c->fd;
	ev.has_cookie = c->cookie != 0;
	ev.cookie = c->cookie;
	ev.kind = TCP_EVENT_RST_SENT;
	ev.cause = TCP_CAUSE_KILLED;
	ev.event = names_kind(ev.kind);
	ev.cause_name = names_cause(ev.cause);
	ev.call = "tcpshim_abort";
	ev.local = c->local;
	ev.peer = c->peer;
	ev.bytes_sent = live_conn_bytes_sent(c);
	ev.bytes_received = c->info.tcpi_bytes_received;
	ev.probes = ev.retransmits = ev.idle_ms = ev.unacked = -1;
	fwrite(line, 1, format_event(line, sizeof(line), &ev, json), stdout);
	fflush(stdout);
}

/* Reset c, one of t's: 0, or -1 with the reason said. */
static int reset_one(struct live_target *t, const struct live_conn *c,
		     int json)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct stat st;
	int dup;

	if (!classify_state_resets(c->state)) {
		fprintf(stderr, "tcpshim abort: process %d, fd %d: %s, "
			"nothing to reset\n", (int)t->pid, c->fd,
			c->state == TCPS_LISTEN ? "a listener" :
			names_tcp_state(c->state));
		return c->state == TCPS_LISTEN ? -1 : 0;
	}
	dup = live_dup_fd(t, c->fd);
	if (dup < 0)
		return -1;
	if (fstat(dup, &st) != 0 || st.st_ino != c->inode) {
		fprintf(stderr, "tcpshim abort: process %d, fd %d: closed and "
			"reused meanwhile; left alone\n", (int)t->pid, c->fd);
		close(dup);
		return -1;
	}
	if (connect(dup, &unspec, sizeof(unspec)) != 0) {
		fprintf(stderr, "tcpshim abort: process %d, fd %d: "
			"disconnect failed: %s\n", (int)t->pid, c->fd,
			strerror(errno));
		close(dup);
		return -1;
	}
	close(dup);
	print_event(t->pid, c, json);
	return 0;
}

static int parse_options(int argc, char **argv, struct choice *ch)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "cookie", required_argument, NULL, 'c' },
		{ "dead", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			ch->by_peer = 1;
			if (parse_peer(optarg, &ch->peer) != 0) {
				fprintf(stderr, "tcpshim abort: --peer '%s': "
					"expected ADDR, ADDR:PORT or "
					"[ADDR]:PORT\n", optarg);
				return 2;
			}
			break;
		case 'c':
			ch->by_cookie = 1;
			errno = 0;
			ch->cookie = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0') {
				fprintf(stderr, "tcpshim abort: --cookie '%s': "
					"expected a number (tcpshim ls shows "
					"them)\n", optarg);
				return 2;
			}
			break;
		case 'd':
			ch->dead = 1;
			break;
		case 'j':
			ch->json = 1;
			break;
		case 'h':
			return live_cmd_usage(stdout, usage_text, -1);
		default:
			return live_cmd_bad_option("abort", argv[optind - 1]);
		}
	}
	return 0;
}

/* The FD... arguments after PID. */
static int parse_fds(int argc, char **argv, struct choice *ch)
{
	ch->nfds = 0;
	ch->fds = calloc((size_t)argc, sizeof(int));
	for (int i = optind + 1; ch->fds != NULL && i < argc; i++) {
		char *end;
		long fd = strtol(argv[i], &end, 10);

		if (end == argv[i] || *end != '\0' || fd < 0 || fd > INT32_MAX) {
			fprintf(stderr, "tcpshim abort: '%s' is not a "
				"descriptor number\n", argv[i]);
			return 2;
		}
		ch->fds[ch->nfds++] = (int)fd;
	}
	if (ch->nfds == 0 && !ch->by_peer && !ch->by_cookie && !ch->dead) {
		fputs("tcpshim abort: name the connections to reset: FD..., "
		      "--peer, --cookie or --dead (never all by default)\n",
		      stderr);
		return 2;
	}
	return 0;
}

/* Each named descriptor is a TCP socket of the target; or say why not. */
static int check_named(const struct live_target *t, const struct choice *ch)
{
	int status = 0;

	for (int i = 0; i < ch->nfds; i++) {
		int found = 0;

		for (size_t k = 0; k < t->n; k++)
			found |= t->conn[k].fd == ch->fds[i];
		if (!found) {
			fprintf(stderr, "tcpshim abort: process %d, fd %d: "
				"not a TCP socket\n", (int)t->pid, ch->fds[i]);
			status = 1;
		}
	}
	return status;
}

int live_abort_main(int argc, char **argv)
{
	struct choice ch = { 0 };
	struct live_target t;
	int status, matched = 0;
	pid_t pid;

	status = parse_options(argc, argv, &ch);
	if (status != 0)
		return status < 0 ? 0 : status;
	if (optind >= argc)
		return live_cmd_usage(stderr, usage_text, 2);
	pid = live_cmd_parse_pid("abort", argv[optind]);
	if (pid < 0 || (status = parse_fds(argc, argv, &ch)) != 0) {
		free(ch.fds);
		return 2;
	}
	if (live_open(pid, &t) != 0) {
		free(ch.fds);
		return 1;
	}
	status = check_named(&t, &ch);
	for (size_t k = 0; k < t.n; k++) {
		if (!chosen(&ch, &t.conn[k]) ||
		    (ch.nfds == 0 && t.conn[k].state == TCPS_LISTEN))
			continue;
		matched++;
		if (reset_one(&t, &t.conn[k], ch.json) != 0)
			status = 1;
	}
	if (matched == 0 && ch.nfds == 0)
		fprintf(stderr, "tcpshim abort: process %d: no connection "
			"matches\n", (int)pid);
	live_close(&t);
	free(ch.fds);
	return status;
}
