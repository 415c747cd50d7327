/*
 * summary.h - "summary" in TCPSHIM_EVENTS: one notice at exit with the
 * process's totals.
 */
#ifndef SHIM_EVENT_SUMMARY_H
#define SHIM_EVENT_SUMMARY_H

/*
 * The process ends (exit, _exit): the last held_back notice, then the
 * summary if it was asked for and the process saw a connection.  Once
 * per process.
 */
void summary_at_exit(void);

#endif
