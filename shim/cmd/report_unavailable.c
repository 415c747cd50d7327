/*
 * report_unavailable.c - "tcpshim report" in a tcpshim command built
 * without jansson, which the report needs to parse JSON.  The rest of
 * the command works; this says what to install.
 */
#include "cmd/report.h"

#include <stdio.h>

int report_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("tcpshim report: this tcpshim was built without jansson, "
	      "which the report needs to read JSON.\n"
	      "  Install it, then rebuild: apt-get install libjansson-dev "
	      "&& make\n", stderr);
	return 1;
}
