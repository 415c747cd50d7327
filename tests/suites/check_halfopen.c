/*
 * check_halfopen - half-open detection against a peer that really
 * vanishes.  Two test hosts in network namespaces (demos/peerhost.sh): the
 * client runs prog_halfopen under the preload, the peer runs
 * demos/peer_service.
 * A crash drops the peer's link first and then destroys its namespace, so
 * no FIN and no RST leave; a restart brings back the same addresses with
 * an empty TCP stack.  Needs root; skipped with the reason otherwise.
 *
 * Proves: keepalive_timeout (IPv4 and IPv6) with tcp_peer_status saying
 * "probing" before the end; a restarted peer's RST answering a probe and
 * answering data (halfopen_reset); user_timeout with data in flight; a
 * live peer aborting while its probes are answered (peer_reset); and the
 * program's own setsockopt against the policy.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

#define PEER_PORT "7000"
#define PEER4 "198.18.0.2"
#define PEER6 "fd00:7c9::2"
#define WAIT_MS 20000

struct net {
	char tag[16];
	struct tl_proc peer;
	int peer_running;
	const char *log;
};

static const char *script(void)
{
	return tl_source("demos/peerhost.sh");
}

static void hosts(const char *verb, struct net *n)
{
	tl_peerhost(verb, n->tag);
}

/* Both hosts up, or a printed reason to skip (returns 0). */
static int net_up(struct net *n, const char *test)
{
	if (!tl_can_netns(test))
		return 0;
	memset(n, 0, sizeof(*n));
	snprintf(n->tag, sizeof(n->tag), "h%d", (int)getpid());
	n->log = tl_tmp("events.log");
	hosts("down", n);
	hosts("up", n);
	return 1;
}

static void net_down(struct net *n)
{
	if (n->peer_running)
		kill(n->peer.pid, SIGKILL);
	hosts("down", n);
	if (n->peer_running)
		tl_wait(&n->peer);
	n->peer_running = 0;
}

static void peer_start(struct net *n, const char *addr)
{
	const char *argv[] = { "/bin/sh", script(), "peer", n->tag,
			       tl_path("demos/peer_service"), addr, PEER_PORT,
			       NULL };
	char line[64];

	tl_spawn_io(&n->peer, NULL, argv);
	n->peer_running = 1;
	ck_assert_int_eq(tl_expect(&n->peer, "ready", WAIT_MS, line,
				   sizeof(line)), 0);
}

/* The peer host crashes: its process dies with it. */
static void crash(struct net *n)
{
	hosts("crash", n);
	if (n->peer_running) {
		tl_wait(&n->peer);
		tl_free(&n->peer);
		n->peer_running = 0;
	}
}

static void restart(struct net *n, const char *addr)
{
	hosts("restart", n);
	peer_start(n, addr);
}

/* prog_halfopen MODE on the client host, preloaded with the settings. */
static void client_start(struct net *n, struct tl_proc *cl, const char *mode,
			 const char *addr, const char *setting)
{
	char line[64];
	const char *argv[] = {
		"/bin/sh", script(), "client", n->tag, "/usr/bin/env",
		/* Given to env(1) in argv: the sanitizer runtime, if any,
		 * must come first by hand here. */
		getenv("TCPSHIM_TEST_PRELOAD")
			? tl_str("LD_PRELOAD=%s %s",
				 getenv("TCPSHIM_TEST_PRELOAD"),
				 tl_path("libtcpshim.so"))
			: tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", n->log), "TCPSHIM_FORMAT=json",
		setting ? setting : "TCPSHIM_EVENTS=all",
		tl_path("tests/prog_halfopen"), mode, addr, PEER_PORT, NULL
	};

	tl_spawn_io(cl, NULL, argv);
	ck_assert_int_eq(tl_expect(cl, "connected", WAIT_MS, line,
				   sizeof(line)), 0);
}

/*
 * The client's end: the line it printed, tcp_peer_status()'s verdict
 * after it, its exit, and the one event.
 */
static void client_end(struct net *n, struct tl_proc *cl, const char *want,
		       const char *verdict, char *event, size_t size)
{
	char line[128];
	char *log;

	ck_assert_msg(tl_expect(cl, want, WAIT_MS, line, sizeof(line)) == 0,
		      "no \"%s\" from the client: %s", want,
		      cl->acc ? cl->acc : "");
	ck_assert_int_eq(tl_expect(cl, "final ", WAIT_MS, line, sizeof(line)),
			 0);
	ck_assert_str_eq(line + strlen("final "), verdict);
	tl_wait(cl);
	ck_assert_int_eq(cl->status, 0);
	ck_assert_str_eq(cl->err, "");
	log = tl_slurp(n->log);
	ck_assert_msg(tl_count_lines(log) == 1, "log: %s", log);
	tl_line(log, 0, event, size);
	free(log);
}

