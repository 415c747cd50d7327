/*
 * watch.c - tcpshim watch [--pid PID]... [--comm NAME] [--unit NAME]
 *           [--port PORT] [--netns INODE] [--json] [--log WHERE]
 *           [--rate N] [--events LIST] [--duration SECONDS]
 *
 * Logs one event per hit of the kernel's tcp_send_reset and
 * tcp_receive_reset tracepoints (watch_log.c: standard output unless
 * --log says otherwise), until SIGINT or SIGTERM, the duration's end, or
 * standard output's reader leaving.  One line on stderr says when it is
 * attached; at exit, one says how many events were logged, held back or
 * lost, and how many records the ring buffer had no room for.
 */
#include "cmd/watch.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/format.h"

#define WATCH_POLL_MS 100
#define WATCH_NS_PER_S 1000000000LL

struct watch_state {
	struct watch_filter filter;
	long long offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t opens;		/* watch_btf_tcp_opens() at the start */
	unsigned long long printed;
	/* A reset "received" after this end shut down reading, held in
	 * the queue until it is known whether the kernel's own abort on
	 * data follows. */
	uint64_t held_cookie;
	long long held_ns;
	int holding;
};

/* The kernel sends its abort on data right after its received half. */
#define WATCH_PAIR_NS 1000000LL

static volatile sig_atomic_t watch_stopped;

static void watch_on_signal(int sig)
{
	(void)sig;
	watch_stopped = 1;
}

int watch_stopping(void)
{
	return watch_stopped;
}

static long long watch_number(const char *opt, const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > max) {
		fprintf(stderr, "tcpshim watch: --%s '%s': a number from 1 to "
			"%lld\n", opt, s, max);
		return -1;
	}
	return v;
}

/* A unit is one component of a cgroup path, never empty, never a path. */
static long long watch_unit_refused(const char *unit)
{
	fprintf(stderr, "tcpshim watch: --unit '%s': expected the name of a "
		"unit, slice or scope (nginx, nginx.service, system.slice, "
		"docker-ID.scope), not empty and without '/'\n", unit);
	return -1;
}

