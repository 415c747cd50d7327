/*
 * preload.c - what the command does before it execs a program: adds the
 * library to LD_PRELOAD, and says when the dynamic loader will ignore
 * it for that program.
 */
#include "cmd/preload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The file execvp would run, for the setuid check; NULL if not found. */
static char *resolve(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *p;

		if (asprintf(&p, "%s/%s", *dir ? dir : ".", cmd) < 0)
			break;
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

/*
 * The dynamic loader ignores LD_PRELOAD in secure-execution mode: when
 * exec changes the user or group (a setuid or setgid file not owned by
 * the caller's user or group) or grants file capabilities.  Name the file
 * then, or the user waits for a log that cannot come.
 */
void preload_warn_if_secure(const char *cmd)
{
	char *file = resolve(cmd);
	const char *why = NULL;
	struct stat st;

	if (file == NULL || stat(file, &st) != 0) {
		free(file);
		return;
	}
	if ((st.st_mode & S_ISUID) && st.st_uid != getuid())
		why = "is setuid";
	else if ((st.st_mode & S_ISGID) && st.st_gid != getgid())
		why = "is setgid";
	else if (getuid() != 0 &&
		 getxattr(file, "security.capability", NULL, 0) > 0)
		why = "has file capabilities";
	if (why != NULL)
		fprintf(stderr,
			"tcpshim: warning: %s %s: the dynamic loader ignores "
			"LD_PRELOAD for it, so nothing will be logged\n",
			file, why);
	free(file);
}

int preload_add(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;

	if (old == NULL || *old == '\0') {
		setenv("LD_PRELOAD", lib, 1);
		return 0;
	}
	if (asprintf(&val, "%s:%s", old, lib) < 0)
		return -1;
	setenv("LD_PRELOAD", val, 1);
	free(val);
	return 0;
}
