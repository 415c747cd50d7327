/*
 * prctl.c - prctl(), for the one thing tcpshim must know of it: the
 * program put itself under a seccomp filter (PR_SET_SECCOMP; the seccomp
 * system call through syscall() is noted in syscall.c).  Such a filter
 * may kill the process for any system call the program itself does not
 * make (sshd's sandbox allows write, and kills for getsockopt), so from
 * then on the shim makes none of its own: it only keeps its table, and
 * logs nothing more.  The held_back notice due goes out just before.
 */
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>

#include "calls/wrap.h"
#include "event/rate.h"

void wrap_sandbox_entering(void)
{
	if (atomic_load_explicit(&shim_ready, memory_order_acquire) &&
	    !shim_is_sandboxed() && !shim_in_vfork_child())
		rate_flush();
}

SHIM_EXPORT int prctl(int option, ...)
{
	unsigned long a[4];
	int ret;

	SHIM_VA_WORDS(a, 4, option);
	if (option == PR_SET_SECCOMP)
		wrap_sandbox_entering();
	ret = real.prctl(option, a[0], a[1], a[2], a[3]);
	if (ret == 0 && option == PR_SET_SECCOMP)
		process_sandbox_entered();
	return ret;
}
