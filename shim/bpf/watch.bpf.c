/*
 * watch.bpf.c - the kernel side of tcpshim watch: one ring-buffer record
 * per hit of tcp_send_reset and tcp_receive_reset, with the owner of the
 * socket recorded earlier in task context (never the task that happens
 * to run when the reset is processed, often in softirq).
 *
 * Owners are learnt three ways (through the raw sys_enter and sys_exit
 * tracepoints, which need no tracefs: libbpf attaches syscalls:
 * tracepoints through tracefs, which a host need not have mounted):
 *   connect()  sys_enter notes the fd; inet_sock_set_state to SYN_SENT,
 *              in the same task, stores it in the socket's local
 *              storage (watch_owners).
 *   accept()   sys_exit reads the new fd's socket from the file table
 *              (an untrusted pointer: no socket storage); its address
 *              and inode go to watch_accepted until tcp_destroy_sock.
 *   at start   user space maps socket inodes to pid and fd (watch_seed);
 *              the iter/tcp pass stores them in each socket's storage.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/watch_record.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define WATCH_AF_INET 2
#define WATCH_AF_INET6 10
#define WATCH_TCP_SYN_SENT 2
#define WATCH_TCP_TIME_WAIT 6
#define WATCH_TCP_NEW_SYN_RECV 12
#define WATCH_TCP_SYN_FLAG 0x02
#define WATCH_TCP_ACK_FLAG 0x10
#define WATCH_S_IFMT 00170000
#define WATCH_S_IFSOCK 0140000

/* watch's own pid namespace (set by user space before loading). */
const volatile __u64 watch_pidns_dev = 0;
const volatile __u64 watch_pidns_ino = 0;
/* This architecture's system call numbers (user space has them). */
const volatile long watch_nr_connect = -1;
const volatile long watch_nr_accept = -1;
const volatile long watch_nr_accept4 = -1;
/* Records the ring buffer had no room for. */
__u64 watch_dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} watch_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct watch_owner);
} watch_owners SEC(".maps");

/* A connect() or accept() in progress: thread → the call, its process
 * and (connect) its fd. */
struct watch_call {
	struct watch_owner owner;
	long nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct watch_call);
} watch_calls SEC(".maps");

/* Socket inode → owner, written by user space for the iter/tcp pass. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct watch_owner);
} watch_seed SEC(".maps");

/* An accepted socket's address → owner (with the inode, checked). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct watch_owner);
} watch_accepted SEC(".maps");

/* The calling process as watch sees it; 0 if outside its pid namespace. */
static int watch_owner_current(struct watch_owner *o, long fd)
{
	struct bpf_pidns_info ns = {};

	if (bpf_get_ns_current_pid_tgid(watch_pidns_dev, watch_pidns_ino, &ns,
					sizeof(ns)) != 0)
		return 0;
	o->pid = ns.tgid;
	o->fd = (__s32)fd;
	o->inode = 0;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	return 1;
}

static __u64 watch_sock_inode(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
}

/* Every system call enters here; connect() and accept() are noted. */
SEC("tp_btf/sys_enter")
int BPF_PROG(watch_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id;
	struct watch_call c = { .nr = nr };

	if (nr != watch_nr_connect && nr != watch_nr_accept &&
	    nr != watch_nr_accept4)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (watch_owner_current(&c.owner, PT_REGS_PARM1_CORE_SYSCALL(regs)))
		bpf_map_update_elem(&watch_calls, &id, &c, BPF_ANY);
	return 0;
}

static int watch_accepted_fd(const struct watch_owner *caller, long fd);
static __u64 watch_sock_of_fd(long fd, __u64 *inode);

SEC("tp_btf/sys_exit")
int BPF_PROG(watch_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct watch_call *c = bpf_map_lookup_elem(&watch_calls, &id);

	if (c == NULL)
		return 0;
	if (c->nr != watch_nr_connect)
		watch_accepted_fd(&c->owner, ret);
	bpf_map_delete_elem(&watch_calls, &id);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(watch_set_state, const struct sock *sk, int oldstate,
	     int newstate)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct watch_call *c;
	struct watch_owner *s;
	__u64 ino = 0;

	if (newstate != WATCH_TCP_SYN_SENT || sk == NULL)
		return 0;
	c = bpf_map_lookup_elem(&watch_calls, &id);
	if (c == NULL || c->nr != watch_nr_connect)
		return 0;
	/* Only if connect's descriptor is this very socket (not, say, a
	 * connection io_uring makes while the thread waits elsewhere). */
	if (watch_sock_of_fd(c->owner.fd, &ino) != (__u64)sk)
		return 0;
	s = bpf_sk_storage_get(&watch_owners, (struct sock *)sk, NULL,
			       BPF_SK_STORAGE_GET_F_CREATE);
	if (s == NULL)
		return 0;
	*s = c->owner;
	s->inode = ino;
	return 0;
}

