/*
 * probe.c - what the kernel says of a socket, asked without side effects.
 */
#include "os/probe.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/tcpinfo.h"
#include "os/process.h"
#include "os/real.h"

int probe_tcp_info(int fd, struct tcp_info *info)
{
	struct tcp_info local;
	socklen_t len = sizeof(local);

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (real.getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len) != 0)
		return -1;
	return info->tcpi_state;
}

int probe_tcp_domain(int fd)
{
	int protocol, domain, type;
	socklen_t len = sizeof(int);

	/* EBADF and ENOTSOCK come from the kernel as they are. */
	if (real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0)
		return -1;
	if (real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
	    real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    protocol != IPPROTO_TCP || type != SOCK_STREAM ||
	    (domain != AF_INET && domain != AF_INET6)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return domain;
}

static int64_t unacked_bytes(int fd, const struct tcp_info *info)
{
	int outq;

	if (ioctl(fd, SIOCOUTQ, &outq) != 0)
		return -1;
	return tcpinfo_unacked(outq, info);
}

void probe_arrival(int fd, struct probe_arrival *a)
{
	struct tcp_info info;
	struct linger lg;
	socklen_t len = sizeof(lg);
	int inq = 0;
	uint64_t got;

	memset(a, 0, sizeof(*a));
	a->state = probe_tcp_info(fd, &info);
	if (a->state < 0)
		return;
	if (ioctl(fd, SIOCINQ, &inq) != 0 || inq < 0)
		inq = 0;
	got = info.tcpi_bytes_received;
	got -= got > 0 && classify_fin_received(a->state);
	a->received = got > (uint64_t)inq ? got - (uint64_t)inq : 0;
	a->sent = tcpinfo_sent(&info);
	a->linger0 = real.getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) ==
			     0 &&
		     lg.l_onoff && lg.l_linger == 0;
	a->peer_len = sizeof(a->peer);
	if (getpeername(fd, (struct sockaddr *)&a->peer, &a->peer_len) != 0)
		a->peer.ss_family = AF_UNSPEC;
}

void probe_observe(int fd, struct conn *c, int err, struct observation *o)
{
	struct tcp_info info;

	memset(o, 0, sizeof(*o));
	o->err = err;
	o->flags = process_conn_flags(c);
	o->state = probe_tcp_info(fd, &info);
	/* Up once: it said so, it moved bytes, or the handshake gave an
	 * RTT sample (a refused or timed-out SYN gives none). */
	if (atomic_load_explicit(&c->bytes_sent, memory_order_relaxed) ||
	    atomic_load_explicit(&c->bytes_received, memory_order_relaxed) ||
	    info.tcpi_rtt > 0)
		o->flags |= CONN_ESTABLISHED;
	tcpinfo_observe(o, o->state, &info);
	/* Only an ended connection, or a failed call, needs the count: a
	 * healthy close does without the ioctl. */
	o->unacked = (o->flags & CONN_ESTABLISHED) &&
				     (err != 0 || o->state == TCPS_CLOSE)
			     ? unacked_bytes(fd, &info)
			     : 0;
}

void probe_keepalive(int fd, struct observation *o)
{
	socklen_t len = sizeof(int);
	int v;

	if (o->probes == 0)
		return;
	if (real.getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &len) == 0)
		o->keepcnt = v;
	len = sizeof(int);
	if (real.getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &len) == 0)
		o->user_timeout_ms = v;
}
