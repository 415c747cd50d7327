/*
 * watch_usage.c - the usage of "tcpshim watch", which the command gives
 * whether it was built with the eBPF toolchain or without it.
 */
#include "cmd/watch.h"

#include <stdio.h>

int watch_usage(FILE *out, int status)
{
	fputs("usage: tcpshim watch [--pid PID]... [--comm NAME] [--port PORT]"
	      " [--netns INODE]\n                     [--json] [--duration "
	      "SECONDS]\nPrint every TCP reset on the host as it happens, "
	      "with the process that owns\nthe connection, its descriptor and"
	      " the kernel's reason (eBPF; root, or\nCAP_BPF and "
	      "CAP_PERFMON).\n", out);
	return status;
}
