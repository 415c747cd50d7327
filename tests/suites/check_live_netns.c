/*
 * check_live_netns.c - tcpshim abort --dead and tcpshim keepalive against
 * a peer that vanished: the target runs on the client host of
 * demos/peerhost.sh, one connection comes from the peer host (which then
 * crashes without a word) and one from the target's own host.  tcpshim
 * runs outside, and enters the target's network namespace itself.
 *
 * Needs root (network namespaces); skips with the reason otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "livelib.h"
#include "testlib.h"
#include "tracer.h"

#define CLIENT_ADDR "198.18.0.1"
#define PROBES_WAIT_MS 30000

struct hosts {
	char tag[16];
	const char *client[5];	/* peerhost.sh client TAG */
	const char *peer[5];
};

static int hosts_up(struct hosts *h, const char *test)
{
	const char *script = tl_source("demos/peerhost.sh");

	if (!tl_can_netns(test))
		return 0;
	snprintf(h->tag, sizeof(h->tag), "l%d", (int)getpid());
	const char *c[] = { "/bin/sh", script, "client", h->tag, NULL };
	const char *p[] = { "/bin/sh", script, "peer", h->tag, NULL };

	memcpy(h->client, c, sizeof(c));
	memcpy(h->peer, p, sizeof(p));
	tl_peerhost("down", h->tag);
	tl_peerhost("up", h->tag);
	return 1;
}

/*
 * The target on the client host, listening, with one connection from
 * the peer host (its fd *far_fd) and, if near is given, one from its own
 * host (its fd near_fd[0]; near_fd[1] is the near program's).
 */
static void connections(struct hosts *h, struct target *t, int kind,
			struct target *far, int *far_fd, struct target *near,
			int near_fd[2])
{
	char line[128];

	ck_assert(target_start(t, kind, NULL, h->client, "connections"));
	target_listen(t, "0.0.0.0");
	ck_assert(target_start(far, TARGET_C, NULL, h->peer, "connections"));
	target_ask(far, tl_str("connect %s %d", CLIENT_ADDR, t->port),
		   "connected ", line, sizeof(line));
	target_ask(t, "accept", "accepted ", line, sizeof(line));
	*far_fd = atoi(line + strlen("accepted "));
	if (near == NULL)
		return;
	ck_assert(target_start(near, TARGET_C, NULL, h->client,
			       "connections"));
	target_ask(near, tl_str("connect 127.0.0.1 %d", t->port),
		   "connected ", line, sizeof(line));
	near_fd[1] = atoi(line + strlen("connected "));
	target_ask(t, "accept", "accepted ", line, sizeof(line));
	near_fd[0] = atoi(line + strlen("accepted "));
}

/* ss -o on the client host shows the keepalive timer on fd's socket. */
static void assert_ss_keepalive(struct hosts *h, int pid, int fd)
{
	const char *argv[] = { "/bin/sh", h->client[1], "client", h->tag,
			       "ss", "-tnopH", NULL };
	struct tl_proc p;
	char line[512];

	tl_run(&p, NULL, argv);
	ck_assert_int_eq(p.status, 0);
	ck_assert_msg(tl_find_line(p.out, tl_str("pid=%d,fd=%d)", pid, fd),
				   line, sizeof(line)) != NULL,
		      "ss has no fd %d of %d:\n%s", fd, pid, p.out);
	ck_assert_msg(strstr(line, "timer:(keepalive") != NULL, "%s", line);
	tl_free(&p);
}

/* The peer host crashes; the far process dies with it. */
static void crash(struct hosts *h, struct target *far)
{
	tl_peerhost("crash", h->tag);
	tl_wait(&far->p);
	tl_free(&far->p);
}

/* Wait until tcpshim ls says fd has had two probes unanswered. */
static void wait_for_probes(int pid, int fd)
{
	struct timespec step = { 0, 100 * 1000 * 1000 };
	char line[1024], buf[32];

	for (int waited = 0; waited < PROBES_WAIT_MS; waited += 100) {
		struct tl_proc p;
		int probes = 0;

		tcpshim(&p, NULL, "ls", "--json", tl_str("%d", pid), NULL);
		ck_assert_msg(p.status == 0, "%s", p.err);
		if (tl_find_line(p.out, tl_str("\"fd\":%d,", fd), line,
				 sizeof(line)))
			probes = atoi(tl_json(line, "probes", buf,
					      sizeof(buf)));
		tl_free(&p);
		if (probes >= 2)
			return;
		nanosleep(&step, NULL);	/* the kernel's timer, not ours */
	}
	ck_abort_msg("fd %d: no second keepalive probe in %d ms", fd,
		     PROBES_WAIT_MS);
}

