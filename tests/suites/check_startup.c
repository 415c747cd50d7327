/*
 * check_startup.c - the promises tcpshim makes before a program's first
 * reset, proved on real programs run under LD_PRELOAD:
 *
 *   smoke      a preloaded program with no event prints exactly what it
 *              prints without the shim, and no log file appears;
 *   exports    the library exports the API and the wrapped libc names,
 *              nothing else;
 *   dlsym      dlsym(RTLD_NEXT) is never reached by a tail call, and an
 *              optimised program works preloaded;
 *   early      another library's constructor that runs before tcpshim's
 *              gets working socket calls and no events;
 *   twice      two copies of the library in one process log each event
 *              once;
 *   clients    curl sees the same exit codes with and without the shim,
 *              and the log names the reset it hit;
 *   hotpath    healthy send/recv/read/write/close add no system call,
 *              of any kind, with no settings and with keepalive and a
 *              JSON log;
 *   callbacks  tcp_on_event() as a linked C program uses it.
 *
 * Why one file: these are the promises kept before a first reset, one
 * test case each (CK_RUN_CASE=hotpath runs one), and they share the
 * helpers at the top: the library's path, curl, a python3 peer that
 * resets, copies of the library made for a case.
 */
#include <arpa/inet.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define NET_TIMEOUT 30
#define STRACE_TIMEOUT 120

/* The three lines lib_early.so prints from its constructor. */
#define EARLY_OUTPUT "early socket ok\n" \
		     "early connect -1 ECONNREFUSED\n" \
		     "early close 0\n"

/* curl's exit codes: could not connect; failure receiving data. */
#define CURL_COULDNT_CONNECT 7
#define CURL_RECV_ERROR 56

/* ---- helpers ---------------------------------------------------------- */

static const char *shim(void)
{
	return tl_path("libtcpshim.so");
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* How many lines of text contain needle. */
static int count_matching(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; n++) {
		p = strchr(p, '\n');
		if (p == NULL)
			return n + 1;
	}
	return n;
}

/* Does some line of text contain both a and b? */
static int line_with_both(const char *text, const char *a, const char *b)
{
	char line[1024];

	for (int i = 0; tl_line(text, i, line, sizeof(line)); i++)
		if (strstr(line, a) && strstr(line, b))
			return 1;
	return 0;
}

/* Offset of the first occurrence of needle in text, or -1. */
static long offset_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	return p ? p - text : -1;
}

static int have_ipv6_loopback(void)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = fd >= 0 &&
		 bind(fd, (struct sockaddr *)&in6, sizeof(in6)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* "127.0.0.1:80" or "[::1]:80", as the log writes addresses. */
static const char *endpoint(int family, int port)
{
	return family == AF_INET6 ? tl_str("[::1]:%d", port)
				  : tl_str("127.0.0.1:%d", port);
}

static const char *curl_url(int family, int port)
{
	return tl_str("http://%s/", endpoint(family, port));
}

/*
 * curl's path, or NULL when test is skipped, with the reason said: under
 * a sanitizer (curl cannot run with its runtime preloaded), or no curl.
 */
static const char *curl_or_skip(const char *test)
{
	const char *curl;

	if (tl_sanitized_skip(test, TL_CURL_SANITIZED))
		return NULL;
	curl = tl_which("curl");
	if (curl == NULL)
		tl_skip(test, "curl not found (Debian package curl)");
	return curl;
}

/*
 * The log at path holds exactly one event, with these fields; the line
 * goes to buf.
 */
static void assert_one_event(const char *path, const char *event,
			     const char *cause, const char *err,
			     const char *peer, char *buf, size_t size)
{
	char *log = tl_slurp(path);

	ck_assert_msg(tl_count_lines(log) == 1,
		      "expected one event in %s, got:\n%s", path, log);
	ck_assert_ptr_nonnull(tl_line(log, 0, buf, size));
	TL_ASSERT_FIELD(buf, "event", event);
	TL_ASSERT_FIELD(buf, "cause", cause);
	TL_ASSERT_FIELD(buf, "errno", err);
	if (peer != NULL)
		TL_ASSERT_FIELD(buf, "peer", peer);
	free(log);
}

/* Copy a file, mode 0755 (for shared libraries). */
static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n;

	ck_assert_msg(in >= 0 && out >= 0, "copy %s to %s: %s", from, to,
		      strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	close(in);
	ck_assert_int_eq(close(out), 0);
}

/*
 * Give the ELF shared library at path another DT_SONAME by changing the
 * last character of the one it has (in place: same length).  ld.so treats
 * a preloaded library whose SONAME matches a DT_NEEDED entry as that
 * dependency, so a plain copy would stand in for the linked library
 * instead of being loaded beside it.
 */
static void rename_soname(const char *path, const char *want, char last)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct stat st;
	unsigned char *img;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	int done = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	img = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(img);
	ck_assert_int_eq(pread(fd, img, (size_t)st.st_size, 0), st.st_size);
	eh = (const Elf64_Ehdr *)img;
	ck_assert(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
		  eh->e_ident[EI_CLASS] == ELFCLASS64);
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum && !done; i++) {
		const Elf64_Dyn *dyn;
		const Elf64_Shdr *strtab;

		if (sh[i].sh_type != SHT_DYNAMIC)
			continue;
		strtab = &sh[sh[i].sh_link];
		dyn = (const Elf64_Dyn *)(img + sh[i].sh_offset);
		for (; dyn->d_tag != DT_NULL; dyn++) {
			char *name;
			off_t at;

			if (dyn->d_tag != DT_SONAME)
				continue;
			at = (off_t)(strtab->sh_offset + dyn->d_un.d_val);
			name = (char *)img + at;
			ck_assert_str_eq(name, want);
			at += (off_t)strlen(name) - 1;
			ck_assert_int_eq(pwrite(fd, &last, 1, at), 1);
			done = 1;
			break;
		}
	}
	ck_assert_msg(done, "no DT_SONAME in %s", path);
	free(img);
	ck_assert_int_eq(close(fd), 0);
}

