/*
 * service_unit.c - a systemd service read from its files (service_unit.h):
 * the unit paths searched in systemd's order of precedence, the unit
 * file (a template's, for an instance), then the drop-ins of every
 * directory that applies (NAME.d, the template's, the prefixes' "a-.d",
 * service.d), a name in a directory of higher precedence hiding the same
 * name below, all read in the order of their file names.
 */
#include "cmd/service_unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The system unit paths, highest precedence first. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system.control", "/run/systemd/system.control",
	"/run/systemd/transient",      "/run/systemd/generator.early",
	"/etc/systemd/system",         "/etc/systemd/system.attached",
	"/run/systemd/system",         "/run/systemd/system.attached",
	"/run/systemd/generator",      "/usr/local/lib/systemd/system",
	"/lib/systemd/system",         "/usr/lib/systemd/system",
	"/run/systemd/generator.late",
};
#define UNIT_DIRS (sizeof(unit_dirs) / sizeof(unit_dirs[0]))

int unit_rooted(const char *root, const char *path, char *buf, size_t len)
{
	char cur[PATH_MAX], link[PATH_MAX];
	struct stat st;

	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
		return -1;
	for (int hops = 0; hops < 16; hops++) {
		ssize_t n;

		if (snprintf(buf, len, "%s%s", root, cur) >= (int)len)
			return -1;
		if (lstat(buf, &st) != 0 || !S_ISLNK(st.st_mode))
			return 0;
		n = readlink(buf, link, sizeof(link) - 1);
		if (n < 0)
			return 0;
		link[n] = '\0';
		if (link[0] == '/') {
			memcpy(cur, link, (size_t)n + 1);
		} else {
			char *slash = strrchr(cur, '/');
			char joined[PATH_MAX];

			*slash = '\0';
			if (snprintf(joined, sizeof(joined), "%s/%s", cur,
				     link) >= (int)sizeof(joined))
				return -1;
			memcpy(cur, joined, sizeof(cur));
		}
	}
	errno = ELOOP;
	return -1;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		fputs("tcpshim: out of memory\n", stderr);
		exit(1);
	}
	return d;
}

