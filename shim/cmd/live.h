/*
 * live.h - the connections of a running process, for "tcpshim ls",
 * "tcpshim abort" and "tcpshim keepalive": found through /proc and
 * sock_diag without touching them, and reached, when an action needs
 * it, through a duplicate taken with pidfd_getfd(2).
 */
#ifndef SHIM_CMD_LIVE_H
#define SHIM_CMD_LIVE_H

#include <linux/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

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

struct live_target {
	pid_t pid;
	int pidfd;			/* -1 until an action needs it */
	struct live_conn *conn;
	size_t n;
};

/*
 * Every TCP socket of process pid (descriptors from /proc/PID/fd, facts
 * from sock_diag: nothing is asked of the sockets themselves).  0, or -1
 * with the reason said on stderr.
 */
int live_open(pid_t pid, struct live_target *t);
void live_close(struct live_target *t);

/*
 * A duplicate of the target's descriptor fd, for an action; -1 with the
 * reason said on stderr (not permitted and why, a kernel without
 * pidfd_getfd, the descriptor gone).
 */
int live_getfd(struct live_target *t, int fd);

/*
 * c's keepalive and user-timeout settings, read through a duplicate that
 * lives only for the getsockopt calls (sock_diag does not report them).
 * 0, or -1 with the reason said.
 */
int live_read_options(struct live_target *t, struct live_conn *c);

/* Bytes the target handed to the kernel on c, unsent ones included. */
uint64_t live_bytes_sent(const struct live_conn *c);

/* What tcp_peer_status() would say of c: "alive", "probing", ... */
const char *live_peer_state(const struct live_conn *c);
/* Is c's peer known to be dead (the rule "tcpshim abort --dead" uses)? */
int live_peer_dead(const struct live_conn *c);
/* Bytes sent and not acknowledged. */
int64_t live_unacked(const struct live_conn *c);

/* "PID": a process number, or -1 with the reason said on stderr. */
pid_t live_parse_pid(const char *cmd, const char *s);

#endif
