/*
 * watch_unavailable.c - "tcpshim watch" in a tcpshim command built
 * without the eBPF toolchain (clang, bpftool, libbpf), which the kernel
 * side of watch is built with.  The rest of the command works; this says
 * what to install.
 */
#include "cmd/watch.h"

#include <stdio.h>

int watch_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("tcpshim watch: this tcpshim was built without eBPF support; "
	      "install the toolchain, then rebuild: apt-get install clang "
	      "libbpf-dev bpftool && make\n", stderr);
	return 1;
}
