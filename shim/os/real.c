/*
 * real.c - the table of real libc functions, bound once with
 * dlsym(RTLD_NEXT, ...) from the library constructor.
 *
 * Before binding, each entry is a direct system call.  That covers calls
 * made by other libraries' constructors that run before ours, without
 * calling dlsym from inside a hook (dlsym may allocate, and the allocator
 * may call back into close()).
 */
#include "os/real.h"

#include "os/nextsym.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

/*
 * A system call that never passes through a wrapper: the library wraps
 * syscall() itself (calls/syscall.c), so the entries below must not call
 * it.  x86_64 and aarch64 here; elsewhere glibc's syscall(), which the
 * library then leaves unwrapped.
 */
long shim_raw_syscall(long nr, long a, long b, long c, long d, long e,
		      long f)
{
#if SHIM_WRAPS_SYSCALL
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
#else
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	ret = x0;
#endif
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	return syscall(nr, a, b, c, d, e, f);
#endif
}

/* RAW(SYS_x, args...): raw_syscall with the missing arguments 0. */
#define RAW_SIX(a, b, c, d, e, f, ...) \
	(long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)
#define RAW(nr, ...) \
	shim_raw_syscall(nr, RAW_SIX(__VA_ARGS__, 0, 0, 0, 0, 0, 0))

#if SHIM_WRAPS_SYSCALL
static long raw_syscall_va(long nr, ...)
{
	long a[6];

	SHIM_VA_WORDS(a, 6, nr);
	return shim_raw_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif

static int raw_socket(int domain, int type, int protocol)
{
	return (int)RAW(SYS_socket, domain, type, protocol);
}

static int raw_socketpair(int domain, int type, int protocol, int sv[2])
{
	return (int)RAW(SYS_socketpair, domain, type, protocol, sv);
}

static int raw_accept4(int fd, struct sockaddr *addr, socklen_t *alen,
		       int flags)
{
	return (int)RAW(SYS_accept4, fd, addr, alen, flags);
}

static int raw_accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
	return raw_accept4(fd, addr, alen, 0);
}

static int raw_connect(int fd, const struct sockaddr *addr, socklen_t alen)
{
	return (int)RAW(SYS_connect, fd, addr, alen);
}

static int raw_close(int fd)
{
	return (int)RAW(SYS_close, fd);
}

static int raw_close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)RAW(SYS_close_range, first, last, flags);
}

static void raw_closefrom(int lowfd)
{
	raw_close_range((unsigned int)lowfd, ~0U, 0);
}

static int raw_shutdown(int fd, int how)
{
	return (int)RAW(SYS_shutdown, fd, how);
}

static int raw_dup(int fd)
{
	return (int)RAW(SYS_dup, fd);
}

static int raw_dup3(int oldfd, int newfd, int flags)
{
	return (int)RAW(SYS_dup3, oldfd, newfd, flags);
}

static int raw_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd)	/* dup3 refuses this; dup2 checks oldfd */
		return RAW(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
	return raw_dup3(oldfd, newfd, 0);
}

static int raw_fcntl(int fd, int cmd, ...)
{
	unsigned long arg[1];

	SHIM_VA_WORDS(arg, 1, cmd);
	return (int)RAW(SYS_fcntl, fd, cmd, arg[0]);
}

static int raw_setsockopt(int fd, int level, int name, const void *val,
			  socklen_t len)
{
	return (int)RAW(SYS_setsockopt, fd, level, name, val, len);
}

static int raw_getsockopt(int fd, int level, int name, void *val,
			  socklen_t *len)
{
	return (int)RAW(SYS_getsockopt, fd, level, name, val, len);
}

static ssize_t raw_sendto(int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *addr, socklen_t alen)
{
	return RAW(SYS_sendto, fd, buf, len, flags, addr, alen);
}

static ssize_t raw_send(int fd, const void *buf, size_t len, int flags)
{
	return raw_sendto(fd, buf, len, flags, NULL, 0);
}

static ssize_t raw_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return RAW(SYS_sendmsg, fd, msg, flags);
}

static int raw_sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			int flags)
{
	return (int)RAW(SYS_sendmmsg, fd, vec, n, flags);
}

static ssize_t raw_write(int fd, const void *buf, size_t len)
{
	return RAW(SYS_write, fd, buf, len);
}

static ssize_t raw_writev(int fd, const struct iovec *iov, int n)
{
	return RAW(SYS_writev, fd, iov, n);
}

static ssize_t raw_sendfile(int out, int in, off_t *off, size_t count)
{
	return RAW(SYS_sendfile, out, in, off, count);
}

static ssize_t raw_recvfrom(int fd, void *buf, size_t len, int flags,
			    struct sockaddr *addr, socklen_t *alen)
{
	return RAW(SYS_recvfrom, fd, buf, len, flags, addr, alen);
}

static ssize_t raw_recv(int fd, void *buf, size_t len, int flags)
{
	return raw_recvfrom(fd, buf, len, flags, NULL, NULL);
}

static ssize_t raw_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return RAW(SYS_recvmsg, fd, msg, flags);
}

static int raw_recvmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			int flags, struct timespec *timeout)
{
	return (int)RAW(SYS_recvmmsg, fd, vec, n, flags, timeout);
}

static ssize_t raw_read(int fd, void *buf, size_t len)
{
	return RAW(SYS_read, fd, buf, len);
}

