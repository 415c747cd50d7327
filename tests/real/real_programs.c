/*
 * real_programs.c - tcpshim inside other people's programs (make
 * check-real).  Each test runs a real program twice, natively and with
 * the shim preloaded, on loopback ports of its own, and compares the two:
 * exit status, output, the bytes moved.  Healthy runs must log no event;
 * where the programs really reset connections, the log must name exactly
 * those resets, as the wire shows them.  Throughput ratios are printed,
 * never asserted.
 *
 *   http    python3 http.server serving 20 MB files to curl, both preloaded
 *   nginx   nginx under wrk, nginx preloaded with the keepalive policy on
 *   redis   redis-server and redis-benchmark, both preloaded
 *   git     clone and push over git daemon, all preloaded
 *   ssh     sshd and ssh, both preloaded, data both ways (root only)
 *   bash    a loop of hundreds of subshells and execs, some of them
 *           talking over /dev/tcp
 *
 * Not part of make check: it is slow, and it needs Debian packages that
 * make check does not (tests/real/real.mk installs them).  A program
 * that is missing skips its test, saying which package brings it.
 *
 * Every server is started by the test and stopped by it; on any other
 * path (a failed assertion, a timeout) Check kills the test's whole
 * process group, servers included.
 *
 * Why one file: it is make check-real's one Check suite; each program is
 * a test case of its own (CK_RUN_CASE=nginx runs one), run natively and
 * preloaded by the same helpers: servers started and stopped, the wire
 * captured, the two runs compared.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* How long a server may take to listen, and to stop. */
#define READY_MS 15000
#define STOP_MS 10000

#define MB (1000.0 * 1000.0)

enum mode { NATIVE, PRELOADED };
static const char *const mode_name[] = { "native", "preloaded" };

/* ---- small helpers ---------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A program on PATH, or in the sbin directories root's PATH has. */
static const char *find_prog(const char *name)
{
	static const char *const sbin[] = { "/usr/sbin", "/sbin" };
	const char *p = tl_which(name);

	for (size_t i = 0; p == NULL && i < sizeof(sbin) / sizeof(*sbin); i++) {
		const char *c = tl_str("%s/%s", sbin[i], name);

		if (access(c, X_OK) == 0)
			p = c;
	}
	return p;
}

/* Debian's python3 (the one apt-get installs), else the first on PATH. */
static const char *find_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
						     : tl_which("python3");
}

/* A directory in this run's temporary directory. */
static const char *tmp_dir(const char *name)
{
	const char *d = tl_tmp(name);

	ck_assert_msg(mkdir(d, 0755) == 0, "mkdir %s: %s", d, strerror(errno));
	return d;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * size bytes of reproducible noise (xorshift64*, from seed) into path;
 * text (printable, in lines) when text is set, else any byte.
 */
static void write_data(const char *path, size_t size, uint64_t seed, int text)
{
	static unsigned char buf[1 << 16];
	uint64_t x = seed | 1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	while (size > 0) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		for (size_t i = 0; i < n; i++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			buf[i] = (unsigned char)((x * 0x2545F4914F6CDD1DULL) >> 56);
			if (text)
				buf[i] = i % 64 == 63 ? '\n'
						      : (unsigned char)('a' + buf[i] % 26);
		}
		ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
		size -= n;
	}
	ck_assert_int_eq(close(fd), 0);
}

/*
 * At most the first 600 bytes of text, for a failure message (Check
 * refuses messages over 4 kB, and fails the test with no word).
 */
