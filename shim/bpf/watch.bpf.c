/*
 * watch.bpf.c - the kernel side of tcpshim watch: one ring-buffer record
 * per hit of tcp_send_reset and tcp_receive_reset.  Its owner is found
 * afterwards (watch_owners.h), never taken from the task that happens to
 * run when the reset is processed (often softirq).
 *
 * A record holds facts, not verdicts: for a sent reset, the running task,
 * its system call and the kernel stack (which tell a close from a
 * connect(AF_UNSPEC) from a SOCK_DESTROY); for a received one, what the
 * connection looked like when the RST came (probes unanswered, data
 * unacknowledged, the silence before it was sent).  cmd/watch_cause.c
 * judges them.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/watch_record.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define WATCH_AF_INET 2
#define WATCH_AF_INET6 10
#define WATCH_TCP_SYN_FLAG 0x02
#define WATCH_TCP_ACK_FLAG 0x10
/* include/linux/sched.h's PF_EXITING and PF_KTHREAD, the same since
 * Linux 2.6; no BTF type carries them. */
#define WATCH_PF_EXITING 0x00000004
#define WATCH_PF_KTHREAD 0x00200000

/* The kernel's tick rate, from its configuration; 0: not known. */
const volatile __u32 watch_hz = 0;
/* 1 << state for each TCP state past this end's shutdown of reading
 * (FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, CLOSING, LAST_ACK), where the
 * kernel aborts a connection that still receives data: it calls its
 * received-reset path, then sends a reset (TCP_ABORT_ON_DATA). */
const volatile __u32 watch_after_close_states = 0;

/* The cookie of the last reset received after close, on this CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} watch_received_after_close SEC(".maps");
/* Records the ring buffer had no room for: resets, and closes (whose
 * resets may then name no owner). */
__u64 watch_dropped = 0;
__u64 watch_closes_dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23);
} watch_events SEC(".maps");

static struct watch_record *watch_record_new(__u32 kind)
{
	struct watch_record *r;

	r = bpf_ringbuf_reserve(&watch_events, sizeof(*r), 0);
	if (r == NULL) {
		__sync_fetch_and_add(kind == WATCH_CLOSED ? &watch_closes_dropped
							  : &watch_dropped, 1);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->time_ns = bpf_ktime_get_ns();
	r->kind = kind;
	return r;
}

/*
 * Out to user space.  watch reads the ring buffer every WATCH_POLL_MS
 * whatever happens, so a reset does not wake it (a wake-up, an
 * interrupt to another CPU, costs more than the rest of the record):
 * only a ring buffer this full does, so that a storm is read as fast as
 * it comes.
 */
#define WATCH_WAKE_BYTES (1 << 20)
static void watch_record_submit(struct watch_record *r)
{
	bpf_ringbuf_submit(r, bpf_ringbuf_query(&watch_events,
						BPF_RB_AVAIL_DATA) >=
				      WATCH_WAKE_BYTES ? BPF_RB_FORCE_WAKEUP
						       : BPF_RB_NO_WAKEUP);
}

#include "bpf/watch_owners.h"

/* What the connection looked like when the reset came: the facts the
 * rules of halfopen_reset read, as TCP_INFO would give them. */
static void watch_fill_tcp(struct watch_record *r, struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__s32 silence = (__s32)(BPF_CORE_READ(tp, lsndtime) -
				BPF_CORE_READ(tp, rcv_tstamp));

	r->flags |= WATCH_FULL_SOCK;
	r->bytes_sent = BPF_CORE_READ(tp, bytes_sent);
	r->bytes_received = BPF_CORE_READ(tp, bytes_received);
	r->probes = BPF_CORE_READ(&tp->inet_conn, icsk_probes_out);
	r->unacked = BPF_CORE_READ(tp, packets_out);
	r->silence_ms = watch_hz == 0 ? -1 :
			silence < 0 ? 0 : (__s32)((__s64)silence * 1000 / watch_hz);
}

/* Addresses, counters and netns of a socket the tracepoint gave; one a
 * process holds is marked, for its owner to be found. */
static void watch_fill_sock(struct watch_record *r, struct sock *sk)
{
	r->flags |= WATCH_HAS_SOCK;
	r->cookie = bpf_get_socket_cookie(sk);
	r->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	r->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	r->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r->peer_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* A full socket's inet_sport (skc_num is cleared when a close lets
	 * the port go, before the reset is sent); a TIME-WAIT or request
	 * socket has only skc_num. */
	if (r->state == watch_tcp_new_syn_recv || r->state == watch_tcp_time_wait)
		r->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	else
		r->local_port = __builtin_bswap16(BPF_CORE_READ(
			(struct inet_sock *)sk, inet_sport));
	if (r->family == WATCH_AF_INET6) {
		BPF_CORE_READ_INTO(&r->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r->peer_addr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)r->local_addr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)r->peer_addr, sk, __sk_common.skc_daddr);
	}
	if (r->state == watch_tcp_new_syn_recv || r->state == watch_tcp_time_wait)
		return;
	watch_fill_tcp(r, sk);
	r->inode = watch_sock_inode(sk);
	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		r->sock_cgroup = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	if (BPF_CORE_READ(sk, sk_socket) == NULL)
		r->flags |= WATCH_NO_FILE;
	/* Held by a task (close, connect, sock_diag): softirq never works
	 * on a socket a task holds; it leaves segments in its backlog. */
	if (BPF_CORE_READ(sk, sk_lock.owned))
		r->flags |= WATCH_LOCKED;
	if (!(r->flags & WATCH_NO_FILE))
		watch_mark_pending(sk, r->cookie);
}

