/*
 * live_ls.c - "tcpshim ls PID...": each TCP connection and listener of
 * running processes, as the kernel reports it, without touching any.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/live.h"
#include "cmd/live_cmd.h"
#include "cmd/live_dup.h"
#include "core/names.h"
#include "core/outbuf.h"

static const char usage_text[] =
	"usage: tcpshim ls [--json] [--options] PID...\n"
	"List each TCP connection and listener of the running processes:\n"
	"fd, state, local and peer address, cookie, what tcp_peer_status\n"
	"would say of the peer (alive, probing, dead, reset, closed), its\n"
	"unanswered probes and retransmissions, milliseconds since data\n"
	"last arrived, unacknowledged bytes, and whether a keepalive probe\n"
	"is scheduled.  Read from /proc and sock_diag: the process is never\n"
	"touched.  --json: one JSON object per line.  --options: also the\n"
	"keepalive settings (IDLE,INTERVAL,COUNT or off) and the user\n"
	"timeout, which only the socket itself can tell: each is read\n"
	"through a duplicate of the descriptor held for a few system calls\n"
	"(the permission tcpshim abort needs).\n";

/* ADDR:PORT, as the log writes it. */
static const char *addr_text(const struct sockaddr_storage *ss, char *buf,
			     size_t size)
{
	struct outbuf o = { buf, 0, size - 1 };

	outbuf_sockaddr(&o, ss);
	buf[o.len] = '\0';
	return buf;
}

/* KEEPALIVE: the settings if read, else whether a probe is due. */
static const char *keepalive_text(const struct live_conn *c, char *buf,
				  size_t size)
{
	if (!c->has_opts)
		return live_conn_keepalive_timer(c) ? "on" : "-";
	if (!c->keepalive)
		return "off";
	snprintf(buf, size, "%d,%d,%d", c->idle, c->interval, c->count);
	return buf;
}

static void print_text(pid_t pid, const struct live_conn *c)
{
	char local[64], peer[64], ka[40], uto[16] = "-";

	if (c->has_opts)
		snprintf(uto, sizeof(uto), "%d", c->user_timeout);
	printf("%-7d %-4d %-11s %-24s %-24s %-10" PRIu64 " %-7s %6u %7u "
	       "%8u %8" PRId64 " %-10s %s\n",
	       (int)pid, c->fd, names_tcp_state(c->state),
	       addr_text(&c->local, local, sizeof(local)),
	       addr_text(&c->peer, peer, sizeof(peer)), c->cookie,
	       live_conn_peer_state(c), c->info.tcpi_probes,
	       c->info.tcpi_retransmits, c->info.tcpi_last_data_recv,
	       live_conn_unacked(c), keepalive_text(c, ka, sizeof(ka)), uto);
}

static void print_json(pid_t pid, const struct live_conn *c)
{
	char local[64], peer[64], ka[48] = "null", uto[16] = "null";

	if (c->has_opts) {
		if (c->keepalive)
			snprintf(ka, sizeof(ka), "\"%d,%d,%d\"", c->idle,
				 c->interval, c->count);
		else
			snprintf(ka, sizeof(ka), "\"off\"");
		snprintf(uto, sizeof(uto), "%d", c->user_timeout);
	}
	printf("{\"pid\":%d,\"fd\":%d,\"state\":\"%s\",\"local\":\"%s\","
	       "\"peer\":\"%s\",\"cookie\":%" PRIu64 ",\"peer_state\":\"%s\","
	       "\"probes\":%u,\"retransmits\":%u,\"idle_ms\":%u,"
	       "\"unacked\":%" PRId64 ",\"keepalive_timer\":%s,"
	       "\"keepalive\":%s,\"user_timeout_ms\":%s}\n",
	       (int)pid, c->fd, names_tcp_state(c->state),
	       addr_text(&c->local, local, sizeof(local)),
	       addr_text(&c->peer, peer, sizeof(peer)), c->cookie,
	       live_conn_peer_state(c), c->info.tcpi_probes,
	       c->info.tcpi_retransmits, c->info.tcpi_last_data_recv,
	       live_conn_unacked(c),
	       live_conn_keepalive_timer(c) ? "true" : "false",
	       ka, uto);
}

int live_ls_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "options", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, options = 0, status = 0, c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'h')
			return live_cmd_usage(stdout, usage_text, 0);
		if (c == 'o')
			options = 1;
		else if (c == 'j')
			json = 1;
		else
			return live_cmd_bad_option("ls", argv[optind - 1]);
	}
	if (optind == argc)
		return live_cmd_usage(stderr, usage_text, 2);
	if (!json)
		printf("%-7s %-4s %-11s %-24s %-24s %-10s %-7s %6s %7s %8s "
		       "%8s %-10s %s\n",
		       "PID", "FD", "STATE", "LOCAL", "PEER", "COOKIE", "PEER",
		       "PROBES", "RETRANS", "IDLE_MS", "UNACKED", "KEEPALIVE",
		       "UTO_MS");
	for (int i = optind; i < argc; i++) {
		struct live_target t;
		pid_t pid = live_cmd_parse_pid("ls", argv[i]);

		if (pid < 0)
			return 2;
		if (live_open(pid, &t) != 0) {
			status = 1;
			continue;
		}
		for (size_t k = 0; k < t.n; k++) {
			if (options &&
			    live_dup_read_options(&t, &t.conn[k]) != 0)
				status = 1;
			(json ? print_json : print_text)(pid, &t.conn[k]);
		}
		live_close(&t);
	}
	return status;
}
