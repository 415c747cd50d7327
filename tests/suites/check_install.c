/*
 * check_install - "make install" as a packager and a user run it: a
 * staged install (DESTDIR, PREFIX=/usr) holds exactly the library with
 * its soname links, the header, tcpshim.pc, the wrapper and the man
 * pages; a C program builds and links against the stage with nothing
 * but pkg-config; the installed wrapper preloads the installed library;
 * uninstall removes exactly what install put there; every man page
 * renders without a groff warning.
 *
 * make runs in the source tree with a build directory of its own (B=),
 * so the tree's build/ is left as make check built it.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "tcpshim.h"

/* What install puts under DESTDIR with PREFIX=/usr, sorted. */
static const char *const installed[] = {
	"usr/bin/tcpshim",
	"usr/include/tcpshim.h",
	"usr/lib/libtcpshim.so",
	"usr/lib/libtcpshim.so.1",
	"usr/lib/libtcpshim.so.1.0.0",
	"usr/lib/pkgconfig/tcpshim.pc",
	"usr/lib/systemd/system/tcpshim-watch.service",
	"usr/share/man/man1/tcpshim-watch.1",
	"usr/share/man/man1/tcpshim.1",
	"usr/share/man/man3/tcp_abort.3",
	"usr/share/man/man3/tcp_keepalive.3",
	"usr/share/man/man3/tcp_on_event.3",
	"usr/share/man/man3/tcp_peer_status.3",
	"usr/share/man/man3/tcp_user_timeout.3",
	"usr/share/man/man3/tcpshim.3",
};
#define N_INSTALLED (sizeof(installed) / sizeof(*installed))

/* Set once by the fixture, before the tests fork. */
static const char *src;		/* the source tree */
static const char *bdir;	/* make's build directory for these tests */
static const char *stage;	/* DESTDIR of the shared staged install */
static const char *why_not;	/* set: the tests skip, saying this */

/*
 * make TARGET in the source tree, with our own build directory.  The
 * make check that runs us leaves its MAKEFLAGS in the environment: drop
 * them, so that this make is what a user would type.
 */
static void run_make(struct tl_proc *p, const char *destdir,
		     const char *prefix, const char *target)
{
	tl_run(p, NULL,
	       (const char *const[]){ tl_which("env"), "-u", "MAKEFLAGS",
				      "-u", "MFLAGS", "-u", "MAKELEVEL",
				      tl_which("make"), "-s", "-j2", "-C",
				      src, tl_str("B=%s", bdir),
				      tl_str("DESTDIR=%s", destdir),
				      tl_str("PREFIX=%s", prefix),
				      "LDCONFIG=true", target, NULL });
}

static void staged_install(void)
{
	char real[PATH_MAX];
	struct tl_proc p;

	if (!tl_have("make")) {
		why_not = "make not found (Debian package make)";
		return;
	}
	if (!tl_have("cc")) {
		why_not = "cc not found (Debian package gcc)";
		return;
	}
	ck_assert_ptr_nonnull(realpath(tl_str("%s/..", tl_build()), real));
	src = tl_str("%s", real);
	bdir = tl_tmp("build");
	stage = tl_tmp("stage");
	run_make(&p, stage, "/usr", "install");
	ck_assert_msg(p.status == 0, "make install failed:\n%s%s", p.out,
		      p.err);
	tl_free(&p);
}

#define NEED_STAGE() do { \
	if (why_not != NULL) { \
		tl_skip(__func__, why_not); \
		return; \
	} \
} while (0)

/* Every file and symlink under root, relative to it, sorted. */
static char *found[64];
static int nfound;
static size_t root_len;

static int collect(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_D && type != FTW_DP && nfound < 64)
		found[nfound++] = strdup(path + root_len + 1);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_files(const char *root)
{
	for (int i = 0; i < nfound; i++)
		free(found[i]);
	nfound = 0;
	root_len = strlen(root);
	ck_assert_int_eq(nftw(root, collect, 16, FTW_PHYS), 0);
	qsort(found, (size_t)nfound, sizeof(*found), by_name);
	return nfound;
}

