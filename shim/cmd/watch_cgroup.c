/*
 * watch_cgroup.c - the cgroup of a reset's owner, as a path in the
 * cgroup v2 hierarchy (/system.slice/nginx.service, /machine.slice/
 * libpod-ID.scope, /docker/ID), and --unit's test on it.
 *
 * The kernel side gives cgroup ids: of the owner, when it checked that
 * the owner still holds the socket; of the task that sent the reset (the
 * owner, when its close did it); and of the socket, where it was made.
 * An owner found in /proc has its path read from /proc/PID/cgroup.  An
 * id becomes a path through a walk of the hierarchy (a cgroup directory's
 * inode number is its id), remembered; ids not found are walked for
 * again at most once a second, so that a storm of resets from cgroups
 * already removed costs no more than that.
 */
#include "cmd/watch.h"

#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Remembered ids; when full, forgotten all at once. */
#define WATCH_CGROUP_SLOTS 4096
#define WATCH_CGROUP_WALK_NS 1000000000LL

struct watch_cgroup_slot {
	uint64_t id;
	char *path;
};

static struct watch_cgroup_slot watch_cgroup_table[WATCH_CGROUP_SLOTS];
static int watch_cgroup_used;
static char watch_cgroup_mount[PATH_MAX];
static size_t watch_cgroup_mount_len;
static long long watch_cgroup_walked = -WATCH_CGROUP_WALK_NS;

/* The cgroup v2 mount, from /proc/self/mountinfo: "... MOUNTPOINT ...
 * - cgroup2 ...". */
int watch_cgroup_init(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], point[PATH_MAX];

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *dash = strstr(line, " - cgroup2 ");

		if (dash != NULL &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) {
			strcpy(watch_cgroup_mount, point);
			watch_cgroup_mount_len = strlen(point);
			break;
		}
	}
	fclose(f);
	return watch_cgroup_mount_len > 0 ? 0 : -1;
}

static struct watch_cgroup_slot *watch_cgroup_slot(uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull >> 52) %
		   WATCH_CGROUP_SLOTS;

	while (watch_cgroup_table[i].id != 0 && watch_cgroup_table[i].id != id)
		i = (i + 1) % WATCH_CGROUP_SLOTS;
	return &watch_cgroup_table[i];
}

static void watch_cgroup_forget(void)
{
	for (int i = 0; i < WATCH_CGROUP_SLOTS; i++) {
		free(watch_cgroup_table[i].path);
		watch_cgroup_table[i].path = NULL;
		watch_cgroup_table[i].id = 0;
	}
	watch_cgroup_used = 0;
}

static int watch_cgroup_remember(const char *path, const struct stat *st,
				 int type, struct FTW *ftw)
{
	const char *rel = path + watch_cgroup_mount_len;
	struct watch_cgroup_slot *s;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (watch_cgroup_used >= WATCH_CGROUP_SLOTS * 3 / 4)
		watch_cgroup_forget();
	s = watch_cgroup_slot((uint64_t)st->st_ino);
	if (s->id != 0)
		return 0;
	s->path = strdup(*rel == '\0' ? "/" : rel);
	if (s->path != NULL) {
		s->id = (uint64_t)st->st_ino;
		watch_cgroup_used++;
	}
	return 0;
}

static const char *watch_cgroup_path(uint64_t id)
{
	struct watch_cgroup_slot *s;
	struct timespec now;
	long long ns;

	if (id == 0 || watch_cgroup_mount_len == 0)
		return NULL;
	s = watch_cgroup_slot(id);
	if (s->id == id)
		return s->path;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = now.tv_sec * 1000000000LL + now.tv_nsec;
	if (ns - watch_cgroup_walked < WATCH_CGROUP_WALK_NS)
		return NULL;
	watch_cgroup_walked = ns;
	nftw(watch_cgroup_mount, watch_cgroup_remember, 16, FTW_PHYS | FTW_MOUNT);
	s = watch_cgroup_slot(id);
	return s->id == id ? s->path : NULL;
}

/* The cgroup v2 line of /proc/PID/cgroup ("0::PATH"), into buf. */
static const char *watch_cgroup_of_pid(uint32_t pid, char *buf, size_t size)
{
	char name[64], line[PATH_MAX + 8];
	const char *found = NULL;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%u/cgroup", pid);
	f = fopen(name, "re");
	if (f == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, size, "%s", line + 3);
		found = buf;
	}
	fclose(f);
	return found;
}

const char *watch_cgroup_of(const struct watch_event *ev, char *buf,
			    size_t size)
{
	const struct watch_record *r = ev->r;
	const char *path = NULL;

	if (!ev->owned)
		return NULL;
	/* Its own close (or exit) sent the reset: the task that ran. */
	if ((r->flags & WATCH_HAS_ACTOR) && r->actor.pid == ev->owner.pid)
		path = watch_cgroup_path(r->actor.cgroup);
	if (path == NULL && r->owner.pid == ev->owner.pid)
		path = watch_cgroup_path(r->owner_cgroup);
	if (path == NULL && ev->owner.pid != 0)
		path = watch_cgroup_of_pid(ev->owner.pid, buf, size);
	/* Gone: where it made the socket. */
	if (path == NULL)
		path = watch_cgroup_path(r->sock_cgroup);
	return path;
}

int watch_cgroup_in_unit(const char *path, const char *unit)
{
	size_t len = strlen(unit);

	if (path == NULL)
		return 0;
	while (*path != '\0') {
		size_t n;

		path += *path == '/';
		n = strcspn(path, "/");
		if ((n == len && strncmp(path, unit, len) == 0) ||
		    (n == len + 8 && strncmp(path, unit, len) == 0 &&
		     strncmp(path + len, ".service", 8) == 0))
			return 1;
		path += n;
	}
	return 0;
}
