/*
 * watch.h - tcpshim watch: every TCP reset on the host, from the kernel's
 * own tracepoints through eBPF, with the process that owns the socket.
 *
 * watch.c parses the options and runs the loop; watch_load.c checks what
 * the kernel and the caller allow, loads, attaches and seeds;
 * watch_print.c turns a record into a line.  Built only when clang,
 * bpftool and libbpf are there; otherwise watch_unavailable.c says what
 * to install.
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
struct watch_bpf *watch_load_start(void);
int watch_load_ring_fd(struct watch_bpf *skel);
uint64_t watch_load_dropped(struct watch_bpf *skel);
struct watch_seeding {
	long sockets;		/* open sockets whose owner is known */
	long processes_unread;	/* whose descriptors watch may not read */
	long netns_unentered;	/* network namespaces watch may not enter */
};
const struct watch_seeding *watch_load_seeded(void);
void watch_load_stop(struct watch_bpf *skel);

/* watch_print.c */
int watch_print_init(void);	/* the kernel's reset reason names */
void watch_print_free(void);
int watch_print_wanted(const struct watch_filter *f,
		       const struct watch_record *r);
size_t watch_print_line(char *buf, size_t size, const struct watch_record *r,
			const struct timespec *time, int json);

#endif
