/*
 * watch_load.c - the kernel side of tcpshim watch: what is missing is
 * said in one line; otherwise the object is loaded, its programs
 * attached through links this process owns (they go with it, however it
 * ends); and the pass that finds the holders of sockets is run from here.
 */
#include "cmd/watch.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "watch.skel.h"

#define WATCH_BTF "/sys/kernel/btf/vmlinux"
#define WATCH_CAP_PERFMON 38
#define WATCH_CAP_BPF 39

/* The first program libbpf complained of: the hook the kernel lacks. */
static char watch_load_refused[64];

static int watch_load_libbpf_print(enum libbpf_print_level level,
				   const char *fmt, va_list ap)
{
	char msg[256];
	const char *prog;
	va_list copy;

	if (level != LIBBPF_WARN)
		return 0;
	va_copy(copy, ap);
	if (getenv("TCPSHIM_WATCH_DEBUG") != NULL)
		vfprintf(stderr, fmt, copy);
	va_end(copy);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	prog = strstr(msg, "prog '");
	if (prog != NULL && watch_load_refused[0] == '\0')
		sscanf(prog, "prog '%63[^']'", watch_load_refused);
	return 0;
}

/* Lockdown in confidentiality mode keeps BPF from reading the kernel. */
static int watch_load_locked_down(void)
{
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");
	char line[128] = "";

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strstr(line, "[confidentiality]") != NULL;
}

/* What the kernel refused, in one line. */
static void watch_load_say_refused(struct watch_bpf *skel, int err)
{
	struct bpf_program *prog = watch_load_refused[0] == '\0' ? NULL :
		bpf_object__find_program_by_name(skel->obj, watch_load_refused);

	if (prog != NULL)
		fprintf(stderr, "tcpshim watch: the kernel refused the BPF "
			"program on %s (%s): it needs that hook (Linux 6.1 or "
			"later, with BTF); TCPSHIM_WATCH_DEBUG=1 shows "
			"libbpf's account\n", bpf_program__section_name(prog),
			strerror(-err));
	else
		fprintf(stderr, "tcpshim watch: the kernel refused the BPF "
			"programs (%s); it needs tp_btf tracepoints, BPF "
			"iterators and socket storage (Linux 6.1 or later); "
			"TCPSHIM_WATCH_DEBUG=1 shows libbpf's account\n",
			strerror(-err));
}

/* Root, or CAP_BPF and CAP_PERFMON in the effective set. */
static int watch_load_privileged(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;

	if (f == NULL)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> WATCH_CAP_BPF & 1) && (eff >> WATCH_CAP_PERFMON & 1);
}

static int watch_load_allowed(void)
{
	if (!watch_load_privileged()) {
		fputs("tcpshim watch: needs root, or CAP_BPF and CAP_PERFMON "
		      "(run it with sudo)\n", stderr);
		return 0;
	}
	if (watch_load_locked_down()) {
		fputs("tcpshim watch: the kernel is locked down "
		      "(confidentiality), which keeps BPF from reading kernel "
		      "memory; boot with lockdown=integrity or without "
		      "lockdown\n", stderr);
		return 0;
	}
	if (access(WATCH_BTF, R_OK) != 0) {
		fprintf(stderr, "tcpshim watch: the kernel has no BTF (%s: %s);"
			" it needs a kernel built with CONFIG_DEBUG_INFO_BTF\n",
			WATCH_BTF, strerror(errno));
		return 0;
	}
	return 1;
}

/* The TCP states past a shutdown of reading, as a mask of 1 << state. */
static __u32 watch_load_after_close(void)
{
	static const char *const names[] = {
		"TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "TCP_CLOSE_WAIT",
		"TCP_CLOSING", "TCP_LAST_ACK",
	};
	__u32 mask = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long v = watch_btf_enumerator(names[i]);

		if (v >= 0 && v < 32)
			mask |= 1u << v;
	}
	return mask;
}

/* The pass's link: each iterator made from it walks every descriptor. */
static struct bpf_link *watch_load_holders_link;

struct watch_bpf *watch_load_start(const struct watch_filter *f)
{
	struct watch_bpf *skel;
	struct stat ns;
	int err;

