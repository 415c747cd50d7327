/*
 * service_check.c - the program a unit's ExecStart= runs, as the dynamic
 * loader will see it: whether it will take LD_PRELOAD (service_check.h).
 */
#include "cmd/service_check.h"

#include <elf.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

int service_yes(const char *v)
{
	return v != NULL && (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
			     strcmp(v, "on") == 0 || strcmp(v, "1") == 0);
}

void service_warn(const struct unit *u, const char *fmt, const char *a,
		  const char *b)
{
	fprintf(stderr, "tcpshim service: warning: %s: ", u->name);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

void service_env_words(const char *v, void (*fn)(const char *, void *),
		       void *ctx)
{
	size_t len = strlen(v);
	char *word = malloc(len + 1);

	if (word == NULL)
		return;
	while (*v != '\0') {
		size_t n = 0;
		char quote = 0;

		while (*v == ' ' || *v == '\t' || *v == '\n')
			v++;
		if (*v == '\0')
			break;
		for (; *v != '\0'; v++) {
			if (quote == 0 && (*v == ' ' || *v == '\t'))
				break;
			if (quote == 0 && (*v == '"' || *v == '\''))
				quote = *v;
			else if (quote != 0 && *v == quote)
				quote = 0;
			else if (*v == '\\' && v[1] != '\0' && quote != '\'')
				word[n++] = *++v;
			else
				word[n++] = *v;
		}
		word[n] = '\0';
		fn(word, ctx);
	}
	free(word);
}

static void first_word(const char *word, void *ctx)
{
	char *out = ctx;

	if (out[0] == '\0')
		snprintf(out, PATH_MAX, "%s", word);
}

/* The first command of ExecStart=, after the last empty assignment. */
static int exec_start(const struct unit *u, char *cmd)
{
	const char *v = NULL;

	for (long i = unit_next(u, "ExecStart", 0); i >= 0;
	     i = unit_next(u, "ExecStart", (size_t)i + 1))
		if (u->set[i].value[0] == '\0' || v == NULL)
			v = u->set[i].value[0] == '\0' ? NULL : u->set[i].value;
	cmd[0] = '\0';
	if (v == NULL)
		return -1;
	v += strspn(v, "@-:+!");
	service_env_words(v, first_word, cmd);
	return cmd[0] != '\0' ? 0 : -1;
}

/* A name without a '/' is looked for where systemd looks. */
static int find_program(const struct unit *u, const char *cmd, char *path,
			char *rooted)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin",
					    "/usr/sbin", "/usr/bin", "/sbin",
					    "/bin" };

	for (size_t i = 0; i < (cmd[0] == '/' ? 1 : 6); i++) {
		if (cmd[0] == '/')
			snprintf(path, PATH_MAX, "%s", cmd);
		else
			snprintf(path, PATH_MAX, "%s/%s", dirs[i], cmd);
		if (unit_rooted(u->root, path, rooted, PATH_MAX) == 0 &&
		    access(rooted, F_OK) == 0)
			return 0;
	}
	return -1;
}

/* 1 when the ELF file has a program interpreter (dynamically linked),
 * 0 when it has none (static), -1 when it is not ELF. */
