/*
 * service.c - tcpshim service SERVICE [options] [--print | --remove]
 * [--root DIR]: the drop-in /etc/systemd/system/SERVICE.service.d/
 * tcpshim.conf that runs the service under tcpshim.
 *
 * The options are those of "tcpshim [options] -- command" (options.c),
 * each an Environment= line; TCPSHIM_LOG is journal unless --log says
 * otherwise, since a service's stderr may go nowhere and its file
 * system may be read-only.  LD_PRELOAD keeps what the unit and its other
 * drop-ins set (jemalloc, say) and adds the library after it.  The unit
 * is read from its files (service_unit.c), not from a running systemd;
 * a program the loader will not preload into is refused, and sandbox
 * settings that cut tcpshim off are warned about (service_check.c).
 */
#include "cmd/service.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/options.h"
#include "cmd/service_check.h"
#include "cmd/service_unit.h"
#include "core/config.h"

static void usage(FILE *out)
{
	fputs("usage: tcpshim service SERVICE [options] [--print | --remove] "
	      "[--root DIR]\n"
	      "Run a systemd service under tcpshim: write the drop-in\n"
	      "/etc/systemd/system/SERVICE.service.d/" SERVICE_DROPIN " that "
	      "preloads the library\nwith these options (logging to the "
	      "journal unless --log is given).\n\n"
	      "  --print                        show the drop-in, write "
	      "nothing\n"
	      "  --remove                       take the drop-in away\n"
	      "  --root DIR                     the unit files under DIR "
	      "(an image, a container)\n",
	      out);
	options_usage(out);
}

/* The drop-in's Environment= assignments, in order. */
static char *env_text;
static int log_given;
static char log_value[PATH_MAX] = "journal";

/* value into p, for inside an Environment= line's double quotes: '"'
 * and '\\' escaped, control characters written as C escapes (which
 * systemd undoes), so that no value ends the line; '%' doubled when
 * percent is set (systemd expands specifiers), kept when value comes
 * from a unit file, whose specifiers are to stay.  Returns the end. */
static char *put_escaped(char *p, const char *value, int percent)
{
	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		if (*v < 0x20 || *v == 0x7f) {
			p += sprintf(p, "\\x%02x", *v);
			continue;
		}
		if (*v == '"' || *v == '\\' || (*v == '%' && percent))
			*p++ = *v == '%' ? '%' : '\\';
		*p++ = (char)*v;
	}
	return p;
}

/* One Environment="NAME=KEPT:VALUE" line: kept (a unit's own value, its
 * specifiers kept), then value. */
static void add_env_after(const char *name, const char *kept,
			  const char *value)
{
	size_t len = strlen(env_text ? env_text : "");
	size_t need = len + 4 * (strlen(name) + strlen(kept) + strlen(value)) + 32;
	char *p, *t = realloc(env_text, need);

	if (t == NULL) {
		fputs("tcpshim: out of memory\n", stderr);
		exit(1);
	}
	env_text = t;
	p = t + len;
	p += sprintf(p, "Environment=\"%s=", name);
	p = put_escaped(p, kept, 0);
	p = put_escaped(p, value, 1);
	strcpy(p, "\"\n");
}

static void add_env(const char *name, const char *value, void *ctx)
{
	(void)ctx;
	add_env_after(name, "", value);
	if (strcmp(name, ENV_LOG) == 0) {
		log_given = 1;
		snprintf(log_value, sizeof(log_value), "%s", value);
	}
}

static const struct options_target service_target = {
	.set = add_env, .help = usage, .see = "tcpshim service --help",
};

/* LD_PRELOAD as the unit and its other drop-ins leave it. */
static char *preload;

static void preload_word(const char *word, void *ctx)
{
	(void)ctx;
	if (strncmp(word, "LD_PRELOAD=", 11) == 0) {
		free(preload);
		preload = strdup(word + 11);
	}
}

static void preload_before(const struct unit *u)
{
	for (long i = unit_next(u, "Environment", 0);
	     i >= 0 && (size_t)i < u->nbefore;
	     i = unit_next(u, "Environment", (size_t)i + 1)) {
		if (u->set[i].value[0] == '\0') {
			free(preload);
			preload = NULL;
		}
		service_env_words(u->set[i].value, preload_word, NULL);
	}
}

/* The options as given, for the drop-in's first lines. */
static char given[1024];

