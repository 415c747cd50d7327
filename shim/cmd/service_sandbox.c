/*
 * service_sandbox.c - a unit's sandbox settings that would cut tcpshim
 * off from what it uses (service_check.h): address families, the system
 * call filter, the log's path, its own root, and settings that replace
 * the drop-in's LD_PRELOAD.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/service_check.h"
#include "cmd/service_syscalls.h"

/* RestrictAddressFamilies=, as systemd reads it: does it let family by? */
struct families {
	const char *family;
	int mode; /* 0 unrestricted, 1 allow list, -1 deny list */
	int invert, listed;
};

static void family_word(const char *word, void *ctx)
{
	struct families *f = ctx;

	if (strcmp(word, f->family) == 0)
		f->listed = f->invert == (f->mode < 0);
}

static int family_allowed(const struct unit *u, const char *family)
{
	struct families f = { family, 0, 0, 0 };

	for (long i = unit_next(u, "RestrictAddressFamilies", 0); i >= 0;
	     i = unit_next(u, "RestrictAddressFamilies", (size_t)i + 1)) {
		const char *v = u->set[i].value;

		if (*v == '\0') {
			f.mode = f.listed = 0;
			continue;
		}
		if (strcmp(v, "none") == 0) {
			f.mode = 1;
			f.listed = 0;
			continue;
		}
		f.invert = *v == '~';
		if (f.mode == 0)
			f.mode = f.invert ? -1 : 1;
		service_env_words(v + f.invert, family_word, &f);
	}
	return f.mode == 0 || f.listed == (f.mode > 0);
}

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Is path below one of the (space-separated, "-" or "+" led) paths
 * that key's assignments name? */
struct listed_path {
	const char *path;
	const char *prefix; /* NULL, or the directory names are under */
	int found;
};

/* A path (ReadWritePaths=, with its "-" or "+"), or a name under the
 * prefix (LogsDirectory=nginx is /var/log/nginx; "name:link" too). */
static void path_word(const char *word, void *ctx)
{
	struct listed_path *p = ctx;
	char full[PATH_MAX];

	word += strspn(word, "-+");
	if (p->prefix == NULL) {
		p->found |= under(p->path, word);
		return;
	}
	snprintf(full, sizeof(full), "%s/%.*s", p->prefix,
		 (int)strcspn(word, ":"), word);
	p->found |= under(p->path, full);
}

static int path_listed(const struct unit *u, const char *key,
		       const char *prefix, const char *path)
{
	struct listed_path p = { path, prefix, 0 };

	for (long i = unit_next(u, key, 0); i >= 0 && !p.found;
	     i = unit_next(u, key, (size_t)i + 1))
		service_env_words(u->set[i].value, path_word, &p);
	return p.found;
}

/* A file log under the unit's file system sandbox. */
static void check_log_path(const struct unit *u, const char *log)
{
	const char *ps = unit_last(u, "ProtectSystem");
	int strict = (ps != NULL && strcmp(ps, "strict") == 0) ||
		     service_yes(unit_last(u, "DynamicUser"));
	/* DynamicUser= implies PrivateTmp= and ProtectSystem=strict. */
	int private_tmp = service_yes(unit_last(u, "PrivateTmp")) ||
			  service_yes(unit_last(u, "DynamicUser"));
	int writable = path_listed(u, "ReadWritePaths", NULL, log) ||
		       path_listed(u, "LogsDirectory", "/var/log", log) ||
		       path_listed(u, "StateDirectory", "/var/lib", log) ||
		       path_listed(u, "CacheDirectory", "/var/cache", log) ||
		       path_listed(u, "RuntimeDirectory", "/run", log) ||
		       (private_tmp && (under(log, "/tmp") || under(log, "/var/tmp")));

	if (private_tmp &&
	    (under(log, "/tmp") || under(log, "/var/tmp")))
		service_warn(u, "PrivateTmp= gives it a /tmp of its own: the log %s is "
		     "there, not in the host's /tmp, and goes when it stops%s",
		     log, "");
	if (!writable &&
	    (strict || path_listed(u, "ReadOnlyPaths", NULL, log) ||
	     (ps != NULL && (service_yes(ps) || strcmp(ps, "full") == 0) &&
	      (under(log, "/usr") || under(log, "/boot") ||
	       (strcmp(ps, "full") == 0 && under(log, "/etc"))))))
		service_warn(u, "the log %s is read-only for it (ProtectSystem=, "
		     "ReadOnlyPaths=); add its directory to ReadWritePaths= or "
		     "LogsDirectory=, or log to the journal%s", log, "");
	const char *ph = unit_last(u, "ProtectHome");
	if (ph != NULL && strcmp(ph, "no") != 0 && strcmp(ph, "false") != 0 &&
	    (under(log, "/home") || under(log, "/root") ||
	     under(log, "/run/user")))
		service_warn(u, "ProtectHome= hides the log's directory %s from it%s",
		     log, "");
}

