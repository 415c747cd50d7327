/*
 * diag_msg.h - the messages of sock_diag (NETLINK_SOCK_DIAG, the
 * interface ss(8) uses) for TCP sockets: the request, built, and the
 * answers, read from the bytes the kernel sent.  No system call: the
 * library asks for one connection after a close (os/sockdiag.c), the
 * command for every socket of the host (cmd/live_diag.c).
 */
#ifndef SHIM_CORE_DIAG_MSG_H
#define SHIM_CORE_DIAG_MSG_H

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A request as sent: the netlink header, then what is asked. */
struct diag_msg_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
};

/* Every TCP socket of family (AF_INET or AF_INET6), with its TCP_INFO. */
void diag_msg_dump(struct diag_msg_request *m, int family);

/*
 * The TCP socket with these local and peer addresses and this cookie
 * (the kernel's INET_DIAG_NOCOOKIE, all ones: any), bound to interface
 * ifindex (0: none).  0, or -1 when the addresses are not both IPv4 or
 * both IPv6.
 */
int diag_msg_lookup(struct diag_msg_request *m,
		    const struct sockaddr_storage *local,
		    const struct sockaddr_storage *peer, uint64_t cookie,
		    int ifindex);

/* One socket an answer describes: pointers into the bytes read. */
struct diag_msg_socket {
	const struct inet_diag_msg *msg;
	const void *info;	/* INET_DIAG_INFO's tcp_info, or NULL */
	size_t info_len;	/* shorter from an older kernel */
};

enum diag_msg_kind {
	DIAG_MSG_SOCKET,	/* a socket */
	DIAG_MSG_DONE,		/* the end of a dump */
	DIAG_MSG_ERROR,		/* the kernel's error */
	DIAG_MSG_END,		/* no whole message left in these bytes */
};

/*
 * The next answer in buf[*at..n), one datagram from the kernel (buf
 * aligned as a struct nlmsghdr); *at moves past it.  DIAG_MSG_SOCKET
 * fills *s; DIAG_MSG_ERROR sets *err to the kernel's errno (ENOENT: no
 * such socket; EPROTO if it said none).  Messages of no use here are
 * passed over.
 */
enum diag_msg_kind diag_msg_next(const void *buf, size_t n, size_t *at,
				 struct diag_msg_socket *s, int *err);

/* The socket's cookie. */
uint64_t diag_msg_cookie(const struct inet_diag_msg *m);
/* Its local and peer address, with port. */
void diag_msg_local(const struct inet_diag_msg *m,
		    struct sockaddr_storage *ss);
void diag_msg_peer(const struct inet_diag_msg *m,
		   struct sockaddr_storage *ss);
/* Its TCP_INFO into *info, zero where the answer has none; 1 if it had
 * one. */
int diag_msg_tcp_info(const struct diag_msg_socket *s, struct tcp_info *info);

#endif