/* ---- a python3 peer that resets every connection it accepts ------------ */

static const char peer_script[] =
	"import socket, struct, sys\n"
	"ls = socket.socket(fileno=int(sys.argv[1]))\n"
	"ls.settimeout(20)\n"
	"for _ in range(int(sys.argv[2])):\n"
	"    c, _ = ls.accept()\n"
	"    c.settimeout(20)\n"
	"    req = b''\n"
	"    while b'\\r\\n\\r\\n' not in req:\n"
	"        d = c.recv(4096)\n"
	"        if not d:\n"
	"            break\n"
	"        req += d\n"
	"    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,\n"
	"                 struct.pack('ii', 1, 0))\n"
	"    c.close()\n";

struct peer {
	struct tl_proc proc;
	int port;
};

/*
 * Start python3 on a listener made here and handed down to it: clients can
 * connect as soon as this returns (the backlog holds them), so nothing has
 * to wait for the peer to be ready.  It serves conns connections: reads a
 * request, then closes with SO_LINGER {1, 0}.
 */
static void peer_start(struct peer *p, const char *python, int conns)
{
	const char *script = tl_tmp("peer.py");
	FILE *f = fopen(script, "w");
	int lfd = tl_listen(AF_INET, &p->port);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(peer_script, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	/* tl_listen makes it close-on-exec: this one must survive exec. */
	ck_assert_int_eq(fcntl(lfd, F_SETFD, 0), 0);
	tl_spawn(&p->proc, NULL,
		 (const char *const[]){ python, script, tl_str("%d", lfd),
					tl_str("%d", conns), NULL });
	close(lfd);
}

static void peer_finish(struct peer *p)
{
	tl_wait(&p->proc);
	ck_assert_msg(p->proc.status == 0, "python peer exited %d: %s",
		      p->proc.status, p->proc.err);
	tl_free(&p->proc);
}

/* ---- smoke ------------------------------------------------------------ */

START_TEST(test_preloaded_true_exits_0_and_prints_nothing)
{
	struct tl_proc p;

	tl_run(&p, (const char *const[]){ tl_str("LD_PRELOAD=%s", shim()), NULL },
	       (const char *const[]){ "/bin/true", NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

START_TEST(test_preloaded_shell_echo_prints_exactly_hi)
{
	struct tl_proc p;

	tl_run(&p, (const char *const[]){ tl_str("LD_PRELOAD=%s", shim()), NULL },
	       (const char *const[]){ "/bin/sh", "-c", "echo hi", NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "hi\n");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

START_TEST(test_log_file_not_created_without_an_event)
{
	const char *log = tl_tmp("never.log");
	struct tl_proc p;

	tl_run(&p,
	       (const char *const[]){ tl_str("LD_PRELOAD=%s", shim()),
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json", NULL },
	       (const char *const[]){ "/bin/sh", "-c", "echo hi", NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "hi\n");
	ck_assert_str_eq(p.err, "");
	ck_assert_msg(!exists(log), "%s was created with no event", log);
	tl_free(&p);
}
END_TEST

/* ---- exports ---------------------------------------------------------- */

#define MAX_NAMES 128

struct names {
	int n;
	char *v[MAX_NAMES];
};

static void names_add(struct names *s, const char *name, size_t len)
{
	ck_assert_int_lt(s->n, MAX_NAMES);
	s->v[s->n] = strndup(name, len);
	ck_assert_ptr_nonnull(s->v[s->n]);
	s->n++;
}

static int names_has(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

/* The names in the "global:" part of a version script. */
static void map_globals(const char *text, struct names *out)
{
	const char *p = strstr(text, "global:");
	const char *end = strstr(text, "local:");

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(end);
	for (p += strlen("global:"); p < end;) {
		size_t len;

		if (strncmp(p, "/*", 2) == 0) {
			p = strstr(p, "*/");
			ck_assert_ptr_nonnull(p);
			p += 2;
			continue;
		}
		len = strspn(p, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (len == 0) {
			p++;
			continue;
		}
		names_add(out, p, len);
		p += len;
	}
}

/* The names "nm -D --defined-only" lists, less type A (version nodes). */
static void nm_defined(const char *text, struct names *out)
{
	char line[512];

	for (int i = 0; tl_line(text, i, line, sizeof(line)); i++) {
		char value[64], type[8], name[256];

		if (sscanf(line, "%63s %7s %255s", value, type, name) != 3)
			continue;
		if (strcmp(type, "A") == 0)
			continue;
		names_add(out, name, strcspn(name, "@"));
	}
}

START_TEST(test_exports_exactly_api_and_wrapped_libc_names)
{
	if (tl_sanitized_skip(__func__, "a sanitized build exports the sanitizer's symbols too"))
		return;
	static const char *const api[] = { "tcp_abort", "tcp_keepalive",
					   "tcp_user_timeout",
					   "tcp_peer_status", "tcp_on_event" };
	const char *nm = tl_which("nm");
	struct names want = { 0 }, got = { 0 };
	struct tl_proc p;
	char *map;

	if (nm == NULL) {
		tl_skip(__func__, "nm not found (Debian package binutils)");
		return;
	}
	map = tl_slurp(tl_path("../shim/libtcpshim.map"));
	map_globals(map, &want);
	for (size_t i = 0; i < sizeof(api) / sizeof(*api); i++)
		if (!names_has(&want, api[i]))
			names_add(&want, api[i], strlen(api[i]));
	/* The map must name libc functions too, or this proves little. */
	ck_assert_int_gt(want.n, 5 + 10);

	tl_run(&p, NULL,
	       (const char *const[]){ nm, "-D", "--defined-only", shim(),
				      NULL });
	ck_assert_msg(p.status == 0, "nm failed: %s", p.err);
	nm_defined(p.out, &got);

	for (int i = 0; i < got.n; i++)
		ck_assert_msg(names_has(&want, got.v[i]),
			      "exported but not in the API or the map: %s",
			      got.v[i]);
	for (int i = 0; i < want.n; i++)
		ck_assert_msg(names_has(&got, want.v[i]),
			      "not exported: %s", want.v[i]);
	ck_assert_int_eq(got.n, want.n);
	free(map);
	tl_free(&p);
}
END_TEST

/* ---- dlsym ------------------------------------------------------------ */

START_TEST(test_dlsym_is_never_reached_by_a_tail_call)
{
	const char *objdump = tl_which("objdump");
	struct tl_proc p;
	char line[512];
	int calls = 0;

	if (objdump == NULL) {
		tl_skip(__func__, "objdump not found (Debian package binutils)");
		return;
	}
	tl_run(&p, NULL,
	       (const char *const[]){ objdump, "-d", "-j", ".text", shim(),
				      NULL });
	ck_assert_msg(p.status == 0, "objdump failed: %s", p.err);
	/* One pass over the lines: a sanitized build's text is large. */
	for (const char *at = p.out, *nl; *at; at = *nl ? nl + 1 : nl) {
		nl = strchrnul(at, '\n');
		snprintf(line, sizeof(line), "%.*s", (int)(nl - at), at);
		if (strstr(line, "dlsym") == NULL)
			continue;
		ck_assert_msg(strstr(line, "jmp") == NULL,
			      "tail call to dlsym: %s", line);
		if (strstr(line, "call"))
			calls++;
	}
	/* The binding code is there, and calls dlsym as a call. */
	ck_assert_int_ge(calls, 1);
	tl_free(&p);
}
END_TEST

/*
 * curl is an optimised (-O2) Debian build: preloaded, every wrapped call
 * reaches the real libc function, and the refusal is logged.
 */
START_TEST(test_optimised_program_works_preloaded)
{
	const char *curl = curl_or_skip(__func__);
	const char *log = tl_tmp("o2.log");
	int port = tl_closed_port(AF_INET);
	struct tl_proc p;
	char line[1024];

	if (curl == NULL)
		return;
	tl_run(&p,
	       (const char *const[]){ tl_str("LD_PRELOAD=%s", shim()),
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json", NULL },
	       (const char *const[]){ curl, "-sS", curl_url(AF_INET, port),
				      NULL });
	ck_assert_int_eq(p.status, CURL_COULDNT_CONNECT);
	ck_assert_str_eq(p.out, "");
	assert_one_event(log, "rst_received", "refused", "ECONNREFUSED",
			 endpoint(AF_INET, port), line, sizeof(line));
	tl_free(&p);
}
END_TEST

/* ---- early constructor ------------------------------------------------ */

/*
 * ld.so runs the initializers of preloaded libraries that do not depend
 * on each other from the last listed to the first: lib_early.so goes
 * last so that its constructor runs first.
 */
static const char *early_preload(void)
{
	return tl_str("LD_PRELOAD=%s %s", shim(), tl_path("tests/lib_early.so"));
}

/*
 * glibc 2.36 has no LD_DEBUG=init: the "calling init:" lines come with
 * LD_DEBUG=files.
 */
START_TEST(test_early_constructor_runs_before_shim_constructor)
{
	const char *early = tl_path("tests/lib_early.so");
	struct tl_proc p;
	long at_early, at_shim;

	tl_run(&p,
	       (const char *const[]){ early_preload(), "LD_DEBUG=files",
				      tl_str("EARLY_PORT=%d",
					  tl_closed_port(AF_INET)),
				      NULL },
	       (const char *const[]){ "/bin/true", NULL });
	ck_assert_int_eq(p.status, 0);
	at_early = offset_of(p.err, tl_str("calling init: %s\n", early));
	at_shim = offset_of(p.err, tl_str("calling init: %s\n", shim()));
	ck_assert_msg(at_early >= 0 && at_shim >= 0,
		      "no init lines for both libraries:\n%s", p.err);
	ck_assert_msg(at_early < at_shim,
		      "lib_early.so initialised after libtcpshim.so:\n%s",
		      p.err);
	ck_assert_str_eq(p.out, EARLY_OUTPUT);
	tl_free(&p);
}
END_TEST

START_TEST(test_early_constructor_calls_work_and_log_nothing)
{
	const char *log = tl_tmp("early.log");
	struct tl_proc p;

	tl_run(&p,
	       (const char *const[]){ early_preload(),
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json",
				      tl_str("EARLY_PORT=%d",
					  tl_closed_port(AF_INET)),
				      NULL },
	       (const char *const[]){ "/bin/true", NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, EARLY_OUTPUT);
	ck_assert_str_eq(p.err, "");
	ck_assert_msg(!exists(log), "the early refusal was logged:\n%s",
		      tl_slurp(log));
	tl_free(&p);
}
END_TEST

START_TEST(test_event_after_early_constructor_is_logged)
{
	const char *curl = curl_or_skip(__func__);
	const char *log = tl_tmp("after-early.log");
	int early_port = tl_closed_port(AF_INET);
	int port = tl_closed_port(AF_INET);
	struct tl_proc p;
	char line[1024];

	if (curl == NULL)
		return;
	tl_run(&p,
	       (const char *const[]){ early_preload(),
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json",
				      tl_str("EARLY_PORT=%d", early_port), NULL },
	       (const char *const[]){ curl, "-sS", curl_url(AF_INET, port),
				      NULL });
	ck_assert_int_eq(p.status, CURL_COULDNT_CONNECT);
	ck_assert_str_eq(p.out, EARLY_OUTPUT);
	/* curl's refusal, not the constructor's. */
	assert_one_event(log, "rst_received", "refused", "ECONNREFUSED",
			 endpoint(AF_INET, port), line, sizeof(line));
	tl_free(&p);
}
END_TEST

/* ---- loaded twice ----------------------------------------------------- */

/* A copy of the library under another name in another directory. */
static const char *twin(const char *name)
{
	const char *dir = tl_tmp("twin");
	const char *path = tl_str("%s/%s", dir, name);

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	copy_file(shim(), path);
	return path;
}

START_TEST(test_two_preloaded_copies_log_one_event)
{
	const char *curl = curl_or_skip(__func__);
	const char *log = tl_tmp("twice.log");
	int port = tl_closed_port(AF_INET);
	const char *copy;
	struct tl_proc p;
	char line[1024];

	if (curl == NULL)
		return;
	copy = twin("libtwin.so");
	tl_run(&p,
	       (const char *const[]){ tl_str("LD_PRELOAD=%s %s", shim(), copy),
				      "LD_DEBUG=files",
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json", NULL },
	       (const char *const[]){ curl, "-sS", curl_url(AF_INET, port),
				      NULL });
	ck_assert_int_eq(p.status, CURL_COULDNT_CONNECT);
	/* Both copies really are in the process. */
	ck_assert_msg(strstr(p.err, tl_str("calling init: %s\n", shim())) &&
			      strstr(p.err, tl_str("calling init: %s\n", copy)),
		      "not both copies initialised:\n%s", p.err);
	assert_one_event(log, "rst_received", "refused", "ECONNREFUSED",
			 endpoint(AF_INET, port), line, sizeof(line));
	tl_free(&p);
}
END_TEST

/*
 * prog_linked_events links libtcpshim.so.1; a copy is preloaded.  Each
 * event must reach the log once and the callback once.
 */
static void linked_with_preloaded_copy(const char *copy, int both_loaded)
{
	const char *log = tl_tmp("linked-twice.log");
	int port = tl_closed_port(AF_INET);
	struct tl_proc p;
	char *text;

	tl_run(&p,
	       (const char *const[]){ tl_str("LD_PRELOAD=%s", copy),
				      "LD_DEBUG=files",
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json", NULL },
	       (const char *const[]){ tl_path("tests/prog_linked_events"),
				      "events", tl_str("%d", port), NULL });
	ck_assert_msg(p.status == 0, "exit %d: %s", p.status, p.err);
	ck_assert(strstr(p.err, tl_str("calling init: %s\n", copy)) != NULL);
	if (both_loaded)
		ck_assert_msg(line_with_both(p.err, "calling init: ",
					     "/libtcpshim.so.1"),
			      "the linked library was not loaded:\n%s", p.err);
	ck_assert_int_eq(count_matching(p.out, "cb event=rst_received "
					       "cause=refused"), 1);
	ck_assert_int_eq(count_matching(p.out, "cb event=rst_sent "
					       "cause=abort"), 1);
	ck_assert_int_eq(count_matching(p.out, "cb "), 2);
	text = tl_slurp(log);
	ck_assert_msg(tl_count_lines(text) == 2, "log:\n%s", text);
	ck_assert_int_eq(count_matching(text, "\"cause\":\"refused\""), 1);
	ck_assert_int_eq(count_matching(text, "\"cause\":\"abort\""), 1);
	free(text);
	tl_free(&p);
}

/*
 * Same SONAME: ld.so lets the preloaded copy stand in for the linked
 * library, so one copy runs; still, each event once.
 */
START_TEST(test_linked_program_with_preloaded_copy_logs_once)
{
	linked_with_preloaded_copy(twin("libtwin.so"), 0);
}
END_TEST

/* Another SONAME: both copies load, and each event is still seen once. */
START_TEST(test_linked_program_and_renamed_copy_log_once)
{
	const char *copy = twin("libtwin.so");

	rename_soname(copy, "libtcpshim.so.1", '9');
	linked_with_preloaded_copy(copy, 1);
}
END_TEST

/* ---- real clients ----------------------------------------------------- */

static void curl_refused(int family)
{
	const char *curl = tl_which("curl");
	const char *log = tl_tmp("curl-refused.log");
	int port = tl_closed_port(family);
	const char *url = curl_url(family, port);
	struct tl_proc native, shimmed;
	char line[1024];

	tl_run(&native, NULL,
	       (const char *const[]){ curl, "-g", "-sS", url, NULL });
	ck_assert_int_eq(native.status, CURL_COULDNT_CONNECT);
	tl_run(&shimmed,
	       (const char *const[]){ tl_str("LD_PRELOAD=%s", shim()),
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json", NULL },
	       (const char *const[]){ curl, "-g", "-sS", url, NULL });
	ck_assert_int_eq(shimmed.status, native.status);
	ck_assert_str_eq(shimmed.out, "");
	assert_one_event(log, "rst_received", "refused", "ECONNREFUSED",
			 endpoint(family, port), line, sizeof(line));
	tl_free(&native);
	tl_free(&shimmed);
}

START_TEST(test_curl_refused_ipv4_exits_7_and_logs_refused)
{
	if (curl_or_skip(__func__) == NULL)
		return;
	curl_refused(AF_INET);
}
END_TEST

START_TEST(test_curl_refused_ipv6_exits_7_and_logs_refused)
{
	if (curl_or_skip(__func__) == NULL)
		return;
	if (!have_ipv6_loopback()) {
		tl_skip(__func__, "no IPv6 loopback (::1) here");
		return;
	}
	curl_refused(AF_INET6);
}
END_TEST

START_TEST(test_curl_reset_by_peer_exits_56_logs_peer_reset)
{
	if (tl_sanitized_skip(__func__, TL_CURL_SANITIZED))
		return;
	const char *curl = tl_which("curl");
	const char *python = tl_which("python3");
	const char *log = tl_tmp("curl-reset.log");
	struct tl_proc native, shimmed;
	struct peer peer;
	char line[1024];

	if (curl == NULL || python == NULL) {
		tl_skip(__func__, "curl or python3 not found (Debian packages "
				  "curl, python3)");
		return;
	}
	peer_start(&peer, python, 2);
	tl_run(&native, NULL,
	       (const char *const[]){ curl, "-sS", curl_url(AF_INET, peer.port),
				      NULL });
	tl_run(&shimmed,
	       (const char *const[]){ tl_str("LD_PRELOAD=%s", shim()),
				      tl_str("TCPSHIM_LOG=%s", log),
				      "TCPSHIM_FORMAT=json", NULL },
	       (const char *const[]){ curl, "-sS", curl_url(AF_INET, peer.port),
				      NULL });
	peer_finish(&peer);
	ck_assert_msg(native.status == CURL_RECV_ERROR, "native curl: %d %s",
		      native.status, native.err);
	ck_assert_int_eq(shimmed.status, native.status);
	ck_assert_str_eq(shimmed.out, "");
	assert_one_event(log, "rst_received", "peer_reset", "ECONNRESET",
			 endpoint(AF_INET, peer.port), line, sizeof(line));
	tl_free(&native);
	tl_free(&shimmed);
}
END_TEST

/* ---- hot path --------------------------------------------------------- */

/* The calls of one syscall in "strace -c -U name,calls" output. */
static long strace_calls(const char *summary, const char *name)
{
	char line[256];
	for (int i = 0; tl_line(summary, i, line, sizeof(line)); i++) {
		char sys[64];
		long calls;

		if (sscanf(line, "%63s %ld", sys, &calls) == 2 &&
		    strcmp(sys, name) == 0)
			return calls;
	}
	return 0;
}

/* How prog_hotpath runs: natively, preloaded, preloaded with settings,
 * preloaded with injection rules that arm none of its connections. */
enum hot_mode { HOT_NATIVE, HOT_PRELOADED, HOT_SETTINGS, HOT_INJECT };

static char *strace_prog(const char *strace, enum hot_mode mode, int n,
			 int churn)
{
	const char *out = tl_tmp("strace.txt");
	const char *argv[24];
	struct tl_proc p;
	int k = 0;

	argv[k++] = strace;
	argv[k++] = "-f";
	argv[k++] = "-c";
	argv[k++] = "-U";
	argv[k++] = "name,calls";
	argv[k++] = "-o";
	argv[k++] = out;
	/* Preload the program under test, not strace. */
	if (mode != HOT_NATIVE) {
		argv[k++] = "-E";
		argv[k++] = tl_str("LD_PRELOAD=%s", shim());
	}
	/* The settings that touch the most code: a policy on every
	 * socket, and a JSON log file (opened at the first event only). */
	if (mode == HOT_SETTINGS) {
		argv[k++] = "-E";
		argv[k++] = "TCPSHIM_KEEPALIVE=60,10,5";
		argv[k++] = "-E";
		argv[k++] = "TCPSHIM_FORMAT=json";
		argv[k++] = "-E";
		argv[k++] = tl_str("TCPSHIM_LOG=%s", tl_tmp("hotpath.json"));
	}
	if (mode == HOT_INJECT) {
		argv[k++] = "-E";
		argv[k++] = "TCPSHIM_INJECT=reset:peer=192.0.2.1,after_sent=1;"
			    "reset:peer=198.51.100.0/24";
	}
	argv[k++] = tl_path("tests/prog_hotpath");
	argv[k++] = tl_str("%d", n);
	if (churn)
		argv[k++] = "churn";
	argv[k] = NULL;
	tl_run(&p, NULL, argv);
	ck_assert_msg(p.status == 0, "strace prog_hotpath %d: exit %d: %s", n,
		      p.status, p.err);
	ck_assert_str_eq(p.out, mode != HOT_NATIVE ? "tcpshim loaded\n"
						   : "tcpshim not loaded\n");
	tl_free(&p);
	return tl_slurp(out);
}

static char *strace_hotpath(const char *strace, enum hot_mode mode, int n)
{
	return strace_prog(strace, mode, n, 0);
}

#define HOT_EXIT_SLACK 3

START_TEST(test_hot_path_adds_no_system_calls)
{
	if (tl_sanitized_skip(__func__, "it counts system calls, and a sanitizer runtime makes its own"))
		return;
	/* "total" is strace's sum over every system call: a call of a
	 * kind not named here fails the test too. */
	static const char *const watched[] = {
		"sendto", "recvfrom", "read", "write", "close", "getsockopt",
		"ioctl", "fstat", "newfstatat", "statx", "openat",
		"getsockname", "getpeername", "getpid", "fcntl", "total",
	};
	static const char *const how[] = { "preloaded",
					   "preloaded with settings",
					   "preloaded with injection rules" };
	const char *strace = tl_which("strace");
	char *native[2], *shimmed[3][2];

	if (strace == NULL) {
		tl_skip(__func__, "strace not found (Debian package strace)");
		return;
	}
	native[0] = strace_hotpath(strace, HOT_NATIVE, 1000);
	native[1] = strace_hotpath(strace, HOT_NATIVE, 2000);
	shimmed[0][0] = strace_hotpath(strace, HOT_PRELOADED, 1000);
	shimmed[0][1] = strace_hotpath(strace, HOT_PRELOADED, 2000);
	shimmed[1][0] = strace_hotpath(strace, HOT_SETTINGS, 1000);
	shimmed[1][1] = strace_hotpath(strace, HOT_SETTINGS, 2000);
	shimmed[2][0] = strace_hotpath(strace, HOT_INJECT, 1000);
	shimmed[2][1] = strace_hotpath(strace, HOT_INJECT, 2000);

	/* The measurement sees the loop: 1000 more of each. */
	ck_assert_int_eq(strace_calls(native[1], "sendto") -
			 strace_calls(native[0], "sendto"), 1000);
	for (int m = 0; m < 3; m++)
		for (size_t i = 0; i < sizeof(watched) / sizeof(*watched);
		     i++) {
			const char *s = watched[i];
			long want = strace_calls(native[1], s) -
				    strace_calls(native[0], s);
			long got = strace_calls(shimmed[m][1], s) -
				   strace_calls(shimmed[m][0], s);

			/* The cold path at exit (the verdicts on the
			 * connections still open) may make a call or two more
			 * or fewer, as a busy machine times it; one call on
			 * the hot path makes 1000 more. */
			ck_assert_msg(labs(got - want) <= HOT_EXIT_SLACK,
				      "%s: 1000 more iterations made %ld more "
				      "calls %s, %ld natively", s, got, how[m],
				      want);
		}
	for (int i = 0; i < 2; i++) {
		free(native[i]);
		for (int m = 0; m < 3; m++)
			free(shimmed[m][i]);
	}
}
END_TEST

/*
 * The last close of a healthy connection makes one system call of the
 * shim's: the TCP_INFO read that classifies it.  No getpid (the vfork
 * guard), no second look, nothing else; for 1000 connections more,
 * exactly 2000 getsockopt more (two ends), and otherwise what a native
 * run makes.
 */
START_TEST(test_last_close_makes_one_observation)
{
	if (tl_sanitized_skip(__func__, "it counts system calls, and a sanitizer runtime makes its own"))
		return;
	static const char *const watched[] = {
		"socket", "connect", "accept", "close", "getsockopt",
		"ioctl", "getsockname", "getpeername", "getpid", "fcntl",
		"total",
	};
	const char *strace = tl_which("strace");
	char *native[2], *shimmed[2];

	if (strace == NULL) {
		tl_skip(__func__, "strace not found (Debian package strace)");
		return;
	}
	native[0] = strace_prog(strace, HOT_NATIVE, 1000, 1);
	native[1] = strace_prog(strace, HOT_NATIVE, 2000, 1);
	shimmed[0] = strace_prog(strace, HOT_PRELOADED, 1000, 1);
	shimmed[1] = strace_prog(strace, HOT_PRELOADED, 2000, 1);
	ck_assert_int_eq(strace_calls(native[1], "connect") -
			 strace_calls(native[0], "connect"), 1000);
	for (size_t i = 0; i < sizeof(watched) / sizeof(*watched); i++) {
		const char *s = watched[i];
		long extra = strcmp(s, "getsockopt") == 0 ||
					     strcmp(s, "total") == 0
				     ? 2000
				     : 0;
		long want = strace_calls(native[1], s) -
			    strace_calls(native[0], s) + extra;
		long got = strace_calls(shimmed[1], s) -
			   strace_calls(shimmed[0], s);

		ck_assert_msg(got == want,
			      "%s: 1000 more connections made %ld more calls "
			      "preloaded, %ld expected", s, got, want);
	}
	for (int i = 0; i < 2; i++) {
		free(native[i]);
		free(shimmed[i]);
	}
}
END_TEST

/* ---- tcp_on_event ----------------------------------------------------- */

#define CB_REFUSED "cb event=rst_received cause=refused call=connect " \
		   "error=ECONNREFUSED\n"
#define CB_ABORT "cb event=rst_sent cause=abort call=tcp_abort error=0\n"

static void run_linked(struct tl_proc *p, const char *log_value,
		       const char *mode)
{
	tl_run(p,
	       (const char *const[]){ tl_str("TCPSHIM_LOG=%s", log_value),
				      "TCPSHIM_FORMAT=json", NULL },
	       (const char *const[]){ tl_path("tests/prog_linked_events"),
				      mode, tl_str("%d", tl_closed_port(AF_INET)),
				      NULL });
}

START_TEST(test_callback_receives_refused_connect_and_abort)
{
	const char *log = tl_tmp("cb.log");
	struct tl_proc p;
	char line[1024];
	char *text;

	run_linked(&p, log, "events");
	ck_assert_msg(p.status == 0, "exit %d: %s", p.status, p.err);
	ck_assert_str_eq(p.out, "tcp_on_event 0 0\n"
				CB_REFUSED
				"connect -1 ECONNREFUSED\n"
				CB_ABORT
				"tcp_abort 0 0\n");
	ck_assert_str_eq(p.err, "");
	/* The log got the same two events. */
	text = tl_slurp(log);
	ck_assert_msg(tl_count_lines(text) == 2, "log:\n%s", text);
	tl_line(text, 0, line, sizeof(line));
	TL_ASSERT_FIELD(line, "event", "rst_received");
	TL_ASSERT_FIELD(line, "cause", "refused");
	TL_ASSERT_FIELD(line, "call", "connect");
	TL_ASSERT_FIELD(line, "errno", "ECONNREFUSED");
	tl_line(text, 1, line, sizeof(line));
	TL_ASSERT_FIELD(line, "event", "rst_sent");
	TL_ASSERT_FIELD(line, "cause", "abort");
	TL_ASSERT_FIELD(line, "call", "tcp_abort");
	TL_ASSERT_FIELD(line, "errno", "null");
	free(text);
	tl_free(&p);
}
END_TEST

START_TEST(test_callback_still_called_with_log_off)
{
	struct tl_proc p;

	run_linked(&p, "off", "events");
	ck_assert_msg(p.status == 0, "exit %d: %s", p.status, p.err);
	ck_assert_str_eq(p.out, "tcp_on_event 0 0\n"
				CB_REFUSED
				"connect -1 ECONNREFUSED\n"
				CB_ABORT
				"tcp_abort 0 0\n");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

START_TEST(test_on_event_null_null_removes_callbacks)
{
	const char *log = tl_tmp("removed.log");
	struct tl_proc p;
	char *text;

	run_linked(&p, log, "removed");
	ck_assert_msg(p.status == 0, "exit %d: %s", p.status, p.err);
	ck_assert_str_eq(p.out, "tcp_on_event 0 0\n"
				"tcp_on_event(NULL, NULL) 0 0\n"
				"connect -1 ECONNREFUSED\n"
				"tcp_abort 0 0\n");
	/* Removing callbacks does not touch the log. */
	text = tl_slurp(log);
	ck_assert_msg(tl_count_lines(text) == 2, "log:\n%s", text);
	free(text);
	tl_free(&p);
}
END_TEST

START_TEST(test_on_event_einval_and_enomem_after_8)
{
	struct tl_proc p;

	tl_run(&p, NULL,
	       (const char *const[]){ tl_path("tests/prog_linked_events"),
				      "errors", NULL });
	ck_assert_msg(p.status == 0, "exit %d: %s", p.status, p.err);
	ck_assert_str_eq(p.out, "tcp_on_event(NULL, arg) -1 EINVAL\n"
				"register 1 0 0\n"
				"register 2 0 0\n"
				"register 3 0 0\n"
				"register 4 0 0\n"
				"register 5 0 0\n"
				"register 6 0 0\n"
				"register 7 0 0\n"
				"register 8 0 0\n"
				"register 9 -1 ENOMEM\n"
				"register 1 again 0 0\n"
				"tcp_on_event(NULL, NULL) 0 0\n"
				"register 9 after removal 0 0\n");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
}
END_TEST

static Suite *startup_suite(void)
{
	Suite *s = suite_create("startup");
	TCase *tc;

	tc = tcase_create("smoke");
	tcase_set_timeout(tc, NET_TIMEOUT);
	tcase_add_test(tc, test_preloaded_true_exits_0_and_prints_nothing);
	tcase_add_test(tc, test_preloaded_shell_echo_prints_exactly_hi);
	tcase_add_test(tc, test_log_file_not_created_without_an_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("exports");
	tcase_set_timeout(tc, NET_TIMEOUT);
	tcase_add_test(tc, test_exports_exactly_api_and_wrapped_libc_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("dlsym");
	tcase_set_timeout(tc, NET_TIMEOUT);
	tcase_add_test(tc, test_dlsym_is_never_reached_by_a_tail_call);
	tcase_add_test(tc, test_optimised_program_works_preloaded);
	suite_add_tcase(s, tc);

	tc = tcase_create("early");
	tcase_set_timeout(tc, NET_TIMEOUT);
	tcase_add_test(tc, test_early_constructor_runs_before_shim_constructor);
	tcase_add_test(tc, test_early_constructor_calls_work_and_log_nothing);
	tcase_add_test(tc, test_event_after_early_constructor_is_logged);
	suite_add_tcase(s, tc);

	tc = tcase_create("twice");
	tcase_set_timeout(tc, NET_TIMEOUT);
	tcase_add_test(tc, test_two_preloaded_copies_log_one_event);
	tcase_add_test(tc, test_linked_program_with_preloaded_copy_logs_once);
	tcase_add_test(tc, test_linked_program_and_renamed_copy_log_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("clients");
	tcase_set_timeout(tc, NET_TIMEOUT);
	tcase_add_test(tc, test_curl_refused_ipv4_exits_7_and_logs_refused);
	tcase_add_test(tc, test_curl_refused_ipv6_exits_7_and_logs_refused);
	tcase_add_test(tc, test_curl_reset_by_peer_exits_56_logs_peer_reset);
	suite_add_tcase(s, tc);

	tc = tcase_create("hotpath");
	tcase_set_timeout(tc, STRACE_TIMEOUT);
	tcase_add_test(tc, test_hot_path_adds_no_system_calls);
	tcase_add_test(tc, test_last_close_makes_one_observation);
	suite_add_tcase(s, tc);

	tc = tcase_create("callbacks");
	tcase_set_timeout(tc, NET_TIMEOUT);
	tcase_add_test(tc, test_callback_receives_refused_connect_and_abort);
	tcase_add_test(tc, test_callback_still_called_with_log_off);
	tcase_add_test(tc, test_on_event_null_null_removes_callbacks);
	tcase_add_test(tc, test_on_event_einval_and_enomem_after_8);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return tl_main(startup_suite());
}
