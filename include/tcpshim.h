/*
 * tcpshim.h - see and control TCP resets.
 *
 * Link with -ltcpshim, or preload libtcpshim.so into an unmodified program.
 * Every function here is safe to call from any thread.  tcp_abort() is also
 * async-signal-safe.  All functions return 0 on success and -1 with errno set
 * on failure, like the system calls they stand beside.
 */
#ifndef TCPSHIM_H
#define TCPSHIM_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TCPSHIM_VERSION "0.1.0"

/*
 * tcp_abort - abortive close: reset the connection and release fd.
 *
 * The peer receives a RST now; data queued in either direction is
 * discarded; fd is closed.  The RST leaves even when other descriptors
 * (dup, fork, SCM_RIGHTS) still refer to the connection: tcp_abort()
 * disconnects the socket itself (connect() with AF_UNSPEC) before closing,
 * instead of relying on SO_LINGER {1, 0}, which resets only when the last
 * reference in any process closes.  Those other descriptors stay open on a
 * socket that is no longer connected: send() fails with EPIPE or
 * ECONNRESET, recv() with ENOTCONN.
 *
 * A TCP socket with no connection to reset (listening, never connected,
 * still connecting, already reset or closed) is closed and 0 returned; no
 * RST leaves and no event is logged.
 *
 * Logs one event: rst_sent, cause abort, call tcp_abort.
 *
 * Errors (the descriptor is then left open and untouched):
 *   EBADF       fd is not an open descriptor.
 *   ENOTSOCK    fd is not a socket.
 *   EOPNOTSUPP  fd is a socket, but not TCP over IPv4 or IPv6.
 */
int tcp_abort(int fd);

/*
 * tcp_keepalive - turn on keepalive probing for one TCP socket.
 *
 * Sets SO_KEEPALIVE, TCP_KEEPIDLE (idle_s), TCP_KEEPINTVL (interval_s) and
 * TCP_KEEPCNT (count) together, so that a dead peer is found after at most
 * idle_s + interval_s * count seconds of silence.  Keepalive does not run
 * while sent data is unacknowledged: see tcp_user_timeout().
 *
 * Errors: EBADF, ENOTSOCK, EOPNOTSUPP (not TCP), EINVAL (a value below 1 or
 * above what the kernel accepts: idle and interval at most 32767 s, count
 * at most 127).  Nothing is changed on error.
 */
int tcp_keepalive(int fd, int idle_s, int interval_s, int count);

/*
 * tcp_user_timeout - bound how long sent data may stay unacknowledged.
 *
 * Sets TCP_USER_TIMEOUT (RFC 5482): when data sent on fd stays
 * unacknowledged for ms milliseconds, the connection is dropped and the
 * program sees ETIMEDOUT.  0 restores the system default.  While keepalive
 * is on, the user timeout also replaces TCP_KEEPCNT as the limit of
 * unanswered probes (tcp(7)).
 *
 * Errors: EBADF, ENOTSOCK, EOPNOTSUPP (not TCP), EINVAL (ms above INT_MAX).
 */
int tcp_user_timeout(int fd, unsigned int ms);

/* What is known of a peer. */
enum tcp_peer_state {
	TCP_PEER_ALIVE = 0,	/* connected; nothing unanswered */
	TCP_PEER_PROBING,	/* keepalive probes or retransmissions unanswered */
	TCP_PEER_DEAD,		/* the connection timed out */
	TCP_PEER_RESET,		/* the connection was reset */
	TCP_PEER_CLOSED,	/* closed in an orderly way, or never connected */
};

struct tcp_peer {
	enum tcp_peer_state state;
	const char *state_name;	/* "alive", "probing", "dead", "reset", "closed" */
	int probes;		/* unanswered keepalive probes now */
	int retransmits;	/* unanswered retransmissions now */
	int64_t idle_ms;	/* ms since data was last received */
	int64_t unacked;	/* bytes sent and not yet acknowledged */
	uint64_t bytes_sent;	/* totals the program sent and received */
	uint64_t bytes_received;
};

