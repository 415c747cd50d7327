/*
 * inject_hooks.c - the table the wrappers of the calls that move bytes
 * call through, and the hooks that take its entries while TCPSHIM_INJECT
 * holds rules; with none, the entries are the real functions, so a
 * program with no rule pays nothing.  A hook stops a call at the byte
 * where a rule comes to hold, passes it on to the real function, and
 * then resets the connection (event/inject_engine.c); a rule that holds
 * before a call resets first, and the call meets the reset.
 */
#include "calls/inject_hooks.h"

#include <stdint.h>
#include <string.h>

#include "calls/wrap.h"
#include "core/inject_rules.h"
#include "event/inject_engine.h"

/* A call under way on a connection with armed rules (c NULL: none). */
struct pending {
	struct conn *c;
	unsigned int armed;
};

/* Before a call moving up to len bytes in direction dir: what to pass
 * on instead of len. */
static size_t before(int fd, int dir, size_t len, const char *call,
		     struct pending *p)
{
	size_t cap;

	p->c = fdt_get(fd);
	p->armed = 0;
	if (p->c == NULL)
		return len;
	p->armed = inject_arm(fd, p->c);
	if (p->armed == 0)
		return len;
	if ((p->armed & inject_early()) &&
	    inject_fire(fd, p->c, p->armed & inject_early(), call, 0, 0)) {
		p->armed = 0;
		return len;
	}
	cap = inject_cap(p->c, p->armed, dir);
	/* Never 0: a read of nothing would look like the end of the
	 * stream. */
	return cap != 0 && cap < len ? cap : len;
}

/* After it: the reset, if the bytes it moved made a rule hold. */
static void after(int fd, int dir, ssize_t ret, const char *call,
		  const struct pending *p)
{
	if (p->armed != 0 && ret > 0)
		inject_fire(fd, p->c, p->armed, call,
			    dir == INJECT_SENT ? (uint64_t)ret : 0,
			    dir == INJECT_RECEIVED ? (uint64_t)ret : 0);
}

#define PEEKS(flags) ((flags) & (MSG_PEEK | MSG_ERRQUEUE))

/*
 * The first entries of iov, the last one cut, that hold cap bytes, into
 * out: their number, or n when all of iov fits.  Past CUT_MAX entries
 * the call takes fewer bytes than cap, and the rule holds a call later.
 */
#define CUT_MAX 64
static int cut(const struct iovec *iov, int n, size_t cap, struct iovec *out)
{
	size_t total = 0;

	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len < cap - total) {
			total += iov[i].iov_len;
			continue;
		}
		if (i >= CUT_MAX) {
			memcpy(out, iov, CUT_MAX * sizeof(*iov));
			return CUT_MAX;
		}
		memcpy(out, iov, (size_t)i * sizeof(*iov));
		out[i].iov_base = iov[i].iov_base;
		out[i].iov_len = cap - total;
		return i + 1;
	}
	return n;
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

/* A hook for a call with one length: T name(int fd, ...), the length
 * the argument len (sendfile's count); args the call's arguments. */
#define BUFFER_HOOK(T, name, dir, label, params, args, flags)               \
	static T hook_##name params                                         \
	{                                                                   \
		struct pending p;                                           \
		T ret;                                                      \
                                                                            \
		if (PEEKS(flags))                                           \
			return real.name args;                              \
		len = before(fd, dir, len, label, &p);                      \
		ret = real.name args;                                       \
		after(fd, dir, ret, label, &p);                             \
		return ret;                                                 \
	}

BUFFER_HOOK(ssize_t, send, INJECT_SENT, "send",
	    (int fd, const void *buf, size_t len, int flags),
	    (fd, buf, len, flags), flags)
BUFFER_HOOK(ssize_t, sendto, INJECT_SENT, "sendto",
	    (int fd, const void *buf, size_t len, int flags,
	     const struct sockaddr *addr, socklen_t alen),
	    (fd, buf, len, flags, addr, alen), flags)
BUFFER_HOOK(ssize_t, write, INJECT_SENT, "write",
	    (int fd, const void *buf, size_t len), (fd, buf, len), 0)
BUFFER_HOOK(ssize_t, recv, INJECT_RECEIVED, "recv",
	    (int fd, void *buf, size_t len, int flags), (fd, buf, len, flags),
	    flags)
