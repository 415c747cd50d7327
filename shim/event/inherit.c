/*
 * inherit.c - connections a process is born with: opened by another
 * program and passed across exec, as inetd and systemd's socket
 * activation (Accept=yes) pass one on descriptors 0 and 1, or from 3 with
 * LISTEN_FDS.  Looked for once, at start-up, so that a close of a file
 * never needs a system call to tell.  They are tracked as connections
 * another process may hold too: a reset at their close is confirmed with
 * the kernel (release.c), an orderly close is not theirs to log.
 *
 * The descriptors come from /proc/self/fd; without /proc, 0 to 2 and the
 * LISTEN_FDS range are looked at.
 */
#include "event/inherit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/fdtable.h"
#include "event/track.h"
#include "os/probe.h"
#include "os/real.h"

/* Descriptors of one connection are one record: sockets with the same
 * cookie, among the first few. */
#define SEEN_MAX 32

struct seen {
	uint64_t cookie;
	struct conn *c;
};

static void look_at(int fd, struct seen *seen, int *nseen)
{
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	struct conn *c;

	if (fdt_get(fd) != NULL || probe_tcp_domain(fd) < 0)
		return;
	if (real.getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		cookie = 0;
	for (int i = 0; cookie != 0 && i < *nseen; i++)
		if (seen[i].cookie == cookie && conn_tryget(seen[i].c)) {
			fdt_track(fd, seen[i].c);
			return;
		}
	c = track_adopt(fd);
	if (c == NULL)
		return;
	conn_set(c, CONN_SHARED);
	if (cookie != 0 && *nseen < SEEN_MAX)
		seen[(*nseen)++] = (struct seen){ cookie, c };
}

/* From /proc/self/fd: 0 when listed, -1 when there is no such list. */
static int look_at_proc(struct seen *seen, int *nseen)
{
	char buf[4096] __attribute__((aligned(8)));
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;

	if (dir < 0)
		return -1;
	while ((n = getdents64(dir, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			char *end;
			long fd = strtol(d->d_name, &end, 10);

			off += d->d_reclen;
			if (*end == '\0' && end != d->d_name && fd != dir &&
			    fd >= 0 && fd <= INT32_MAX)
				look_at((int)fd, seen, nseen);
		}
	real.close(dir);
	return 0;
}

void inherit_adopt(void)
{
	struct seen seen[SEEN_MAX];
	const char *listen = getenv("LISTEN_FDS");
	int nseen = 0, count;

	if (look_at_proc(seen, &nseen) == 0)
		return;
	for (int fd = 0; fd <= 2; fd++)
		look_at(fd, seen, &nseen);
	count = listen != NULL ? atoi(listen) : 0;
	for (int fd = 3; count > 0 && fd < 3 + count && fd < 3 + 4096; fd++)
		look_at(fd, seen, &nseen);
}