/*
 * tcp_peer_status - report what is known of fd's peer right now.
 *
 * Reads TCP_INFO and the send queue; it never consumes an error pending on
 * the socket, so the program still sees it on its next call.
 *
 * Errors: EBADF, ENOTSOCK, EOPNOTSUPP (not TCP), EFAULT (out is NULL).
 */
int tcp_peer_status(int fd, struct tcp_peer *out);

/* Event kinds and causes, as the log names them. */
enum tcp_event_kind {
	TCP_EVENT_RST_SENT = 0,
	TCP_EVENT_RST_RECEIVED,
	TCP_EVENT_HALFOPEN,
	TCP_EVENT_CLOSE,
};

enum tcp_event_cause {
	TCP_CAUSE_ABORT = 0,		/* rst_sent: tcp_abort() */
	TCP_CAUSE_LINGER0,		/* rst_sent: SO_LINGER {1, 0}, then close */
	TCP_CAUSE_UNREAD_DATA,		/* rst_sent: closed with unread data */
	TCP_CAUSE_POLICY,		/* rst_sent: TCPSHIM_CLOSE=abort */
	TCP_CAUSE_REFUSED,		/* rst_received: nothing listens there */
	TCP_CAUSE_PEER_RESET,		/* rst_received: the peer reset */
	TCP_CAUSE_HALFOPEN_RESET,	/* rst_received: peer lost the connection */
	TCP_CAUSE_KEEPALIVE_TIMEOUT,	/* halfopen: probes unanswered */
	TCP_CAUSE_USER_TIMEOUT,		/* halfopen: data unacknowledged */
	TCP_CAUSE_NORMAL,		/* close: orderly */
	TCP_CAUSE_KILLED,		/* rst_sent: torn down from outside the
					 * process (ss -K, or another process
					 * holding the socket) */
	TCP_CAUSE_INJECTED,		/* rst_sent: a TCPSHIM_INJECT rule */
};

/*
 * One event, as tcp_on_event() callbacks receive it.  Pointers in it are
 * valid only during the callback.
 */
struct tcp_event {
	struct timespec time;		/* CLOCK_REALTIME */
	int pid;
	int fd;
	uint64_t conn;			/* same for every alias of the connection */
	uint64_t cookie;		/* SO_COOKIE; valid if has_cookie */
	int has_cookie;
	enum tcp_event_kind kind;
	enum tcp_event_cause cause;
	const char *event;		/* "rst_sent", ... */
	const char *cause_name;		/* "abort", ... */
	const char *call;		/* "connect", "send", "close", ... */
	struct sockaddr_storage local;	/* ss_family AF_UNSPEC if unknown */
	struct sockaddr_storage peer;
	int error;			/* errno the program saw, 0 if none */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	/* From TCP_INFO when the event was detected; -1 where unknown. */
	int64_t probes;
	int64_t retransmits;
	int64_t idle_ms;
	int64_t unacked;
	/* rst_sent/injected: the TCPSHIM_INJECT rule that fired, as written
	 * (with the seed it drew from); NULL for every other event. */
	const char *rule;
};

typedef void (*tcp_event_fn)(const struct tcp_event *ev, void *arg);

/*
 * tcp_on_event - call fn(ev, arg) for every event.
 *
 * Callbacks receive every event kind, whatever TCPSHIM_EVENTS and
 * TCPSHIM_LOG say (those shape the log only).  A callback runs in the
 * thread, and possibly the signal handler, whose call revealed the event:
 * it must be async-signal-safe if the program closes or sends from signal
 * handlers, and it must not block.  Up to 8 callbacks; registering the same
 * fn and arg twice registers it once.  tcp_on_event(NULL, NULL) removes
 * every callback; a callback already running in another thread may still
 * be finishing when it returns.  tcp_on_event() itself is not
 * async-signal-safe: call it from ordinary code.
 *
 * Errors: ENOMEM (8 callbacks are registered already), EINVAL (fn is NULL
 * but arg is not).
 */
int tcp_on_event(tcp_event_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* TCPSHIM_H */
