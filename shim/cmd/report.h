/*
 * report.h - "tcpshim report": read JSON Lines logs, print one row per
 * connection and counts by cause and by peer.  Part of the tcpshim
 * command only, never of libtcpshim.so.
 */
#ifndef SHIM_CMD_REPORT_H
#define SHIM_CMD_REPORT_H

/*
 * argv[0] is "report"; the rest are log files ("-" or none: stdin).
 * Returns the exit status: 0 when every line was used, 1 when a file
 * could not be read or a line was skipped (each said on stderr), 2 for
 * a bad option.  A file's last line cut short (no newline, not JSON: a
 * log still being written, or cut by a full disk) is named on stderr
 * and skipped, but leaves the status 0.
 */
int report_main(int argc, char **argv);

#endif