static int has_interp(int fd)
{
	unsigned char id[EI_NIDENT];
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;
	size_t off, num, size;

	if (pread(fd, id, sizeof(id), 0) != (ssize_t)sizeof(id) ||
	    memcmp(id, ELFMAG, SELFMAG) != 0)
		return -1;
	if (id[EI_CLASS] == ELFCLASS64 &&
	    pread(fd, &e64, sizeof(e64), 0) == (ssize_t)sizeof(e64)) {
		off = e64.e_phoff, num = e64.e_phnum, size = e64.e_phentsize;
	} else if (id[EI_CLASS] == ELFCLASS32 &&
		   pread(fd, &e32, sizeof(e32), 0) == (ssize_t)sizeof(e32)) {
		off = e32.e_phoff, num = e32.e_phnum, size = e32.e_phentsize;
	} else {
		return -1;
	}
	for (size_t i = 0; i < num && i < 256; i++) {
		uint32_t type;

		/* p_type is the first word of either class's header. */
		if (pread(fd, &type, sizeof(type), (off_t)(off + i * size)) !=
		    (ssize_t)sizeof(type))
			return -1;
		if (type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* A User= or Group= value: a number, or a name looked up; the nobody
 * user's 65534 when it cannot be (DynamicUser=, a name not here). */
static unsigned int id_of(const char *v, int group)
{
	char *end;
	unsigned long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtoul(v, &end, 10);
	if (*end == '\0')
		return (unsigned int)n;
	if (group) {
		struct group *gr = getgrnam(v);

		return gr != NULL ? gr->gr_gid : 65534;
	}
	struct passwd *pw = getpwnam(v);

	return pw != NULL ? pw->pw_uid : 65534;
}

/* The service's user and group: User=, Group=, DynamicUser=; root by
 * default, and the user's own group when only User= is set. */
static void service_ids(const struct unit *u, uid_t *uid, gid_t *gid)
{
	const char *user = unit_last(u, "User"), *group = unit_last(u, "Group");
	const char *dyn = unit_last(u, "DynamicUser");
	struct passwd *pw;

	*uid = id_of(user, 0);
	*gid = 0;
	if (user != NULL && *uid != 0)
		*gid = (pw = getpwuid(*uid)) != NULL ? pw->pw_gid : 65534;
	if (service_yes(dyn))
		*uid = *gid = 65534;
	if (group != NULL && *group != '\0')
		*gid = id_of(group, 1);
}

/* NoNewPrivileges= (set, or implied by DynamicUser=): exec then grants
 * no user or group, so a setuid or setgid bit does not put the loader
 * in secure mode. */
static int no_new_privileges(const struct unit *u)
{
	return service_yes(unit_last(u, "NoNewPrivileges")) ||
	       service_yes(unit_last(u, "DynamicUser"));
}

/* Why the loader ignores LD_PRELOAD for the file, or NULL. */
static const char *unpreloadable(const struct unit *u, const char *rooted)
{
	struct stat st;
	uid_t uid;
	gid_t gid;
	int fd, interp;

	fd = open(rooted, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	interp = has_interp(fd);
	close(fd);
	service_ids(u, &uid, &gid);
	if (interp == 0)
		return "is statically linked: no dynamic loader runs for it to "
		       "read LD_PRELOAD (tcpshim watch sees its resets)";
	/* Under NoNewPrivileges= the setuid and setgid bits grant nothing;
	 * file capabilities still put the loader in secure mode. */
	if ((st.st_mode & S_ISUID) && st.st_uid != uid && !no_new_privileges(u))
		return "is setuid: the loader ignores LD_PRELOAD when a program "
		       "changes its user";
	if ((st.st_mode & S_ISGID) && st.st_gid != gid && !no_new_privileges(u))
		return "is setgid: the loader ignores LD_PRELOAD when a program "
		       "changes its group";
	if (uid != 0 && getxattr(rooted, "security.capability", NULL, 0) > 0)
		return "has file capabilities: the loader ignores LD_PRELOAD "
		       "for a program that gains privilege";
	return NULL;
}

int service_check_program(const struct unit *u)
{
	char cmd[PATH_MAX], path[PATH_MAX], rooted[PATH_MAX], head[256];
	const char *why;
	ssize_t n;
	int fd;

	if (exec_start(u, cmd) != 0) {
		fprintf(stderr, "tcpshim service: %s has no ExecStart= to run "
			"under tcpshim\n", u->name);
		return -1;
	}
	if (find_program(u, cmd, path, rooted) != 0) {
		service_warn(u, "its program %s was not found%s: whether it can be "
		     "preloaded is not known", cmd, "");
		return 0;
	}
	/* A script: the loader preloads into its interpreter. */
	fd = open(rooted, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, head, sizeof(head) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 2 && head[0] == '#' && head[1] == '!') {
		char interp[PATH_MAX] = "";

		head[n] = '\0';
		head[strcspn(head, "\n")] = '\0';
		service_env_words(head + 2, first_word, interp);
		if (interp[0] == '/' &&
		    find_program(u, interp, path, rooted) != 0)
			return 0;
	}
	why = unpreloadable(u, rooted);
	if (why == NULL)
		return 0;
	fprintf(stderr, "tcpshim service: refusing %s: its program %s %s; "
		"nothing written\n", u->name, path, why);
	return -1;
}
