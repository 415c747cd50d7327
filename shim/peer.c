/*
 * peer.c - tcp_peer_status(): what is known of a peer right now, from
 * TCP_INFO and the send queue, without consuming a pending error.
 */
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>

#include "wrap.h"

static const char *const state_names[] = {
	[TCP_PEER_ALIVE] = "alive",
	[TCP_PEER_PROBING] = "probing",
	[TCP_PEER_DEAD] = "dead",
	[TCP_PEER_RESET] = "reset",
	[TCP_PEER_CLOSED] = "closed",
};

static enum tcp_peer_state peer_state(unsigned int flags, int state,
				      const struct tcp_info *info)
{
	switch (state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT1:
	case TCPS_FIN_WAIT2:
		return info->tcpi_probes || info->tcpi_backoff
			       ? TCP_PEER_PROBING
			       : TCP_PEER_ALIVE;
	case TCPS_CLOSE:
		if (!(flags & CONN_ESTABLISHED) || (flags & CONN_SHUT_WR))
			return TCP_PEER_CLOSED;
		/* The kernel keeps its probe and retransmit counts when it
		 * gives up: a dead peer leaves them above zero. */
		if ((flags & CONN_FAILED) || info->tcpi_probes ||
		    info->tcpi_retransmits)
			return TCP_PEER_DEAD;
		return TCP_PEER_RESET;
	default:
		return TCP_PEER_CLOSED;
	}
}

SHIM_EXPORT int tcp_peer_status(int fd, struct tcp_peer *out)
{
	int saved = errno;
	struct tcp_info info;
	struct conn *c;
	unsigned int flags;
	int state, outq;

	if (event_tcp_domain(fd) < 0)
		return -1;
	if (out == NULL) {
		errno = EFAULT;
		return -1;
	}
	state = event_tcp_info(fd, &info);
	if (state < 0)
		return -1;
	c = fdt_get(fd);
	flags = c ? event_flags(c) : CONN_ESTABLISHED;
	memset(out, 0, sizeof(*out));
	if (c != NULL) {
		if (atomic_load(&c->bytes_sent) || atomic_load(&c->bytes_received))
			flags |= CONN_ESTABLISHED;
		out->bytes_sent = atomic_load(&c->bytes_sent);
		out->bytes_received = atomic_load(&c->bytes_received);
	}
	out->state = peer_state(flags, state, &info);
	out->state_name = state_names[out->state];
	out->probes = info.tcpi_probes;
	out->retransmits = info.tcpi_retransmits;
	out->idle_ms = info.tcpi_last_data_recv;
	out->unacked = ioctl(fd, SIOCOUTQ, &outq) == 0 &&
				       outq >= (int)info.tcpi_notsent_bytes
			       ? outq - (int64_t)info.tcpi_notsent_bytes
			       : 0;
	errno = saved;
	return 0;
}
