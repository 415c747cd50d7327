/*
 * livelib.h - the running programs check_live and check_live_netns
 * point tcpshim ls|abort|keepalive at, and how a test drives them.
 */
#ifndef TCPSHIM_LIVELIB_H
#define TCPSHIM_LIVELIB_H

#include "testlib.h"

enum { TARGET_C, TARGET_PYTHON, TARGET_GO, TARGET_KINDS };

/* Run a command as nobody (util-linux setpriv). */
#define SETPRIV_NOBODY "/usr/bin/setpriv", "--reuid=65534", \
	"--regid=65534", "--clear-groups"

struct target {
	struct tl_proc p;
	int kind;
	int pid;
	int port;	/* its listener's */
	int lfd;
};

/* Can a target of this kind run here?  0 with a printed reason if not. */
int target_available(int kind, const char *test);
/*
 * Start a target of this kind (env as tl_spawn; prefix, NULL-terminated
 * or NULL, runs before it: setpriv, peerhost.sh client TAG).  0 with a
 * printed reason to skip when the kind cannot run here, else 1.
 */
int target_start(struct target *t, int kind, const char *const *env,
		 const char *const *prefix, const char *test);
/* Tell it to quit and wait for it. */
void target_stop(struct target *t);
/* It listens on host, port 0: t->port, t->lfd. */
void target_listen(struct target *t, const char *host);
/* Send it one line; the answer that starts with expect into buf. */
void target_ask(struct target *t, const char *line, const char *expect,
		char *buf, size_t size);
/* "CALL FD": its answer must be "CALL FD result". */
void target_call(struct target *t, const char *call, int fd,
		 const char *result);
/*
 * This test connects to the target's listener on loopback and the target
 * accepts: the test's socket; *fd is the target's, peer (80 bytes, may
 * be NULL) the target's view of the test's end.
 */
int target_connect(struct target *t, int family, int *fd, char *peer);

/* tcpshim ARGS... (NULL-terminated), under prefix (may be NULL). */
int tcpshim(struct tl_proc *p, const char *const *prefix, ...);
/* The errno a recv on a peer socket gets (waiting for it); 0 if none. */
int peer_recv_errno(int fd);
/* kernel.yama.ptrace_scope, or -1 without Yama. */
int ptrace_scope(void);

#endif