static void assert_link(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	ck_assert_msg(n > 0, "%s is not a symlink", path);
	buf[n] = '\0';
	ck_assert_str_eq(buf, target);
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_msg(S_ISREG(st.st_mode), "%s is not a file", path);
	ck_assert_int_eq(st.st_mode & 07777, mode);
}

START_TEST(staged_install_holds_every_file)
{
	const char *lib;
	char *a, *b;
	struct tl_proc p;
	char line[1024];

	NEED_STAGE();
	ck_assert_int_eq(list_files(stage), (int)N_INSTALLED);
	for (size_t i = 0; i < N_INSTALLED; i++)
		ck_assert_str_eq(found[i], installed[i]);

	lib = tl_str("%s/usr/lib", stage);
	assert_mode(tl_str("%s/libtcpshim.so.1.0.0", lib), 0644);
	assert_link(tl_str("%s/libtcpshim.so.1", lib), "libtcpshim.so.1.0.0");
	assert_link(tl_str("%s/libtcpshim.so", lib), "libtcpshim.so.1.0.0");
	assert_mode(tl_str("%s/usr/bin/tcpshim", stage), 0755);
	assert_mode(tl_str("%s/usr/include/tcpshim.h", stage), 0644);
	assert_mode(tl_str("%s/usr/share/man/man3/tcp_abort.3", stage), 0644);

	if (tl_have("readelf")) {
		tl_run(&p, NULL, (const char *const[]){
			       tl_which("readelf"), "-d",
			       tl_str("%s/libtcpshim.so.1.0.0", lib), NULL });
		ck_assert_int_eq(p.status, 0);
		ck_assert_msg(strstr(p.out, "Library soname: "
					    "[libtcpshim.so.1]") != NULL,
			      "%s", p.out);
		tl_free(&p);
	}

	a = tl_slurp(tl_str("%s/include/tcpshim.h", src));
	b = tl_slurp(tl_str("%s/usr/include/tcpshim.h", stage));
	ck_assert_str_eq(a, b);
	free(a);
	free(b);

	a = tl_slurp(tl_str("%s/pkgconfig/tcpshim.pc", lib));
	ck_assert_ptr_nonnull(strstr(a, "\nprefix=/usr\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nlibdir=${prefix}/lib\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nincludedir=${prefix}/include\n"));
	ck_assert_ptr_nonnull(
		strstr(a, "\npreload=${libdir}/libtcpshim.so.1\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nVersion: " TCPSHIM_VERSION "\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nCflags: -I${includedir}\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nLibs: -L${libdir} -ltcpshim\n"));
	free(a);

	/* The watch unit runs the installed command. */
	a = tl_slurp(tl_str("%s/usr/lib/systemd/system/tcpshim-watch.service",
			    stage));
	ck_assert_ptr_nonnull(strstr(
		a, "\nExecStart=/usr/bin/tcpshim watch --log journal "
		   "--events all,summary\n"));
	free(a);

	/* The installed wrapper preloads the installed path, not build/. */
	tl_run(&p, NULL, (const char *const[]){
		       tl_str("%s/usr/bin/tcpshim", stage), "--",
		       tl_which("env"), NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_ptr_nonnull(tl_find_line(p.out, "LD_PRELOAD=", line,
					   sizeof(line)));
	ck_assert_str_eq(line, "LD_PRELOAD=/usr/lib/libtcpshim.so.1");
	tl_free(&p);
}
END_TEST

static const char linked_prog[] =
	"#include <errno.h>\n"
	"#include <stdio.h>\n"
	"#include <string.h>\n"
	"#include <sys/socket.h>\n"
	"#include <tcpshim.h>\n"
	"\n"
	"int main(void)\n"
	"{\n"
	"\tint udp = socket(AF_INET, SOCK_DGRAM, 0);\n"
	"\tint r = tcp_abort(-1);\n"
	"\tint e = errno;\n"
	"\n"
	"\tprintf(\"tcp_abort %d %s\\n\", r, e == EBADF ? \"EBADF\" : "
	"strerror(e));\n"
	"\tr = tcp_keepalive(udp, 60, 10, 5);\n"
	"\te = errno;\n"
	"\tprintf(\"tcp_keepalive %d %s\\n\", r, e == EOPNOTSUPP ? "
	"\"EOPNOTSUPP\" : strerror(e));\n"
	"\tprintf(\"version %s\\n\", TCPSHIM_VERSION);\n"
	"\treturn 0;\n"
	"}\n";

/* "sh -c script" with the stage as pkg-config's world. */
static void run_pkg_config(struct tl_proc *p, const char *script,
			   const char *arg1, const char *arg2)
{
	tl_run(p, NULL,
	       (const char *const[]){
		       tl_which("env"),
		       tl_str("PKG_CONFIG_PATH=%s/usr/lib/pkgconfig", stage),
		       tl_str("PKG_CONFIG_SYSROOT_DIR=%s", stage), "/bin/sh",
		       "-c", script, "sh", arg1, arg2, NULL });
}

START_TEST(program_builds_and_links_with_pkg_config_alone)
{
	const char *csrc = tl_tmp("linked.c"), *exe = tl_tmp("linked");
	struct tl_proc p;
	FILE *f;

	NEED_STAGE();
	if (!tl_have("pkg-config")) {
		tl_skip(__func__, "pkg-config not found (Debian package "
				  "pkg-config)");
		return;
	}
	f = fopen(csrc, "w");
	ck_assert_ptr_nonnull(f);
	fputs(linked_prog, f);
	fclose(f);

	run_pkg_config(&p, "exec cc -Wall -Werror -o \"$1\" \"$2\" "
			   "$(pkg-config --cflags --libs tcpshim)",
		       exe, csrc);
	ck_assert_msg(p.status == 0, "cc failed:\n%s%s", p.out, p.err);
	tl_free(&p);

	/* Run against the staged library, found by its soname. */
	tl_run(&p, NULL, (const char *const[]){
		       tl_which("env"),
		       tl_str("LD_LIBRARY_PATH=%s/usr/lib", stage), exe,
		       NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "tcp_abort -1 EBADF\n"
				"tcp_keepalive -1 EOPNOTSUPP\n"
				"version " TCPSHIM_VERSION "\n");
	ck_assert_str_eq(p.err, "");
	tl_free(&p);
	if (tl_have("readelf")) {
		tl_run(&p, NULL, (const char *const[]){ tl_which("readelf"),
							"-d", exe, NULL });
		ck_assert_msg(strstr(p.out, "Shared library: "
					    "[libtcpshim.so.1]") != NULL,
			      "%s", p.out);
		tl_free(&p);
	}

	run_pkg_config(&p, "pkg-config --modversion tcpshim && "
			   "pkg-config --variable=preload tcpshim", NULL,
		       NULL);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out,
			 tl_str(TCPSHIM_VERSION "\n%s/usr/lib/libtcpshim.so.1\n",
				stage));
	tl_free(&p);
}
END_TEST

/* The preload variable is what a preloader needs: a refused curl,
 * preloaded with it, logs the event. */
START_TEST(pkg_config_preload_variable_preloads_the_library)
{
	const char *curl = tl_which("curl");
	const char *log = tl_tmp("preload.log");
	int port = tl_closed_port(AF_INET);
	struct tl_proc p;
	char line[1024];
	char *text;

	NEED_STAGE();
	if (curl == NULL || !tl_have("pkg-config")) {
		tl_skip(__func__, "curl or pkg-config not found (Debian "
				  "packages curl, pkg-config)");
		return;
	}
	run_pkg_config(&p, "LD_PRELOAD=$(pkg-config --variable=preload "
			   "tcpshim) TCPSHIM_FORMAT=json TCPSHIM_LOG=\"$1\" "
			   "exec curl -sS \"$2\"",
		       log, tl_str("http://127.0.0.1:%d/", port));
	ck_assert_int_eq(p.status, 7);
	tl_free(&p);
	text = tl_slurp(log);
	TL_ONE_LINE(text, line);
	TL_ASSERT_FIELD(line, "cause", "refused");
	free(text);
}
END_TEST

/*
 * Installed for real into a prefix of its own (no DESTDIR): the installed
 * tcpshim runs curl with the installed library, and its report reads the
 * log; then uninstall leaves no file there.
 */
START_TEST(installed_wrapper_runs_curl_with_the_installed_library)
{
	const char *curl = tl_which("curl");
	const char *prefix = tl_tmp("prefix");
	const char *log = tl_tmp("installed.log");
	int port = tl_closed_port(AF_INET);
	struct tl_proc p;
	char line[1024];
	char *text;

	NEED_STAGE();
	if (curl == NULL) {
		tl_skip(__func__, "curl not found (Debian package curl)");
		return;
	}
	run_make(&p, "", prefix, "install");
	ck_assert_msg(p.status == 0, "make install failed:\n%s%s", p.out,
		      p.err);
	tl_free(&p);

	tl_run(&p, NULL, (const char *const[]){
		       tl_str("%s/bin/tcpshim", prefix), "--json", "--log",
		       log, "--", curl, "-sS",
		       tl_str("http://127.0.0.1:%d/", port), NULL });
	ck_assert_int_eq(p.status, 7);
	tl_free(&p);
	text = tl_slurp(log);
	TL_ONE_LINE(text, line);
	TL_ASSERT_FIELD(line, "event", "rst_received");
	TL_ASSERT_FIELD(line, "cause", "refused");
	free(text);

	tl_run(&p, NULL, (const char *const[]){
		       tl_str("%s/bin/tcpshim", prefix), "report", log, NULL });
	ck_assert_int_eq(p.status, 0);
	ck_assert_msg(strstr(p.out, "  refused  the connection request of "
				    "pid ") != NULL, "%s", p.out);
	ck_assert_msg(strstr(p.out, "\n1 connection, 1 event, 0 notices\n"),
		      "%s", p.out);
	tl_free(&p);

	run_make(&p, "", prefix, "uninstall");
	ck_assert_int_eq(p.status, 0);
	tl_free(&p);
	ck_assert_int_eq(list_files(prefix), 0);
}
END_TEST

START_TEST(uninstall_removes_exactly_what_install_put_there)
{
	const char *dest = tl_tmp("stage2");
	const char *others[] = { "usr/lib/libother.so.1",
				 "usr/share/man/man1/other.1" };
	struct tl_proc p;

	NEED_STAGE();
	/* Files that were there before, in the directories install uses. */
	for (int i = 0; i < 2; i++) {
		const char *path = tl_str("%s/%s", dest, others[i]);
		struct tl_proc mk;
		FILE *f;

		tl_run(&mk, NULL, (const char *const[]){
			       tl_which("mkdir"), "-p",
			       tl_str("%.*s", (int)(strrchr(path, '/') - path),
				      path), NULL });
		ck_assert_int_eq(mk.status, 0);
		tl_free(&mk);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fclose(f);
	}
	/* Twice: installing over an install works. */
	for (int i = 0; i < 2; i++) {
		run_make(&p, dest, "/usr", "install");
		ck_assert_msg(p.status == 0, "%s%s", p.out, p.err);
		tl_free(&p);
	}
	ck_assert_int_eq(list_files(dest), (int)N_INSTALLED + 2);

	run_make(&p, dest, "/usr", "uninstall");
	ck_assert_msg(p.status == 0, "%s%s", p.out, p.err);
	tl_free(&p);
	ck_assert_int_eq(list_files(dest), 2);
	ck_assert_str_eq(found[0], others[0]);
	ck_assert_str_eq(found[1], others[1]);
}
END_TEST

static const char *const pages[] = {
	"man1/tcpshim.1", "man3/tcpshim.3", "man3/tcp_abort.3",
};
/* Pages that are .so links to tcpshim(3), and a word each must show. */
static const char *const linked_pages[][2] = {
	{ "tcp_keepalive", "   tcp_keepalive()\n" },
	{ "tcp_user_timeout", "   tcp_user_timeout()\n" },
	{ "tcp_peer_status", "   tcp_peer_status()\n" },
	{ "tcp_on_event", "   tcp_on_event()\n" },
};

START_TEST(man_pages_render_without_warnings)
{
	const char *groff = tl_which("groff"), *man = tl_which("man");
	const char *mandir;
	struct tl_proc p;

	NEED_STAGE();
	if (groff == NULL || man == NULL) {
		tl_skip(__func__, groff == NULL
					  ? "groff not found (Debian package "
					    "groff-base)"
					  : "man not found (Debian package "
					    "man-db)");
		return;
	}
	mandir = tl_str("%s/usr/share/man", stage);
	for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++) {
		const char *page = tl_str("%s/%s", mandir, pages[i]);
		const char *name = strchr(pages[i], '/') + 1;
		char head[128];

		/* Every warning groff has, on. */
		tl_run(&p, NULL, (const char *const[]){ groff, "-ww", "-man",
							"-Tutf8", "-z", page,
							NULL });
		ck_assert_int_eq(p.status, 0);
		ck_assert_msg(strcmp(p.err, "") == 0, "%s: %s", page, p.err);
		tl_free(&p);

		tl_run(&p, NULL, (const char *const[]){
			       tl_which("env"), "MANWIDTH=80",
			       "MAN_DISABLE_SECCOMP=1", "LC_ALL=C", man,
			       "--warnings=w", "-l", page, NULL });
		ck_assert_int_eq(p.status, 0);
		ck_assert_msg(strcmp(p.err, "") == 0, "%s: %s", page, p.err);
		/* TCPSHIM(1), TCP_ABORT(3): the page's own title. */
		snprintf(head, sizeof(head), "%.*s(%c)",
			 (int)(strrchr(name, '.') - name), name,
			 strrchr(name, '.')[1]);
		for (char *c = head; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		ck_assert_msg(strncmp(p.out, head, strlen(head)) == 0,
			      "%s: %.200s", page, p.out);
		ck_assert_msg(strstr(p.out, "\nNAME\n") != NULL, "%s", page);
		tl_free(&p);

		/* The footer names the version being installed. */
		char *roff = tl_slurp(page);

		ck_assert_msg(strstr(roff, "\"tcpshim " TCPSHIM_VERSION "\"")
				      != NULL,
			      "%s: not version " TCPSHIM_VERSION, page);
		free(roff);
	}
	/* man tcp_keepalive finds tcpshim(3) through its .so link. */
	for (size_t i = 0; i < sizeof(linked_pages) / sizeof(*linked_pages);
	     i++) {
		tl_run(&p, NULL, (const char *const[]){
			       tl_which("env"), "MANWIDTH=80",
			       "MAN_DISABLE_SECCOMP=1", "LC_ALL=C", man,
			       "--warnings=w", "-M", mandir, "3",
			       linked_pages[i][0], NULL });
		ck_assert_msg(p.status == 0, "man %s: %s", linked_pages[i][0],
			      p.err);
		ck_assert_str_eq(p.err, "");
		ck_assert_msg(strncmp(p.out, "TCPSHIM(3)", 10) == 0, "%.200s",
			      p.out);
		ck_assert_msg(strstr(p.out, linked_pages[i][1]) != NULL,
			      "man %s", linked_pages[i][0]);
		tl_free(&p);
	}
}
END_TEST

Suite *install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("staged");

	/* One build and staged install for the whole case. */
	tcase_add_unchecked_fixture(tc, staged_install, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, staged_install_holds_every_file);
	tcase_add_test(tc, program_builds_and_links_with_pkg_config_alone);
	tcase_add_test(tc, pkg_config_preload_variable_preloads_the_library);
	tcase_add_test(tc,
		       installed_wrapper_runs_curl_with_the_installed_library);
	tcase_add_test(tc, uninstall_removes_exactly_what_install_put_there);
	tcase_add_test(tc, man_pages_render_without_warnings);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_main(install_suite());
}
