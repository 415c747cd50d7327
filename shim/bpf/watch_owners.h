/*
 * watch_owners.h - how the kernel side of tcpshim watch finds the process
 * that holds a socket a reset was on.  Included once, by watch.bpf.c.
 *
 * Nothing but a lookup runs for a healthy connection: the owner is
 * looked for once a reset has come, never learnt ahead.  Three programs
 * do it:
 *   iter/task_file  run by user space over every descriptor of every
 *                   process (in batches, for the resets read since the
 *                   last pass): the holders of the socket inodes in
 *                   watch_wanted, with pid, fd, name and cgroup;
 *   tcp_destroy_sock, for a socket a reset marked (watch_pending): the
 *                   task that let go of its last reference, in case it
 *                   closed the socket before the pass could see it (a
 *                   program that closes on ECONNRESET, as most do);
 *   sched_process_exit, in the second after a reset: the exiting
 *                   process's descriptors that hold a marked socket,
 *                   before its exit closes them (a program that exits
 *                   on ECONNRESET: its close says who, not which fd).
 *                   Another process may still hold it (a fork): user
 *                   space takes this only where nothing better comes.
 * A socket closed before its reset (an orphan finishing its FIN) has no
 * holder: its reset names no owner, only the cgroup it was made in.
 */
#ifndef SHIM_BPF_WATCH_OWNERS_H
#define SHIM_BPF_WATCH_OWNERS_H

#define WATCH_S_IFMT 00170000
#define WATCH_S_IFSOCK 0140000

/* watch's own pid namespace (set by user space before loading). */
const volatile __u64 watch_pidns_dev = 0;
const volatile __u64 watch_pidns_ino = 0;
/* This architecture's numbers of the calls that let go of descriptors
 * (user space has them; -1 where a call does not exist). */
const volatile long watch_nr_close = -1;
const volatile long watch_nr_close_range = -1;
const volatile long watch_nr_dup2 = -1;
const volatile long watch_nr_dup3 = -1;
const volatile long watch_nr_io_uring_enter = -1;
const volatile long watch_nr_execve = -1;
const volatile long watch_nr_execveat = -1;
/* The kernel's TCP states, read by user space from its BTF. */
const volatile int watch_tcp_time_wait = -1;
const volatile int watch_tcp_new_syn_recv = -1;

/* A socket a reset came on while a process held it: its last close is
 * reported (watch_destroy).  Freed by the kernel with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} watch_pending SEC(".maps");

/* Socket inodes whose holders the next pass looks for (user space fills
 * and empties it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WATCH_WANTED_MAX);
	__type(key, __u64);
	__type(value, __u8);
} watch_wanted SEC(".maps");

/* The same sockets by inode, for an exit or the pass to find among
 * descriptors; user space forgets each one once it knows its owner.
 * Inode numbers are 32 bits and wrap: the socket's address says that a
 * descriptor's socket is that one. */
struct watch_mark {
	__u64 cookie;
	__u64 sk;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WATCH_WANTED_MAX);
	__type(key, __u64);
	__type(value, struct watch_mark);
} watch_pending_inodes SEC(".maps");

/* When a socket was last marked: an exit looks within a second of it. */
__u64 watch_marked_ns = 0;
#define WATCH_EXIT_WINDOW_NS 1000000000ULL
/* Descriptors an exit looks through, at most, 64 at a time. */
#define WATCH_EXIT_FDS 65536
#define WATCH_BITS_PER_LONG 64

/* The system call a task's user registers were saved for (-1: none).
 * regs is a pointer the verifier knows (bpf_task_pt_regs). */
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

static __u64 watch_sock_inode(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
}

/* A socket a reset came on, held by a process: mark it, so that the last
 * close of it says who closed it. */
static void watch_mark_pending(struct sock *sk, __u64 cookie)
{
	__u64 *mark = bpf_sk_storage_get(&watch_pending, sk, NULL,
					 BPF_SK_STORAGE_GET_F_CREATE);
	struct watch_mark m = { cookie, (__u64)sk };
	__u64 ino;

	if (mark != NULL)
		*mark = cookie;
	ino = watch_sock_inode(sk);
	if (ino != 0)
		bpf_map_update_elem(&watch_pending_inodes, &ino, &m, BPF_ANY);
	watch_marked_ns = bpf_ktime_get_ns();
}

/* The mark of the socket behind a descriptor's file, or NULL. */
static const struct watch_mark *watch_marked_file(struct file *file)
{
	const struct watch_mark *m;
	struct socket *sock;
	__u64 ino;

	if (file == NULL || (BPF_CORE_READ(file, f_inode, i_mode) &
			     WATCH_S_IFMT) != WATCH_S_IFSOCK)
		return NULL;
	ino = BPF_CORE_READ(file, f_inode, i_ino);
	m = bpf_map_lookup_elem(&watch_pending_inodes, &ino);
	sock = BPF_CORE_READ(file, private_data);
	if (m == NULL || (__u64)BPF_CORE_READ(sock, sk) != m->sk)
		return NULL;
	return m;
}

/* The running task let go of the socket with this cookie, at fd (-1:
 * not known): a WATCH_CLOSED record, with flags, and the kernel stack
 * when ctx is given (a release nested in another file's: a Unix socket
 * that carried the descriptor, an io_uring ring). */