static void keepalive_timeout(int ipv6)
{
	struct net n;
	struct tl_proc cl;
	char ev[1024], line[128];
	const char *addr = ipv6 ? PEER6 : PEER4;

	if (!net_up(&n, ipv6 ? "keepalive_timeout_ipv6"
			     : "keepalive_timeout_ipv4"))
		return;
	peer_start(&n, addr);
	client_start(&n, &cl, "wait", addr, "TCPSHIM_KEEPALIVE=1,1,2");
	crash(&n);
	tl_say(&cl, "go");
	/* Probes go unanswered: tcp_peer_status says so before the end. */
	ck_assert_int_eq(tl_expect(&cl, "status probing probes=", WAIT_MS,
				   line, sizeof(line)), 0);
	client_end(&n, &cl, "recv -1 ETIMEDOUT", "dead", ev, sizeof(ev));
	sc_assert_event(ev, "halfopen", "keepalive_timeout", "recv",
			"ETIMEDOUT", NULL,
			ipv6 ? "[" PEER6 "]:" PEER_PORT : PEER4 ":" PEER_PORT);
	TL_ASSERT_FIELD(ev, "probes", "2");
	TL_ASSERT_FIELD(ev, "retransmits", "0");
	TL_ASSERT_FIELD(ev, "unacked", "0");
	tl_free(&cl);
	net_down(&n);
}

START_TEST(keepalive_timeout_ipv4)
{
	keepalive_timeout(0);
}
END_TEST

START_TEST(keepalive_timeout_ipv6)
{
	keepalive_timeout(1);
}
END_TEST

/* The peer restarts; the next keepalive probe meets its fresh stack. */
START_TEST(restarted_peer_answers_a_probe_with_rst)
{
	struct net n;
	struct tl_proc cl;
	char ev[1024];

	if (!net_up(&n, __func__))
		return;
	peer_start(&n, PEER4);
	client_start(&n, &cl, "wait", PEER4, "TCPSHIM_KEEPALIVE=1,1,60");
	crash(&n);
	restart(&n, PEER4);
	tl_say(&cl, "go");
	client_end(&n, &cl, "recv -1 ECONNRESET", "reset", ev, sizeof(ev));
	sc_assert_event(ev, "rst_received", "halfopen_reset", "recv",
			"ECONNRESET", NULL, PEER4 ":" PEER_PORT);
	ck_assert_msg(strstr(ev, "\"probes\":0,") == NULL, "%s", ev);
	tl_free(&cl);
	net_down(&n);
}
END_TEST

/* No keepalive: after a silence the program sends, and the restarted
 * peer's stack answers the data with a RST. */
START_TEST(restarted_peer_answers_data_with_rst)
{
	struct net n;
	struct tl_proc cl;
	char ev[1024];

	if (!net_up(&n, __func__))
		return;
	peer_start(&n, PEER6);
	client_start(&n, &cl, "send", PEER6, NULL);
	crash(&n);
	restart(&n, PEER6);
	tl_say(&cl, "go");
	client_end(&n, &cl, "recv -1 ECONNRESET", "reset", ev, sizeof(ev));
	sc_assert_event(ev, "rst_received", "halfopen_reset", "recv",
			"ECONNRESET", NULL, "[" PEER6 "]:" PEER_PORT);
	TL_ASSERT_FIELD(ev, "probes", "0");
	TL_ASSERT_FIELD(ev, "unacked", "1");
	TL_ASSERT_FIELD(ev, "bytes_sent", "1");
	tl_free(&cl);
	net_down(&n);
}
END_TEST

/* Sent data is never acknowledged: TCP_USER_TIMEOUT ends it. */
START_TEST(user_timeout_with_data_in_flight)
{
	struct net n;
	struct tl_proc cl;
	char ev[1024], line[128];
	char v[32];

	if (!net_up(&n, __func__))
		return;
	peer_start(&n, PEER4);
	client_start(&n, &cl, "send", PEER4, "TCPSHIM_USER_TIMEOUT=2000");
	crash(&n);
	tl_say(&cl, "go");
	ck_assert_int_eq(tl_expect(&cl, "status probing", WAIT_MS, line,
				   sizeof(line)), 0);
	client_end(&n, &cl, "recv -1 ETIMEDOUT", "dead", ev, sizeof(ev));
	sc_assert_event(ev, "halfopen", "user_timeout", "recv", "ETIMEDOUT",
			NULL, PEER4 ":" PEER_PORT);
	TL_ASSERT_FIELD(ev, "unacked", "1");
	ck_assert_ptr_nonnull(tl_json(ev, "retransmits", v, sizeof(v)));
	ck_assert_msg(atoi(v) > 0, "%s", ev);
	tl_free(&cl);
	net_down(&n);
}
END_TEST

