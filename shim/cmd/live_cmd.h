/*
 * live_cmd.h - the subcommands that act on running processes, and what
 * they share.
 */
#ifndef SHIM_CMD_LIVE_CMD_H
#define SHIM_CMD_LIVE_CMD_H

#include <stdio.h>
#include <sys/types.h>

/* argv[0] is the subcommand's name; each returns the exit status: 0
 * when every named connection was handled, 1 when one was not, 2 for
 * bad usage. */
int live_ls_main(int argc, char **argv);
int live_abort_main(int argc, char **argv);
int live_keepalive_main(int argc, char **argv);

/* Print text to out; return status. */
int live_cmd_usage(FILE *out, const char *text, int status);
/* "tcpshim NAME: unknown option 'ARG'", and 2. */
int live_cmd_bad_option(const char *name, const char *arg);
/* "PID" for subcommand cmd: a process number, or -1 with the reason said
 * on stderr. */
pid_t live_cmd_parse_pid(const char *cmd, const char *s);

#endif
