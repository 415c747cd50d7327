/*
 * watch_usage.c - the usage of "tcpshim watch", which the command gives
 * whether it was built with the eBPF toolchain or without it.
 */
#include "cmd/watch.h"

#include <stdio.h>

int watch_usage(FILE *out, int status)
{
	fputs("usage: tcpshim watch [--pid PID]... [--comm NAME] [--unit NAME]"
	      " [--port PORT]\n"
	      "                     [--netns INODE] [--json] [--log WHERE]"
	      " [--rate N]\n"
	      "                     [--events LIST] [--duration SECONDS]\n"
	      "Print every TCP reset on the host as it happens, with the "
	      "process that owns\nthe connection, its descriptor, its cgroup "
	      "and the kernel's reason (eBPF;\nroot, or CAP_BPF and "
	      "CAP_PERFMON).\n"
	      "  --log WHERE    stdout (default), stderr, off, syslog, journal,"
	      " or a file\n                 path (%p: watch's pid)\n"
	      "  --rate N       events per second, then held back and counted;"
	      " or unlimited\n                 (default: 100 for syslog and "
	      "journal, else unlimited)\n"
	      "  --events LIST  all, or rst_sent,rst_received,halfopen; "
	      "summary adds totals\n                 at exit\n"
	      "  --unit NAME    only owners in a cgroup with a component NAME "
	      "or NAME.service\n", out);
	return status;
}