START_TEST(test_abort_dead_leaves_live)
{
	struct hosts h;
	struct target t, far, near;
	struct tracer tr;
	struct tl_proc p;
	char line[1024], buf[80];
	const char *why;
	int far_fd, near_fd[2];

	if (!target_available(_i, __func__) || !hosts_up(&h, __func__))
		return;
	connections(&h, &t, _i, &far, &far_fd, &near, near_fd);
	tcpshim(&p, NULL, "keepalive", tl_str("%d", t.pid), "1,1,30", NULL);
	ck_assert_msg(p.status == 0, "%s", p.err);
	ck_assert_int_eq(tl_count_lines(p.out), 3);
	tl_free(&p);
	assert_ss_keepalive(&h, t.pid, far_fd);

	crash(&h, &far);
	wait_for_probes(t.pid, far_fd);
	why = tracer_start(&tr);
	if (why != NULL)
		tl_skip("test_abort_dead_rst_on_the_wire", why);
	tcpshim(&p, NULL, "abort", "--json", "--dead", tl_str("%d", t.pid),
		NULL);
	ck_assert_msg(p.status == 0, "%s", p.err);
	TL_ONE_LINE(p.out, line);
	ck_assert_int_eq(atoi(tl_json(line, "fd", buf, sizeof(buf))), far_fd);
	ck_assert_str_eq(tl_json(line, "cause", buf, sizeof(buf)), "killed");
	ck_assert_ptr_nonnull(tl_json(line, "peer", buf, sizeof(buf)));
	/* Go listens on "0.0.0.0" dual-stack: [::ffff:198.18.0.2]:PORT */
	ck_assert_msg(strstr(buf, "198.18.0.2") != NULL, "%s", line);
	tl_free(&p);
	if (why == NULL) {
		static struct record rec[MAX_RECORDS];
		char *trace = tracer_stop(&tr);
		int n = tracer_records(trace, &tr, rec), sent = 0;

		for (int i = 0; i < n; i++)
			sent += rec[i].kind == REC_SEND;
		ck_assert_msg(sent == 1, "not one RST:\n%s", trace);
		free(trace);
	}

	target_call(&t, "recv", far_fd, "ECONNRESET");
	/* The live connection is untouched. */
	target_call(&near, "send", near_fd[1], "ok");
	target_call(&t, "recv", near_fd[0], "ok 1");
	target_stop(&near);
	target_stop(&t);
	tl_peerhost("down", h.tag);
}
END_TEST

START_TEST(test_keepalive_finds_vanished_peer)
{
	struct hosts h;
	struct target t, far;
	struct tl_proc p;
	int far_fd;

	if (!target_available(_i, __func__) || !hosts_up(&h, __func__))
		return;
	connections(&h, &t, _i, &far, &far_fd, NULL, NULL);
	tcpshim(&p, NULL, "keepalive", tl_str("%d", t.pid), "1,1,2", NULL);
	ck_assert_msg(p.status == 0, "%s", p.err);
	ck_assert_ptr_nonnull(strstr(p.out, tl_str("fd %d (ESTABLISHED): "
						   "keepalive 1,1,2", far_fd)));
	tl_free(&p);
	assert_ss_keepalive(&h, t.pid, far_fd);
	crash(&h, &far);
	target_call(&t, "recv", far_fd, "ETIMEDOUT");
	target_stop(&t);
	tl_peerhost("down", h.tag);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("live_netns");
	TCase *tc = tcase_create("live_netns");

	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(tc, test_abort_dead_leaves_live, 0, TARGET_KINDS);
	tcase_add_loop_test(tc, test_keepalive_finds_vanished_peer, 0,
			    TARGET_KINDS);
	suite_add_tcase(s, tc);
	return tl_main(s);
}