/* The running task, its system call and the kernel stack: which path
 * sent the reset, and who took it. */
static void watch_fill_actor(struct watch_record *r, void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct bpf_pidns_info ns = {};
	long n;

	n = bpf_get_stack(ctx, r->stack, sizeof(r->stack), 0);
	if (n <= 0)
		return;
	r->stack_bytes = (__u32)n;
	r->flags |= WATCH_HAS_ACTOR;
	/* A kernel thread (a worker's delayed close) acts for nobody.  (Not
	 * mm: a process being killed has let its memory go before its
	 * files.) */
	if (!(BPF_CORE_READ(task, flags) & WATCH_PF_KTHREAD) &&
	    bpf_get_ns_current_pid_tgid(watch_pidns_dev, watch_pidns_ino, &ns,
					sizeof(ns)) == 0)
		r->actor.pid = ns.tgid;
	BPF_CORE_READ_STR_INTO(&r->actor.comm, task, group_leader, comm);
	r->actor.cgroup = bpf_get_current_cgroup_id();
	r->actor.arg0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	r->actor.nr = watch_syscall_nr(regs);
}

/* No socket: the addresses of the segment answered, read from its
 * headers (its destination is this host). */
static void watch_fill_skb(struct watch_record *r, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *ip = head + BPF_CORE_READ(skb, network_header);
	unsigned char *th = head + BPF_CORE_READ(skb, transport_header);
	__u8 version = 0, tcp_flags = 0;
	__u16 ports[2] = {};

	r->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	bpf_probe_read_kernel(&version, 1, ip);
	version >>= 4;
	if (version == 4) {
		r->family = WATCH_AF_INET;
		bpf_probe_read_kernel(r->peer_addr, 4,
				      ip + offsetof(struct iphdr, saddr));
		bpf_probe_read_kernel(r->local_addr, 4,
				      ip + offsetof(struct iphdr, daddr));
	} else if (version == 6) {
		r->family = WATCH_AF_INET6;
		bpf_probe_read_kernel(r->peer_addr, 16,
				      ip + offsetof(struct ipv6hdr, saddr));
		bpf_probe_read_kernel(r->local_addr, 16,
				      ip + offsetof(struct ipv6hdr, daddr));
	} else {
		return;
	}
	bpf_probe_read_kernel(ports, sizeof(ports), th);
	r->peer_port = __builtin_bswap16(ports[0]);
	r->local_port = __builtin_bswap16(ports[1]);
	bpf_probe_read_kernel(&tcp_flags, 1, th + 13);
	if ((tcp_flags & WATCH_TCP_SYN_FLAG) && !(tcp_flags & WATCH_TCP_ACK_FLAG))
		r->flags |= WATCH_SYN;
}

/* Whether tcp_send_reset carries the reason (Linux 6.10 and later): user
 * space reads it from the tracepoint's type.  Without it the argument is
 * never read, so the verifier of an older kernel never sees the read. */
