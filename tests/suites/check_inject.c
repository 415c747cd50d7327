/*
 * check_inject - TCPSHIM_INJECT against real sockets: a rule resets the
 * connection at the byte it names (the program gets exactly that many,
 * then ECONNRESET; the peer gets the RST), on either side, for the peers
 * and ports it names only, at most count= times, with prob= choices a
 * seed reproduces; one rst_sent/injected event names the rule; a bad
 * rule is refused in one line and nothing is injected.  The programs:
 * tests/programs/prog_inject.c, python3, and curl (the kernel's tracepoints
 * count its RST, as root).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "tracer.h"

#define PAYLOAD 20000

/* ---- the test's end of each connection --------------------------------- */

/* Read until the end or an error: the bytes, and how it ended (0 or
 * -errno) in *end. */
static long drain(int fd, int *end)
{
	char buf[4096];
	long got = 0;
	ssize_t n = -1;

	errno = ETIMEDOUT;
	while (tl_poll(fd, POLLIN, 10000) == 0 &&
	       (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		got += n;
	*end = n == 0 ? 0 : -errno;
	return got;
}

/* The peer of a receiving client: accept, read "hi", send size bytes,
 * and say how the connection ended (0: FIN, -ECONNRESET: RST). */
static int serve(int lfd, long size)
{
	static char data[PAYLOAD];
	char hi[2];
	int fd = tl_accept(lfd, 10000), end;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tl_read_n(fd, hi, 2, 10000), 0);
	memset(data, 'd', sizeof(data));
	for (long sent = 0; sent < size;) {
		ssize_t n = send(fd, data, (size_t)(size - sent), MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	drain(fd, &end);
	close(fd);
	return end;
}

/* Run prog_inject SCENARIO against the test as the peer of n
 * connections, each served size bytes; their ends into ends. */
static void client(struct scenario *sc, const char *scenario, int family,
		   int n, const char *rules, int *ends)
{
	int port, lfd = tl_listen(family, &port);

	sc->prog = "tests/prog_inject";
	sc->stderr_ok = 1;
	sc_start(sc, scenario, family, port, tl_str("%d", n),
		 (const char *const[]){ tl_str("TCPSHIM_INJECT=%s", rules),
					NULL });
	for (int i = 0; i < n; i++)
		ends[i] = serve(lfd, PAYLOAD);
	close(lfd);
	sc_finish(sc);
	ck_assert_msg(sc->p.status == 0, "status %d: %s%s", sc->p.status,
		      sc->p.out, sc->p.err);
}

static void assert_injected(const char *line, const char *call,
			    const char *rule)
{
	sc_assert_event(line, "rst_sent", "injected", call, "null", NULL,
			NULL);
	TL_ASSERT_FIELD(line, "rule", rule);
}

/* ---- the moment ------------------------------------------------------- */

/* Each receiving call stops at the byte the rule names, and the next one
 * meets the reset. */
START_TEST(after_received_resets_at_that_byte)
{
	static const char *const calls[] = { "recv", "read", "readv",
					     "recvmsg" };
	const char *call = calls[_i];
	struct scenario sc = { 0 };
	char line[2048];
	int end;

	client(&sc, call, AF_INET, 1, "reset:after_received=5000", &end);
	ck_assert_str_eq(sc.p.out, "conn 0 got 5000 end ECONNRESET\n");
	ck_assert_str_eq(sc.p.err, "");
	ck_assert_int_eq(end, -ECONNRESET);
	TL_ONE_LINE(sc.log, line);
	assert_injected(line, call, "reset:after_received=5000");
	TL_ASSERT_FIELD(line, "bytes_received", "5000");
	TL_ASSERT_FIELD(line, "bytes_sent", "2");
	sc_free(&sc);
}
END_TEST

/* A send that would cross the threshold hands the kernel the bytes up to
 * it, and the reset follows at once: the peer never has more. */
START_TEST(after_sent_resets_once_that_byte_is_handed_over)
{
	static const char *const calls[] = { "send", "write", "writev",
					     "sendmsg" };
	const char *call = calls[_i];
	struct scenario sc = { 0 };
	int port, lfd = tl_listen(AF_INET, &port), a, end;
	char line[2048];
	long got;

	sc.prog = "tests/prog_inject";
	sc_start(&sc, call, AF_INET, port, "1",
		 (const char *const[]){ "TCPSHIM_INJECT=reset:after_sent=4096",
					NULL });
	a = tl_accept(lfd, 10000);
	ck_assert_int_ge(a, 0);
	got = drain(a, &end);
	close(a);
	close(lfd);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "conn 0 sent 4096 end ECONNRESET\n");
	ck_assert_int_eq(end, -ECONNRESET);
	ck_assert_int_le(got, 4096);
	TL_ONE_LINE(sc.log, line);
	assert_injected(line, call, "reset:after_sent=4096");
	TL_ASSERT_FIELD(line, "bytes_sent", "4096");
	sc_free(&sc);
}
END_TEST

/* after_ms: the first call once that long has passed since the
 * connection's first call.  The wait is the condition under test. */
START_TEST(after_ms_resets_at_the_first_call_past_it)
{
	struct scenario sc = { 0 };
	int port, lfd = tl_listen(AF_INET, &port), a, end;
	char line[2048], hi[2], data[1000];

	memset(data, 'd', sizeof(data));
	sc.prog = "tests/prog_inject";
	sc_start(&sc, "recv", AF_INET, port, "1",
		 (const char *const[]){ "TCPSHIM_INJECT=reset:after_ms=300",
					NULL });
	a = tl_accept(lfd, 10000);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(tl_read_n(a, hi, 2, 10000), 0);
	ck_assert_int_eq(send(a, data, sizeof(data), 0), sizeof(data));
	usleep(400 * 1000);
	ck_assert_int_eq(send(a, data, sizeof(data), MSG_NOSIGNAL),
			 sizeof(data));
	drain(a, &end);
	close(a);
	close(lfd);
	sc_finish(&sc);
	ck_assert_int_eq(end, -ECONNRESET);
	ck_assert_msg(strstr(sc.p.out, " end ECONNRESET\n") != NULL, "%s",
		      sc.p.out);
	TL_ONE_LINE(sc.log, line);
	assert_injected(line, "recv", "reset:after_ms=300");
	sc_free(&sc);
}
END_TEST

/* after_ms counts from the connect, not from the first call: a client
 * that first waits for data meets the reset at its first recv. */
START_TEST(after_ms_counts_from_the_connect)
{
	struct scenario sc = { 0 };
	int port, lfd = tl_listen(AF_INET, &port), a, end;
	char line[2048], data[1000];

	memset(data, 'd', sizeof(data));
	sc.prog = "tests/prog_inject";
	sc_start(&sc, "late", AF_INET, port, "",
		 (const char *const[]){ "TCPSHIM_INJECT=reset:after_ms=300",
					NULL });
	a = tl_accept(lfd, 10000);
	ck_assert_int_ge(a, 0);
	usleep(400 * 1000);
	ck_assert_int_eq(send(a, data, sizeof(data), 0), sizeof(data));
	drain(a, &end);
	close(a);
	close(lfd);
	sc_finish(&sc);
	ck_assert_str_eq(sc.p.out, "conn 0 got 0 end ECONNRESET\n");
	ck_assert_int_eq(end, -ECONNRESET);
	TL_ONE_LINE(sc.log, line);
	assert_injected(line, "recv", "reset:after_ms=300");
	TL_ASSERT_FIELD(line, "bytes_received", "0");
	sc_free(&sc);
}
END_TEST

/* ---- which connections ------------------------------------------------ */

/* The server side: accepted connections picked by their local port. */
START_TEST(port_picks_accepted_connections)
{
	struct scenario sc = { 0 };
	int port = tl_closed_port(AF_INET), fd, end;
	char line[2048], ready[64], data[10000];
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(0x7f000001) };
	const char *rules = tl_str("reset:port=1,after_received=10;"
				   "reset:port=%d,after_received=3000", port);

	memset(data, 'c', sizeof(data));
	sc.prog = "tests/prog_inject";
	sc.interactive = 1;
	sc_start(&sc, "serve", AF_INET, port, "1",
		 (const char *const[]){ tl_str("TCPSHIM_INJECT=%s", rules),
					NULL });
	ck_assert_int_eq(tl_expect(&sc.p, "ready", 10000, ready,
				   sizeof(ready)), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	in.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	send(fd, data, sizeof(data), MSG_NOSIGNAL);
	drain(fd, &end);
	close(fd);
	sc_finish(&sc);
	ck_assert_int_eq(end, -ECONNRESET);
	ck_assert_str_eq(sc.p.out, "ready\nconn 0 got 3000 end ECONNRESET\n");
	TL_ONE_LINE(sc.log, line);
	assert_injected(line, "recv",
			tl_str("reset:port=%d,after_received=3000", port));
	TL_ASSERT_FIELD(line, "local", tl_str("127.0.0.1:%d", port));
	sc_free(&sc);
}
END_TEST

/* peer=: an address with its port, a prefix, IPv6; and ones that do
 * not match, which leave the connection alone. */
START_TEST(peer_filter_matches_or_leaves_alone)
{
	static const struct {
		int family;
		const char *peer;	/* %d: the port */
		int matches;
	} cases[] = {
		{ AF_INET, "127.0.0.1:%d", 1 },
		{ AF_INET, "127.0.0.0/8", 1 },
		{ AF_INET, "*:%d", 1 },
		{ AF_INET, "10.0.0.0/8", 0 },
		{ AF_INET, "127.0.0.1:1", 0 },
		{ AF_INET6, "[::1]:%d", 1 },
		{ AF_INET6, "::1", 1 },
		{ AF_INET6, "127.0.0.1", 0 },
		{ AF_INET6, "2001:db8::/32", 0 },
	};
	struct scenario sc = { 0 };
	int family = cases[_i].family, port, lfd = tl_listen(family, &port);
	const char *peer = tl_str(cases[_i].peer, port);
	const char *rule = tl_str("reset:peer=%s,after_received=100", peer);
	char line[2048];
	int end;

	sc.prog = "tests/prog_inject";
	sc_start(&sc, "recv", family, port, "1",
		 (const char *const[]){ tl_str("TCPSHIM_INJECT=%s", rule),
					NULL });
	end = serve(lfd, PAYLOAD);
	close(lfd);
	sc_finish(&sc);
	if (cases[_i].matches) {
		ck_assert_str_eq(sc.p.out, "conn 0 got 100 end ECONNRESET\n");
		ck_assert_int_eq(end, -ECONNRESET);
		TL_ONE_LINE(sc.log, line);
		assert_injected(line, "recv", rule);
	} else {
		ck_assert_str_eq(sc.p.out, "conn 0 got 20000 end eof\n");
		ck_assert_int_eq(end, 0);
		ck_assert_str_eq(sc.log, "");
	}
	sc_free(&sc);
}
END_TEST

START_TEST(count_limits_the_resets_in_all)
{
	struct scenario sc = { 0 };
	int ends[5];

	client(&sc, "recv", AF_INET, 5, "reset:after_received=100,count=2",
	       ends);
	ck_assert_str_eq(sc.p.out, "conn 0 got 100 end ECONNRESET\n"
				   "conn 1 got 100 end ECONNRESET\n"
				   "conn 2 got 20000 end eof\n"
				   "conn 3 got 20000 end eof\n"
				   "conn 4 got 20000 end eof\n");
	ck_assert_int_eq(tl_count_lines(sc.log), 2);
	ck_assert_int_eq(ends[0], -ECONNRESET);
	ck_assert_int_eq(ends[4], 0);
	sc_free(&sc);
}
END_TEST

/* A rule whose count is spent leaves the next rule to fire. */
START_TEST(a_spent_rule_leaves_the_next_to_fire)
{
	struct scenario sc = { 0 };
	int ends[3];

	client(&sc, "recv", AF_INET, 3,
	       "reset:after_received=10,count=1;reset:after_received=100",
	       ends);
	ck_assert_str_eq(sc.p.out, "conn 0 got 10 end ECONNRESET\n"
				   "conn 1 got 100 end ECONNRESET\n"
				   "conn 2 got 100 end ECONNRESET\n");
	ck_assert_int_eq(tl_count_lines(sc.log), 3);
	sc_free(&sc);
}
END_TEST

/* The run's output with rules, 20 connections; its log's first line
 * into first (if not NULL). */
static char *twenty(const char *rules, char *first, size_t size)
{
	struct scenario sc = { 0 };
	int ends[20], resets = 0;
	char *out;

	client(&sc, "recv", AF_INET, 20, rules, ends);
	for (int i = 0; i < 20; i++)
		resets += ends[i] == -ECONNRESET;
	ck_assert_int_eq(tl_count_lines(sc.log), resets);
	if (first != NULL)
		ck_assert_ptr_nonnull(tl_line(sc.log, 0, first, size));
	out = strdup(sc.p.out);
	sc_free(&sc);
	return out;
}

/* prob= with a seed: the same choices, run after run; without one, the
 * event shows the seed drawn, and that rule makes the same choices. */
START_TEST(prob_with_a_seed_is_reproduced)
{
	const char *rule = "reset:after_received=100,prob=0.5,seed=42";
	char *a = twenty(rule, NULL, 0), *b = twenty(rule, NULL, 0);
	char first[2048], drawn[256], *c, *d;
	int resets = 0;

	ck_assert_str_eq(a, b);
	for (const char *p = a; (p = strstr(p, "ECONNRESET")) != NULL; p++)
		resets++;
	ck_assert_msg(resets > 0 && resets < 20, "%d of 20 reset:\n%s", resets,
		      a);

	c = twenty("reset:after_received=100,prob=0.5", first, sizeof(first));
	ck_assert_ptr_nonnull(tl_json(first, "rule", drawn, sizeof(drawn)));
	ck_assert_msg(strncmp(drawn, "reset:after_received=100,prob=0.5,seed=",
			      39) == 0, "rule %s", drawn);
	d = twenty(drawn, NULL, 0);
	ck_assert_str_eq(c, d);
	free(a);
	free(b);
	free(c);
	free(d);
}
END_TEST

/* ---- bad rules -------------------------------------------------------- */

START_TEST(bad_rules_are_refused_and_nothing_is_injected)
{
	static const char *const bad[][2] = {
		{ "reset:after_snt=10", "unknown condition: \"after_snt=10\"" },
		{ "reset:after_sent=1x", "after_sent needs a byte count" },
		{ "reset:after_sent=", "after_sent needs a byte count" },
		{ "reset:after_sent=5,after_sent=6", "given twice" },
		{ "reset:peer=1.2.3.4/33", "peer needs ADDR" },
		{ "reset:peer=[::1", "peer needs ADDR" },
		{ "reset:peer=nowhere", "peer needs ADDR" },
		{ "reset:prob=1.5", "prob needs a probability" },
		{ "reset:prob=-1", "prob needs a probability" },
		{ "reset:port=0", "port needs a port number" },
		{ "reset:port=65536", "port needs a port number" },
		{ "reset:", "an empty condition" },
		{ "reset:count=1,", "an empty condition" },
		{ "drop:after_sent=1", "a rule starts with reset" },
		{ "resetafter_sent=1", "a rule starts with reset" },
	};
	const char *rule = bad[_i][0];
	/* A good rule before it: one bad rule stops them all. */
	const char *rules = tl_str("reset:after_received=10;%s", rule);
	struct scenario sc = { 0 };
	char want[512];
	int end;

	client(&sc, "recv", AF_INET, 1, rules, &end);
	ck_assert_str_eq(sc.p.out, "conn 0 got 20000 end eof\n");
	ck_assert_int_eq(end, 0);
	ck_assert_str_eq(sc.log, "");
	ck_assert_int_eq(tl_count_lines(sc.p.err), 1);
	snprintf(want, sizeof(want),
		 "tcpshim: TCPSHIM_INJECT=\"%s\" is not valid (%s", rule,
		 bad[_i][1]);
	ck_assert_msg(strncmp(sc.p.err, want, strlen(want)) == 0,
		      "stderr: %swanted: %s", sc.p.err, want);
	ck_assert_msg(strstr(sc.p.err, "): expected reset[:COND,...] with "
				       "COND one of after_sent=BYTES") != NULL &&
			      strstr(sc.p.err, "; nothing injected\n") != NULL,
		      "stderr: %s", sc.p.err);
	sc_free(&sc);
}
END_TEST

/* ---- other programs --------------------------------------------------- */

/* python3 -c py PORT client|server: connect (and send "hi") or accept
 * one, then receive until the end: "BYTES eof" or "BYTES reset". */
static const char py[] =
	"import socket, sys\n"
	"port = int(sys.argv[1])\n"
	"if sys.argv[2] == 'client':\n"
	"    s = socket.create_connection(('127.0.0.1', port))\n"
	"    s.sendall(b'hi')\n"
	"else:\n"
	"    l = socket.create_server(('127.0.0.1', port))\n"
	"    print('ready', flush=True)\n"
	"    s, _ = l.accept()\n"
	"got = 0\n"
	"try:\n"
	"    while True:\n"
	"        d = s.recv(65536)\n"
	"        if not d:\n"
	"            print(got, 'eof'); break\n"
	"        got += len(d)\n"
	"except ConnectionResetError:\n"
	"    print(got, 'reset')\n";

static const char *const *py_env(const char *rule, const char *log)
{
	const char **env = calloc(5, sizeof(*env));

	ck_assert_ptr_nonnull(env);
	env[0] = tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so"));
	env[1] = tl_str("TCPSHIM_LOG=%s", log);
	env[2] = "TCPSHIM_FORMAT=json";
	env[3] = tl_str("TCPSHIM_INJECT=%s", rule);
	return env;
}

START_TEST(python_client_and_server)
{
	const char *python = tl_which("python3");
	const char *log = tl_tmp("python.log");
	int port, lfd, fd, end;
	struct tl_proc p;
	char line[2048], ready[64], data[10000];
	char *text;

	if (python == NULL) {
		tl_skip(__func__, "python3 not found (Debian package python3)");
		return;
	}
	/* The client: reset after 5000 bytes received. */
	lfd = tl_listen(AF_INET, &port);
	tl_spawn(&p, py_env("reset:after_received=5000", log),
		 (const char *const[]){ python, "-c", py, tl_str("%d", port),
					"client", NULL });
	end = serve(lfd, PAYLOAD);
	close(lfd);
	tl_wait(&p);
	ck_assert_msg(p.status == 0, "python: %s", p.err);
	ck_assert_str_eq(p.out, "5000 reset\n");
	ck_assert_int_eq(end, -ECONNRESET);
	text = tl_slurp(log);
	TL_ONE_LINE(text, line);
	assert_injected(line, "recv", "reset:after_received=5000");
	free(text);
	tl_free(&p);

	/* The server: its accepted connection, picked by port. */
	port = tl_closed_port(AF_INET);
	unlink(log);
	tl_spawn_io(&p, py_env(tl_str("reset:port=%d,after_received=3000",
				      port), log),
		    (const char *const[]){ python, "-c", py,
					   tl_str("%d", port), "server", NULL });
	ck_assert_int_eq(tl_expect(&p, "ready", 10000, ready, sizeof(ready)),
			 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in in = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr =
						  htonl(0x7f000001) };

		ck_assert_int_eq(connect(fd, (struct sockaddr *)&in,
					 sizeof(in)), 0);
	}
	memset(data, 'c', sizeof(data));
	send(fd, data, sizeof(data), MSG_NOSIGNAL);
	drain(fd, &end);
	close(fd);
	tl_wait(&p);
	ck_assert_msg(p.status == 0, "python: %s", p.err);
	ck_assert_str_eq(p.out, "ready\n3000 reset\n");
	ck_assert_int_eq(end, -ECONNRESET);
	text = tl_slurp(log);
	TL_ONE_LINE(text, line);
	assert_injected(line, "recv",
			tl_str("reset:port=%d,after_received=3000", port));
	free(text);
	tl_free(&p);
}
END_TEST

/* curl downloading: exit 56 after exactly N bytes, and one RST leaves
 * from curl's end (the kernel's tracepoints, as root). */
START_TEST(curl_download_reset_after_n_bytes)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n"
				   "Connection: close\r\n\r\n";
	static struct record rec[MAX_RECORDS];
	const char *curl = tl_which("curl");
	const char *log = tl_tmp("curl.log"), *body = tl_tmp("curl.body");
	const char *rule = "reset:after_received=10000";
	int port, lfd, a, end, nrec, sent_here = 0, traced;
	char req[4096] = "", data[PAYLOAD], line[2048], local[128];
	struct tracer t;
	struct tl_proc p;
	struct stat st;
	char *text, *trace = NULL;
	size_t n = 0;

	if (tl_sanitized_skip(__func__, TL_CURL_SANITIZED))
		return;
	if (curl == NULL) {
		tl_skip(__func__, "curl not found (Debian package curl)");
		return;
	}
	traced = tracer_start(&t) == NULL;
	if (!traced)
		tl_skip("curl_download_reset_after_n_bytes (the kernel's count)",
			"needs root and tracefs");
	lfd = tl_listen(AF_INET, &port);
	tl_spawn(&p, py_env(rule, log),
		 (const char *const[]){ curl, "-s", "-o", body,
					tl_str("http://127.0.0.1:%d/", port),
					NULL });
	a = tl_accept(lfd, 10000);
	ck_assert_int_ge(a, 0);
	while (n < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		ssize_t r;

		ck_assert_int_eq(tl_poll(a, POLLIN, 10000), 0);
		r = recv(a, req + n, sizeof(req) - 1 - n, 0);
		ck_assert_int_gt(r, 0);
		n += (size_t)r;
		req[n] = '\0';
	}
	memset(data, 'b', sizeof(data));
	send(a, head, strlen(head), MSG_NOSIGNAL);
	send(a, data, sizeof(data), MSG_NOSIGNAL);
	drain(a, &end);
	close(a);
	close(lfd);
	tl_wait(&p);
	if (traced)
		trace = tracer_stop(&t);

	ck_assert_int_eq(p.status, 56);
	ck_assert_int_eq(end, -ECONNRESET);
	ck_assert_int_eq(stat(body, &st), 0);
	ck_assert_int_eq(st.st_size, 10000 - (long)strlen(head));
	text = tl_slurp(log);
	TL_ONE_LINE(text, line);
	assert_injected(line, "recv", rule);
	TL_ASSERT_FIELD(line, "bytes_received", "10000");
	ck_assert_ptr_nonnull(tl_json(line, "local", local, sizeof(local)));
	if (traced) {
		nrec = tracer_records(trace, &t, rec);
		for (int i = 0; i < nrec; i++)
			sent_here += rec[i].kind == REC_SEND &&
				     strcmp(rec[i].src, local) == 0;
		ck_assert_msg(sent_here == 1, "%d RSTs from %s:\n%s",
			      sent_here, local, trace);
		free(trace);
	}
	free(text);
	tl_free(&p);
}
END_TEST