BUFFER_HOOK(ssize_t, recvfrom, INJECT_RECEIVED, "recvfrom",
	    (int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
	     socklen_t *alen),
	    (fd, buf, len, flags, addr, alen), flags)
BUFFER_HOOK(ssize_t, read, INJECT_RECEIVED, "read",
	    (int fd, void *buf, size_t len), (fd, buf, len), 0)
BUFFER_HOOK(ssize_t, __recv_chk, INJECT_RECEIVED, "recv",
	    (int fd, void *buf, size_t len, size_t buflen, int flags),
	    (fd, buf, len, buflen, flags), flags)
BUFFER_HOOK(ssize_t, __recvfrom_chk, INJECT_RECEIVED, "recvfrom",
	    (int fd, void *buf, size_t len, size_t buflen, int flags,
	     struct sockaddr *addr, socklen_t *alen),
	    (fd, buf, len, buflen, flags, addr, alen), flags)
BUFFER_HOOK(ssize_t, __read_chk, INJECT_RECEIVED, "read",
	    (int fd, void *buf, size_t len, size_t buflen),
	    (fd, buf, len, buflen), 0)

BUFFER_HOOK(ssize_t, sendfile, INJECT_SENT, "sendfile",
	    (int fd, int in, off_t *off, size_t len), (fd, in, off, len), 0)
BUFFER_HOOK(ssize_t, sendfile64, INJECT_SENT, "sendfile",
	    (int fd, int in, off64_t *off, size_t len), (fd, in, off, len), 0)

/* writev and readv: the vector cut where the rule comes to hold. */
#define VECTOR_HOOK(name, dir)                                              \
	static ssize_t hook_##name(int fd, const struct iovec *iov, int n)  \
	{                                                                   \
		struct iovec part[CUT_MAX];                                 \
		struct pending p;                                           \
		size_t total = n > 0 ? iov_total(iov, n) : 0;               \
		size_t cap = before(fd, dir, total, #name, &p);             \
		ssize_t ret;                                                \
                                                                            \
		if (cap < total) {                                          \
			n = cut(iov, n, cap, part);                         \
			iov = part;                                         \
		}                                                           \
		ret = real.name(fd, iov, n);                                \
		after(fd, dir, ret, #name, &p);                             \
		return ret;                                                 \
	}

VECTOR_HOOK(writev, INJECT_SENT)
VECTOR_HOOK(readv, INJECT_RECEIVED)

static ssize_t hook_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct iovec part[CUT_MAX];
	struct msghdr m;
	struct pending p;
	size_t total, cap;
	ssize_t ret;

	if (msg == NULL)
		return real.sendmsg(fd, msg, flags);
	total = iov_total(msg->msg_iov, (int)msg->msg_iovlen);
	cap = before(fd, INJECT_SENT, total, "sendmsg", &p);
	if (cap < total) {
		m = *msg;
		m.msg_iov = part;
		m.msg_iovlen = (size_t)cut(msg->msg_iov, (int)msg->msg_iovlen,
					   cap, part);
		msg = &m;
	}
	ret = real.sendmsg(fd, msg, flags);
	after(fd, INJECT_SENT, ret, "sendmsg", &p);
	return ret;
}

static ssize_t hook_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct iovec part[CUT_MAX];
	struct msghdr m;
	struct pending p;
	size_t total, cap;
	ssize_t ret;

	if (msg == NULL || PEEKS(flags))
		return real.recvmsg(fd, msg, flags);
	total = iov_total(msg->msg_iov, (int)msg->msg_iovlen);
	cap = before(fd, INJECT_RECEIVED, total, "recvmsg", &p);
	if (cap >= total) {
		ret = real.recvmsg(fd, msg, flags);
	} else {
		/* The kernel's answers go back into the caller's header. */
		m = *msg;
		m.msg_iov = part;
		m.msg_iovlen = (size_t)cut(msg->msg_iov, (int)msg->msg_iovlen,
					   cap, part);
		ret = real.recvmsg(fd, &m, flags);
		msg->msg_namelen = m.msg_namelen;
		msg->msg_controllen = m.msg_controllen;
		msg->msg_flags = m.msg_flags;
	}
	after(fd, INJECT_RECEIVED, ret, "recvmsg", &p);
	return ret;
}