static const char *clip(const char *text)
{
	size_t len = strlen(text);

	return len <= 600 ? text : tl_str("%.600s... (%zu bytes)", text, len);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

/* rm -rf: what a test leaves behind is for failures only. */
static void remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The SHA-256 of a file, in hex, by coreutils' sha256sum. */
static const char *sha256_of(const char *path)
{
	struct tl_proc p;
	const char *hex;

	tl_run(&p, NULL, (const char *const[]){ tl_which("sha256sum"), path,
						NULL });
	ck_assert_msg(p.status == 0 && strlen(p.out) >= 64,
		      "sha256sum %s: %d %s", path, p.status, clip(p.err));
	hex = tl_str("%.64s", p.out);
	tl_free(&p);
	return hex;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/*
 * text with every run of digits replaced by '#': what two runs of a
 * server print is the same up to times, pids and counters.
 */
static char *without_digits(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	ck_assert_ptr_nonnull(out);
	for (const char *p = text; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (o == out || o[-1] != '#')
				*o++ = '#';
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static void assert_same(const char *what, const char *native,
			const char *preloaded)
{
	ck_assert_msg(strcmp(native, preloaded) == 0,
		      "%s differs.\n--- native:\n%s\n--- preloaded:\n%s", what,
		      clip(native), clip(preloaded));
}

static void assert_same_digitless(const char *what, const char *native,
				  const char *preloaded)
{
	char *a = without_digits(native), *b = without_digits(preloaded);

	assert_same(what, a, b);
	free(a);
	free(b);
}

/* A healthy run: the log file was never created, or holds nothing. */
static void assert_no_events(const char *what, const char *log)
{
	char *text = tl_slurp(log);

	ck_assert_msg(text[0] == '\0',
		      "%s: the shim logged events on a healthy run:\n%s", what,
		      clip(text));
	free(text);
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("real: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

/*
 * The environment of one run: extra (NULL-terminated, may be NULL) in both
 * modes; preloaded adds the shim, a JSON log to log, and policy (may be
 * NULL).
 */
static const char *const *run_env(enum mode m, const char *log,
				  const char *policy,
				  const char *const *extra)
{
	const char **env = calloc(24, sizeof(*env));
	int n = 0;

	ck_assert_ptr_nonnull(env);
	for (int i = 0; extra && extra[i] && n < 16; i++)
		env[n++] = extra[i];
	if (m == PRELOADED) {
		env[n++] = tl_str("LD_PRELOAD=%s", tl_path("libtcpshim.so"));
		env[n++] = tl_str("TCPSHIM_LOG=%s", log);
		env[n++] = "TCPSHIM_FORMAT=json";
		if (policy)
			env[n++] = policy;
	}
	env[n] = NULL;
	return env;
}

/* ---- starting and stopping servers ------------------------------------- */

/* Has p exited?  (It stays a zombie for tl_wait to collect.) */
static int exited(const struct tl_proc *p)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == p->pid;
}

/*
 * One clean conversation with whatever listens on 127.0.0.1:port: connect,
 * send nothing, read what it says until it closes.  Reading everything
 * before our close keeps it a FIN, never a reset (sshd, for one, talks
 * first).  0 once something listens there.
 */
static int probe(int port)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[512];

	ck_assert_int_ge(fd, 0);
	if (connect(fd, (struct sockaddr *)&in, sizeof(in)) != 0) {
		close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);
	while (tl_poll(fd, POLLIN, 5000) == 0 && read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

/*
 * Wait (polling a connect, at most READY_MS) until the server p listens
 * on port; fail, with what it printed, if it exits or never does.
 */
static void wait_ready(const struct tl_proc *p, int port, const char *what)
{
	double end = now_s() + READY_MS / 1000.0;

	while (probe(port) != 0) {
		if (exited(p) || now_s() > end) {
			char *out = tl_slurp(p->out_path);
			char *err = tl_slurp(p->err_path);

			ck_abort_msg("%s did not listen on 127.0.0.1:%d%s\n"
				     "stdout:\n%s\nstderr:\n%s", what, port,
				     exited(p) ? " (it exited)" : "",
				     clip(out), clip(err));
		}
		sleep_ms(20);
	}
}

static void start_server(struct tl_proc *p, const char *const *env,
			 const char *const *argv, int port, const char *what)
{
	tl_spawn(p, env, argv);
	wait_ready(p, port, what);
}

/*
 * Send sig, and wait for the server to exit: STOP_MS at most, then
 * SIGKILL.  Returns its status (128 + 9 if it had to be killed).
 */
static int stop_server(struct tl_proc *p, int sig)
{
	double end = now_s() + STOP_MS / 1000.0;

	kill(p->pid, sig);
	while (!exited(p)) {
		if (now_s() > end) {
			kill(p->pid, SIGKILL);
			break;
		}
		sleep_ms(10);
	}
	return tl_wait(p);
}

/* ---- tcpdump: the resets on the wire ------------------------------------ */

struct capture {
	struct tl_proc p;
	int on;
};

/* Capture every RST and FIN to or from 127.0.0.1:port, as text (root
 * only). */
static void capture_start(struct capture *c, int port)
{
	const char *tcpdump = find_prog("tcpdump");
	double end = now_s() + READY_MS / 1000.0;

	memset(c, 0, sizeof(*c));
	if (!tl_is_root() || tcpdump == NULL)
		return;
	tl_spawn(&c->p, NULL,
		 (const char *const[]){
			 tcpdump, "-i", "lo", "-n", "-l", "-t", "-p",
			 tl_str("tcp port %d and "
				"tcp[tcpflags] & (tcp-rst|tcp-fin) != 0",
				port),
			 NULL });
	/* It says so on stderr once the capture runs. */
	for (;;) {
		char *err = tl_slurp(c->p.err_path);
		int ready = strstr(err, "listening on") != NULL;

		free(err);
		if (ready)
			break;
		ck_assert_msg(!exited(&c->p) && now_s() < end,
			      "tcpdump did not start: %s",
			      clip(tl_slurp(c->p.err_path)));
		sleep_ms(20);
	}
	c->on = 1;
}

/* Stop it: the lines it printed (malloc'd), or NULL if none ran. */
static char *capture_stop(struct capture *c)
{
	char *lines;

	if (!c->on)
		return NULL;
	/* The last segments of a close may still be on their way. */
	sleep_ms(200);
	stop_server(&c->p, SIGINT);
	ck_assert_msg(c->p.status == 0, "tcpdump: %d %s", c->p.status,
		      clip(c->p.err));
	ck_assert_msg(strstr(c->p.err, "\n0 packets dropped by kernel") != NULL,
		      "tcpdump lost packets: %s", clip(c->p.err));
	lines = c->p.out;
	c->p.out = NULL;
	tl_free(&c->p);
	return lines;
}

/* A set of TCP ports: the client ends of a server's connections. */
struct ports {
	unsigned char bit[65536 / 8];
	int n;
};

static int ports_has(const struct ports *p, int port)
{
	return port > 0 && port < 65536 && (p->bit[port / 8] >> (port % 8)) & 1;
}

static void ports_add(struct ports *p, int port)
{
	if (port <= 0 || port >= 65536 || ports_has(p, port))
		return;
	p->bit[port / 8] |= (unsigned char)(1u << (port % 8));
	p->n++;
}

/* The ports of a that are not in b (b may be NULL), as "p1 p2 ...". */
static const char *ports_minus(const struct ports *a, const struct ports *b)
{
	char *s = calloc((size_t)a->n * 7 + 1, 1);
	int len = 0;

	ck_assert_ptr_nonnull(s);
	for (int port = 1; port < 65536; port++)
		if (ports_has(a, port) && (b == NULL || !ports_has(b, port)))
			len += sprintf(s + len, "%s%d", len ? " " : "", port);
	return s;
}

/*
 * What tcpdump saw of the connections to server_port, from its lines (the
 * RST and FIN segments, in order), by the client end's port:
 *   open     the client reset a connection the server had not closed: no
 *            FIN from the server before the RST, so the server's next call
 *            on it meets the reset;
 *   closed   the client's RST came after the server's FIN: the server may
 *            have closed its socket already, and then no call of it ever
 *            meets that reset (nothing to log);
 *   by_server  the server sent a RST.
 */
struct wire {
	struct ports open, closed, by_server, server_fin;
	struct ports client_end;	/* a FIN or RST from the client */
};

static struct wire *wire_resets(const char *lines, int server_port)
{
	struct wire *w = calloc(1, sizeof(*w));
	char line[512];

	ck_assert_ptr_nonnull(w);
	for (int i = 0; tl_line(lines, i, line, sizeof(line)); i++) {
		int src, dst;
		char flags[16];

		if (sscanf(line, "IP 127.0.0.1.%d > 127.0.0.1.%d: Flags [%15[^]]",
			   &src, &dst, flags) != 3)
			continue;
		if (src == server_port && strchr(flags, 'F'))
			ports_add(&w->server_fin, dst);
		if (dst == server_port)
			ports_add(&w->client_end, src);
		if (!strchr(flags, 'R'))
			continue;
		if (src == server_port)
			ports_add(&w->by_server, dst);
		else if (dst == server_port)
			ports_add(ports_has(&w->server_fin, src) ? &w->closed
								 : &w->open,
				  src);
	}
	return w;
}

/*
 * The peer ports of the events in a JSON log; each event must be event
 * with cause, and each connection logged once.
 */
static struct ports *logged_resets(const char *log, const char *event,
				   const char *cause)
{
	struct ports *p = calloc(1, sizeof(*p));
	char line[1024], v[128];

	ck_assert_ptr_nonnull(p);
	for (int i = 0; tl_line(log, i, line, sizeof(line)); i++) {
		const char *colon;
		int port;

		TL_ASSERT_FIELD(line, "event", event);
		TL_ASSERT_FIELD(line, "cause", cause);
		ck_assert_ptr_nonnull(tl_json(line, "peer", v, sizeof(v)));
		colon = strrchr(v, ':');
		ck_assert_ptr_nonnull(colon);
		port = atoi(colon + 1);
		ck_assert_msg(!ports_has(p, port),
			      "two events for the connection from port %d:\n%s",
			      port, clip(log));
		ports_add(p, port);
	}
	return p;
}

/* ---- http: python3 http.server, and curl or python3's urllib ---------- */

/* One 20 MB file, fetched 5 times in a row by one client. */
#define HTTP_FETCHES 5
#define HTTP_FILE_SIZE (20 * 1000 * 1000)

struct http_run {
	int server_status, curl_status;
	char *server_out, *server_err, *curl_out, *curl_err;
	const char *sha[HTTP_FETCHES];
	long size[HTTP_FETCHES];
	double secs;
};

/* The python3 client: each file named after the port, fetched in turn
 * on a connection of its own, as curl does when a server closes. */
static const char http_python_client[] =
	"import shutil, sys, urllib.request\n"
	"for out in sys.argv[2:]:\n"
	"    url = 'http://127.0.0.1:%s/data.bin' % sys.argv[1]\n"
	"    with urllib.request.urlopen(url) as r, open(out, 'wb') as f:\n"
	"        shutil.copyfileobj(r, f)\n";

/* curl NULL: the client is python3's urllib. */
static void http_run(enum mode m, const char *python, const char *curl,
		     const char *www, int port, struct http_run *r)
{
	const char *server_log = tl_tmp("http-server.log");
	const char *curl_log = tl_tmp("curl.log");
	const char *got[HTTP_FETCHES];
	const char *argv[4 + 3 * HTTP_FETCHES];
	struct tl_proc server, client;
	double t0;
	int k = 0;

	start_server(&server, run_env(m, server_log, NULL, NULL),
		     (const char *const[]){ python, "-m", "http.server",
					    tl_str("%d", port), "--bind",
					    "127.0.0.1", "--directory", www,
					    NULL },
		     port, "python3 -m http.server");
	if (curl != NULL) {
		argv[k++] = curl;
		argv[k++] = "-sS";
		argv[k++] = "--fail";
	} else {
		argv[k++] = python;
		argv[k++] = "-c";
		argv[k++] = http_python_client;
		argv[k++] = tl_str("%d", port);
	}
	for (int i = 0; i < HTTP_FETCHES; i++) {
		got[i] = tl_tmp(tl_str("%s-%d.bin", mode_name[m], i));
		if (curl != NULL)
			argv[k++] = "-o";
		argv[k++] = got[i];
		if (curl != NULL)
			argv[k++] = tl_str("http://127.0.0.1:%d/data.bin",
					   port);
	}
	argv[k] = NULL;
	t0 = now_s();
	tl_run(&client, run_env(m, curl_log, NULL, NULL), argv);
	r->secs = now_s() - t0;
	/* SIGINT: http.server says goodbye and exits 0. */
	r->server_status = stop_server(&server, SIGINT);
	for (int i = 0; i < HTTP_FETCHES; i++) {
		r->size[i] = file_size(got[i]);
		r->sha[i] = r->size[i] >= 0 ? sha256_of(got[i]) : "(none)";
		unlink(got[i]);
	}
	r->curl_status = client.status;
	r->curl_out = client.out;
	r->curl_err = client.err;
	r->server_out = server.out;
	r->server_err = server.err;
	if (m == PRELOADED) {
		assert_no_events("python3 http.server", server_log);
		assert_no_events(curl ? "curl" : "python3 urllib", curl_log);
	}
}

/* http.server and one client, natively and preloaded: the same bytes,
 * the same output, and no event. */
static void http_compare(const char *python, const char *curl)
{
	const char *client = curl ? "curl" : "python3 urllib";
	const char *www, *data, *want;
	struct http_run r[2];
	int port;

	www = tmp_dir("www");
	data = tl_str("%s/data.bin", www);
	write_data(data, HTTP_FILE_SIZE, 0x5eed0001u, 0);
	want = sha256_of(data);
	port = tl_closed_port(AF_INET);
	http_run(NATIVE, python, curl, www, port, &r[0]);
	http_run(PRELOADED, python, curl, www, port, &r[1]);
	unlink(data);

	for (int m = 0; m < 2; m++) {
		ck_assert_msg(r[m].curl_status == 0, "%s %s: %d %s",
			      mode_name[m], client, r[m].curl_status,
			      clip(r[m].curl_err));
		for (int i = 0; i < HTTP_FETCHES; i++) {
			ck_assert_int_eq(r[m].size[i], HTTP_FILE_SIZE);
			ck_assert_msg(strcmp(r[m].sha[i], want) == 0,
				      "%s: fetch %d arrived with sha256 %s, "
				      "sent %s", mode_name[m], i, r[m].sha[i],
				      want);
		}
	}
	ck_assert_int_eq(r[1].curl_status, r[0].curl_status);
	ck_assert_int_eq(r[1].server_status, r[0].server_status);
	assert_same(tl_str("%s's stdout", client), r[0].curl_out,
		    r[1].curl_out);
	assert_same(tl_str("%s's stderr", client), r[0].curl_err,
		    r[1].curl_err);
	assert_same("http.server's stdout", r[0].server_out, r[1].server_out);
	assert_same_digitless("http.server's request log", r[0].server_err,
			      r[1].server_err);
	report("http.server -> %s: a 20 MB file %d times, sha256 identical; "
	       "native %.0f MB/s, preloaded %.0f MB/s, throughput ratio %.2f",
	       client, HTTP_FETCHES,
	       HTTP_FETCHES * HTTP_FILE_SIZE / MB / r[0].secs,
	       HTTP_FETCHES * HTTP_FILE_SIZE / MB / r[1].secs,
	       r[0].secs / r[1].secs);
}

START_TEST(http_server_sends_curl_identical_bytes_and_no_event)
{
	const char *python = find_python(), *curl = tl_which("curl");

	if (tl_sanitized_skip(__func__, TL_CURL_SANITIZED))
		return;
	if (python == NULL || curl == NULL) {
		tl_skip(__func__, "python3 or curl not found (Debian packages "
				  "python3, curl)");
		return;
	}
	http_compare(python, curl);
}
END_TEST

START_TEST(http_server_sends_python_client_identical_bytes_and_no_event)
{
	const char *python = find_python();

	if (python == NULL) {
		tl_skip(__func__, "python3 not found (Debian package python3)");
		return;
	}
	http_compare(python, NULL);
}
END_TEST

/* ---- nginx under wrk ---------------------------------------------------- */

#define NGINX_POLICY "TCPSHIM_KEEPALIVE=60,10,5"

struct wrk_run {
	int nginx_status, wrk_status;
	char *nginx_out, *nginx_err, *error_log, *wrk_out, *wrk_err;
	char *log;		/* the shim's log (preloaded) */
	char *wire;		/* tcpdump: the RST and FIN lines, or NULL */
	double rps;
	int keepalive_timers;	/* connections seen with a keepalive timer */
	int connections_seen;
};

/*
 * nginx's files live in a directory its workers can read (and the shim,
 * inside them, write its log in): as root the workers run as nobody, and
 * this run's temporary directory is root's alone.  It is made and removed
 * by an unchecked fixture, in the runner's process, so it goes whether
 * the test passed, failed or timed out.
 */
static char nginx_dir[] = "/tmp/tcpshim-real-nginx-XXXXXX";

static void nginx_dir_make(void)
{
	if (mkdtemp(nginx_dir) == NULL || chmod(nginx_dir, 0755) != 0) {
		perror("nginx test directory");
		nginx_dir[0] = '\0';
	}
}

static void nginx_dir_remove(void)
{
	if (nginx_dir[0] == '/')
		remove_tree(nginx_dir);
}

static void nginx_config(const char *prefix, int port)
{
	char page[4096 + 1];

	ck_assert_int_eq(mkdir(tl_str("%s/html", prefix), 0755), 0);
	ck_assert_int_eq(mkdir(tl_str("%s/temp", prefix), 0755), 0);
	ck_assert_int_eq(mkdir(tl_str("%s/shim", prefix), 01777), 0);
	ck_assert_int_eq(chmod(tl_str("%s/shim", prefix), 01777), 0);
	/* A 4 kB page. */
	for (size_t i = 0; i < sizeof(page) - 1; i++)
		page[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	page[sizeof(page) - 1] = '\0';
	write_text(tl_str("%s/html/index.html", prefix), page);
	write_text(tl_str("%s/nginx.conf", prefix),
		   tl_str("%s"
			  "worker_processes 2;\n"
			  "daemon off;\n"
			  "master_process on;\n"
			  "pid %s/nginx.pid;\n"
			  "error_log %s/error.log warn;\n"
			  "events { worker_connections 512; }\n"
			  "http {\n"
			  "    access_log off;\n"
			  /* Keep wrk's 50 connections for the whole run:
			   * no connection is closed by nginx under load. */
			  "    keepalive_requests 1000000;\n"
			  "    client_body_temp_path %s/temp/body;\n"
			  "    proxy_temp_path %s/temp/proxy;\n"
			  "    fastcgi_temp_path %s/temp/fastcgi;\n"
			  "    uwsgi_temp_path %s/temp/uwsgi;\n"
			  "    scgi_temp_path %s/temp/scgi;\n"
			  "    server {\n"
			  "        listen 127.0.0.1:%d;\n"
			  "        root %s/html;\n"
			  "    }\n"
			  "}\n",
			  tl_is_root() ? "user nobody nogroup;\n" : "", prefix,
			  prefix, prefix, prefix, prefix, prefix, prefix, port,
			  prefix));
}

/* How many of nginx's established connections ss shows, and how many of
 * them have a keepalive timer running. */
static void ss_keepalive(const char *ss, int port, int *conns, int *timers)
{
	struct tl_proc p;
	char line[1024];

	*conns = *timers = 0;
	tl_run(&p, NULL,
	       (const char *const[]){ ss, "-tnoH", "state", "established",
				      tl_str("( sport = :%d )", port), NULL });
	for (int i = 0; tl_line(p.out, i, line, sizeof(line)); i++) {
		(*conns)++;
		if (strstr(line, "timer:(keepalive") != NULL)
			(*timers)++;
	}
	tl_free(&p);
}

static void wrk_run(enum mode m, const char *nginx, const char *wrk,
		    const char *ss, const char *prefix, int port,
		    struct wrk_run *r)
{
	const char *log = tl_str("%s/shim/%s.log", prefix, mode_name[m]);
	struct tl_proc server, client;
	struct capture cap;
	char line[256];
	double end;

	memset(r, 0, sizeof(*r));
	unlink(tl_str("%s/error.log", prefix));
	start_server(&server, run_env(m, log, NGINX_POLICY, NULL),
		     (const char *const[]){ nginx, "-p", prefix, "-c",
					    tl_str("%s/nginx.conf", prefix),
					    "-e",
					    tl_str("%s/error.log", prefix),
					    NULL },
		     port, "nginx");
	capture_start(&cap, port);
	tl_spawn(&client, NULL,
		 (const char *const[]){ wrk, "-t2", "-c50", "-d5s",
					tl_str("http://127.0.0.1:%d/", port),
					NULL });
	/* While wrk runs: are nginx's connections probed by keepalive? */
	end = now_s() + 4.0;
	while (ss != NULL && now_s() < end && !exited(&client)) {
		int conns, timers;

		ss_keepalive(ss, port, &conns, &timers);
		if (conns > r->connections_seen)
			r->connections_seen = conns;
		if (timers > r->keepalive_timers)
			r->keepalive_timers = timers;
		if (conns >= 50 && (m == NATIVE || timers > 0))
			break;
		sleep_ms(100);
	}
	r->wrk_status = tl_wait(&client);
	/* SIGQUIT: nginx's graceful shutdown. */
	r->nginx_status = stop_server(&server, SIGQUIT);
	r->wire = capture_stop(&cap);
	r->wrk_out = client.out;
	r->wrk_err = client.err;
	r->nginx_out = server.out;
	r->nginx_err = server.err;
	r->error_log = tl_slurp(tl_str("%s/error.log", prefix));
	r->log = tl_slurp(log);
	if (tl_find_line(r->wrk_out, "Requests/sec:", line, sizeof(line)))
		r->rps = atof(strchr(line, ':') + 1);
}

/* wrk's summary: no socket error of any kind, no non-2xx response. */
static void assert_wrk_clean(const char *how, const struct wrk_run *r)
{
	char line[256];

	ck_assert_msg(r->wrk_status == 0, "%s wrk: %d %s", how, r->wrk_status,
		      clip(r->wrk_err));
	ck_assert_msg(r->rps > 0, "%s wrk: no Requests/sec:\n%s", how,
		      clip(r->wrk_out));
	ck_assert_msg(strstr(r->wrk_out, "Non-2xx") == NULL,
		      "%s wrk saw non-2xx responses:\n%s", how,
		      clip(r->wrk_out));
	if (tl_find_line(r->wrk_out, "Socket errors:", line, sizeof(line))) {
		int c, rd, w, t;

		ck_assert_msg(sscanf(line, " Socket errors: connect %d, read %d,"
					   " write %d, timeout %d",
				     &c, &rd, &w, &t) == 4,
			      "%s wrk: %s", how, line);
		ck_assert_msg(c == 0 && rd == 0 && w == 0 && t == 0,
			      "%s wrk: %s\n%s", how, line, clip(r->wrk_out));
	}
}

START_TEST(nginx_under_wrk_with_keepalive_policy_no_socket_errors)
{
	const char *nginx = find_prog("nginx"), *wrk = tl_which("wrk");
	const char *ss = find_prog("ss");
	const struct ports *logged;
	const char *prefix;
	struct wrk_run r[2];
	int port;

	if (nginx == NULL || wrk == NULL) {
		tl_skip(__func__, "nginx or wrk not found (Debian packages "
				  "nginx, wrk)");
		return;
	}
	ck_assert_msg(nginx_dir[0] == '/', "no directory for nginx");
	prefix = nginx_dir;
	port = tl_closed_port(AF_INET);
	nginx_config(prefix, port);
	wrk_run(NATIVE, nginx, wrk, ss, prefix, port, &r[0]);
	wrk_run(PRELOADED, nginx, wrk, ss, prefix, port, &r[1]);

	assert_wrk_clean("native", &r[0]);
	assert_wrk_clean("preloaded", &r[1]);
	ck_assert_int_eq(r[1].nginx_status, r[0].nginx_status);
	ck_assert_msg(r[0].nginx_status == 0, "nginx exited %d: %s",
		      r[0].nginx_status, clip(r[0].nginx_err));
	assert_same("nginx's stdout", r[0].nginx_out, r[1].nginx_out);
	assert_same("nginx's stderr", r[0].nginx_err, r[1].nginx_err);
	assert_same_digitless("nginx's error log", r[0].error_log,
			      r[1].error_log);
	assert_same("wrk's stderr", r[0].wrk_err, r[1].wrk_err);

	/* The policy reached nginx's sockets, and only under the shim. */
	if (ss != NULL) {
		ck_assert_msg(r[0].keepalive_timers == 0,
			      "native nginx has %d keepalive timers",
			      r[0].keepalive_timers);
		ck_assert_msg(r[1].keepalive_timers > 0,
			      "no keepalive timer on preloaded nginx's %d "
			      "connections", r[1].connections_seen);
	}

	/*
	 * When its time is up wrk exits with requests in flight, and the
	 * kernel resets each connection whose response wrk had not read, or
	 * which an answer reaches after it closed (natively too).  nginx,
	 * reading on, meets those resets: the log must name exactly the
	 * connections reset on the wire that nginx had not closed before,
	 * and nothing else.
	 */
	logged = logged_resets(r[1].log, "rst_received", "peer_reset");
	if (r[1].wire == NULL) {
		tl_skip("nginx_wire", "the wire check needs root, for tcpdump");
		report("nginx: %d connections reset by wrk's exit, logged as "
		       "rst_received peer_reset (not checked on the wire)",
		       logged->n);
	} else {
		struct wire *native = wire_resets(r[0].wire, port);
		struct wire *w = wire_resets(r[1].wire, port);
		struct ports seen = w->open;

		/* The capture saw the end of each of wrk's connections (and
		 * of the one it opens first, to check the address). */
		ck_assert_msg(native->client_end.n >= 50 &&
				      w->client_end.n >= 50,
			      "tcpdump saw %d and %d of wrk's 50 connections "
			      "end:\n%s", native->client_end.n,
			      w->client_end.n, clip(r[1].wire));
		ck_assert_msg(w->by_server.n == 0,
			      "nginx sent resets to [%s]:\n%s",
			      ports_minus(&w->by_server, NULL), clip(r[1].wire));
		/* Resets after nginx's own FIN may or may not be seen. */
		for (int p = 1; p < 65536; p++)
			if (ports_has(logged, p) && ports_has(&w->closed, p))
				ports_add(&seen, p);
		ck_assert_msg(logged->n == seen.n &&
				      ports_minus(logged, &seen)[0] == '\0',
			      "reset on the wire, not logged: [%s]; logged, "
			      "not reset on the wire: [%s]\nwire:\n%s\nlog:\n%s",
			      ports_minus(&w->open, logged),
			      ports_minus(logged, &seen), clip(r[1].wire),
			      clip(r[1].log));
		report("nginx: wrk's exit reset %d of its connections "
		       "natively and %d preloaded (tcpdump; the others ended "
		       "with a FIN); the shim logged exactly the %d "
		       "nginx met, as rst_received peer_reset (%d more came "
		       "after nginx's own FIN), nothing else",
		       native->open.n + native->closed.n,
		       w->open.n + w->closed.n, logged->n,
		       w->closed.n - (seen.n - w->open.n));
	}
	report("nginx under wrk -t2 -c50 -d5s, keepalive policy 60,10,5: "
	       "native %.0f req/s, preloaded %.0f req/s, throughput ratio "
	       "%.2f; no socket error, no non-2xx", r[0].rps, r[1].rps,
	       r[1].rps / r[0].rps);
}
END_TEST

/* ---- redis-server and redis-benchmark ----------------------------------- */

#define REDIS_REQUESTS 20000
#define REDIS_TESTS "set,get,incr,lpush,lpop,mset"

struct redis_run {
	int server_status, bench_status;
	char *server_out, *bench_err;
	const char *completed;	/* "SET 20000\nGET 20000\n..." */
	double secs;		/* the sum of each test's own time */
	char *cli[3];		/* DBSIZE, GET counter, LLEN mylist */
	int cli_status[3];
};

/* From redis-benchmark's output, "TEST N" per "N requests completed". */
static void parse_benchmark(const char *out, struct redis_run *r)
{
	char *copy = strdup(out), *save = NULL, *acc;
	char test[64] = "?";
	size_t len = 0;

	ck_assert_ptr_nonnull(copy);
	acc = calloc(strlen(out) + 1, 1);
	ck_assert_ptr_nonnull(acc);
	r->secs = 0;
	/* Progress lines end in \r, the summaries in \n. */
	for (char *l = strtok_r(copy, "\r\n", &save); l;
	     l = strtok_r(NULL, "\r\n", &save)) {
		long n;
		double s;

		if (sscanf(l, "====== %63[^=]", test) == 1) {
			size_t t = strlen(test);

			while (t > 0 && test[t - 1] == ' ')
				test[--t] = '\0';
		} else if (sscanf(l, " %ld requests completed in %lf seconds",
				  &n, &s) == 2) {
			len += (size_t)sprintf(acc + len, "%s %ld\n", test, n);
			r->secs += s;
		}
	}
	free(copy);
	r->completed = acc;
}

static void redis_run(enum mode m, const char *server_bin,
		      const char *bench_bin, const char *cli_bin, int port,
		      struct redis_run *r)
{
	static const char *const queries[3][3] = {
		{ "DBSIZE", NULL, NULL },
		{ "GET", "counter:__rand_int__", NULL },
		{ "LLEN", "mylist", NULL },
	};
	const char *server_log = tl_tmp("redis-server.log");
	const char *client_log = tl_tmp("redis-clients.log");
	const char *dir = tmp_dir(tl_str("redis-%s", mode_name[m]));
	const char *const *client_env = run_env(m, client_log, NULL, NULL);
	struct tl_proc server, bench;

	memset(r, 0, sizeof(*r));
	start_server(&server, run_env(m, server_log, NULL, NULL),
		     (const char *const[]){ server_bin, "--port",
					    tl_str("%d", port), "--bind",
					    "127.0.0.1", "--save", "",
					    "--appendonly", "no", "--dir", dir,
					    "--logfile", "", "--daemonize",
					    "no", NULL },
		     port, "redis-server");
	tl_run(&bench, client_env,
	       (const char *const[]){ bench_bin, "-h", "127.0.0.1", "-p",
				      tl_str("%d", port), "-n",
				      tl_str("%d", REDIS_REQUESTS), "-c", "50",
				      "-t", REDIS_TESTS, NULL });
	r->bench_status = bench.status;
	r->bench_err = bench.err;
	parse_benchmark(bench.out, r);
	free(bench.out);
	for (int i = 0; i < 3; i++) {
		struct tl_proc cli;

		tl_run(&cli, client_env,
		       (const char *const[]){ cli_bin, "-h", "127.0.0.1", "-p",
					      tl_str("%d", port),
					      queries[i][0], queries[i][1],
					      NULL });
		r->cli_status[i] = cli.status;
		r->cli[i] = cli.out;
		free(cli.err);
	}
	/* SIGTERM: redis-server shuts down and exits 0. */
	r->server_status = stop_server(&server, SIGTERM);
	r->server_out = server.out;
	ck_assert_msg(server.err[0] == '\0', "redis-server: %s", clip(server.err));
	if (m == PRELOADED) {
		assert_no_events("redis-server", server_log);
		assert_no_events("redis-benchmark, redis-cli", client_log);
	}
}

START_TEST(redis_benchmark_both_preloaded_same_results_no_event)
{
	const char *server = find_prog("redis-server");
	const char *bench = tl_which("redis-benchmark");
	const char *cli = tl_which("redis-cli");
	char want[256];
	struct redis_run r[2];
	int port;

	if (server == NULL || bench == NULL || cli == NULL) {
		tl_skip(__func__, "redis-server, redis-benchmark or redis-cli "
				  "not found (Debian packages redis-server, "
				  "redis-tools)");
		return;
	}
	port = tl_closed_port(AF_INET);
	redis_run(NATIVE, server, bench, cli, port, &r[0]);
	redis_run(PRELOADED, server, bench, cli, port, &r[1]);

	snprintf(want, sizeof(want),
		 "SET %d\nGET %d\nINCR %d\nLPUSH %d\nLPOP %d\n"
		 "MSET (10 keys) %d\n", REDIS_REQUESTS, REDIS_REQUESTS,
		 REDIS_REQUESTS, REDIS_REQUESTS, REDIS_REQUESTS,
		 REDIS_REQUESTS);
	for (int m = 0; m < 2; m++) {
		ck_assert_msg(r[m].bench_status == 0, "%s redis-benchmark: %d %s",
			      mode_name[m], r[m].bench_status,
			      clip(r[m].bench_err));
		ck_assert_msg(strcmp(r[m].completed, want) == 0,
			      "%s redis-benchmark completed:\n%s", mode_name[m],
			      clip(r[m].completed));
		/* Every INCR arrived, once. */
		ck_assert_msg(r[m].cli_status[1] == 0 &&
				      atoi(r[m].cli[1]) == REDIS_REQUESTS,
			      "%s GET counter: %s", mode_name[m],
			      clip(r[m].cli[1]));
	}
	ck_assert_int_eq(r[1].bench_status, r[0].bench_status);
	ck_assert_int_eq(r[1].server_status, r[0].server_status);
	ck_assert_msg(r[0].server_status == 0, "redis-server exited %d",
		      r[0].server_status);
	assert_same("redis-benchmark's stderr", r[0].bench_err, r[1].bench_err);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(r[1].cli_status[i], r[0].cli_status[i]);
		assert_same("redis-cli's answer", r[0].cli[i], r[1].cli[i]);
	}
	assert_same_digitless("redis-server's log", r[0].server_out,
			      r[1].server_out);
	report("redis-benchmark -c 50 -n %d -t %s: every request completed "
	       "in both; native %.0f req/s, preloaded %.0f req/s, throughput "
	       "ratio %.2f", REDIS_REQUESTS, REDIS_TESTS,
	       6 * REDIS_REQUESTS / r[0].secs, 6 * REDIS_REQUESTS / r[1].secs,
	       r[0].secs / r[1].secs);
}
END_TEST

/* ---- git over git daemon ------------------------------------------------ */

/*
 * git's environment in both runs: fixed identities and dates, so the same
 * commits hash alike; a HOME of its own, so no user's configuration.
 */
static const char *const *git_env;

static void git_env_init(const char *home)
{
	static const char *env[] = {
		"GIT_AUTHOR_NAME=tcpshim", "GIT_AUTHOR_EMAIL=tcpshim@localhost",
		"GIT_COMMITTER_NAME=tcpshim",
		"GIT_COMMITTER_EMAIL=tcpshim@localhost",
		"GIT_AUTHOR_DATE=@1700000000 +0000",
		"GIT_COMMITTER_DATE=@1700000000 +0000",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", NULL, NULL,
	};

	env[8] = tl_str("HOME=%s", home);
	git_env = env;
}

/* Run sh -c script (natively): the test's own setup. */
static void sh_setup(const char *what, const char *script)
{
	struct tl_proc p;

	tl_run(&p, git_env, (const char *const[]){ "/bin/sh", "-ec", script,
						   NULL });
	ck_assert_msg(p.status == 0, "%s: %d\n%s%s", what, p.status,
		      clip(p.out), clip(p.err));
	tl_free(&p);
}

struct git_run {
	int daemon_status;
	char *daemon_out, *daemon_err;
	int status[3];
	char *out[3], *err[3];	/* clone, push, ls-remote */
	const char *head;	/* the served repository's main after push */
	double secs;
};

static void git_run(enum mode m, const char *git, const char *src, int port,
		    struct git_run *r)
{
	const char *base = tmp_dir(tl_str("git-%s", mode_name[m]));
	const char *work = tmp_dir(tl_str("git-work-%s", mode_name[m]));
	const char *daemon_log = tl_tmp("git-daemon.log");
	const char *client_log = tl_tmp("git-clients.log");
	const char *const *client_env = run_env(m, client_log, NULL, git_env);
	const char *url = tl_str("git://127.0.0.1:%d/repo.git", port);
	struct tl_proc daemon, c;
	double t0;

	memset(r, 0, sizeof(*r));
	sh_setup("bare copy", tl_str("git clone -q --bare '%s' '%s/repo.git'",
				     src, base));
	start_server(&daemon, run_env(m, daemon_log, NULL, git_env),
		     (const char *const[]){ git, "daemon", "--reuseaddr",
					    "--listen=127.0.0.1",
					    tl_str("--port=%d", port),
					    tl_str("--base-path=%s", base),
					    "--export-all",
					    "--enable=receive-pack", NULL },
		     port, "git daemon");
	t0 = now_s();
	tl_run(&c, client_env,
	       (const char *const[]){ git, "-C", work, "clone", url, "dst",
				      NULL });
	r->status[0] = c.status;
	r->out[0] = c.out;
	r->err[0] = c.err;
	r->secs = now_s() - t0;
	/* A new commit (identical in both runs), pushed back. */
	sh_setup("commit", tl_str("cd '%s/dst' && printf 'pushed back\\n' "
				  ">> f0.txt && git commit -qam 'pushed back'",
				  work));
	t0 = now_s();
	tl_run(&c, client_env,
	       (const char *const[]){ git, "-C", tl_str("%s/dst", work),
				      "push", "origin", "main", NULL });
	r->secs += now_s() - t0;
	r->status[1] = c.status;
	r->out[1] = c.out;
	r->err[1] = c.err;
	tl_run(&c, client_env,
	       (const char *const[]){ git, "ls-remote", url, NULL });
	r->status[2] = c.status;
	r->out[2] = c.out;
	r->err[2] = c.err;
	r->daemon_status = stop_server(&daemon, SIGTERM);
	r->daemon_out = daemon.out;
	r->daemon_err = daemon.err;
	tl_run(&c, git_env,
	       (const char *const[]){ git, "-C", tl_str("%s/repo.git", base),
				      "rev-parse", "main", NULL });
	r->head = c.out;
	tl_run(&c, git_env,
	       (const char *const[]){ git, "-C", tl_str("%s/repo.git", base),
				      "fsck", "--strict", NULL });
	ck_assert_msg(c.status == 0, "%s: git fsck of the pushed repository: "
				     "%s", mode_name[m], clip(c.err));
	remove_tree(base);
	remove_tree(work);
	if (m == PRELOADED) {
		assert_no_events("git daemon", daemon_log);
		assert_no_events("git clone, push, ls-remote", client_log);
	}
}

START_TEST(git_clone_and_push_over_git_daemon_same_objects)
{
	static const char *const step[] = { "clone", "push", "ls-remote" };
	const char *git = tl_which("git");
	const char *src, *home;
	struct git_run r[2];
	int port;

	if (git == NULL) {
		tl_skip(__func__, "git not found (Debian package git)");
		return;
	}
	home = tmp_dir("git-home");
	git_env_init(home);
	/* Eight commits of 256 kB of text each. */
	src = tmp_dir("git-src");
	for (int i = 0; i < 8; i++)
		write_data(tl_str("%s/f%d.txt", src, i), 256 * 1024,
			   0x617400u + (unsigned)i, 1);
	sh_setup("source repository",
		 tl_str("cd '%s' && git init -q -b main . && "
			"for i in 0 1 2 3 4 5 6 7; do git add f$i.txt && "
			"git commit -qm \"file $i\"; done", src));
	port = tl_closed_port(AF_INET);
	git_run(NATIVE, git, src, port, &r[0]);
	git_run(PRELOADED, git, src, port, &r[1]);
	remove_tree(src);

	for (int s = 0; s < 3; s++) {
		ck_assert_msg(r[0].status[s] == 0, "native git %s: %d %s",
			      step[s], r[0].status[s], clip(r[0].err[s]));
		ck_assert_msg(r[1].status[s] == r[0].status[s],
			      "preloaded git %s: %d %s", step[s],
			      r[1].status[s], clip(r[1].err[s]));
		assert_same(tl_str("git %s's stdout", step[s]), r[0].out[s],
			    r[1].out[s]);
		assert_same(tl_str("git %s's stderr", step[s]), r[0].err[s],
			    r[1].err[s]);
	}
	ck_assert_msg(strlen(r[0].head) == 41, "pushed head: %s", r[0].head);
	assert_same("the pushed head", r[0].head, r[1].head);
	ck_assert_int_eq(r[1].daemon_status, r[0].daemon_status);
	assert_same("git daemon's stdout", r[0].daemon_out, r[1].daemon_out);
	assert_same("git daemon's stderr", r[0].daemon_err, r[1].daemon_err);
	report("git clone (2 MB, 8 commits) and push over git daemon: same "
	       "objects, head %.12s in both; native %.2f s, preloaded %.2f s, "
	       "throughput ratio %.2f", r[0].head, r[0].secs, r[1].secs,
	       r[0].secs / r[1].secs);
}
END_TEST

/* ---- ssh over sshd -------------------------------------------------------- */

#define SSH_DATA_SIZE (8 * 1000 * 1000)

struct ssh_run {
	int sshd_status;
	char *sshd_out, *sshd_err;
	int status[2];
	char *err[2];
	char *upload_out;		/* sha256sum's line, from the far end */
	const char *download_sha;	/* of what came back */
	long download_size;
	double secs;
};

static const char *const *ssh_args(const char *ssh, const char *dir,
				   int port, const char *cmd)
{
	const char **a = calloc(24, sizeof(*a));
	int k = 0;

	ck_assert_ptr_nonnull(a);
	a[k++] = ssh;
	a[k++] = "-F";
	a[k++] = "/dev/null";
	a[k++] = "-i";
	a[k++] = tl_str("%s/userkey", dir);
	a[k++] = "-o";
	a[k++] = "BatchMode=yes";
	a[k++] = "-o";
	a[k++] = "StrictHostKeyChecking=no";
	a[k++] = "-o";
	a[k++] = "UserKnownHostsFile=/dev/null";
	a[k++] = "-o";
	a[k++] = "LogLevel=ERROR";
	a[k++] = "-p";
	a[k++] = tl_str("%d", port);
	a[k++] = "root@127.0.0.1";
	a[k++] = cmd;
	a[k] = NULL;
	return a;
}

/*
 * sshd's environment.  Under AddressSanitizer, no leak check at exit:
 * LeakSanitizer's calls prctl(PR_SET_PTRACER), and sshd's seccomp
 * sandbox kills its pre-authentication child for that system call
 * (SIGSYS, "preauth child terminated by signal 31"), which then ends
 * every login.  The sanitized library itself still runs in sshd, checked.
 */
static const char *const *sshd_env(void)
{
	static const char *env[2];
	const char *san = getenv("TCPSHIM_TEST_SANITIZER");
	const char *opts = getenv("ASAN_OPTIONS");

	if (san == NULL || strstr(san, "address") == NULL)
		return NULL;
	env[0] = tl_str("ASAN_OPTIONS=%s%sdetect_leaks=0", opts ? opts : "",
			opts ? ":" : "");
	return env;
}

static void ssh_run(enum mode m, const char *sshd, const char *ssh,
		    const char *dir, const char *data, int port,
		    struct ssh_run *r)
{
	const char *sshd_log = tl_tmp("sshd.log");
	const char *ssh_log = tl_tmp("ssh.log");
	const char *const *args;
	const char *argv[32];
	struct tl_proc server, c;
	double t0;
	int k = 0;

	memset(r, 0, sizeof(*r));
	start_server(&server, run_env(m, sshd_log, NULL, sshd_env()),
		     (const char *const[]){ sshd, "-D", "-e", "-f",
					    tl_str("%s/sshd_config", dir),
					    NULL },
		     port, "sshd");
	/* Up: the data on ssh's stdin (sh execs ssh, so ssh is the
	 * program), its checksum computed at the far end. */
	args = ssh_args(ssh, dir, port, "sha256sum");
	argv[k++] = "/bin/sh";
	argv[k++] = "-c";
	argv[k++] = "f=$1; shift; exec \"$@\" < \"$f\"";
	argv[k++] = "sh";
	argv[k++] = data;
	for (int i = 0; args[i]; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	t0 = now_s();
	tl_run(&c, run_env(m, ssh_log, NULL, NULL), argv);
	r->status[0] = c.status;
	r->upload_out = c.out;
	r->err[0] = c.err;
	/* Down: the same bytes read at the far end, sent back. */
	tl_spawn(&c, run_env(m, ssh_log, NULL, NULL),
		 ssh_args(ssh, dir, port, tl_str("cat '%s'", data)));
	tl_wait(&c);
	r->secs = now_s() - t0;
	r->status[1] = c.status;
	r->err[1] = c.err;
	r->download_size = file_size(c.out_path);
	r->download_sha = sha256_of(c.out_path);
	unlink(c.out_path);
	free(c.out);
	r->sshd_status = stop_server(&server, SIGTERM);
	r->sshd_out = server.out;
	r->sshd_err = server.err;
	if (m == PRELOADED) {
		assert_no_events("sshd", sshd_log);
		assert_no_events("ssh", ssh_log);
	}
}

START_TEST(ssh_moves_the_same_bytes_both_ways_through_sshd)
{
	const char *sshd = find_prog("sshd"), *ssh = tl_which("ssh");
	const char *keygen = tl_which("ssh-keygen");
	const char *dir, *data, *want;
	struct ssh_run r[2];
	int port;

	if (sshd == NULL || ssh == NULL || keygen == NULL) {
		tl_skip(__func__, "sshd, ssh or ssh-keygen not found (Debian "
				  "package openssh-server)");
		return;
	}
	if (!tl_is_root()) {
		tl_skip(__func__, "sshd needs root (privilege separation, "
				  "logging in)");
		return;
	}
	/* sshd's privilege separation directory, as Debian's service
	 * makes it. */
	if (access("/run/sshd", F_OK) != 0)
		ck_assert_int_eq(mkdir("/run/sshd", 0755), 0);
	dir = tmp_dir("ssh");
	data = tl_str("%s/data.bin", dir);
	write_data(data, SSH_DATA_SIZE, 0x55480000u, 0);
	want = sha256_of(data);
	sh_setup("ssh keys",
		 tl_str("cd '%s' && ssh-keygen -q -t ed25519 -N '' -f hostkey"
			" && ssh-keygen -q -t ed25519 -N '' -f userkey && "
			"cp userkey.pub authorized_keys", dir));
	port = tl_closed_port(AF_INET);
	write_text(tl_str("%s/sshd_config", dir),
		   tl_str("Port %d\n"
			  "ListenAddress 127.0.0.1\n"
			  "HostKey %s/hostkey\n"
			  "AuthorizedKeysFile %s/authorized_keys\n"
			  "PidFile none\n"
			  "StrictModes no\n"
			  "UsePAM no\n"
			  "PermitRootLogin prohibit-password\n"
			  "PasswordAuthentication no\n"
			  "KbdInteractiveAuthentication no\n"
			  "PrintMotd no\n"
			  "LogLevel ERROR\n", port, dir, dir));
	ssh_run(NATIVE, sshd, ssh, dir, data, port, &r[0]);
	ssh_run(PRELOADED, sshd, ssh, dir, data, port, &r[1]);
	unlink(data);

	for (int m = 0; m < 2; m++) {
		ck_assert_msg(r[m].status[0] == 0 && r[m].status[1] == 0,
			      "%s ssh: %d %d %s %s", mode_name[m],
			      r[m].status[0], r[m].status[1],
			      clip(r[m].err[0]), clip(r[m].err[1]));
		ck_assert_msg(strncmp(r[m].upload_out, want, 64) == 0,
			      "%s: sent %s, the far end got %s", mode_name[m],
			      want, clip(r[m].upload_out));
		ck_assert_int_eq(r[m].download_size, SSH_DATA_SIZE);
		ck_assert_msg(strcmp(r[m].download_sha, want) == 0,
			      "%s: the far end sent %s, got %s", mode_name[m],
			      want, r[m].download_sha);
	}
	assert_same("the far end's sha256sum", r[0].upload_out, r[1].upload_out);
	assert_same("ssh's stderr (up)", r[0].err[0], r[1].err[0]);
	assert_same("ssh's stderr (down)", r[0].err[1], r[1].err[1]);
	ck_assert_int_eq(r[1].sshd_status, r[0].sshd_status);
	assert_same("sshd's stdout", r[0].sshd_out, r[1].sshd_out);
	assert_same_digitless("sshd's stderr", r[0].sshd_err, r[1].sshd_err);
	report("ssh through sshd: 8 MB up and 8 MB down, sha256 identical; "
	       "native %.2f s, preloaded %.2f s, throughput ratio %.2f",
	       r[0].secs, r[1].secs, r[0].secs / r[1].secs);
}
END_TEST

/* ---- bash: subshells, execs, /dev/tcp ------------------------------------ */

/*
 * The work is scaled to the build.  Under a sanitizer (SANITIZE=...) its
 * runtime starts and, at exit, looks for leaks in each of the three or
 * four processes of a turn: 0.3 to 0.9 s apiece on a loaded two-core
 * machine, against about a millisecond natively.  So 20 turns, with a
 * connection every 10 (still both branches of the script), and a bound of
 * its own: the sanitized case is then a minute at most where 300 turns
 * took over ten.
 */
#define BASH_LOOPS 300
#define BASH_EVERY 20		/* every 20th turn talks over /dev/tcp */
#define BASH_BOUND 90		/* seconds */
#define BASH_LOOPS_SANITIZED 20
#define BASH_EVERY_SANITIZED 10
#define BASH_BOUND_SANITIZED 300

static int sanitized(void)
{
	const char *san = getenv("TCPSHIM_TEST_SANITIZER");

	return san != NULL && *san != '\0';
}

static int bash_loops(void)
{
	return sanitized() ? BASH_LOOPS_SANITIZED : BASH_LOOPS;
}

static int bash_every(void)
{
	return sanitized() ? BASH_EVERY_SANITIZED : BASH_EVERY;
}

static int bash_bound(void)
{
	return sanitized() ? BASH_BOUND_SANITIZED : BASH_BOUND;
}

/*
 * The loop: per turn a command substitution (a subshell, which execs tr)
 * and an exec of /bin/true; every bash_every() turns a connection through
 * /dev/tcp, whose answer bash reads, or, every other time, a child
 * /bin/sh (an exec that inherits the socket).  Exit statuses travel: a
 * subshell's 42, and the script's own 3.
 */
static const char bash_script[] =
	"port=$1 s=0\n"
	"for i in $(seq 1 $2); do\n"
	"    y=$(echo \"$i\" | /usr/bin/tr 0-9 a-j)\n"
	"    /bin/true || exit 9\n"
	"    s=$((s + i))\n"
	"    echo \"$i $y\"\n"
	"    if [ $((i % $3)) -eq 0 ]; then\n"
	"        exec 3<>/dev/tcp/127.0.0.1/$port || exit 8\n"
	"        echo \"ping $i\" >&3\n"
	"        if [ $((i % (2 * $3))) -eq 0 ]; then\n"
	"            read -r answer <&3; echo \"$answer\"\n"
	"        else\n"
	"            /bin/sh -c 'read -r answer <&3; echo \"$answer\"'\n"
	"        fi\n"
	"        exec 3<&-\n"
	"    fi\n"
	"done\n"
	"(exit 42); echo \"subshell $?\"\n"
	"echo \"sum $s\"\n"
	"exit 3\n";

/*
 * A child process that answers n connections: one line in, "pong" and the
 * line back, then an orderly close.  Exits 0 if all n were answered.  It
 * waits for each as long as the case may run: turns between connections
 * take what they take.
 */
static pid_t line_server(int lfd, int n)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid > 0)
		return pid;
	for (int i = 0; i < n; i++) {
		char buf[256], reply[300];
		size_t got = 0;
		int a = tl_accept(lfd, bash_bound() * 1000);

		if (a < 0)
			_exit(1);
		while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
			ssize_t k;

			if (tl_poll(a, POLLIN, 20000) != 0)
				_exit(2);
			k = read(a, buf + got, sizeof(buf) - 1 - got);
			if (k <= 0)
				_exit(3);
			got += (size_t)k;
		}
		buf[got] = '\0';
		snprintf(reply, sizeof(reply), "pong %s", buf);
		if (write(a, reply, strlen(reply)) != (ssize_t)strlen(reply))
			_exit(4);
		close(a);
	}
	_exit(0);
}

struct bash_run {
	int status, server_status;
	char *out, *err;
	double secs;
};

static void bash_run(enum mode m, const char *bash, struct bash_run *r)
{
	const char *log = tl_tmp("bash.log");
	const char *script = tl_tmp("loop.sh");
	struct tl_proc p;
	int port, lfd, st;
	pid_t server;
	double t0;

	write_text(script, bash_script);
	lfd = tl_listen(AF_INET, &port);
	server = line_server(lfd, bash_loops() / bash_every());
	close(lfd);
	t0 = now_s();
	tl_run(&p, run_env(m, log, NULL, NULL),
	       (const char *const[]){ bash, script, tl_str("%d", port),
				      tl_str("%d", bash_loops()),
				      tl_str("%d", bash_every()), NULL });
	r->secs = now_s() - t0;
	ck_assert_int_eq(waitpid(server, &st, 0), server);
	r->server_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->status = p.status;
	r->out = p.out;
	r->err = p.err;
	if (m == PRELOADED)
		assert_no_events("bash", log);
}

START_TEST(bash_loop_of_subshells_and_execs_same_output)
{
	const char *bash = tl_which("bash");
	struct bash_run r[2];
	char line[128];
	int loops = bash_loops(), every = bash_every();

	if (bash == NULL) {
		tl_skip(__func__, "bash not found (Debian package bash)");
		return;
	}
	bash_run(NATIVE, bash, &r[0]);
	bash_run(PRELOADED, bash, &r[1]);

	ck_assert_msg(r[0].status == 3, "native bash exited %d: %s",
		      r[0].status, clip(r[0].err));
	ck_assert_msg(r[0].server_status == 0 && r[1].server_status == 0,
		      "the line server answered %s (status %d, %d)",
		      "not every connection", r[0].server_status,
		      r[1].server_status);
	ck_assert_int_eq(r[1].status, r[0].status);
	assert_same("bash's stdout", r[0].out, r[1].out);
	assert_same("bash's stderr", r[0].err, r[1].err);
	ck_assert_ptr_nonnull(tl_find_line(r[1].out, "sum ", line,
					   sizeof(line)));
	ck_assert_str_eq(line, tl_str("sum %d", loops * (loops + 1) / 2));
	ck_assert_ptr_nonnull(tl_find_line(r[1].out, "subshell ", line,
					   sizeof(line)));
	ck_assert_str_eq(line, "subshell 42");
	ck_assert_ptr_nonnull(tl_find_line(r[1].out,
					   tl_str("pong ping %d", loops),
					   line, sizeof(line)));
	report("bash: %d turns, %d subshells and %d execs, %d connections "
	       "over /dev/tcp: same output, exit 3 in both; native %.2f s, "
	       "preloaded %.2f s, ratio %.2f", loops, loops,
	       2 * loops + loops / every, loops / every, r[0].secs, r[1].secs,
	       r[0].secs / r[1].secs);
}
END_TEST

static Suite *real_suite(void)
{
	Suite *s = suite_create("real");
	TCase *tc;

	tc = tcase_create("http");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, http_server_sends_curl_identical_bytes_and_no_event);
	tcase_add_test(tc,
		       http_server_sends_python_client_identical_bytes_and_no_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("nginx");
	tcase_set_timeout(tc, 90);
	tcase_add_unchecked_fixture(tc, nginx_dir_make, nginx_dir_remove);
	tcase_add_test(tc, nginx_under_wrk_with_keepalive_policy_no_socket_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("redis");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, redis_benchmark_both_preloaded_same_results_no_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("git");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, git_clone_and_push_over_git_daemon_same_objects);
	suite_add_tcase(s, tc);

	tc = tcase_create("ssh");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, ssh_moves_the_same_bytes_both_ways_through_sshd);
	suite_add_tcase(s, tc);

	tc = tcase_create("bash");
	tcase_set_timeout(tc, bash_bound());
	tcase_add_test(tc, bash_loop_of_subshells_and_execs_same_output);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return tl_main(real_suite());
}
