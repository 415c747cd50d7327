/*
 * watch_cgroup.c - the cgroup of a reset's owner, as a path in the
 * cgroup v2 hierarchy (/system.slice/nginx.service, /machine.slice/
 * libpod-ID.scope, /docker/ID), and --unit's test on it.
 *
 * The kernel side gives cgroup ids: of the owner, where it was found
 * holding or closing the socket; of the task that sent the reset (the
 * owner, when its close did it); and of the socket, where it was made.
 * Lacking the first two, an owner's path is read from /proc/PID/cgroup;
 * a reset no process owns (an orphan) has the cgroup its socket was made
 * in, never that of whatever process has some old pid now.
 *
 * An id becomes a path, remembered: opened by its file handle (a cgroup's
 * handle is its id, of the type name_to_handle_at gives the hierarchy's
 * root), the path read back from /proc/self/fd; without
 * CAP_DAC_READ_SEARCH, by a walk of the hierarchy (a cgroup directory's
 * inode number is its id), at most once a second, so that a storm of
 * resets from cgroups already removed costs no more than that.
 */
#include "cmd/watch.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
static int watch_cgroup_root = -1;	/* the hierarchy's root, opened */
static int watch_cgroup_handle_type = -1;	/* its file handles' type */

/* A file handle of 8 bytes: a cgroup's id. */
union watch_cgroup_handle {
	struct file_handle fh;
	char room[sizeof(struct file_handle) + sizeof(uint64_t)];
};

/* The type of the hierarchy's file handles, as the kernel gives it for
 * its root (8 bytes: the id). */
static void watch_cgroup_handles(void)
{
	union watch_cgroup_handle h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;

	watch_cgroup_root = open(watch_cgroup_mount, O_RDONLY | O_DIRECTORY |
						     O_CLOEXEC);
	if (watch_cgroup_root >= 0 &&
	    name_to_handle_at(watch_cgroup_root, "", &h.fh, &mount_id,
			      AT_EMPTY_PATH) == 0 &&
	    h.fh.handle_bytes == sizeof(uint64_t))
		watch_cgroup_handle_type = h.fh.handle_type;
}

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
	if (watch_cgroup_mount_len == 0)
		return -1;
	watch_cgroup_handles();
	return 0;
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

/* id's path, remembered (when full, everything is forgotten first);
 * the copy, or NULL. */
static const char *watch_cgroup_keep(uint64_t id, const char *path)
{
	struct watch_cgroup_slot *s;

	if (watch_cgroup_used >= WATCH_CGROUP_SLOTS * 3 / 4)
		watch_cgroup_forget();
	s = watch_cgroup_slot(id);
	if (s->id == id)
		return s->path;
	s->path = strdup(path);
	if (s->path == NULL)
		return NULL;
	s->id = id;
	watch_cgroup_used++;
	return s->path;
}

static int watch_cgroup_remember(const char *path, const struct stat *st,
				 int type, struct FTW *ftw)
{
	const char *rel = path + watch_cgroup_mount_len;

	(void)ftw;
	if (type == FTW_D)
		watch_cgroup_keep((uint64_t)st->st_ino, *rel == '\0' ? "/" : rel);
	/* Full: the rest of the walk would find no room. */
	return watch_cgroup_used >= WATCH_CGROUP_SLOTS * 3 / 4;
}

/* The path of cgroup id, opened by its handle; NULL without the
 * privilege (CAP_DAC_READ_SEARCH) or once it is removed. */
static const char *watch_cgroup_open(uint64_t id)
{
	union watch_cgroup_handle h = {
		.fh.handle_bytes = sizeof(uint64_t),
		.fh.handle_type = watch_cgroup_handle_type,
	};
	char link[64], path[PATH_MAX];
	ssize_t n;
	int fd;

	if (watch_cgroup_handle_type < 0)
		return NULL;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(watch_cgroup_root, &h.fh,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0 || (size_t)n < watch_cgroup_mount_len ||
	    memcmp(path, watch_cgroup_mount, watch_cgroup_mount_len) != 0)
		return NULL;
	path[n] = '\0';
	return watch_cgroup_keep(id, path[watch_cgroup_mount_len] == '\0'
				 ? "/" : path + watch_cgroup_mount_len);
}

static const char *watch_cgroup_path(uint64_t id)
{
	struct watch_cgroup_slot *s;
	struct timespec now;
	const char *path;
	long long ns;

	if (id == 0 || watch_cgroup_mount_len == 0)
		return NULL;
	s = watch_cgroup_slot(id);
	if (s->id == id)
		return s->path;
	if (watch_cgroup_handle_type >= 0 && (path = watch_cgroup_open(id)))
		return path;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = now.tv_sec * 1000000000LL + now.tv_nsec;
	if (ns - watch_cgroup_walked < WATCH_CGROUP_WALK_NS)
		return NULL;
	watch_cgroup_walked = ns;
	/* A walk starts with room for the hierarchy. */
	if (watch_cgroup_used > WATCH_CGROUP_SLOTS / 4)
		watch_cgroup_forget();
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

	/* Without a hierarchy to name ids by, no path at all: not even
	 * /proc's, which only a process still alive would give. */
	if (watch_cgroup_mount_len == 0)
		return NULL;
	/* Its own close (or exit) sent the reset: the task that ran. */
	if (ev->owned && (r->flags & WATCH_HAS_ACTOR) &&
	    r->actor.pid == ev->owner.pid)
		path = watch_cgroup_path(r->actor.cgroup);
	/* Where the owner was found, holding or closing the socket. */
	if (path == NULL && ev->owned && (r->flags & WATCH_HAS_OWNER) &&
	    r->owner.pid == ev->owner.pid)
		path = watch_cgroup_path(r->owner_cgroup);
	if (path == NULL && ev->owned && ev->owner.pid != 0)
		path = watch_cgroup_of_pid(ev->owner.pid, buf, size);
	/* No owner (an orphan, a connection never accepted): where the
	 * socket was made. */
	if (path == NULL && (r->flags & WATCH_HAS_SOCK))
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