/* Options into st and *duration; 0, or the exit status. */
static int watch_options(int argc, char **argv, struct watch_state *st,
			 long long *duration)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'P' },
		{ "netns", required_argument, NULL, 'n' },
		{ "unit", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "log", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "events", required_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_filter *f = &st->filter;
	long long v = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p' && f->npids == WATCH_PIDS_MAX) {
			fprintf(stderr, "tcpshim watch: at most %d --pid\n",
				WATCH_PIDS_MAX);
			return 2;
		}
		if (c == 'p' && (v = watch_number("pid", optarg, 1LL << 22)) > 0)
			f->pids[f->npids++] = (int)v;
		else if (c == 'P' && (v = watch_number("port", optarg, 65535)) > 0)
			f->port = (int)v;
		else if (c == 'n' && (v = watch_number("netns", optarg,
						       (1LL << 32) - 1)) > 0)
			f->netns = (uint64_t)v;
		else if (c == 'd' && (v = watch_number("duration", optarg,
						       1LL << 31)) > 0)
			*duration = v;
		else if (c == 'l' || c == 'r' || c == 'e')
			v = watch_log_option(c == 'l' ? "log" : c == 'r' ? "rate"
						       : "events",
					     c == 'l' ? ENV_LOG : c == 'r'
						? ENV_RATE : ENV_EVENTS,
					     optarg);
		else if (c == 'c')
			f->comm = optarg;
		else if (c == 'u' && *optarg != '\0' && !strchr(optarg, '/'))
			f->unit = optarg;
		else if (c == 'u')
			v = watch_unit_refused(optarg);
		else if (c == 'j')
			watch_log_json();
		else if (c == 'h')
			return watch_usage(stdout, 0) - 1;
		if (c == '?' || v < 0)
			return watch_usage(stderr, 2);
	}
	if (optind < argc) {
		fprintf(stderr, "tcpshim watch: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

static long long watch_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * WATCH_NS_PER_S + ts.tv_nsec;
}

/* A record whose owner is known (watch_holders.c), judged and logged. */
static void watch_emit(void *ctx, const struct watch_record *r)
{
	struct watch_state *st = ctx;
	struct watch_event ev;
	char cgroup[PATH_MAX];
	long long ns;
	struct timespec t;

	watch_cause_judge(r, &ev);
	if (!watch_log_wants(ev.kind))
		return;
	ev.cgroup = watch_cgroup_of(&ev, cgroup, sizeof(cgroup));
	if (!watch_print_wanted(&st->filter, &ev))
		return;
	ns = (long long)r->time_ns + st->offset_ns;
	t.tv_sec = ns / WATCH_NS_PER_S;
	t.tv_nsec = ns % WATCH_NS_PER_S;
	st->printed += (unsigned long long)watch_log_event(&ev, &t);
}

/* The held record, let go: no abort followed it (before a time). */
static void watch_release(struct watch_state *st, long long before)
{
	if (st->holding && st->held_ns < before) {
		st->holding = 0;
		watch_holders_unhold(0);
	}
}

/*
 * When data reaches a socket that has shut down reading, the kernel runs
 * its received-reset path and then sends a reset (TCP_ABORT_ON_DATA): no
 * RST came in.  Such a "received" record is held (in watch_holders.c's
 * queue, where its owner is looked for meanwhile); the sent one that
 * pairs with it (same socket, same CPU, flagged by the kernel side)
 * drops it, and anything later than WATCH_PAIR_NS releases it.
 */
static int watch_on_record(void *ctx, void *data, size_t size)
{
	struct watch_state *st = ctx;
	const struct watch_record *r = data;

	if (size < sizeof(*r))
		return 0;
	if (r->kind == WATCH_CLOSED) {
		watch_holders_closed(r);
		return 0;
	}
	if (st->holding && r->kind == WATCH_RST_SENT &&
	    (r->flags & WATCH_ABORTS_RECEIVED) && r->cookie == st->held_cookie) {
		st->holding = 0;
		watch_holders_unhold(1);
	}
	if (r->kind == WATCH_RST_RECEIVED && (r->flags & WATCH_AFTER_CLOSE)) {
		watch_release(st, LLONG_MAX);
		st->held_cookie = r->cookie;
		st->held_ns = (long long)r->time_ns;
		/* Not kept (out of memory): it was logged at once. */
		st->holding = watch_holders_add(r, 1);
		return 0;
	}
	watch_release(st, (long long)r->time_ns - WATCH_PAIR_NS);
	watch_holders_add(r, 0);
	return 0;
}

/* The line scripts wait for; what the kernel does not tell, said there. */
static void watch_ready_line(int paths, int reasons)
{
	fputs("tcpshim watch: ready; attached", stderr);
	if (!reasons)
		fputs("; this kernel's tcp_send_reset gives no reason (Linux "
		      "6.10 and later do): reason is null, and so are the "
		      "causes only a reason tells (unread_data, linger0, "
		      "keepalive_timeout)", stderr);
	if (paths < WATCH_PATHS)
		fprintf(stderr, "; %d of the %d kernel functions that tell "
			"linger0, abort and killed apart were not found in "
			"/proc/kallsyms (CAP_SYSLOG, or another kernel): "
			"those causes may be null", WATCH_PATHS - paths,
			WATCH_PATHS);
	fputc('\n', stderr);
}

/* What the ring buffer holds, read; then the owners looked for (now, when
 * final), and the records whose owner is known logged. */
static int watch_read(struct ring_buffer *rb, struct watch_state *st,
		      int final)
{
	int err = ring_buffer__consume(rb);

	watch_release(st, final ? LLONG_MAX : watch_clock_ns(CLOCK_MONOTONIC) -
					      10 * WATCH_PAIR_NS);
	watch_holders_flush(final);
	return err;
}

/* Poll until a signal or the deadline (0: none). */
static int watch_loop(struct watch_bpf *skel, struct watch_state *st,
		      long long duration)
{
	long long end = watch_clock_ns(CLOCK_MONOTONIC) +
			duration * WATCH_NS_PER_S;
	struct ring_buffer *rb;
	int err = 0;

	rb = ring_buffer__new(watch_load_ring_fd(skel), watch_on_record, st,
			      NULL);
	if (rb == NULL) {
		perror("tcpshim watch: ring buffer");
		return 1;
	}
	watch_holders_init(skel, watch_emit, st);
	watch_ready_line(watch_stack_init(), watch_load_reasons(skel));
	while (!watch_stopped && !watch_log_reader_gone()) {
		if (duration > 0 && watch_clock_ns(CLOCK_MONOTONIC) >= end)
			break;
		/* Woken only by a ring buffer filling up (the kernel side
		 * wakes nobody for one reset): read what came meanwhile. */
		err = ring_buffer__poll(rb, WATCH_POLL_MS);
		if (err >= 0)
			err = watch_read(rb, st, 0);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "tcpshim watch: ring buffer: %s\n",
				strerror(-err));
			break;
		}
		err = 0;
		watch_log_tick();
	}
	/* What is left is written without waiting on a stalled reader:
	 * read, a last pass, read again for the closes it raced, and give
	 * up on the rest. */
	watch_stopped = 1;
	watch_read(rb, st, 1);
	ring_buffer__consume(rb);
	watch_holders_end();
	watch_holders_free();
	ring_buffer__free(rb);
	return err < 0;
}

