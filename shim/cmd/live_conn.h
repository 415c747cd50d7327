/*
 * live_conn.h - one TCP socket of a running process, as sock_diag
 * reports it, and what that report says of the connection.
 */
#ifndef SHIM_CMD_LIVE_CONN_H
#define SHIM_CMD_LIVE_CONN_H

#include <linux/tcp.h>
#include <stdint.h>
#include <sys/socket.h>

/* One TCP socket of the target, as the kernel reports it. */
struct live_conn {
	int fd;				/* the target's descriptor */
	unsigned int inode;
	int state;			/* tcpi_state numbering */
	uint64_t cookie;
	struct sockaddr_storage local, peer;
	struct tcp_info info;		/* zero where the kernel gave none */
	int has_info;
	uint32_t wqueue;		/* bytes queued to send, unacked too */
	int timer;			/* idiag_timer: 2 is keepalive */
	/* Read through a duplicate, for "ls --options" only. */
	int has_opts;
	int keepalive, idle, interval, count, user_timeout;
};

/* Bytes the target handed to the kernel on c, unsent ones included. */
uint64_t live_conn_bytes_sent(const struct live_conn *c);

/* What tcp_peer_status() would say of c: "alive", "probing", ...; "-"
 * for a listener. */
const char *live_conn_peer_state(const struct live_conn *c);
/* Is c's peer known to be dead (the rule "tcpshim abort --dead" uses)? */
int live_conn_peer_dead(const struct live_conn *c);
/* Bytes sent and not acknowledged. */
int64_t live_conn_unacked(const struct live_conn *c);
/* Is a keepalive timer armed on c (sock_diag's timer 2)? */
int live_conn_keepalive_timer(const struct live_conn *c);

#endif
