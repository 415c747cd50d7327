/*
 * watch_record.h - what the kernel side of tcpshim watch hands user space
 * through its ring buffer, and what it keeps per socket.  Plain C with
 * fixed-width types: compiled into the BPF object (with vmlinux.h) and
 * into the command (with linux/types.h).
 *
 * The kernel side records facts; the command judges them (cmd/
 * watch_cause.c): which process owns the socket, which caused the reset,
 * and why.
 */
#ifndef SHIM_BPF_WATCH_RECORD_H
#define SHIM_BPF_WATCH_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WATCH_COMM_LEN 16
/* Kernel frames kept of a sent reset: enough to reach the system call
 * (close, connect, sock_diag) from tcp_send_reset. */
#define WATCH_STACK_DEPTH 24

/* Which tracepoint a record comes from. */
#define WATCH_RST_SENT 1
#define WATCH_RST_RECEIVED 2
/* Not a reset: the last close of a socket a reset came on, with the
 * task that closed it as owner (owner.pid 0: a kernel thread); or, with
 * WATCH_AT_EXIT, a descriptor of an exiting process that holds one. */
#define WATCH_CLOSED 3

/* Holders looked for in one pass, at most. */
#define WATCH_WANTED_MAX 16384

/* flags */
#define WATCH_HAS_SOCK 0x1	/* the tracepoint gave a socket */
#define WATCH_HAS_OWNER 0x2	/* owner: the process found holding it */
#define WATCH_SYN 0x4		/* no socket: the segment was a SYN */
#define WATCH_HAS_REASON 0x8	/* reason is the kernel's */
#define WATCH_FULL_SOCK 0x10	/* bytes, probes, unacked and silence hold */
#define WATCH_HAS_ACTOR 0x40	/* actor and stack: the task that ran */
#define WATCH_NO_FILE 0x80	/* no process holds the socket (never
				   accepted, or already closed) */
#define WATCH_LOCKED 0x100	/* run by the task that holds the socket's
				   lock: the stack is the socket's own path */
#define WATCH_AFTER_CLOSE 0x200	/* received after this end shut down
				   reading: maybe the kernel's own abort */
#define WATCH_ABORTS_RECEIVED 0x400 /* sent on the socket whose reset was
				   just received, on this CPU */
#define WATCH_AT_EXIT 0x800	/* WATCH_CLOSED: held by a process as it
				   exited, maybe not its last holder */

/* The process holding a connection, as watch's pid namespace sees it. */
struct watch_owner {
	__u32 pid;		/* 0: none watch can name */
	__s32 fd;		/* -1: not known */
	char comm[WATCH_COMM_LEN];
};

/* One descriptor of a wanted socket, as the task_file pass writes it. */
struct watch_holder {
	__u64 inode;
	__u64 cgroup;		/* the process's cgroup (v2) id */
	__u32 pid;		/* in watch's pid namespace */
	__s32 fd;
	char comm[WATCH_COMM_LEN];
};

/* The task that was running when a reset was sent: the one that caused
 * it when the stack shows a system call (close, connect, sock_diag). */
struct watch_actor {
	__u32 pid;		/* 0: outside watch's pid namespace, or a
				   kernel thread */
	__u32 pad;
	__u64 cgroup;		/* its cgroup (v2) id */
	__s64 nr;		/* the system call it was in, -1 if none */
	__s64 arg0;		/* that call's first argument */
	char comm[WATCH_COMM_LEN];
};

/* A reset (WATCH_RST_SENT, WATCH_RST_RECEIVED) or a close (WATCH_CLOSED:
 * cookie, flags, owner and owner_cgroup only). */
struct watch_record {
	__u64 time_ns;		/* CLOCK_MONOTONIC */
	__u64 cookie;		/* 0: none */
	__u64 netns;		/* the network namespace's inode */
	__u64 bytes_sent;
	__u64 bytes_received;
	__u32 kind;		/* WATCH_RST_SENT, _RST_RECEIVED or _CLOSED */
	__u32 reason;		/* enum sk_rst_reason, if WATCH_HAS_REASON */
	__u32 flags;
	__u32 state;		/* the socket's TCP state, if WATCH_HAS_SOCK */
	__u16 family;		/* AF_INET or AF_INET6; 0: unknown */
	__u16 local_port;	/* host order */
	__u16 peer_port;
	__u16 pad;
	__u32 probes;		/* keepalive probes unanswered */
	__u32 unacked;		/* segments sent and not acknowledged */
	__s32 silence_ms;	/* last data sent - last ACK received; -1 */
	__u32 stack_bytes;	/* of stack */
	__u64 inode;		/* the socket's inode; 0: no process holds it */
	__u64 owner_cgroup;	/* the owner's cgroup (v2) id, where the
				   owner was found */
	__u64 sock_cgroup;	/* the socket's: where it was made; 0: none */
	__u8 local_addr[16];	/* network order; IPv4 in the first 4 */
	__u8 peer_addr[16];
	struct watch_owner owner;
	struct watch_actor actor;
	__u64 stack[WATCH_STACK_DEPTH];
};

#endif
