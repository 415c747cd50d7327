/*
 * watch.h - tcpshim watch: every TCP reset on the host, from the kernel's
 * own tracepoints through eBPF, with the process that owns the socket.
 *
 * watch.c parses the options and runs the loop; watch_load.c checks what
 * the kernel and the caller allow, loads, attaches and seeds (with
 * watch_proc.c, which reads /proc, and watch_btf.c, the kernel's own
 * numbers); watch_cause.c judges a record (owner, actor, event, cause),
 * with watch_stack.c, which reads the kernel stack; watch_print.c turns
 * the verdict into a line.  Built only when clang, bpftool and libbpf are
 * there; otherwise watch_unavailable.c says what to install.
 */
#ifndef SHIM_CMD_WATCH_H
#define SHIM_CMD_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <stdio.h>

#include "bpf/watch_record.h"

#define WATCH_PIDS_MAX 64

/* What to print: a record passes when every filter given matches. */
struct watch_filter {
	int pids[WATCH_PIDS_MAX];
	int npids;
	int port;		/* local or peer; 0: any */
	const char *comm;	/* the owner's; NULL: any */
	uint64_t netns;		/* 0: any */
};

int watch_main(int argc, char **argv);
/* watch_usage.c: the usage, on out; returns status. */
int watch_usage(FILE *out, int status);

/* watch_load.c: the BPF object, loaded and attached, owners seeded. */
struct watch_bpf;
/* Loaded with f's --netns and --port, which the kernel side applies. */
struct watch_bpf *watch_load_start(const struct watch_filter *f);
int watch_load_ring_fd(struct watch_bpf *skel);
int watch_load_reasons(struct watch_bpf *skel);	/* the kernel gives them */
uint64_t watch_load_dropped(struct watch_bpf *skel);	/* ring buffer full */
uint64_t watch_load_missed(struct watch_bpf *skel);	/* runs skipped */
struct watch_seeding {
	long sockets;		/* open sockets whose owner is known */
	long processes_unread;	/* whose descriptors watch may not read */
	long netns_unentered;	/* network namespaces watch may not enter */
};
const struct watch_seeding *watch_load_seeded(void);
void watch_load_stop(struct watch_bpf *skel);

/* watch_btf.c: the running kernel's numbers and names. */
int watch_btf_init(void);
void watch_btf_free(void);
const char *watch_btf_reason(uint32_t value);	/* NULL: none */
long watch_btf_enumerator(const char *name);	/* -1: none */
int watch_btf_tracepoint_args(const char *name);	/* -1: none */
unsigned int watch_btf_hz(void);	/* CONFIG_HZ; 0: not known */

/* watch_proc.c: fn is called for each socket descriptor of pid (o->pid,
 * fd, inode, comm) until it returns nonzero; returns that, or -1 when
 * the descriptors are not readable (CAP_SYS_PTRACE). */
typedef int (*watch_proc_fn)(const struct watch_owner *o, void *ctx);
int watch_proc_sockets(int pid, watch_proc_fn fn, void *ctx);
/* The process holding the socket with this inode now, lowest pid first. */
int watch_proc_holder(uint64_t inode, struct watch_owner *o);

/* watch_stack.c: the kernel path that sent a reset. */
enum watch_path {
	WATCH_PATH_UNKNOWN,
	WATCH_PATH_CLOSE,	/* the socket's last close */
	WATCH_PATH_DISCONNECT,	/* connect(AF_UNSPEC) */
	WATCH_PATH_DESTROY,	/* SOCK_DESTROY */
};
#define WATCH_PATHS 3
int watch_stack_init(void);	/* how many of the WATCH_PATHS can be told */
enum watch_path watch_stack_path(const struct watch_record *r);
/* 1 if the close ran from the task's queued work, not a close(2). */
int watch_stack_deferred(const struct watch_record *r);

/* watch_cause.c: one record, judged. */
struct watch_event {
	const struct watch_record *r;
	int kind;		/* enum tcp_event_kind */
	const char *cause;	/* NULL: not known */
	const char *reason;	/* the kernel's; NULL: none */
	int owned;		/* owner holds */
	int closed;		/* the owner's close sent it */
	int looked;		/* /proc was asked who holds it */
	struct watch_owner owner;
	int acted;		/* actor holds: it caused the reset, and it is
				   not the owner */
	struct watch_actor actor;
};
void watch_cause_init(void);
void watch_cause_judge(const struct watch_record *r, struct watch_event *ev);

/* watch_print.c */
int watch_print_wanted(const struct watch_filter *f,
		       const struct watch_event *ev);
size_t watch_print_line(char *buf, size_t size, const struct watch_event *ev,
			const struct timespec *time, int json);

#endif
