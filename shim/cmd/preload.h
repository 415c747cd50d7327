/*
 * preload.h - LD_PRELOAD for the program "tcpshim [options] -- command"
 * runs.
 */
#ifndef SHIM_CMD_PRELOAD_H
#define SHIM_CMD_PRELOAD_H

/*
 * Say on stderr when the loader will ignore LD_PRELOAD for cmd (as
 * execvp finds it): a setuid or setgid file not the caller's, or one
 * with file capabilities.
 */
void preload_warn_if_secure(const char *cmd);

/* Add lib to LD_PRELOAD, after what is there: 0, or -1 out of memory. */
int preload_add(const char *lib);

#endif