static ssize_t raw_readv(int fd, const struct iovec *iov, int n)
{
	return RAW(SYS_readv, fd, iov, n);
}

static ssize_t raw_recv_chk(int fd, void *buf, size_t len, size_t buflen,
			    int flags)
{
	if (len > buflen)
		abort();
	return raw_recv(fd, buf, len, flags);
}

static ssize_t raw_recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
				int flags, struct sockaddr *addr,
				socklen_t *alen)
{
	if (len > buflen)
		abort();
	return raw_recvfrom(fd, buf, len, flags, addr, alen);
}

static ssize_t raw_read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		abort();
	return raw_read(fd, buf, len);
}

#if SHIM_WRAPS_VFORK
static void *bind_one(const char *name, void *fallback);

/* clone() before the constructor (from another library's): bound on the
 * spot, since a new stack cannot be set up from here.  Not from a signal
 * handler, in practice. */
static int raw_clone(int (*fn)(void *), void *stack, int flags, void *arg,
		     ...)
{
	void *more[3];
	__typeof__(clone) *libc_clone;

	SHIM_VA_WORDS(more, 3, arg);
	libc_clone = (__typeof__(clone) *)bind_one("clone", NULL);
	if (libc_clone == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return libc_clone(fn, stack, flags, arg, more[0], more[1], more[2]);
}

/* vfork() before the constructor: a fork, which is always a correct
 * vfork (the child only execs or exits). */
static pid_t raw_fork(void)
{
	return (pid_t)RAW(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/* What the vfork() wrapper's assembly jumps to (calls/vfork.c); no C
 * file but this one names it. */
pid_t (*shim_real_vfork)(void) = raw_fork;
#endif

static int raw_prctl(int option, ...)
{
	unsigned long a[4];

	SHIM_VA_WORDS(a, 4, option);
	return (int)RAW(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}

static void raw_exit(int status)
{
	for (;;)
		RAW(SYS_exit_group, status);
}

struct shim_real shim_real_table = {
	.socket = raw_socket, .socketpair = raw_socketpair,
	.accept = raw_accept, .accept4 = raw_accept4,
	.connect = raw_connect, .close = raw_close,
	.close_range = raw_close_range, .closefrom = raw_closefrom,
	.shutdown = raw_shutdown, .dup = raw_dup, .dup2 = raw_dup2,
	.dup3 = raw_dup3, .fcntl = raw_fcntl, .fcntl64 = raw_fcntl,
	.setsockopt = raw_setsockopt, .getsockopt = raw_getsockopt,
	.send = raw_send, .sendto = raw_sendto, .sendmsg = raw_sendmsg,
	.sendmmsg = raw_sendmmsg, .write = raw_write, .writev = raw_writev,
	.sendfile = raw_sendfile, .sendfile64 = raw_sendfile,
	.recv = raw_recv, .recvfrom = raw_recvfrom, .recvmsg = raw_recvmsg,
	.recvmmsg = raw_recvmmsg, .read = raw_read, .readv = raw_readv,
	.__recv_chk = raw_recv_chk, .__recvfrom_chk = raw_recvfrom_chk,
	.__read_chk = raw_read_chk, ._exit = raw_exit, ._Exit = raw_exit,
	.quick_exit = raw_exit, .prctl = raw_prctl,
#if SHIM_WRAPS_VFORK
	.clone = raw_clone,
#endif
#if SHIM_WRAPS_SYSCALL
	.syscall = raw_syscall_va,
#endif
};

static void bind_failed(const char *name)
{
	static const char head[] = "tcpshim: dlsym(RTLD_NEXT, \"";
	static const char tail[] = "\") returned tcpshim's own wrapper; "
				   "refusing to loop forever\n";

	raw_write(2, head, sizeof(head) - 1);
	raw_write(2, name, strlen(name));
	raw_write(2, tail, sizeof(tail) - 1);
	abort();
}

/*
 * This library's own extent in memory, from the linker's symbols (hidden,
 * so reading them needs no relocation): dlsym(RTLD_NEXT) returning an
 * address in it would be a wrapper calling itself.  Taking the wrappers'
 * own addresses instead would cost a symbol lookup each at load time.
 */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

static int is_mine(const void *p)
{
	return (const char *)p >= __ehdr_start && (const char *)p < _end;
}

/*
 * Bind one symbol.  The result is used after the dlsym() call, so the call
 * can never become a tail call: dlsym(RTLD_NEXT) resolves relative to its
 * caller's return address, and a tail call would make that the caller of
 * this function (ld.so, for a constructor), binding the wrong object.
 * The Makefile also builds this file with -fno-optimize-sibling-calls.
 */
static void *bind_one(const char *name, void *fallback)
{
	void *p = nextsym(name);

	if (p == NULL)
		p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		return fallback;
	if (is_mine(p))
		bind_failed(name);
	return p;
}

void shim_real_bind(void)
{
#define SHIM_REAL_BIND(name) \
	shim_real_table.name = (__typeof__(name) *)bind_one( \
		#name, (void *)shim_real_table.name);
	SHIM_REAL_SYMBOLS(SHIM_REAL_BIND)
#undef SHIM_REAL_BIND
#if SHIM_WRAPS_VFORK
	shim_real_vfork = (pid_t (*)(void))bind_one("vfork",
						    (void *)shim_real_vfork);
#endif
}