/* sendmmsg and recvmmsg are not cut: a rule holds after the call. */
static ssize_t mmsg_bytes(int ret, const struct mmsghdr *vec)
{
	ssize_t bytes = 0;

	for (int i = 0; i < ret; i++)
		bytes += vec[i].msg_len;
	return ret < 0 ? -1 : bytes;
}

static int hook_sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags)
{
	struct pending p;
	int ret;

	before(fd, INJECT_SENT, 0, "sendmmsg", &p);
	ret = real.sendmmsg(fd, vec, n, flags);
	after(fd, INJECT_SENT, mmsg_bytes(ret, vec), "sendmmsg", &p);
	return ret;
}

static int hook_recvmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags, struct timespec *timeout)
{
	struct pending p;
	int ret;

	if (PEEKS(flags))
		return real.recvmmsg(fd, vec, n, flags, timeout);
	before(fd, INJECT_RECEIVED, 0, "recvmmsg", &p);
	ret = real.recvmmsg(fd, vec, n, flags, timeout);
	after(fd, INJECT_RECEIVED, mmsg_bytes(ret, vec), "recvmmsg", &p);
	return ret;
}

/* Until inject_hooks_bind(): each call on to real's entry, whatever
 * that holds then (a direct system call, before the constructor). */
#define PASS(T, name, params, args) \
	static T pass_##name params { return real.name args; }

PASS(ssize_t, send, (int fd, const void *buf, size_t len, int flags),
     (fd, buf, len, flags))
PASS(ssize_t, sendto, (int fd, const void *buf, size_t len, int flags,
		       const struct sockaddr *addr, socklen_t alen),
     (fd, buf, len, flags, addr, alen))
PASS(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags),
     (fd, msg, flags))
PASS(int, sendmmsg, (int fd, struct mmsghdr *vec, unsigned int n, int flags),
     (fd, vec, n, flags))
PASS(ssize_t, write, (int fd, const void *buf, size_t len), (fd, buf, len))
PASS(ssize_t, writev, (int fd, const struct iovec *iov, int n), (fd, iov, n))
PASS(ssize_t, sendfile, (int fd, int in, off_t *off, size_t len),
     (fd, in, off, len))
PASS(ssize_t, sendfile64, (int fd, int in, off64_t *off, size_t len),
     (fd, in, off, len))
PASS(ssize_t, recv, (int fd, void *buf, size_t len, int flags),
     (fd, buf, len, flags))
PASS(ssize_t, recvfrom, (int fd, void *buf, size_t len, int flags,
			 struct sockaddr *addr, socklen_t *alen),
     (fd, buf, len, flags, addr, alen))
PASS(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags),
     (fd, msg, flags))
PASS(int, recvmmsg, (int fd, struct mmsghdr *vec, unsigned int n, int flags,
		     struct timespec *timeout),
     (fd, vec, n, flags, timeout))
PASS(ssize_t, read, (int fd, void *buf, size_t len), (fd, buf, len))
PASS(ssize_t, readv, (int fd, const struct iovec *iov, int n), (fd, iov, n))
PASS(ssize_t, __recv_chk, (int fd, void *buf, size_t len, size_t buflen,
			   int flags),
     (fd, buf, len, buflen, flags))
PASS(ssize_t, __recvfrom_chk, (int fd, void *buf, size_t len, size_t buflen,
			       int flags, struct sockaddr *addr,
			       socklen_t *alen),
     (fd, buf, len, buflen, flags, addr, alen))
PASS(ssize_t, __read_chk, (int fd, void *buf, size_t len, size_t buflen),
     (fd, buf, len, buflen))

struct inject_hooks inject_hooks = {
#define PASS_ENTRY(name) .name = pass_##name,
	INJECT_HOOKS_CALLS(PASS_ENTRY)
#undef PASS_ENTRY
};

void inject_hooks_bind(void)
{
#define BIND(name) inject_hooks.name = real.name;
	INJECT_HOOKS_CALLS(BIND)
#undef BIND
}

void inject_hooks_install(void)
{
	inject_prepare();
#define HOOK(name) inject_hooks.name = hook_##name;
	INJECT_HOOKS_CALLS(HOOK)
#undef HOOK
}
