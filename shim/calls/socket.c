/*
 * socket.c - where TCP sockets enter the table: socket, accept, accept4,
 * and connect, which records the peer and reveals refusals; and
 * socketpair, whose numbers leave it.
 */
#include <netinet/in.h>
#include <string.h>

#include "api/keepalive.h"
#include "calls/wrap.h"
#include "core/classify.h"
#include "core/config.h"
#include "event/abort_disconnect.h"
#include "event/event.h"
#include "event/inject_engine.h"
#include "event/track.h"
#include "os/probe.h"

static int is_tcp(int domain, int type, int protocol)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	return (domain == AF_INET || domain == AF_INET6) &&
	       type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP);
}

/* fd is a new socket: plain if of the Internet and not TCP (fdtable.h).
 * Clearing is always safe; a vfork child sets nothing in the table it
 * shares with its parent. */
static void made_plain(int fd, int domain, int type, int protocol)
{
	int plain = (domain == AF_INET || domain == AF_INET6) &&
		    !is_tcp(domain, type, protocol);

	if (!plain || fdt_plain(fd) || !shim_in_vfork_child())
		fdt_set_plain(fd, plain);
}

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	int fd = real.socket(domain, type, protocol);

	if (fd >= 0 && !shim_passive)
		made_plain(fd, domain, type, protocol);
	/* A vfork child must not replace what the parent tracks there. */
	if (fd >= 0 && !shim_passive &&
	    (fdt_get(fd) == NULL || !shim_in_vfork_child())) {
		struct conn *c = NULL;

		if (is_tcp(domain, type, protocol)) {
			c = conn_new(process_new_conn_flags() | CONN_POLICY);
			if (shim_config.keepalive || shim_config.user_timeout)
				keepalive_apply_policy(fd);
		}
		fdt_track(fd, c);
	}
	return fd;
}

/*
 * Neither end of a new pair is a TCP socket: whatever the table still
 * holds at either number (a socket closed where no wrapper saw it, such
 * as by fclose) is let go, as socket() does.  Otherwise a sendmsg there
 * would take the tracked path, which never looks at SCM_RIGHTS (send.c).
 */
SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int ret = real.socketpair(domain, type, protocol, sv);

	if (ret == 0 && !shim_passive)
		for (int i = 0; i < 2; i++) {
			fdt_set_plain(sv[i], 0);
			if (fdt_get(sv[i]) != NULL && !shim_in_vfork_child())
				fdt_track(sv[i], NULL);
		}
	return ret;
}

/*
 * A connection accepted from listener lfd (tracked as l, or NULL).  A
 * listener the shim did not see created (inherited across exec, as with
 * socket activation) is looked at once, when it yields an IP address.
 */
static void track_accepted(int lfd, struct conn *l, int fd,
			   const struct sockaddr *addr, socklen_t len)
{
	struct conn *c;
	int family = addr ? addr->sa_family : AF_UNSPEC;

	if (l == NULL && (family == AF_INET || family == AF_INET6)) {
		int saved = errno;

		l = track_adopt(lfd);
		errno = saved;
	}
	if (l == NULL) {
		fdt_track(fd, NULL);
		return;
	}
	/*
	 * Accepted sockets inherit SO_LINGER, keepalive and the user timeout
	 * from their listener; a listener the shim did not create (so did
	 * not give the policy) passes none of the policy on.
	 */
	c = conn_new(process_new_conn_flags() | CONN_ESTABLISHED |
		     (conn_flags(l) & (CONN_LINGER0 | CONN_POLICY)));
	if (c != NULL && !(conn_flags(l) & CONN_POLICY) &&
	    (shim_config.keepalive || shim_config.user_timeout)) {
		keepalive_apply_policy(fd);
		conn_set(c, CONN_POLICY);
	}
	if (c != NULL) {
		conn_addr_from_sockaddr(&c->peer, addr, len);
		inject_established(c);
	}
	fdt_track(fd, c);
}

/* accept (use4 0) or accept4. */
static int accept_and_track(int lfd, struct sockaddr *addr,
			    socklen_t *alen, int flags, int use4)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	socklen_t cap = addr && alen ? *alen : 0;
	int fd;

	if (shim_passive)
		return use4 ? real.accept4(lfd, addr, alen, flags)
			    : real.accept(lfd, addr, alen);
	/* The peer's address is needed later (getpeername fails after a
	 * reset): when the program does not ask for it, ask for it. */
	if (addr == NULL) {
		addr = (struct sockaddr *)&ss;
		alen = &sslen;
		cap = sslen;
	}
	fd = use4 ? real.accept4(lfd, addr, alen, flags)
		  : real.accept(lfd, addr, alen);
	if (fd >= 0)
		fdt_set_plain(fd, 0);
	if (fd >= 0 && (fdt_get(fd) == NULL || !shim_in_vfork_child()))
		track_accepted(lfd, fdt_get(lfd), fd, addr,
			       cap < *alen ? cap : *alen);
	return fd;
}

SHIM_EXPORT int accept4(int lfd, struct sockaddr *addr, socklen_t *alen,
			int flags)
{
	return accept_and_track(lfd, addr, alen, flags, 1);
}

SHIM_EXPORT int accept(int lfd, struct sockaddr *addr, socklen_t *alen)
{
	return accept_and_track(lfd, addr, alen, 0, 0);
}

SHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct conn *c = fdt_get(fd);
	int ret, err;

	if (c == NULL) {
		ret = real.connect(fd, addr, len);
		if (ret != 0 && classify_wants(errno))
			event_call_failed(fd, NULL, "connect", errno);
		return ret;
	}
	if (addr != NULL && len >= sizeof(sa_family_t) &&
	    addr->sa_family == AF_UNSPEC)
		return abort_disconnect(fd, c, probe_tcp_info(fd, NULL),
					"connect", NULL);
	ret = real.connect(fd, addr, len);
	err = errno;
	/*
	 * A new attempt is a new connection: one that went out, and one
	 * refused again (each ECONNREFUSED is a RST of its own: the one
	 * before was read, by this call or the one that logged it).
	 */
	if ((ret == 0 || err == EINPROGRESS || err == ECONNREFUSED) &&
	    (conn_flags(c) & (CONN_REPORTED | CONN_FAILED | CONN_SHUT_WR)))
		conn_renew(c);
	/* EINTR: the attempt goes on, and may be refused unseen. */
	if (addr != NULL && (ret == 0 || err == EINPROGRESS || err == EINTR ||
			     classify_wants(err)))
		conn_addr_from_sockaddr(&c->peer, addr, len);
	/* A non-blocking connect that completes later is seen as such by
	 * probe_observe(): it has moved bytes, or has an RTT sample. */
	if (ret == 0 || err == EISCONN) {
		/* EISCONN: a non-blocking connect asked again, maybe long
		 * after; its clock started at the first call that saw it. */
		if (ret == 0)
			inject_established(c);
		conn_set(c, CONN_ESTABLISHED);
	}
	else if (classify_wants(err))
		event_call_failed(fd, c, "connect", err);
	errno = err;
	return ret;
}
