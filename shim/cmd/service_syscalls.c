/*
 * service_syscalls.c - SystemCallFilter= against the system calls tcpshim
 * makes (service_syscalls.h).  systemd's rules: the first non-empty
 * assignment decides the kind of list ("~" a deny list, else an allow
 * list, to which @default is added); later ones add to it, or with the
 * other kind take away from it; an empty assignment starts over.
 */
#include "cmd/service_syscalls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/service_check.h"

/*
 * What the library itself calls, beyond what a program that uses TCP
 * calls anyway: the socket's state and options, sock_diag over netlink,
 * the log (journal or syslog datagrams, or a file, and its state), the
 * descriptor scan at start-up, and the signal handling around SIGPIPE.
 */
static const char *const shim_calls[] = {
	"getsockopt", "setsockopt", "getsockname", "getpeername", "socket",
	"connect", "sendto", "recvfrom", "sendmsg", "shutdown", "close",
	"fcntl", "openat", "fstat", "newfstatat", "getdents64", "prlimit64",
	"ppoll", "getpid", "write", "writev", "rt_sigprocmask",
	"rt_sigtimedwait", "rt_tgsigqueueinfo",
};
#define SHIM_CALLS (sizeof(shim_calls) / sizeof(shim_calls[0]))

/* A list of names; the groups' lines as systemd-analyze prints them. */
struct names {
	char **v;
	size_t n;
};

static void names_add(struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return;
	s->v = realloc(s->v, (s->n + 1) * sizeof(char *));
	if (s->v == NULL || (s->v[s->n] = strdup(name)) == NULL) {
		fputs("tcpshim: out of memory\n", stderr);
		exit(1);
	}
	s->n++;
}

static int names_has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

static void names_del(struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			return;
		}
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* "@group" then its members indented, one a line ("# ..." a comment). */
static struct names groups;

static int load_groups(void)
{
	FILE *p = popen("systemd-analyze syscall-filter --no-pager "
			"2>/dev/null", "r");
	char *line = NULL, group[64] = "";
	size_t cap = 0;

	if (p == NULL)
		return -1;
	while (getline(&line, &cap, p) >= 0) {
		char entry[192], word[128];

		if (line[0] == '@' && sscanf(line, "%63s", group) == 1)
			continue;
		if (group[0] != '\0' && sscanf(line, " %127s", word) == 1 &&
		    word[0] != '#') {
			snprintf(entry, sizeof(entry), "%s %s", group, word);
			names_add(&groups, entry);
		}
	}
	free(line);
	return pclose(p) == 0 && groups.n > 0 ? 0 : -1;
}

/* name, or every member of @group (its groups too), to or from set. */
static void apply(struct names *set, const char *name, int add, int depth)
{
	size_t len = strlen(name);

	if (name[0] != '@') {
		char bare[128];

		/* "write:EPERM": the call, with its own error number. */
		snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(name, ":"),
			 name);
		(add ? names_add : names_del)(set, bare);
		return;
	}
	if (depth > 8)
		return;
	for (size_t i = 0; i < groups.n; i++)
		if (strncmp(groups.v[i], name, len) == 0 &&
		    groups.v[i][len] == ' ')
			apply(set, groups.v[i] + len + 1, add, depth + 1);
}

struct filter {
	struct names set;
	int mode; /* 0 none yet, 1 allow list, -1 deny list */
	int invert;
};

static void filter_word(const char *word, void *ctx)
{
	struct filter *f = ctx;

	/* In an allow list, an allowed name is added; in a deny list, a
	 * denied one; the other kind takes names away. */
	apply(&f->set, word, f->invert == (f->mode < 0), 0);
}

int service_syscalls_denied(const struct unit *u, char *out, size_t len)
{
	struct filter f = { { NULL, 0 }, 0, 0 };
	size_t used = 0;

	out[0] = '\0';
	if (unit_last(u, "SystemCallFilter") == NULL)
		return 0;
	if (groups.n == 0 && load_groups() != 0)
		return -1;
	for (long i = unit_next(u, "SystemCallFilter", 0); i >= 0;
	     i = unit_next(u, "SystemCallFilter", (size_t)i + 1)) {
		const char *v = u->set[i].value;

		if (*v == '\0') {
			names_free(&f.set);
			f.mode = 0;
			continue;
		}
		f.invert = *v == '~';
		if (f.mode == 0) {
			f.mode = f.invert ? -1 : 1;
			if (f.mode > 0)
				apply(&f.set, "@default", 1, 0);
		}
		service_env_words(v + f.invert, filter_word, &f);
	}
	for (size_t i = 0; i < SHIM_CALLS && f.mode != 0; i++) {
		int in = names_has(&f.set, shim_calls[i]);

		if (in == (f.mode < 0) && used + strlen(shim_calls[i]) + 2 < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s",
						 used ? " " : "", shim_calls[i]);
	}
	names_free(&f.set);
	return 0;
}
