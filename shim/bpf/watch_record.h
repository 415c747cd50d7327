/*
 * watch_record.h - what the kernel side of tcpshim watch hands user space
 * through its ring buffer, and what it keeps per socket.  Plain C with
 * fixed-width types: compiled into the BPF object (with vmlinux.h) and
 * into the command (with linux/types.h).
 */
#ifndef SHIM_BPF_WATCH_RECORD_H
#define SHIM_BPF_WATCH_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WATCH_COMM_LEN 16

/* Which tracepoint a record comes from. */
#define WATCH_RST_SENT 1
#define WATCH_RST_RECEIVED 2

/* flags */
#define WATCH_HAS_SOCK 0x1	/* the tracepoint gave a socket */
#define WATCH_HAS_OWNER 0x2	/* pid, fd and comm are known */
#define WATCH_SYN 0x4		/* no socket: the segment was a SYN */
#define WATCH_HAS_REASON 0x8	/* reason is the kernel's */
#define WATCH_FULL_SOCK 0x10	/* bytes_sent and bytes_received hold */

/* The process holding a connection, as watch's pid namespace sees it. */
struct watch_owner {
	__u32 pid;
	__s32 fd;
	__u64 inode;		/* the socket's inode, to check a match */
	char comm[WATCH_COMM_LEN];
};

struct watch_record {
	__u64 time_ns;		/* CLOCK_MONOTONIC */
	__u64 cookie;		/* 0: none */
	__u64 netns;		/* the network namespace's inode */
	__u64 bytes_sent;
	__u64 bytes_received;
	__u32 kind;		/* WATCH_RST_SENT or WATCH_RST_RECEIVED */
	__u32 reason;		/* enum sk_rst_reason, if WATCH_HAS_REASON */
	__u32 flags;
	__u32 state;		/* the socket's TCP state, if WATCH_HAS_SOCK */
	__u16 family;		/* AF_INET or AF_INET6; 0: unknown */
	__u16 local_port;	/* host order */
	__u16 peer_port;
	__u16 pad;
	__u8 local_addr[16];	/* network order; IPv4 in the first 4 */
	__u8 peer_addr[16];
	struct watch_owner owner;
};

#endif
