/*
 * watch_stack.c - which kernel path sent a reset, read from the kernel
 * stack at tcp_send_reset.  The reason alone cannot tell them apart
 * (TCP_STATE covers all three):
 *   __tcp_close            the socket's last close (SO_LINGER {1, 0})
 *   __inet_stream_connect  connect(AF_UNSPEC), a disconnect
 *   tcp_abort              SOCK_DESTROY (ss -K), or bpf_sock_destroy
 * The innermost of them on the stack decides; task_work_run below it
 * says the close was not the socket's own close(2).  Kernel function names are
 * not an ABI: where none is found (renamed, inlined, or /proc/kallsyms
 * shows no addresses to this process), the path is unknown and no cause
 * is guessed.
 */
#include "cmd/watch.h"

#include <stdio.h>
#include <string.h>

struct watch_symbol {
	const char *name;
	enum watch_path path;
	unsigned long long start, end;	/* [start, end); 0: not found */
};

static struct watch_symbol watch_symbols[] = {
	{ "__tcp_close", WATCH_PATH_CLOSE, 0, 0 },
	{ "__inet_stream_connect", WATCH_PATH_DISCONNECT, 0, 0 },
	{ "tcp_abort", WATCH_PATH_DESTROY, 0, 0 },
	/* Not a path: a close run later, from the task's queued work (the
	 * last reference dropped with another file, or at exit), not by
	 * the close(2) of the socket's own descriptor. */
	{ "task_work_run", WATCH_PATH_UNKNOWN, 0, 0 },
};

#define WATCH_DEFERRED (&watch_symbols[3])

#define WATCH_SYMBOLS (sizeof(watch_symbols) / sizeof(watch_symbols[0]))

/* Each of /proc/kallsyms' lines through fn; -1 if it cannot be read. */
static int watch_stack_each(void (*fn)(unsigned long long addr,
				       const char *name))
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	unsigned long long addr;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3)
			fn(addr, name);
	fclose(f);
	return 0;
}

static void watch_stack_start(unsigned long long addr, const char *name)
{
	for (size_t i = 0; i < WATCH_SYMBOLS; i++)
		if (watch_symbols[i].start == 0 && addr != 0 &&
		    strcmp(name, watch_symbols[i].name) == 0)
			watch_symbols[i].start = addr;
}

/* A symbol ends where the next one above it starts. */
static void watch_stack_end(unsigned long long addr, const char *name)
{
	(void)name;
	for (size_t i = 0; i < WATCH_SYMBOLS; i++) {
		struct watch_symbol *s = &watch_symbols[i];

		if (s->start != 0 && addr > s->start &&
		    (s->end == 0 || addr < s->end))
			s->end = addr;
	}
}

int watch_stack_init(void)
{
	int found = 0;

	if (watch_stack_each(watch_stack_start) != 0 ||
	    watch_stack_each(watch_stack_end) != 0)
		return 0;
	for (size_t i = 0; i < WATCH_SYMBOLS; i++)
		found += watch_symbols[i].end != 0 &&
			 watch_symbols[i].path != WATCH_PATH_UNKNOWN;
	return found;
}

enum watch_path watch_stack_path(const struct watch_record *r)
{
	size_t frames = r->stack_bytes / sizeof(r->stack[0]);

	if (!(r->flags & WATCH_HAS_ACTOR))
		return WATCH_PATH_UNKNOWN;
	for (size_t f = 0; f < frames && f < WATCH_STACK_DEPTH; f++)
		for (size_t i = 0; i < WATCH_SYMBOLS; i++)
			if (watch_symbols[i].path != WATCH_PATH_UNKNOWN &&
			    r->stack[f] >= watch_symbols[i].start &&
			    r->stack[f] < watch_symbols[i].end)
				return watch_symbols[i].path;
	return WATCH_PATH_UNKNOWN;
}

int watch_stack_deferred(const struct watch_record *r)
{
	size_t frames = r->stack_bytes / sizeof(r->stack[0]);

	for (size_t f = 0; f < frames && f < WATCH_STACK_DEPTH; f++)
		if (r->stack[f] >= WATCH_DEFERRED->start &&
		    r->stack[f] < WATCH_DEFERRED->end)
			return 1;
	return 0;
}