	if (!watch_load_allowed())
		return NULL;
	libbpf_set_print(watch_load_libbpf_print);
	if (stat("/proc/self/ns/pid", &ns) != 0) {
		perror("tcpshim watch: /proc/self/ns/pid");
		return NULL;
	}
	skel = watch_bpf__open();
	if (skel == NULL) {
		fputs("tcpshim watch: cannot open the BPF object\n", stderr);
		return NULL;
	}
	skel->rodata->watch_pidns_dev = ns.st_dev;
	skel->rodata->watch_pidns_ino = ns.st_ino;
	skel->rodata->watch_nr_close = SYS_close;
#ifdef SYS_close_range
	skel->rodata->watch_nr_close_range = SYS_close_range;
#endif
#ifdef SYS_dup2
	skel->rodata->watch_nr_dup2 = SYS_dup2;
#endif
	skel->rodata->watch_nr_dup3 = SYS_dup3;
	skel->rodata->watch_nr_execve = SYS_execve;
	skel->rodata->watch_nr_execveat = SYS_execveat;
#ifdef SYS_io_uring_enter
	skel->rodata->watch_nr_io_uring_enter = SYS_io_uring_enter;
#endif
	skel->rodata->watch_reset_has_reason =
		watch_btf_tracepoint_args("tcp_send_reset") >= 3;
	skel->rodata->watch_hz = watch_btf_hz();
	skel->rodata->watch_after_close_states = watch_load_after_close();
	skel->rodata->watch_want_netns = f->netns;
	skel->rodata->watch_want_port = (__u32)f->port;
	skel->rodata->watch_tcp_listen = watch_btf_enumerator("TCP_LISTEN");
	skel->rodata->watch_tcp_time_wait = watch_btf_enumerator("TCP_TIME_WAIT");
	skel->rodata->watch_tcp_new_syn_recv =
		watch_btf_enumerator("TCP_NEW_SYN_RECV");
	bpf_program__set_autoattach(skel->progs.watch_holders, false);
	err = watch_bpf__load(skel);
	if (err == 0)
		err = watch_bpf__attach(skel);
	if (err == 0) {
		watch_load_holders_link =
			bpf_program__attach_iter(skel->progs.watch_holders, NULL);
		if (watch_load_holders_link == NULL)
			err = -errno;
	}
	if (err != 0) {
		watch_load_say_refused(skel, err);
		watch_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

int watch_load_reasons(struct watch_bpf *skel)
{
	return skel->rodata->watch_reset_has_reason;
}

int watch_load_ring_fd(struct watch_bpf *skel)
{
	return bpf_map__fd(skel->maps.watch_events);
}

/* Runs the kernel skipped: the program was already running on that CPU
 * (a reset in a softirq that interrupted the same tracepoint's program). */
static uint64_t watch_load_misses(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0)
		return 0;
	return info.recursion_misses;
}

uint64_t watch_load_missed(struct watch_bpf *skel)
{
	return watch_load_misses(skel->progs.watch_send_reset) +
	       watch_load_misses(skel->progs.watch_receive_reset);
}

uint64_t watch_load_dropped(struct watch_bpf *skel)
{
	return skel->bss->watch_dropped;
}

uint64_t watch_load_closes_dropped(struct watch_bpf *skel)
{
	return skel->bss->watch_closes_dropped;
}

/*
 * One pass over every descriptor of every process in watch's pid
 * namespace: fn is called for each that holds one of the n inodes.
 * 0, or -1 when the iterator could not be run.
 */
int watch_load_pass(struct watch_bpf *skel, const uint64_t *inodes, size_t n,
		    watch_holder_fn fn, void *ctx)
{
	int map = bpf_map__fd(skel->maps.watch_wanted);
	struct watch_holder h[64];
	size_t have = 0, whole;
	__u8 one = 1;
	ssize_t got;
	int fd, err = 0;

	for (size_t i = 0; i < n; i++)
		bpf_map_update_elem(map, &inodes[i], &one, BPF_ANY);
	fd = bpf_iter_create(bpf_link__fd(watch_load_holders_link));
	if (fd < 0)
		err = -1;
	/* Whole records, however the reads split them.  EAGAIN: the
	 * kernel pauses a read after a million descriptors that gave
	 * nothing; the next read goes on from there. */
	while (fd >= 0 && ((got = read(fd, (char *)h + have,
				       sizeof(h) - have)) > 0 ||
			   (got < 0 && (errno == EAGAIN || errno == EINTR)))) {
		if (got < 0)
			continue;
		have += (size_t)got;
		whole = have / sizeof(h[0]);
		for (size_t i = 0; i < whole; i++)
			fn(&h[i], ctx);
		have -= whole * sizeof(h[0]);
		memmove(h, &h[whole], have);
	}
	if (fd >= 0 && got < 0)
		err = -1;
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(map, &inodes[i]);
	return err;
}

/* A socket whose owner is known: no exit needs to look for it now. */
void watch_load_forget(struct watch_bpf *skel, uint64_t inode)
{
	bpf_map__delete_elem(skel->maps.watch_pending_inodes, &inode,
			     sizeof(inode), 0);
}

void watch_load_stop(struct watch_bpf *skel)
{
	bpf_link__destroy(watch_load_holders_link);
	watch_load_holders_link = NULL;
	watch_bpf__destroy(skel);
}