static void preload_in_file(const char *word, void *ctx)
{
	if (strncmp(word, "LD_PRELOAD=", 11) == 0)
		*(int *)ctx = 1;
}

void service_check_sandbox(const struct unit *u, const char *log)
{
	char denied[512], rooted[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (!family_allowed(u, "AF_NETLINK"))
		service_warn(u, "RestrictAddressFamilies= leaves out AF_NETLINK: "
		     "tcpshim cannot ask the kernel (sock_diag) whether a close "
		     "sent its reset, so such resets are logged unconfirmed%s%s",
		     "", "");
	if ((strcmp(log, "journal") == 0 || strcmp(log, "syslog") == 0) &&
	    !family_allowed(u, "AF_UNIX"))
		service_warn(u, "RestrictAddressFamilies= leaves out AF_UNIX: the %s "
		     "cannot be reached, and events go to stderr%s", log, "");
	if (service_syscalls_denied(u, denied, sizeof(denied)) != 0)
		service_warn(u, "SystemCallFilter= could not be checked "
		     "(systemd-analyze syscall-filter did not run)%s%s", "", "");
	else if (denied[0] != '\0')
		service_warn(u, "SystemCallFilter= denies system calls tcpshim makes "
		     "(%s): the service would %s", denied,
		     unit_last(u, "SystemCallErrorNumber") != NULL
			     ? "see them fail"
			     : "be killed at the first one");
	if (log[0] == '/')
		check_log_path(u, log);
	if (unit_last(u, "RootDirectory") != NULL ||
	    unit_last(u, "RootImage") != NULL)
		service_warn(u, "it runs in a root directory or image of its own: "
		     "the library must be at the same path (%s) there%s",
		     TCPSHIM_LIBRARY, "");
	if (u->preload_after != NULL)
		service_warn(u, "%s, read after tcpshim's drop-in, sets LD_PRELOAD and "
		     "replaces tcpshim's%s", u->preload_after, "");
	/* The files after the last empty EnvironmentFile=, which resets. */
	long first = unit_next(u, "EnvironmentFile", 0);
	for (long i = first; i >= 0;
	     i = unit_next(u, "EnvironmentFile", (size_t)i + 1))
		if (u->set[i].value[0] == '\0')
			first = i;
	for (long i = first; i >= 0;
	     i = unit_next(u, "EnvironmentFile", (size_t)i + 1)) {
		const char *file = u->set[i].value;
		int sets = 0;

		file += *file == '-';
		if (*file == '\0' ||
		    unit_rooted(u->root, file, rooted, sizeof(rooted)) != 0 ||
		    (f = fopen(rooted, "re")) == NULL)
			continue;
		while (getline(&line, &cap, f) >= 0) {
			const char *l = line + strspn(line, " \t");

			if (*l != '#' && *l != ';')
				service_env_words(l, preload_in_file, &sets);
		}
		fclose(f);
		if (sets)
			service_warn(u, "its EnvironmentFile %s sets LD_PRELOAD, which "
			     "takes precedence over Environment=: add %s there",
			     file, TCPSHIM_LIBRARY);
	}
	free(line);
}