/* The socket behind descriptor fd of the calling process, as an address
 * (the file table gives untrusted pointers: no socket storage through
 * them), and its inode; 0 if fd is no socket. */
static __u64 watch_sock_of_fd(long fd, __u64 *inode)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	struct socket *sock;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (file == NULL || (BPF_CORE_READ(file, f_inode, i_mode) &
			     WATCH_S_IFMT) != WATCH_S_IFSOCK)
		return 0;
	*inode = BPF_CORE_READ(file, f_inode, i_ino);
	sock = BPF_CORE_READ(file, private_data);
	return (__u64)BPF_CORE_READ(sock, sk);
}

/* accept()'s new descriptor: its socket into watch_accepted. */
static int watch_accepted_fd(const struct watch_owner *caller, long fd)
{
	struct watch_owner o = *caller;
	__u64 key = watch_sock_of_fd(fd, &o.inode);

	if (key == 0)
		return 0;
	o.fd = (__s32)fd;
	bpf_map_update_elem(&watch_accepted, &key, &o, BPF_ANY);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(watch_destroy, struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&watch_accepted, &key);
	return 0;
}

SEC("iter/tcp")
int watch_seed_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;
	struct watch_owner *o, *s;
	__u64 ino;

	if (skc == NULL)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp == NULL)
		return 0;
	ino = watch_sock_inode((struct sock *)tp);
	o = bpf_map_lookup_elem(&watch_seed, &ino);
	if (o == NULL)
		return 0;
	/* A connect() seen since the start knows better. */
	if (bpf_sk_storage_get(&watch_owners, tp, NULL, 0) != NULL)
		return 0;
	s = bpf_sk_storage_get(&watch_owners, tp, NULL,
			       BPF_SK_STORAGE_GET_F_CREATE);
	if (s != NULL)
		*s = *o;
	return 0;
}

/* Addresses, counters, netns and owner of a socket the tracepoint gave. */
static void watch_fill_sock(struct watch_record *r, struct sock *sk)
{
	struct watch_owner *o;
	__u64 key = (__u64)sk;
	__u64 ino;

	r->flags |= WATCH_HAS_SOCK;
	r->cookie = bpf_get_socket_cookie(sk);
	r->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	r->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	r->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* inet_sport: skc_num is cleared when a close lets the port go,
	 * before the reset is sent. */
	r->local_port = __builtin_bswap16(BPF_CORE_READ((struct inet_sock *)sk,
							inet_sport));
	r->peer_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (r->family == WATCH_AF_INET6) {
		BPF_CORE_READ_INTO(&r->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r->peer_addr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)r->local_addr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)r->peer_addr, sk, __sk_common.skc_daddr);
	}
	if (r->state == WATCH_TCP_NEW_SYN_RECV ||
	    r->state == WATCH_TCP_TIME_WAIT)
		return;
	r->flags |= WATCH_FULL_SOCK;
	r->bytes_sent = BPF_CORE_READ((struct tcp_sock *)sk, bytes_sent);
	r->bytes_received = BPF_CORE_READ((struct tcp_sock *)sk, bytes_received);
	o = bpf_sk_storage_get(&watch_owners, sk, NULL, 0);
	if (o == NULL) {
		o = bpf_map_lookup_elem(&watch_accepted, &key);
		ino = watch_sock_inode(sk);
		if (o != NULL && ino != 0 && ino != o->inode)
			o = NULL;
	}
	if (o != NULL) {
		r->owner = *o;
		r->flags |= WATCH_HAS_OWNER;
	}
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

static struct watch_record *watch_record_new(__u32 kind)
{
	struct watch_record *r;

	r = bpf_ringbuf_reserve(&watch_events, sizeof(*r), 0);
	if (r == NULL) {
		__sync_fetch_and_add(&watch_dropped, 1);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->time_ns = bpf_ktime_get_ns();
	r->kind = kind;
	return r;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(watch_send_reset, const struct sock *sk, const struct sk_buff *skb,
	     int reason)
{
	struct watch_record *r = watch_record_new(WATCH_RST_SENT);

	if (r == NULL)
		return 0;
	r->reason = (__u32)reason;
	r->flags |= WATCH_HAS_REASON;
	if (sk != NULL)
		watch_fill_sock(r, (struct sock *)sk);
	else if (skb != NULL)
		watch_fill_skb(r, skb);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(watch_receive_reset, struct sock *sk)
{
	struct watch_record *r = watch_record_new(WATCH_RST_RECEIVED);

	if (r == NULL)
		return 0;
	if (sk != NULL)
		watch_fill_sock(r, sk);
	bpf_ringbuf_submit(r, 0);
	return 0;
}