/* The line that closes a run: what was logged, and what was not. */
static void watch_stopped_line(struct watch_bpf *skel,
			       const struct watch_state *st)
{
	uint64_t missed = watch_load_missed(skel);
	uint64_t closes = watch_load_closes_dropped(skel);
	uint64_t opens = watch_btf_tcp_opens();
	struct watch_log_totals t;

	watch_log_end(opens > st->opens ? opens - st->opens : 0,
		      watch_load_dropped(skel), &t);
	fprintf(stderr, "tcpshim watch: stopped; %llu events printed, %llu "
		"lost (ring buffer full)", st->printed,
		(unsigned long long)watch_load_dropped(skel));
	if (t.held_back > 0)
		fprintf(stderr, ", %llu held back (--rate)",
			(unsigned long long)t.held_back);
	if (t.unwritten > 0)
		fprintf(stderr, ", %llu of those printed lost (the log could "
			"not take them)", (unsigned long long)t.unwritten);
	if (missed > 0)
		fprintf(stderr, ", %llu missed (a reset came while the same "
			"program ran on that CPU)", (unsigned long long)missed);
	if (closes > 0)
		fprintf(stderr, ", %llu closes lost (ring buffer full: their "
			"resets may name no owner)", (unsigned long long)closes);
	if (watch_holders_failed() > 0)
		fprintf(stderr, ", %llu searches for owners failed (their "
			"resets name no owner)",
			(unsigned long long)watch_holders_failed());
	fputc('\n', stderr);
}

int watch_main(int argc, char **argv)
{
	struct watch_state st = { .printed = 0 };
	struct sigaction sa = { .sa_handler = watch_on_signal };
	long long duration = 0;
	struct watch_bpf *skel;
	int status;

	watch_log_defaults();
	status = watch_options(argc, argv, &st, &duration);
	if (status != 0)
		return status < 0 ? 0 : status;
	if (watch_cgroup_init() != 0 && st.filter.unit != NULL) {
		fputs("tcpshim watch: --unit: no cgroup v2 hierarchy is mounted "
		      "(/proc/self/mountinfo has no cgroup2)\n", stderr);
		return 1;
	}
	if (watch_btf_init() != 0) {
		fputs("tcpshim watch: cannot read the kernel's BTF "
		      "(/sys/kernel/btf/vmlinux)\n", stderr);
		return 1;
	}
	watch_cause_init();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A reader of standard output that leaves ends watch (EPIPE). */
	signal(SIGPIPE, SIG_IGN);
	skel = watch_load_start(&st.filter);
	if (skel != NULL && watch_log_open() != 0) {
		watch_load_stop(skel);
		skel = NULL;
	}
	if (skel == NULL) {
		watch_btf_free();
		return 1;
	}
	st.offset_ns = watch_clock_ns(CLOCK_REALTIME) -
		       watch_clock_ns(CLOCK_MONOTONIC);
	st.opens = watch_btf_tcp_opens();
	status = watch_loop(skel, &st, duration);
	watch_stopped_line(skel, &st);
	watch_load_stop(skel);
	watch_btf_free();
	return status;
}
