/*
 * quiet.c - the shim's own writes: no signal raised in the host, no
 * fragment of a line left behind.
 */
#include "os/quiet.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/format.h"
#include "os/real.h"

/* A line to a pipe or FIFO is one write of at most PIPE_BUF bytes: the
 * kernel writes it whole or not at all, so no fragment there. */
_Static_assert(FORMAT_LINE_MAX <= PIPE_BUF, "log lines fit in PIPE_BUF");

/* The signal a failed write raised in the calling thread, or 0. */
static int raised_by(int err)
{
	return err == EPIPE ? SIGPIPE : err == EFBIG ? SIGXFSZ : 0;
}

/* The kernel's signal set: the first 64 signals, 8 bytes. */
#define KERNEL_SIGSET_SIZE 8

/* Take the pending sig away, without waiting.  The system call itself:
 * libc's sigtimedwait is a cancellation point, the log path is not. */
static void take_back(int sig)
{
	static const struct timespec now = { 0, 0 };
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, sig);
	shim_raw_syscall(SYS_rt_sigtimedwait, (long)&one, 0, (long)&now,
			 KERNEL_SIGSET_SIZE, 0, 0);
}

ssize_t quiet_write(int fd, const void *buf, size_t len)
{
	sigset_t quiet, old, before;
	ssize_t n;
	int err, sig;

	sigemptyset(&quiet);
	sigaddset(&quiet, SIGPIPE);
	sigaddset(&quiet, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &quiet, &old);
	/* Blocked already: one may be pending that is the program's own,
	 * not the shim's to take.  Only then is it worth a look. */
	sigemptyset(&before);
	if (sigismember(&old, SIGPIPE) || sigismember(&old, SIGXFSZ))
		sigpending(&before);
	do
		n = real.write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	err = errno;
	sig = n < 0 ? raised_by(err) : 0;
	if (sig != 0 && !sigismember(&before, sig))
		take_back(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}

/*
 * n bytes of a line were written to fd and the rest could not be: take
 * them back if they end a regular file of the shim's (the log, not
 * stderr) that still ends where this write ended, else end them with a
 * newline.
 */
static void end_fragment(int fd, size_t n)
{
	off_t end = lseek(fd, 0, SEEK_CUR);
	struct stat st;

	/* Never on stderr: others write through that file too, and its
	 * offset is theirs as much as the shim's. */
	if (fd != 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* Another writer's line came after it: nothing to do that
		 * would not cut into theirs. */
		if (end >= (off_t)n && st.st_size == end &&
		    ftruncate(fd, end - (off_t)n) == 0)
			lseek(fd, end - (off_t)n, SEEK_SET);
		return;
	}
	quiet_write(fd, "\n", 1);
}

int quiet_line(int fd, const char *line, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while ((n = quiet_write(fd, line + done, len - done)) > 0) {
		done += (size_t)n;
		if (done == len)
			return 0;
	}
	if (n == 0)
		errno = EIO;	/* nothing written, no reason given */
	if (done > 0) {
		int err = errno;

		end_fragment(fd, done);
		errno = err;
	}
	return -1;
}
