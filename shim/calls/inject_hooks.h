/*
 * inject_hooks.h - the table that the wrappers of the calls that move
 * bytes call through: the real functions themselves, or, while
 * TCPSHIM_INJECT holds rules, hooks that stop a call at the byte where a
 * rule comes to hold and reset its connection (inject_hooks.c).  Only
 * those wrappers use it: the library's own reads and writes (its log)
 * call real.NAME, which no hook ever replaces.
 */
#ifndef SHIM_CALLS_INJECT_HOOKS_H
#define SHIM_CALLS_INJECT_HOOKS_H

#include "core/compiler.h"
#include "os/real.h"

/* X(name): every call a rule can stop, once. */
#define INJECT_HOOKS_CALLS(X) \
	X(send) X(sendto) X(sendmsg) X(sendmmsg) X(write) X(writev) \
	X(sendfile) X(sendfile64) X(recv) X(recvfrom) X(recvmsg) \
	X(recvmmsg) X(read) X(readv) \
	X(__recv_chk) X(__recvfrom_chk) X(__read_chk)

struct inject_hooks {
#define INJECT_HOOKS_FIELD(name) __typeof__(name) *name;
	INJECT_HOOKS_CALLS(INJECT_HOOKS_FIELD)
#undef INJECT_HOOKS_FIELD
};

/*
 * Hidden, as real is: a wrapper calls through it PC-relative, which
 * costs what a call through real costs.  Until inject_hooks_bind() runs,
 * each entry passes its call on to real's.
 */
extern struct inject_hooks inject_hooks SHIM_HIDDEN;

/* Once real is bound: each entry becomes real's, so that a program with
 * no rule pays nothing for the table. */
void inject_hooks_bind(void);

/* Once the settings are read, when TCPSHIM_INJECT holds rules: the
 * hooks take the entries' place. */
void inject_hooks_install(void);

#endif
