/*
 * inherit.c - connections a process is born with: opened by another
 * program and passed across exec, as inetd and systemd's socket
 * activation (Accept=yes) pass one on descriptors 0 and 1, or from 3 with
 * LISTEN_FDS.  Looked for once, at start-up, so that a close of a file
 * never needs a system call to tell.  They are tracked as connections
 * another process may hold too: a reset at their close is confirmed with
 * the kernel (close_confirm.c), an orderly close is not theirs to log.
 *
 * The open descriptors are found with poll(), which marks a closed one
 * POLLNVAL, while RLIMIT_NOFILE keeps them below POLL_LIMIT; above it,
 * from /proc/self/fd (a new process's first look into /proc costs it
 * far more than a poll); without /proc, 0 to 2 and the LISTEN_FDS range
 * are looked at.
 */
#include "event/inherit.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
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

/* A descriptor number, all digits; -1 if d_name is none. */
static long fd_number(const char *name)
{
	long fd = 0;

	if (*name == '\0')
		return -1;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || fd > INT32_MAX / 10)
			return -1;
		fd = fd * 10 + (*name - '0');
	}
	return fd <= INT32_MAX ? fd : -1;
}

/*
 * From /proc/self/fd: 0 when listed, -1 when there is no such list.  Its
 * system calls are made directly: every process start passes here, and
 * binding libc's open and getdents64 would cost more than the calls.
 */
static int look_at_proc(struct seen *seen, int *nseen)
{
	char buf[4096] __attribute__((aligned(8)));
	int dir = (int)shim_raw_syscall(SYS_openat, AT_FDCWD,
					(long)"/proc/self/fd",
					O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0,
					0);
	long n;

	if (dir < 0)
		return -1;
	while ((n = shim_raw_syscall(SYS_getdents64, dir, (long)buf,
				     sizeof(buf), 0, 0, 0)) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			long fd = fd_number(d->d_name);

			off += d->d_reclen;
			if (fd >= 0 && fd != dir)
				look_at((int)fd, seen, nseen);
		}
	shim_raw_syscall(SYS_close, dir, 0, 0, 0, 0, 0);
	return 0;
}

/* Beyond this many possible descriptors, /proc/self/fd is cheaper. */
#define POLL_LIMIT 4096
#define POLL_BATCH 256

/* A batch as words: fd in the low half, events and revents (0) above,
 * so filling and checking it is one operation per descriptor. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define REVENTS_SHIFT 48
#else
#define REVENTS_SHIFT 0
#endif

/*
 * Filling and checking a batch is one operation per descriptor, over the
 * thousand or more a process start checks: vectorised.
 */
#define VECTORISED __attribute__((optimize("tree-vectorize")))

/* Entries for descriptors base to base + n - 1. */
static VECTORISED void fill(uint64_t *w, struct pollfd *p, unsigned int base,
			    unsigned int n)
{
#if REVENTS_SHIFT
	(void)p;
	for (unsigned int i = 0; i < n; i++)
		w[i] = base + i;
#else
	(void)w;
	for (unsigned int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = (int)(base + i) };
#endif
}

/* The AND of n words. */
static VECTORISED uint64_t all_of(const uint64_t *w, unsigned int n)
{
	uint64_t all = ~(uint64_t)0;

	for (unsigned int i = 0; i < n; i++)
		all &= w[i];
	return all;
}

/* By poll(), batch after batch: 0 when done, -1 when the limit is too
 * high (or poll refused). */
static int look_at_polled(struct seen *seen, int *nseen)
{
	union {
		struct pollfd p[POLL_BATCH];
		uint64_t w[POLL_BATCH];
	} b;
	struct timespec zero = { 0, 0 };
	struct {
		uint64_t rlim_cur, rlim_max;	/* prlimit64's, any ABI */
	} rl;

	_Static_assert(sizeof(struct pollfd) == sizeof(uint64_t),
		       "a pollfd is one word");
	if (shim_raw_syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl,
			     0, 0) != 0 ||
	    rl.rlim_cur > POLL_LIMIT)
		return -1;
	for (unsigned int base = 0; base < rl.rlim_cur; base += POLL_BATCH) {
		unsigned int n = rl.rlim_cur - base < POLL_BATCH
					 ? (unsigned int)rl.rlim_cur - base
					 : POLL_BATCH;
		uint64_t all = ~(uint64_t)0;

		fill(&b.w[0], b.p, base, n);
		if (shim_raw_syscall(SYS_ppoll, (long)b.p, n, (long)&zero, 0,
				     0, 0) < 0)
			return -1;
		/* Most batches hold no open descriptor at all. */
		if (REVENTS_SHIFT) {
			all = all_of(b.w, n);
			if ((all >> REVENTS_SHIFT) & POLLNVAL)
				continue;
		}
		for (unsigned int i = 0; i < n; i++)
			if (!(b.p[i].revents & POLLNVAL))
				look_at(b.p[i].fd, seen, nseen);
	}
	return 0;
}

void inherit_adopt(void)
{
	struct seen seen[SEEN_MAX];
	const char *listen;
	int nseen = 0, count;

	if (look_at_polled(seen, &nseen) == 0 ||
	    look_at_proc(seen, &nseen) == 0)
		return;
	listen = getenv("LISTEN_FDS");
	for (int fd = 0; fd <= 2; fd++)
		look_at(fd, seen, &nseen);
	count = listen != NULL ? atoi(listen) : 0;
	for (int fd = 3; count > 0 && fd < 3 + count && fd < 3 + 4096; fd++)
		look_at(fd, seen, &nseen);
}
