/*
 * recv.c - the calls that receive: recv, recvfrom, recvmsg, recvmmsg,
 * read, readv, and the fortified __recv_chk, __recvfrom_chk and
 * __read_chk that -D_FORTIFY_SOURCE=2 builds call instead.  Each calls
 * the real function through inject_hooks, where TCPSHIM_INJECT's hooks
 * can stand in (inject_hooks.h).
 */
#include "calls/inject_hooks.h"
#include "calls/wrap.h"

/* A receive with MSG_PEEK or MSG_ERRQUEUE moves no stream bytes: its
 * result counts nothing (its error still counts).  Tested before the
 * call, so the common path keeps nothing alive across it. */
#define PEEKING(flags) unlikely((flags) & (MSG_PEEK | MSG_ERRQUEUE))

static __attribute__((noinline)) ssize_t peek(int fd, void *buf, size_t len,
					       int flags)
{
	return wrap_peeked(fd, inject_hooks.recv(fd, buf, len, flags),
			   "recv");
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (PEEKING(flags))
		return peek(fd, buf, len, flags);
	return wrap_moved(fd, inject_hooks.recv(fd, buf, len, flags), 0,
			  "recv");
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			     struct sockaddr *addr, socklen_t *alen)
{
	if (PEEKING(flags))
		return wrap_peeked(fd, inject_hooks.recvfrom(fd, buf, len,
							     flags, addr,
							     alen),
				   "recvfrom");
	return wrap_moved(fd, inject_hooks.recvfrom(fd, buf, len, flags, addr,
						    alen),
			  0, "recvfrom");
}

/*
 * recvmsg where a descriptor may arrive: any socket the shim neither
 * tracks (TCP) nor knows for plain (fdtable.h), a Unix socket above all.
 * msg is looked at after the call (a peek installs descriptors as a read
 * does); the control messages of a UDP socket made where no wrapper saw
 * it are let go at a glance (wrap_received_control).
 */
static __attribute__((noinline)) ssize_t
recvmsg_looking(int fd, struct msghdr *msg, int flags)
{
	ssize_t ret = inject_hooks.recvmsg(fd, msg, flags);

	if (ret >= 0 && fdt_get(fd) == NULL)
		wrap_received_control(msg);
	if (PEEKING(flags))
		return wrap_peeked(fd, ret, "recvmsg");
	return wrap_moved(fd, ret, 0, "recvmsg");
}

/* After a recvmsg on the tracked descriptor of slot (fdt_slot0), with
 * only the slot kept across the call. */
static inline ssize_t slot_received(_Atomic(struct conn *) *slot,
				    ssize_t ret)
{
	if (likely(ret > 0)) {
		struct conn *c = atomic_load_explicit(slot, memory_order_acquire);

		if (c != NULL)
			atomic_fetch_add_explicit(&c->bytes_received,
						  (uint64_t)ret,
						  memory_order_relaxed);
		return ret;
	}
	return ret < 0 ? wrap_slot_failed(slot, "recvmsg", 0, ret) : ret;
}

/* recvmsg anywhere but on a tracked descriptor below FDT_FANOUT, or a
 * peek. */
static __attribute__((noinline)) ssize_t
recvmsg_other(int fd, struct msghdr *msg, int flags)
{
	/* A plain socket: nothing to count, no descriptor to come, no
	 * reset to see. */
	if (fdt_plain(fd))
		return inject_hooks.recvmsg(fd, msg, flags);
	return recvmsg_looking(fd, msg, flags);
}

/* A TCP socket's path keeps only its slot across the call: no
 * descriptor comes over TCP. */
SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	_Atomic(struct conn *) *slot = fdt_slot0(fd);

	if (unlikely(slot == NULL) || PEEKING(flags))
		return recvmsg_other(fd, msg, flags);
	return slot_received(slot, inject_hooks.recvmsg(fd, msg, flags));
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			 int flags, struct timespec *timeout)
{
	int ret = inject_hooks.recvmmsg(fd, vec, n, flags, timeout);

	/* A descriptor comes over neither TCP nor a plain socket. */
	if (ret > 0 && !fdt_plain(fd) && fdt_get(fd) == NULL)
		for (int i = 0; i < ret; i++)
			wrap_received_control(&vec[i].msg_hdr);
	wrap_mmsg_done(fd, ret, vec, flags, 0, "recvmmsg");
	return ret;
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	return wrap_moved(fd, inject_hooks.read(fd, buf, len), 0, "read");
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return wrap_moved(fd, inject_hooks.readv(fd, iov, n), 0, "readv");
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
			       int flags)
{
	if (PEEKING(flags))
		return wrap_peeked(fd, inject_hooks.__recv_chk(fd, buf, len,
							       buflen, flags),
				   "recv");
	return wrap_moved(fd, inject_hooks.__recv_chk(fd, buf, len, buflen,
						      flags),
			  0, "recv");
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len,
				   size_t buflen, int flags,
				   struct sockaddr *addr, socklen_t *alen)
{
	if (PEEKING(flags))
		return wrap_peeked(fd, inject_hooks.__recvfrom_chk(
					       fd, buf, len, buflen, flags,
					       addr, alen),
				   "recvfrom");
	return wrap_moved(fd, inject_hooks.__recvfrom_chk(fd, buf, len, buflen,
							  flags, addr, alen),
			  0, "recvfrom");
}

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	return wrap_moved(fd, inject_hooks.__read_chk(fd, buf, len, buflen),
			  0, "read");
}