static void add_setting(struct unit *u, const char *key, const char *value,
			const char *file)
{
	struct unit_setting *n = realloc(u->set, (u->nset + 1) * sizeof(*n));

	if (n == NULL) {
		fputs("tcpshim: out of memory\n", stderr);
		exit(1);
	}
	u->set = n;
	n[u->nset++] = (struct unit_setting){ xstrdup(key), xstrdup(value),
					      file };
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The [Service] assignments of one file, in order; continuation lines
 * (a trailing backslash) joined with a space, as systemd joins them;
 * comment lines between them skipped, as systemd skips them. */
static int read_file(struct unit *u, const char *file)
{
	char rooted[PATH_MAX], *line = NULL, *whole = NULL;
	size_t cap = 0, wlen = 0;
	int in_service = 0;
	FILE *f;

	if (unit_rooted(u->root, file, rooted, sizeof(rooted)) != 0 ||
	    (f = fopen(rooted, "re")) == NULL)
		return -1;
	while (getline(&line, &cap, f) >= 0) {
		char *l = trim(line), *eq;
		size_t n = strlen(l), slashes = 0;
		int more;

		/* A comment is skipped, inside a continued line too; an odd
		 * run of backslashes at the end continues the line (an even
		 * one is escaped backslashes). */
		if (*l == '#' || *l == ';')
			continue;
		while (slashes < n && l[n - 1 - slashes] == '\\')
			slashes++;
		more = slashes % 2 == 1;
		if (more)
			l[--n] = ' ';
		whole = realloc(whole, wlen + n + 1);
		if (whole == NULL)
			break;
		memcpy(whole + wlen, l, n + 1);
		wlen += n;
		if (more)
			continue;
		l = trim(whole);
		if (*l == '[')
			in_service = strcmp(l, "[Service]") == 0;
		else if (in_service && (eq = strchr(l, '=')) != NULL) {
			*eq = '\0';
			add_setting(u, trim(l), trim(eq + 1), file);
		}
		free(whole);
		whole = NULL;
		wlen = 0;
	}
	free(whole);
	free(line);
	fclose(f);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int c = strcmp(strrchr(x, '/'), strrchr(y, '/'));

	return c != 0 ? c : strcmp(x, y);
}

/* Add the *.conf of DIR/SUB.d that no file of the same name above hid. */
static void collect(struct unit *u, const char *dir, const char *sub)
{
	char path[PATH_MAX], rooted[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s.d", dir, sub);
	if (unit_rooted(u->root, path, rooted, sizeof(rooted)) != 0 ||
	    (d = opendir(rooted)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name), i;
		char *full;

		if (n < 6 || strcmp(e->d_name + n - 5, ".conf") != 0)
			continue;
		for (i = 0; i < u->nfiles; i++)
			if (strcmp(strrchr(u->files[i], '/') + 1, e->d_name) == 0)
				break;
		if (i < u->nfiles)
			continue;
		if (asprintf(&full, "%s/%s", path, e->d_name) < 0)
			break;
		u->files = realloc(u->files, (u->nfiles + 1) * sizeof(char *));
		if (u->files == NULL)
			exit(1);
		u->files[u->nfiles++] = full;
	}
	closedir(d);
}

/* "nginx" is nginx.service; an instance's template is "a@.service". */
static int unit_name(struct unit *u, const char *service, char *tmpl,
		     size_t len, char *err, size_t errlen)
{
	const char *dot = strrchr(service, '.');
	char *at;

	if (*service == '\0' || strchr(service, '/') != NULL ||
	    (dot != NULL && strcmp(dot, ".service") != 0 &&
	     strchr(dot, '@') == NULL)) {
		snprintf(err, errlen, "'%s' is not a service name (as nginx "
			 "or nginx.service)", service);
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s%s", service,
		 dot != NULL && strcmp(dot, ".service") == 0 ? "" : ".service");
	tmpl[0] = '\0';
	if ((at = strchr(u->name, '@')) != NULL && at[1] != '.')
		snprintf(tmpl, len, "%.*s@.service", (int)(at - u->name),
			 u->name);
	return 0;
}

int unit_load(struct unit *u, const char *root, const char *service,
	      char *err, size_t errlen)
{
	char tmpl[256], alias[256] = "", rooted[PATH_MAX], link[PATH_MAX];
	const char *found = NULL;
	struct stat st;

	memset(u, 0, sizeof(*u));
	u->root = root;
	if (unit_name(u, service, tmpl, sizeof(tmpl), err, errlen) != 0)
		return -1;
	snprintf(u->dropin, sizeof(u->dropin), "/etc/systemd/system/%s.d/%s",
		 u->name, SERVICE_DROPIN);
	for (size_t i = 0; i < UNIT_DIRS && found == NULL; i++)
		for (int t = 0; t < 2 && found == NULL; t++) {
			const char *n = t == 0 ? u->name : tmpl;

			if (*n == '\0')
				continue;
			snprintf(u->path, sizeof(u->path), "%s/%s",
				 unit_dirs[i], n);
			snprintf(rooted, sizeof(rooted), "%s%s", root, u->path);
			if (lstat(rooted, &st) == 0)
				found = u->path;
		}
	if (found == NULL) {
		snprintf(err, errlen, "no unit %s in %s/etc/systemd/system, "
			 "/lib/systemd/system or the other unit paths",
			 u->name, root);
		return -1;
	}
	ssize_t n = readlink(rooted, link, sizeof(link) - 1);
	if ((n == 9 && memcmp(link, "/dev/null", 9) == 0) ||
	    (n < 0 && stat(rooted, &st) == 0 && S_ISCHR(st.st_mode))) {
		snprintf(err, errlen, "%s is masked (%s links to /dev/null)",
			 u->name, u->path);
		return -1;
	}
	/* An alias (sshd.service, a link to ssh.service): the drop-ins of
	 * the name it links to apply too. */
	if (n > 0) {
		const char *base;

		link[n] = '\0';
		base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
		if (strcmp(base, u->name) != 0 && strcmp(base, tmpl) != 0)
			snprintf(alias, sizeof(alias), "%.*s",
				 (int)sizeof(alias) - 1, base);
	}
	if (read_file(u, u->path) != 0) {
		snprintf(err, errlen, "cannot read %s%s: %s", root, u->path,
			 strerror(errno));
		return -1;
	}
	/* Drop-in directories: the unit's own, its template's, those of
	 * each prefix ending in '-' ("a-b-c": a-, a-b-), and service.d. */
	for (size_t i = 0; i < UNIT_DIRS; i++) {
		char prefix[256];

		collect(u, unit_dirs[i], u->name);
		if (alias[0] != '\0')
			collect(u, unit_dirs[i], alias);
		if (tmpl[0] != '\0')
			collect(u, unit_dirs[i], tmpl);
		for (const char *d = strchr(u->name, '-'); d != NULL;
		     d = strchr(d + 1, '-')) {
			snprintf(prefix, sizeof(prefix), "%.*s-.service",
				 (int)(d - u->name), u->name);
			collect(u, unit_dirs[i], prefix);
		}
		collect(u, unit_dirs[i], "service");
	}
	qsort(u->files, u->nfiles, sizeof(char *), by_name);
	u->nbefore = u->nset;
	for (size_t i = 0; i < u->nfiles; i++) {
		size_t before = u->nset;
		int after = by_name(&u->files[i],
				    &(const char *){ u->dropin }) > 0;

		if (strcmp(u->files[i], u->dropin) == 0)
			continue;
		read_file(u, u->files[i]);
		if (!after)
			u->nbefore = u->nset;
		else
			for (size_t k = before; k < u->nset; k++)
				if (strcmp(u->set[k].key, "Environment") == 0 &&
				    strstr(u->set[k].value, "LD_PRELOAD=") != NULL)
					u->preload_after = u->files[i];
	}
	return 0;
}

const char *unit_last(const struct unit *u, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < u->nset; i++)
		if (strcmp(u->set[i].key, key) == 0)
			v = u->set[i].value;
	return v;
}

long unit_next(const struct unit *u, const char *key, size_t i)
{
	for (; i < u->nset; i++)
		if (strcmp(u->set[i].key, key) == 0)
			return (long)i;
	return -1;
}