static void note_given(int argc, char **argv)
{
	size_t used = 0;

	for (int i = 1; i < argc && used < sizeof(given); i++)
		used += (size_t)snprintf(given + used, sizeof(given) - used,
					 " %s", argv[i]);
	/* A comment line stays one line. */
	for (char *c = given; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* The drop-in: LD_PRELOAD first, then the options' variables. */
static char *dropin_text(const struct unit *u)
{
	char *text = NULL, *vars = env_text, *pre;
	const char *old;

	preload_before(u);
	old = preload != NULL ? preload : "";
	env_text = NULL;
	if (strstr(old, TCPSHIM_LIBRARY) != NULL)
		add_env_after("LD_PRELOAD", old, "");
	else if (*old != '\0')
		add_env_after("LD_PRELOAD", old, ":" TCPSHIM_LIBRARY);
	else
		add_env_after("LD_PRELOAD", "", TCPSHIM_LIBRARY);
	pre = env_text;
	env_text = vars;
	if (asprintf(&text,
		     "# Written by tcpshim service: runs %s under tcpshim%s%s.\n"
		     "# Take it away with: tcpshim service %s --remove\n"
		     "[Service]\n%s%s",
		     u->name, given[0] ? ", options" : "", given, u->name, pre,
		     env_text ? env_text : "") < 0)
		text = NULL;
	free(pre);
	return text;
}

/* Under --root, a directory must be inside root: a symbolic link in an
 * image must not lead a write out of it.  0, or -1 with errno EXDEV
 * (or realpath's). */
static int inside_root(const char *root, const char *dir)
{
	char real_root[PATH_MAX], real_dir[PATH_MAX];
	size_t n;

	if (*root == '\0')
		return 0;
	if (realpath(root, real_root) == NULL || realpath(dir, real_dir) == NULL)
		return -1;
	n = strlen(real_root);
	if (n == 1) /* the root is / */
		return 0;
	if (strncmp(real_dir, real_root, n) != 0 ||
	    (real_dir[n] != '/' && real_dir[n] != '\0')) {
		errno = EXDEV;
		return -1;
	}
	return 0;
}

/* mkdir -p, each directory checked to be inside root before the next
 * is made in it. */
static int make_dirs(const char *root, char *dir)
{
	size_t skip = strlen(root);

	for (char *s = strchr(dir + skip + 1, '/');; s = strchr(s + 1, '/')) {
		if (s != NULL)
			*s = '\0';
		int made = mkdir(dir, 0755) == 0 || errno == EEXIST;
		int inside = made && inside_root(root, dir) == 0;

		if (s == NULL)
			return inside ? 0 : -1;
		*s = '/';
		if (!inside)
			return -1;
	}
}

/* Written whole to a new file of its own (O_EXCL: never through a link
 * planted there), then renamed over the drop-in. */
static int write_dropin(const char *root, const char *path, const char *text)
{
	char dir[PATH_MAX * 2], tmp[PATH_MAX * 2 + 32];
	size_t len = strlen(text), done = 0;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, SERVICE_DROPIN);
	if (make_dirs(root, dir) != 0 || (fd = mkstemp(tmp)) < 0)
		return -1;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			break;
		}
		done += (size_t)w;
	}
	int ok = done == len && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
	int e = errno;

	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && rename(tmp, path) == 0)
		return 0;
	if (ok)
		e = errno;
	unlink(tmp);
	errno = e;
	return -1;
}

static void next_steps(const struct unit *u)
{
	printf("Now run: systemctl daemon-reload && systemctl restart %s\n",
	       u->name);
}

static int remove_dropin(const struct unit *u, const char *root)
{
	char path[PATH_MAX * 2], *slash;

	snprintf(path, sizeof(path), "%s%s", root, u->dropin);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (inside_root(root, path) != 0 && errno == EXDEV) {
		fprintf(stderr, "tcpshim service: %s leads out of %s: not "
			"touched\n", path, root);
		return 1;
	}
	*slash = '/';
	if (unlink(path) != 0) {
		if (errno == ENOENT) {
			printf("tcpshim service: %s has no tcpshim drop-in "
			       "(%s): nothing to remove\n", u->name, u->dropin);
			return 0;
		}
		fprintf(stderr, "tcpshim service: cannot remove %s: %s\n",
			path, strerror(errno));
		return 1;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	rmdir(path); /* only if nothing else is in it */
	printf("tcpshim service: removed %s\n", u->dropin);
	next_steps(u);
	return 0;
}

int service_main(int argc, char **argv)
{
	static const char *const own[] = { "--print", "--remove", "--root" };
	char err[PATH_MAX + 128], **rest, *text;
	const char *root = "", *name;
	int print = 0, remove = 0, nrest = 1;
	struct unit u;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	name = argv[1];
	if (name[0] == '-')
		options_fail(&service_target, "the service comes first: "
			     "tcpshim service SERVICE [options]");
	/* Its own options out, the run options left for options_take. */
	rest = calloc((size_t)argc + 1, sizeof(char *));
	if (rest == NULL)
		return 1;
	rest[0] = argv[0];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], own[0]) == 0)
			print = 1;
		else if (strcmp(argv[i], own[1]) == 0)
			remove = 1;
		else if (strcmp(argv[i], own[2]) == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strncmp(argv[i], "--root=", 7) == 0)
			root = argv[i] + 7;
		else
			rest[nrest++] = argv[i];
	}
	if (print && remove)
		options_fail(&service_target, "--print and --remove together");
	if (*root != '\0') {
		struct stat st;

		if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
			options_fail(&service_target, "--root %s: not a directory",
				     root);
		if (strcmp(root, "/") == 0)
			root = "";
	}
	optind = 1;
	if (options_take(nrest, rest, &service_target) == 0)
		return 0;
	if (optind < nrest)
		options_fail(&service_target, "unexpected '%s'", rest[optind]);
	if (remove && nrest > 1)
		options_fail(&service_target, "--remove takes no options");
	options_finish(&service_target);
	note_given(nrest, rest);
	if (!log_given)
		add_env(ENV_LOG, "journal", NULL);
	/* A drop-in is taken away even when its unit is gone. */
	if (unit_load(&u, root, name, err, sizeof(err)) != 0 &&
	    (!remove || u.dropin[0] == '\0')) {
		fprintf(stderr, "tcpshim service: %s\n", err);
		return 1;
	}
	if (remove)
		return remove_dropin(&u, root);
	if (service_check_program(&u) != 0)
		return 1;
	service_check_sandbox(&u, log_value);
	text = dropin_text(&u);
	if (text == NULL)
		return 1;
	if (print) {
		fputs(text, stdout);
		return 0;
	}
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s%s", root, u.dropin);
	if (write_dropin(root, path, text) != 0) {
		if (errno == EXDEV)
			fprintf(stderr, "tcpshim service: %s leads out of %s (a "
				"symbolic link): not written\n", path, root);
		else
			fprintf(stderr, "tcpshim service: cannot write %s: %s\n",
				path, strerror(errno));
		return 1;
	}
	printf("tcpshim service: wrote %s\n", u.dropin);
	next_steps(&u);
	return 0;
}
