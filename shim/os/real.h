/*
 * real.h - the libc functions tcpshim wraps, as the next object provides
 * them.  Inside the library, always call these, never the public names.
 */
#ifndef SHIM_OS_REAL_H
#define SHIM_OS_REAL_H

#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/compiler.h"

/* Fortified entry points, declared by glibc only under _FORTIFY_SOURCE. */
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
		       int flags, struct sockaddr *addr, socklen_t *alen);
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);

/* syscall() is wrapped where the library can make a system call without
 * it (real.c). */
#if defined(__x86_64__) || defined(__aarch64__)
#define SHIM_WRAPS_SYSCALL 1
#define SHIM_REAL_SYSCALL(X) X(syscall)
#else
#define SHIM_WRAPS_SYSCALL 0
#define SHIM_REAL_SYSCALL(X)
#endif

/*
 * vfork() is wrapped where its wrapper can be a jump (calls/vfork.c),
 * with clone() beside it: the children they make share this process's
 * memory, and the library must know one may exist (os/process.h).
 */
#if defined(__x86_64__) || defined(__aarch64__)
#define SHIM_WRAPS_VFORK 1
#define SHIM_REAL_CLONE(X) X(clone)
#else
#define SHIM_WRAPS_VFORK 0
#define SHIM_REAL_CLONE(X)
#endif

/* X(name): every wrapped symbol, once. */
#define SHIM_REAL_SYMBOLS(X) \
	X(socket) X(socketpair) X(accept) X(accept4) X(connect) \
	X(close) X(close_range) X(closefrom) X(shutdown) \
	X(dup) X(dup2) X(dup3) X(fcntl) X(fcntl64) \
	X(setsockopt) X(getsockopt) \
	X(send) X(sendto) X(sendmsg) X(sendmmsg) \
	X(write) X(writev) X(sendfile) X(sendfile64) \
	X(recv) X(recvfrom) X(recvmsg) X(recvmmsg) \
	X(read) X(readv) \
	X(__recv_chk) X(__recvfrom_chk) X(__read_chk) X(_exit) X(_Exit) \
	X(quick_exit) X(prctl) \
	SHIM_REAL_SYSCALL(X) SHIM_REAL_CLONE(X)

/*
 * The first n variadic arguments after last into the array words, each
 * read as the array's type: what a wrapper of a variadic call (syscall,
 * prctl) passes on, whatever the caller passed, as glibc's own
 * syscall() does.
 */
#define SHIM_VA_WORDS(words, n, last) \
	do { \
		va_list ap_; \
		va_start(ap_, last); \
		for (int i_ = 0; i_ < (n); i_++) \
			(words)[i_] = va_arg(ap_, __typeof__((words)[0])); \
		va_end(ap_); \
	} while (0)

/*
 * A system call that passes through no wrapper and is no cancellation
 * point: -1 with errno on failure, as syscall() returns.
 */
long shim_raw_syscall(long nr, long a, long b, long c, long d, long e,
		      long f);

struct shim_real {
#define SHIM_REAL_FIELD(name) __typeof__(name) *name;
	SHIM_REAL_SYMBOLS(SHIM_REAL_FIELD)
#undef SHIM_REAL_FIELD
};

/*
 * real.NAME: the table, read-only.  Until shim_real_bind() runs, every
 * entry points at a direct system call, so a wrapped call made from
 * another library's constructor still works; the binding is the only
 * write, and only real.c names the table itself (tests/test_layers.sh
 * holds every other file to that).  The view costs nothing: the table is
 * hidden, so a call through it stays one PC-relative indirect call.
 */
static inline const struct shim_real *shim_real_view(void)
{
	extern struct shim_real shim_real_table SHIM_HIDDEN;

	return &shim_real_table;
}
#define real (*shim_real_view())

/* Binds the table, and shim_real_vfork (real.c: libc's vfork, or a plain
 * fork before), which the vfork() wrapper's assembly jumps to. */
void shim_real_bind(void);

#endif