Suite *inject_suite(void)
{
	Suite *s = suite_create("inject");
	TCase *when = tcase_create("when");
	TCase *which = tcase_create("which");
	TCase *bad = tcase_create("bad");
	TCase *real = tcase_create("programs");

	tcase_set_timeout(when, 30);
	tcase_add_loop_test(when, after_received_resets_at_that_byte, 0, 4);
	tcase_add_loop_test(when, after_sent_resets_once_that_byte_is_handed_over,
			    0, 4);
	tcase_add_test(when, after_ms_resets_at_the_first_call_past_it);
	tcase_add_test(when, after_ms_counts_from_the_connect);
	suite_add_tcase(s, when);
	tcase_set_timeout(which, 60);
	tcase_add_test(which, port_picks_accepted_connections);
	tcase_add_loop_test(which, peer_filter_matches_or_leaves_alone, 0, 9);
	tcase_add_test(which, count_limits_the_resets_in_all);
	tcase_add_test(which, a_spent_rule_leaves_the_next_to_fire);
	tcase_add_test(which, prob_with_a_seed_is_reproduced);
	suite_add_tcase(s, which);
	tcase_set_timeout(bad, 30);
	tcase_add_loop_test(bad, bad_rules_are_refused_and_nothing_is_injected,
			    0, 15);
	suite_add_tcase(s, bad);
	tcase_set_timeout(real, 60);
	tcase_add_test(real, python_client_and_server);
	tcase_add_test(real, curl_download_reset_after_n_bytes);
	suite_add_tcase(s, real);
	return s;
}

int main(void)
{
	return tl_main(inject_suite());
}
