/*
 * peer.c - tcp_peer_status(): what is known of a peer right now, from
 * TCP_INFO and the send queue, without consuming a pending error.
 */
#include <errno.h>
#include <string.h>

#include "core/compiler.h"
#include "core/names.h"
#include "core/peer_state.h"
#include "event/track.h"
#include "os/probe.h"

SHIM_EXPORT int tcp_peer_status(int fd, struct tcp_peer *out)
{
	int saved = errno;
	struct observation o;
	struct conn *c;

	if (probe_tcp_domain(fd) < 0)
		return -1;
	if (out == NULL) {
		errno = EFAULT;
		return -1;
	}
	c = track_lookup(fd);
	if (c == NULL) {
		errno = ENOMEM;
		return -1;
	}
	probe_observe(fd, c, 0, &o);
	if (peer_state_wants_keepalive(&o))
		probe_keepalive(fd, &o);
	memset(out, 0, sizeof(*out));
	out->state = peer_state_of(&o);
	out->state_name = names_peer_state(out->state);
	out->probes = o.probes;
	out->retransmits = o.retransmits;
	out->idle_ms = o.idle_ms;
	out->unacked = o.unacked < 0 ? 0 : o.unacked;
	out->bytes_sent = atomic_load(&c->bytes_sent);
	out->bytes_received = atomic_load(&c->bytes_received);
	errno = saved;
	return 0;
}
