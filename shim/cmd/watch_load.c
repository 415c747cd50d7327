/*
 * watch_load.c - the kernel side of tcpshim watch: what is missing is
 * said in one line; otherwise the object is loaded, its programs
 * attached through links this process owns (they go with it, however it
 * ends), and the owners of the connections that exist already are
 * seeded: /proc maps socket inodes to pid and fd, in watch's own pid
 * namespace; the iter/tcp program then stores them in each socket.
 */
#include "cmd/watch.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
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

/* What seeding found, and what it could not look into. */
static struct watch_seeding watch_load_seeding;

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

/* The host's pid namespace: its pids are the ones BPF looks tasks up by. */
#define WATCH_PIDNS_INIT_INO 0xEFFFFFFCULL

struct watch_load_seeder {
	struct watch_bpf *skel;
	int host_pids;		/* watch sees the host's pids */
};

/* One socket descriptor into watch_seed. */
static int watch_load_seed_fd(const struct watch_owner *found, void *ctx)
{
	struct watch_load_seeder *s = ctx;
	struct watch_owner o = *found;

	o.tgid = s->host_pids ? o.pid : 0;
	/* The first holder found keeps it (lowest pid, lowest fd). */
	bpf_map__update_elem(s->skel->maps.watch_seed, &o.inode,
			     sizeof(o.inode), &o, sizeof(o), BPF_NOEXIST);
	return 0;
}

/*
 * The network namespaces the seeded processes are in: iter/tcp walks the
 * sockets of the namespace it is created in, so it runs once in each.
 */
#define WATCH_NETNS_MAX 1024

struct watch_netns {
	unsigned long long ino[WATCH_NETNS_MAX];
	int fd[WATCH_NETNS_MAX];
	int n;
};

static void watch_load_note_netns(struct watch_netns *nets, int pid)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (nets->n == WATCH_NETNS_MAX || stat(path, &st) != 0)
		return;
	for (int i = 0; i < nets->n; i++)
		if (nets->ino[i] == st.st_ino)
			return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	nets->ino[nets->n] = st.st_ino;
	nets->fd[nets->n++] = fd;
}

/* Run the iter/tcp program once over the TCP sockets of the namespace
 * this thread is in. */
static int watch_load_iterate(struct bpf_link *link)
{
	char buf[256];
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

/* The iterator in watch's own namespace, then in each other one (and
 * back), where watch may enter them (CAP_SYS_ADMIN). */
static int watch_load_iterate_all(struct watch_bpf *skel,
				  struct watch_netns *nets)
{
	struct bpf_link *link;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat own;
	int err;

	link = bpf_program__attach_iter(skel->progs.watch_seed_tcp, NULL);
	err = link == NULL || home < 0 || fstat(home, &own) != 0 ? -1 :
	      watch_load_iterate(link);
	for (int i = 0; i < nets->n; i++) {
		if (err == 0 && nets->ino[i] != own.st_ino) {
			if (setns(nets->fd[i], CLONE_NEWNET) == 0)
				err = watch_load_iterate(link) ||
				      setns(home, CLONE_NEWNET) != 0;
			else
				watch_load_seeding.netns_unentered++;
		}
		close(nets->fd[i]);
	}
	if (home >= 0)
		close(home);
	bpf_link__destroy(link);
	return err;
}

static int watch_load_seed(struct watch_bpf *skel)
{
	static struct watch_netns nets;
	struct watch_load_seeder seeder = {
		skel, skel->rodata->watch_pidns_ino == WATCH_PIDNS_INIT_INO
	};
	DIR *proc = opendir("/proc");
	struct dirent *d;

	if (proc == NULL)
		return -1;
	nets.n = 0;
	while ((d = readdir(proc)) != NULL) {
		int pid = atoi(d->d_name);

		if (pid <= 0)
			continue;
		if (watch_proc_sockets(pid, watch_load_seed_fd, &seeder) < 0)
			watch_load_seeding.processes_unread++;
		watch_load_note_netns(&nets, pid);
	}
	closedir(proc);
	return watch_load_iterate_all(skel, &nets);
}

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
	skel->rodata->watch_nr_connect = SYS_connect;
	skel->rodata->watch_nr_accept = SYS_accept;
	skel->rodata->watch_nr_accept4 = SYS_accept4;
	skel->rodata->watch_reset_has_reason =
		watch_btf_tracepoint_args("tcp_send_reset") >= 3;
	skel->rodata->watch_hz = watch_btf_hz();
	skel->rodata->watch_after_close_states = watch_load_after_close();
	skel->rodata->watch_want_netns = f->netns;
	skel->rodata->watch_want_port = (__u32)f->port;
	skel->rodata->watch_tcp_listen = watch_btf_enumerator("TCP_LISTEN");
	skel->rodata->watch_tcp_syn_sent = watch_btf_enumerator("TCP_SYN_SENT");
	skel->rodata->watch_tcp_time_wait = watch_btf_enumerator("TCP_TIME_WAIT");
	skel->rodata->watch_tcp_new_syn_recv =
		watch_btf_enumerator("TCP_NEW_SYN_RECV");
	bpf_program__set_autoattach(skel->progs.watch_seed_tcp, false);
	err = watch_bpf__load(skel);
	if (err == 0)
		err = watch_bpf__attach(skel);
	if (err == 0 && watch_load_seed(skel) != 0)
		err = -errno;
	/* The TCP sockets the pass found an owner for. */
	if (err == 0)
		watch_load_seeding.sockets = (long)skel->bss->watch_seeded;
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

uint64_t watch_load_connections(struct watch_bpf *skel)
{
	return skel->bss->watch_seeded + skel->bss->watch_learnt;
}

const struct watch_seeding *watch_load_seeded(void)
{
	return &watch_load_seeding;
}

void watch_load_stop(struct watch_bpf *skel)
{
	watch_bpf__destroy(skel);
}