static void watch_closed_by_current(void *ctx, __u64 cookie, __s32 fd,
				    __u32 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_pidns_info ns = {};
	struct watch_record *r = watch_record_new(WATCH_CLOSED);

	if (r == NULL)
		return;
	r->cookie = cookie;
	r->flags = flags;
	r->owner.fd = fd;
	/* A kernel worker's delayed close names nobody. */
	if (!(BPF_CORE_READ(task, flags) & WATCH_PF_KTHREAD) &&
	    bpf_get_ns_current_pid_tgid(watch_pidns_dev, watch_pidns_ino, &ns,
					sizeof(ns)) == 0) {
		r->owner.pid = ns.tgid;
		r->flags |= WATCH_HAS_OWNER;
	}
	BPF_CORE_READ_STR_INTO(&r->owner.comm, task, group_leader, comm);
	r->owner_cgroup = bpf_get_current_cgroup_id();
	if (ctx != NULL) {
		long n = bpf_get_stack(ctx, r->stack, sizeof(r->stack), 0);

		r->stack_bytes = n > 0 ? (__u32)n : 0;
	}
	watch_record_submit(r);
}

/*
 * Healthy sockets have no storage: the lookup is all they cost.  The
 * last reference may be let go by whoever held it last: the owner's
 * close, dup2 over it, io_uring, its exit; or a passing reader of the
 * descriptor (watch's own pass, ss -p, lsof), which is nobody's owner
 * and is not reported.
 */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(watch_destroy, struct sock *sk)
{
	struct task_struct *task;
	struct pt_regs *regs;
	__u64 *mark;
	__s64 nr;

	mark = bpf_sk_storage_get(&watch_pending, sk, NULL, 0);
	/* A close holds the socket's lock; softirq or a timer runs on top
	 * of some other task, never with it held. */
	if (mark == NULL || !BPF_CORE_READ(sk, sk_lock.owned))
		return 0;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	nr = watch_syscall_nr(regs);
	if (nr == watch_nr_close)
		watch_closed_by_current(ctx, *mark,
				(__s32)PT_REGS_PARM1_CORE_SYSCALL(regs), 0);
	else if ((BPF_CORE_READ(task, flags) & WATCH_PF_EXITING) ||
		 nr == watch_nr_close_range || nr == watch_nr_dup2 ||
		 nr == watch_nr_dup3 || nr == watch_nr_io_uring_enter ||
		 nr == watch_nr_execve || nr == watch_nr_execveat)
		watch_closed_by_current(ctx, *mark, -1, 0);
	return 0;
}

struct watch_exit_scan {
	struct file **fds;
	unsigned long *open;	/* the bitmap of open descriptors */
};

/* Descriptor fd of the exiting process: a marked socket's, reported. */
static void watch_exit_fd(struct watch_exit_scan *scan, __u32 fd)
{
	const struct watch_mark *m;
	struct file *file = NULL;

	bpf_probe_read_kernel(&file, sizeof(file), &scan->fds[fd]);
	m = watch_marked_file(file);
	if (m != NULL)
		watch_closed_by_current(NULL, m->cookie, (__s32)fd,
					WATCH_AT_EXIT);
}

/* Word i of the open descriptors' bitmap: each open one looked at. */
static long watch_exit_word(__u64 i, void *ctx)
{
	struct watch_exit_scan *scan = ctx;
	unsigned long word = 0;

	bpf_probe_read_kernel(&word, sizeof(word), &scan->open[i]);
	for (__u32 bit = 0; bit < WATCH_BITS_PER_LONG && word != 0; bit++) {
		if (word & 1)
			watch_exit_fd(scan, (__u32)i * WATCH_BITS_PER_LONG + bit);
		word >>= 1;
	}
	return 0;
}

/* Before an exit closes the descriptors: only in the second after a
 * reset marked a socket, and by the last thread using the table;
 * otherwise an exit costs a compare or two. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(watch_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct watch_exit_scan scan;
	struct fdtable *fdt;
	__u32 max;

	if (watch_marked_ns == 0 ||
	    bpf_ktime_get_ns() - watch_marked_ns > WATCH_EXIT_WINDOW_NS)
		return 0;
	/* The last thread to use the table, or (exit_group: threads exit
	 * together) any once the whole group is leaving. */
	if (BPF_CORE_READ(task, files, count.counter) != 1 &&
	    BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (fdt == NULL)
		return 0;
	scan.fds = BPF_CORE_READ(fdt, fd);
	scan.open = BPF_CORE_READ(fdt, open_fds);
	max = BPF_CORE_READ(fdt, max_fds);
	if (max > WATCH_EXIT_FDS)
		max = WATCH_EXIT_FDS;
	bpf_loop(max / WATCH_BITS_PER_LONG, watch_exit_word, &scan, 0);
	return 0;
}

/* A task's process id as watch's pid namespace numbers it: the iterator
 * runs in watch's read(), and visits the tasks that namespace sees. */
static __u32 watch_task_pid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	struct upid up = {};
	__u32 level = BPF_CORE_READ(bpf_get_current_task_btf(), thread_pid,
				    level);

	if (level > 32)		/* MAX_PID_NS_LEVEL */
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level]);
	return (__u32)up.nr;
}

SEC("iter/task_file")
int watch_holders(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct watch_holder h = {};
	__u64 ino;

	if (task == NULL || file == NULL ||
	    (BPF_CORE_READ(file, f_inode, i_mode) & WATCH_S_IFMT) !=
	    WATCH_S_IFSOCK)
		return 0;
	ino = BPF_CORE_READ(file, f_inode, i_ino);
	if (bpf_map_lookup_elem(&watch_wanted, &ino) == NULL ||
	    watch_marked_file(file) == NULL)
		return 0;
	h.inode = ino;
	h.pid = watch_task_pid(task);
	h.fd = (__s32)ctx->fd;
	h.cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&h.comm, task, group_leader, comm);
	bpf_seq_write(ctx->meta->seq, &h, sizeof(h));
	return 0;
}

#endif
