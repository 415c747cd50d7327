/*
 * watch.h - tcpshim watch: every TCP reset on the host, from the kernel's
 * own tracepoints through eBPF, with the process that owns the socket.
 *
 * watch.c parses the options and runs the loop; watch_load.c checks what
 * the kernel and the caller allow, loads and attaches (with watch_btf.c,
 * the kernel's own numbers); watch_holders.c holds the records until the
 * process holding each socket is found; watch_cause.c judges a record
 * (owner, actor, event, cause),
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
/* An event's line or journal entry, at most: the preload's, and room for
 * a cgroup path as long as a path may be, escaped. */
#define WATCH_LINE_MAX (4096 + 2 * 4096)

/* What to print: a record passes when every filter given matches. */
struct watch_filter {
	int pids[WATCH_PIDS_MAX];
	int npids;
	int port;		/* local or peer; 0: any */
	const char *comm;	/* the owner's; NULL: any */
	const char *unit;	/* in the owner's cgroup path; NULL: any */
	uint64_t netns;		/* 0: any */
};

int watch_main(int argc, char **argv);
/* SIGINT or SIGTERM came, or the duration is over. */
int watch_stopping(void);
/* watch_usage.c: the usage, on out; returns status. */
int watch_usage(FILE *out, int status);

/* watch_load.c: the BPF object, loaded and attached. */
struct watch_bpf;
/* Loaded with f's --netns and --port, which the kernel side applies. */
struct watch_bpf *watch_load_start(const struct watch_filter *f);
int watch_load_ring_fd(struct watch_bpf *skel);
int watch_load_reasons(struct watch_bpf *skel);	/* the kernel gives them */
uint64_t watch_load_dropped(struct watch_bpf *skel);	/* ring buffer full */
/* Closes the ring buffer had no room for (their resets' owners). */
uint64_t watch_load_closes_dropped(struct watch_bpf *skel);
uint64_t watch_load_missed(struct watch_bpf *skel);	/* runs skipped */
/* One pass over every process's descriptors: fn for each that holds one
 * of the n socket inodes.  0, or -1 if the pass could not run. */
typedef int (*watch_holder_fn)(const struct watch_holder *h, void *ctx);
int watch_load_pass(struct watch_bpf *skel, const uint64_t *inodes, size_t n,
		    watch_holder_fn fn, void *ctx);
/* The socket's owner is known: exits need not look for it. */
void watch_load_forget(struct watch_bpf *skel, uint64_t inode);
void watch_load_stop(struct watch_bpf *skel);

/* watch_btf.c: the running kernel's numbers and names. */
int watch_btf_init(void);
void watch_btf_free(void);
const char *watch_btf_reason(uint32_t value);	/* NULL: none */
long watch_btf_enumerator(const char *name);	/* -1: none */
int watch_btf_tracepoint_args(const char *name);	/* -1: none */
unsigned int watch_btf_hz(void);	/* CONFIG_HZ; 0: not known */
/* TCP connections opened in watch's network namespace so far (the
 * kernel's ActiveOpens and PassiveOpens, /proc/net/snmp). */
uint64_t watch_btf_tcp_opens(void);

/* watch_holders.c: records held in order until their owner is known. */
typedef void (*watch_holders_fn)(void *ctx, const struct watch_record *r);
/* emit(ctx, r) takes each record once its owner is known, in order. */
void watch_holders_init(struct watch_bpf *skel, watch_holders_fn emit,
			void *ctx);
/* A reset; held: kept back, whatever its owner, until unheld (one at a
 * time), and not emitted at all if dropped then. */
int watch_holders_add(const struct watch_record *r, int held);	/* 1: held */
void watch_holders_unhold(int drop);
void watch_holders_closed(const struct watch_record *r);	/* WATCH_CLOSED */
/* A pass for the owners not known yet (one each WATCH_PASS_MS at most,
 * unless now), then emit, in order, each record up to the first that
 * waits. */
void watch_holders_flush(int now);
/* Every record left, with the owner found so far or none. */
void watch_holders_end(void);
/* Passes that could not run: their records named no owner. */
uint64_t watch_holders_failed(void);
void watch_holders_free(void);

/* watch_index.c: queue positions by socket cookie. */
struct watch_index {
	struct {
		uint64_t cookie;
		size_t pos;	/* + 1; 0: an empty slot */
	} *slot;
	size_t slots;		/* a power of two, or 0 */
	size_t used;
};
/* Emptied, with room for entries: -1 without memory. */
int watch_index_reset(struct watch_index *x, size_t entries);
/* -1 when more than half full: reset it bigger first. */
int watch_index_add(struct watch_index *x, uint64_t cookie, size_t pos);
/* The sum of fn(pos, arg) over the positions stored under cookie. */
int watch_index_each(const struct watch_index *x, uint64_t cookie,
		     int (*fn)(size_t pos, const void *arg), const void *arg);
void watch_index_free(struct watch_index *x);

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
	unsigned int cause;	/* enum tcp_event_cause, or NAMES_CAUSE_*
				   (core/names.h) */
	const char *reason;	/* the kernel's; NULL: none */
	int owned;		/* owner holds */
	int closed;		/* the owner's close sent it */
	struct watch_owner owner;
	int acted;		/* actor holds: it caused the reset, and it is
				   not the owner */
	struct watch_actor actor;
	const char *cgroup;	/* the owner's cgroup path; NULL: unknown */
};
void watch_cause_init(void);
void watch_cause_judge(const struct watch_record *r, struct watch_event *ev);

/* watch_cgroup.c: the owner's cgroup path (into buf when read from
 * /proc), or NULL; whether a path is in a unit: a component named unit
 * or unit.service. */
int watch_cgroup_init(void);	/* -1: no cgroup v2 hierarchy mounted */
const char *watch_cgroup_of(const struct watch_event *ev, char *buf,
			    size_t size);
int watch_cgroup_in_unit(const char *path, const char *unit);

/* watch_log.c: the log the events go to (--log, --events, --rate, and
 * the summary at exit). */
void watch_log_defaults(void);
/* --opt value for the variable name (ENV_LOG, ENV_EVENTS, ENV_RATE): 0,
 * or -1 having said what is expected. */
int watch_log_option(const char *opt, const char *name, const char *value);
void watch_log_json(void);
int watch_log_open(void);		/* -1 having said why */
int watch_log_wants(int kind);		/* in --events */
/* ev at t, unless the rate holds it back: 1 if admitted. */
int watch_log_event(const struct watch_event *ev, const struct timespec *t);
void watch_log_tick(void);		/* held_back notice, log rotation */
int watch_log_reader_gone(void);	/* standard output's reader left */
struct watch_log_totals {
	uint64_t held_back;	/* by --rate */
	uint64_t unwritten;	/* admitted, but the log could not take them */
};
/* The last held_back notice, the summary if asked for; closed. */
void watch_log_end(uint64_t connections, uint64_t ring_lost,
		   struct watch_log_totals *out);

/* watch_print.c */
int watch_print_wanted(const struct watch_filter *f,
		       const struct watch_event *ev);
size_t watch_print_line(char *buf, size_t size, const struct watch_event *ev,
			const struct timespec *time, int json);
const char *watch_print_cause(const struct watch_event *ev);	/* or NULL */
struct sockaddr_storage;
/* A record's local or peer address; AF_UNSPEC when it has none. */
void watch_print_sockaddr(struct sockaddr_storage *ss,
			  const struct watch_record *r, const __u8 *addr,
			  __u16 port);

#endif