const volatile int watch_reset_has_reason = 1;
/* --netns and --port, applied here: a storm elsewhere on the host must
 * not fill the ring buffer with records nobody asked for. */
const volatile __u64 watch_want_netns = 0;
const volatile __u32 watch_want_port = 0;
const volatile int watch_tcp_listen = -1;

static int watch_netns_wanted(__u64 netns)
{
	return watch_want_netns == 0 || netns == watch_want_netns;
}

/* Whether --port wants the reset, before any room is taken for it:
 * the socket's ports, or (no socket of its own) the segment's. */
static int watch_port_wanted(const struct sock *sk, const struct sk_buff *skb)
{
	__u16 ports[2] = {}, local, peer;
	unsigned char *th;
	int state;

	if (watch_want_port == 0)
		return 1;
	if (sk != NULL) {
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
		peer = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		local = state == watch_tcp_new_syn_recv ||
			state == watch_tcp_time_wait ?
			BPF_CORE_READ(sk, __sk_common.skc_num) :
			__builtin_bswap16(BPF_CORE_READ((struct inet_sock *)sk,
							inet_sport));
	} else {
		th = BPF_CORE_READ(skb, head) +
		     BPF_CORE_READ(skb, transport_header);
		bpf_probe_read_kernel(ports, sizeof(ports), th);
		peer = __builtin_bswap16(ports[0]);
		local = __builtin_bswap16(ports[1]);
	}
	return local == watch_want_port || peer == watch_want_port;
}

/* A reset sent on the socket whose "received" reset this CPU just
 * recorded after close: the kernel's abort on data, both halves. */
static void watch_pair_received(struct watch_record *r)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&watch_received_after_close, &zero);

	if (last == NULL || *last == 0 || *last != r->cookie)
		return;
	r->flags |= WATCH_ABORTS_RECEIVED;
	*last = 0;
}

/* (sk, skb[, reason]): raw, since the reason may not be there. */
SEC("tp_btf/tcp_send_reset")
int watch_send_reset(__u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	const struct sk_buff *skb = (const struct sk_buff *)ctx[1];
	struct watch_record *r;
	__u64 netns;
	int listener;

	if (sk != NULL)
		netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	else if (skb != NULL)
		netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	else
		return 0;
	if (!watch_netns_wanted(netns))
		return 0;
	/* A listener answering a segment for no connection of its own (a
	 * peer that restarted and listens again): the segment tells. */
	listener = sk != NULL && skb != NULL &&
		   BPF_CORE_READ(sk, __sk_common.skc_state) == watch_tcp_listen;
	if (!watch_port_wanted(listener ? NULL : sk, skb))
		return 0;
	r = watch_record_new(WATCH_RST_SENT);
	if (r == NULL)
		return 0;
	if (watch_reset_has_reason) {
		r->reason = (__u32)ctx[2];
		r->flags |= WATCH_HAS_REASON;
	}
	if (sk != NULL && !listener) {
		watch_fill_sock(r, (struct sock *)sk);
		watch_fill_actor(r, ctx);
		watch_pair_received(r);
	} else {
		watch_fill_skb(r, skb);
		/* The listener's: a segment in its backlog has no device. */
		r->netns = netns;
	}
	watch_record_submit(r);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(watch_receive_reset, struct sock *sk)
{
	struct watch_record *r;

	if (sk == NULL || !watch_netns_wanted(BPF_CORE_READ(sk,
					__sk_common.skc_net.net, ns.inum)) ||
	    !watch_port_wanted(sk, NULL))
		return 0;
	r = watch_record_new(WATCH_RST_RECEIVED);
	if (r == NULL)
		return 0;
	watch_fill_sock(r, sk);
	/* Run from the backlog by the task that holds the socket's lock (a
	 * close, a read): that task is the one working on it. */
	if (r->flags & WATCH_LOCKED)
		watch_fill_actor(r, ctx);
	if (r->state < 32 && (watch_after_close_states >> r->state & 1)) {
		__u32 zero = 0;
		__u64 *last = bpf_map_lookup_elem(&watch_received_after_close,
						  &zero);

		r->flags |= WATCH_AFTER_CLOSE;
		if (last != NULL)
			*last = r->cookie;
	}
	watch_record_submit(r);
	return 0;
}
