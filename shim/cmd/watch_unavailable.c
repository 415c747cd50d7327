/*
 * watch_unavailable.c - "tcpshim watch" in a tcpshim command built
 * without the eBPF toolchain (clang, bpftool, libbpf), which the kernel
 * side of watch is built with.  The rest of the command works; this says
 * what to install.
 */
#include "cmd/watch.h"

#include <stdio.h>
#include <string.h>

int watch_main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
			 strcmp(argv[1], "-h") == 0))
		return watch_usage(stdout, 0);
	fputs("tcpshim watch: this tcpshim was built without eBPF support; "
	      "install the toolchain, then rebuild: apt-get install clang "
	      "libbpf-dev bpftool && make\n", stderr);
	return 1;
}