/* The peer is alive and answers probes; then it aborts.  That RST is the
 * peer's own reset, not a half-open one. */
START_TEST(live_peer_abort_during_keepalive_is_peer_reset)
{
	struct net n;
	struct tl_proc cl;
	char ev[1024], line[128];

	if (!net_up(&n, __func__))
		return;
	peer_start(&n, PEER4);
	client_start(&n, &cl, "answered", PEER4, "TCPSHIM_KEEPALIVE=1,1,5");
	tl_say(&cl, "go");
	ck_assert_int_eq(tl_expect(&cl, "probe answered", WAIT_MS, line,
				   sizeof(line)), 0);
	kill(n.peer.pid, SIGUSR1);
	ck_assert_int_eq(tl_expect(&n.peer, "aborted 1", WAIT_MS, line,
				   sizeof(line)), 0);
	client_end(&n, &cl, "recv -1 ECONNRESET", "reset", ev, sizeof(ev));
	sc_assert_event(ev, "rst_received", "peer_reset", "recv", "ECONNRESET",
			NULL, PEER4 ":" PEER_PORT);
	TL_ASSERT_FIELD(ev, "probes", "0");
	tl_free(&cl);
	net_down(&n);
}
END_TEST

/*
 * The program sets its own keepalive against the policy: the program
 * wins (the socket holds what it set) and the log says so, once per
 * option it changed.  Loopback is enough: nothing vanishes here.
 */
START_TEST(program_setsockopt_overrides_the_policy_and_the_log_says_so)
{
	const char *log = tl_tmp("override.log");
	int port, lfd = tl_listen(AF_INET, &port), a;
	const char *argv[] = { tl_path("tests/prog_halfopen"), "override",
			       "127.0.0.1", tl_str("%d", port), NULL };
	const char *env[] = {
		tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so")),
		tl_str("TCPSHIM_LOG=%s", log), "TCPSHIM_FORMAT=json",
		"TCPSHIM_KEEPALIVE=1,1,2", NULL
	};
	struct tl_proc cl;
	char line[1024], *text;

	tl_spawn_io(&cl, env, argv);
	a = tl_accept(lfd, WAIT_MS);
	ck_assert_int_ge(a, 0);
	tl_say(&cl, "go");
	tl_wait(&cl);
	ck_assert_str_eq(cl.out, "connected\nkeepalive 0 idle 77\n");
	text = tl_slurp(log);
	ck_assert_int_eq(tl_count_lines(text), 2);
	tl_line(text, 0, line, sizeof(line));
	TL_ASSERT_FIELD(line, "notice", "policy_overridden");
	TL_ASSERT_FIELD(line, "option", "TCP_KEEPIDLE");
	TL_ASSERT_FIELD(line, "value", "77");
	TL_ASSERT_FIELD(line, "policy", "TCPSHIM_KEEPALIVE=1,1,2");
	tl_line(text, 1, line, sizeof(line));
	TL_ASSERT_FIELD(line, "option", "SO_KEEPALIVE");
	TL_ASSERT_FIELD(line, "value", "0");
	free(text);
	tl_free(&cl);
	close(a);
	close(lfd);
}
END_TEST

Suite *halfopen_suite(void)
{
	Suite *s = suite_create("halfopen");
	TCase *dead = tcase_create("dead_peer");
	TCase *restarted = tcase_create("restarted_peer");
	TCase *policy = tcase_create("policy");

	tcase_set_timeout(dead, 60);
	tcase_set_timeout(restarted, 60);
	tcase_set_timeout(policy, 30);
	tcase_add_test(dead, keepalive_timeout_ipv4);
	tcase_add_test(dead, keepalive_timeout_ipv6);
	tcase_add_test(dead, user_timeout_with_data_in_flight);
	tcase_add_test(dead, live_peer_abort_during_keepalive_is_peer_reset);
	tcase_add_test(restarted, restarted_peer_answers_a_probe_with_rst);
	tcase_add_test(restarted, restarted_peer_answers_data_with_rst);
	tcase_add_test(policy,
		       program_setsockopt_overrides_the_policy_and_the_log_says_so);
	suite_add_tcase(s, dead);
	suite_add_tcase(s, restarted);
	suite_add_tcase(s, policy);
	return s;
}

int main(void)
{
	return tl_main(halfopen_suite());
}
