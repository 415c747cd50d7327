/*
 * watch_owners.h - how the kernel side of tcpshim watch learns which
 * process holds each socket, in task context (a reset itself is often
 * handled in softirq, where the running task is anybody).  Included once,
 * by watch.bpf.c.
 *
 * Owners are learnt three ways, each in the owner's own task:
 *   connect()  inet_sock_set_state to SYN_SENT, inside connect(2): the
 *              fd is the call's first argument, read from the task's
 *              saved registers; stored in the socket's local storage
 *              (watch_owners).
 *   accept()   the raw sys_exit tracepoint (no tracefs needed), for
 *              accept(2) and accept4(2) alone: the new fd's socket, from
 *              the file table (an untrusted pointer: no socket storage),
 *              goes by address and inode to watch_accepted until
 *              tcp_destroy_sock.
 *   at start   user space maps socket inodes to pid and fd (watch_seed);
 *              the iter/tcp pass stores them in each socket's storage.
 * An owner may let go of a socket later (fork, SCM_RIGHTS, dup):
 * watch_owner_holds tells, when a reset comes, whether it still does.
 */
#ifndef SHIM_BPF_WATCH_OWNERS_H
#define SHIM_BPF_WATCH_OWNERS_H

#define WATCH_S_IFMT 00170000
#define WATCH_S_IFSOCK 0140000

/* watch's own pid namespace (set by user space before loading). */
const volatile __u64 watch_pidns_dev = 0;
const volatile __u64 watch_pidns_ino = 0;
/* This architecture's system call numbers (user space has them). */
const volatile long watch_nr_connect = -1;
const volatile long watch_nr_accept = -1;
const volatile long watch_nr_accept4 = -1;
#define WATCH_IPPROTO_TCP 6
/* The kernel's TCP states, read by user space from its BTF. */
const volatile int watch_tcp_syn_sent = -1;
const volatile int watch_tcp_time_wait = -1;
const volatile int watch_tcp_new_syn_recv = -1;

/* Linux 6.2 and later; without them an owner is taken to hold on. */
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

/* Sockets whose owner the start-up pass stored; connections whose
 * owner was learnt since (connect, accept). */
__u64 watch_seeded = 0;
__u64 watch_learnt = 0;

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct watch_owner);
} watch_owners SEC(".maps");

/* Socket inode → owner, written by user space for the iter/tcp pass. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct watch_owner);
} watch_seed SEC(".maps");

/* An accepted socket's address → owner (with the inode, checked), until
 * tcp_destroy_sock.  Full, it takes no more: /proc answers for those. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct watch_owner);
} watch_accepted SEC(".maps");

/* The system call a task's user registers were saved for (-1: none).
 * regs is a pointer the verifier knows (from the tracepoint or
 * bpf_task_pt_regs): a plain load, no helper call, on every sys_exit. */
static __s64 watch_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return (__s64)regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return (__s64)regs->syscallno;
#else
	return -1;
#endif
}

/* The calling process as watch sees it: pid 0 outside its pid namespace
 * (known, then, to be nobody watch can name). */
static void watch_owner_current(struct watch_owner *o, long fd)
{
	struct bpf_pidns_info ns = {};
	struct task_struct *task = bpf_get_current_task_btf();

	o->pid = bpf_get_ns_current_pid_tgid(watch_pidns_dev, watch_pidns_ino,
					     &ns, sizeof(ns)) == 0 ? ns.tgid : 0;
	o->tgid = bpf_get_current_pid_tgid() >> 32;
	o->fd = (__s32)fd;
	o->inode = 0;
	/* The process's name, not the thread's (a worker, a pool). */
	BPF_CORE_READ_STR_INTO(&o->comm, task, group_leader, comm);
}

static __u64 watch_sock_inode(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
}

/* The socket behind descriptor fd of task, as an address (the file table
 * gives untrusted pointers: no socket storage through them), and its
 * inode; 0 if fd is no socket. */
static __u64 watch_sock_of_fd(struct task_struct *task, long fd, __u64 *inode)
{
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

static __u64 watch_own_sock_of_fd(long fd, __u64 *inode)
{
	return watch_sock_of_fd((struct task_struct *)bpf_get_current_task(),
				fd, inode);
}

/* Whether o's process still has sk at descriptor o->fd (1 when that
 * cannot be told: an owner seen from another pid namespace). */
static int watch_owner_holds(const struct watch_owner *o, struct sock *sk,
			     __u64 *cgroup)
{
	struct task_struct *task;
	__u64 ino = 0, held;

	if (o->tgid == 0 || !bpf_task_from_pid || !bpf_task_release)
		return 1;
	task = bpf_task_from_pid(o->tgid);
	if (task == NULL)
		return 0;
	*cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	held = watch_sock_of_fd(task, o->fd, &ino);
	bpf_task_release(task);
	return held == (__u64)sk;
}

/* accept()'s new descriptor: its socket into watch_accepted. */
static void watch_accepted_fd(long fd)
{
	struct watch_owner o = {};
	__u64 ino = 0, key = watch_own_sock_of_fd(fd, &ino);

	if (key == 0 || BPF_CORE_READ((struct sock *)key, sk_protocol) !=
			WATCH_IPPROTO_TCP)
		return;
	watch_owner_current(&o, fd);
	o.inode = ino;
	if (bpf_map_update_elem(&watch_accepted, &key, &o, BPF_ANY) == 0)
		__sync_fetch_and_add(&watch_learnt, 1);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(watch_sys_exit, struct pt_regs *regs, long ret)
{
	__s64 nr = watch_syscall_nr(regs);

	/* Every system call leaves here: all but accept at this test. */
	if ((nr != watch_nr_accept && nr != watch_nr_accept4) || ret < 0)
		return 0;
	watch_accepted_fd(ret);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(watch_set_state, const struct sock *sk, int oldstate,
	     int newstate)
{
	struct pt_regs *regs;
	struct watch_owner o = {};
	struct watch_owner *s;
	__u64 ino = 0;
	long fd;

	if (newstate != watch_tcp_syn_sent || sk == NULL)
		return 0;
	/* Inside connect(2), whose first argument is the fd (not, say, a
	 * connection io_uring makes while the thread waits elsewhere). */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (watch_syscall_nr(regs) != watch_nr_connect)
		return 0;
	fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	if (watch_own_sock_of_fd(fd, &ino) != (__u64)sk)
		return 0;
	s = bpf_sk_storage_get(&watch_owners, (struct sock *)sk, NULL,
			       BPF_SK_STORAGE_GET_F_CREATE);
	if (s == NULL)
		return 0;
	watch_owner_current(&o, fd);
	o.inode = ino;
	*s = o;
	__sync_fetch_and_add(&watch_learnt, 1);
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
	if (s != NULL) {
		*s = *o;
		watch_seeded++;
	}
	return 0;
}

/* The owner of sk as learnt, or NULL. */
static const struct watch_owner *watch_owner_of(struct sock *sk)
{
	struct watch_owner *o = bpf_sk_storage_get(&watch_owners, sk, NULL, 0);
	__u64 key = (__u64)sk, ino;

	if (o != NULL)
		return o;
	o = bpf_map_lookup_elem(&watch_accepted, &key);
	ino = watch_sock_inode(sk);
	if (o != NULL && ino != 0 && ino != o->inode)
		return NULL;
	return o;
}

#endif
