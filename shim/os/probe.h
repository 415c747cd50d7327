/*
 * probe.h - looking at a socket in ways that consume nothing the program
 * may still read: SO_PROTOCOL and friends, TCP_INFO, SIOCOUTQ.  Never
 * SO_ERROR or MSG_PEEK, which would swallow a pending ECONNRESET.
 */
#ifndef SHIM_OS_PROBE_H
#define SHIM_OS_PROBE_H

#include <linux/tcp.h>

#include "core/classify.h"
#include "core/conn.h"

/* tcpi_state of fd, and TCP_INFO in *info if info is not NULL; -1 if
 * fd has none. */
int probe_tcp_info(int fd, struct tcp_info *info);

/*
 * The domain (AF_INET or AF_INET6) of TCP socket fd; else -1 with errno
 * EBADF, ENOTSOCK, or EOPNOTSUPP (a socket, but not TCP over IP).
 */
int probe_tcp_domain(int fd);

/*
 * What a connection brings that arrives from elsewhere (SCM_RIGHTS),
 * whose earlier calls the shim never saw: its state, SO_LINGER {1, 0},
 * its peer, and what the program has sent and received on it so far, as
 * the kernel counts it (payload sent once and payload waiting to go;
 * payload received less what is still unread: neither SYN nor FIN is a
 * byte).  state is -1, and the rest zero, where the kernel cannot say.
 */
struct probe_arrival {
	int state;
	int linger0;
	uint64_t sent, received;
	struct sockaddr_storage peer;	/* AF_UNSPEC if not known */
	socklen_t peer_len;
};
void probe_arrival(int fd, struct probe_arrival *a);

/*
 * What can be seen of fd's connection c now: flags (with
 * CONN_ESTABLISHED if it ever was), TCP_INFO, the unacknowledged bytes.
 * err is the errno the program saw (0 at close).
 */
void probe_observe(int fd, struct conn *c, int err, struct observation *o);

/*
 * When probes are out: TCP_KEEPCNT and TCP_USER_TIMEOUT into o, which a
 * connection that died unnoticed needs (classify_close).
 */
void probe_keepalive(int fd, struct observation *o);

#endif
