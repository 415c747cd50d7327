/*
 * log_fail.c - what a failed write of the log does: counted, told once,
 * and the log moved to stderr when it fails for good.
 */
#include "event/log_fail.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "core/config.h"
#include "core/fdtable.h"
#include "core/outbuf.h"
#include "core/tally.h"
#include "event/log_target.h"
#include "os/quiet.h"

/* The log goes to stderr instead of where TCPSHIM_LOG says. */
static atomic_int fell_back;
/*
 * Descriptor 2 is the program's stderr: open at start-up and not closed
 * since, or put back with dup2/dup3.  After close(2), whatever opens next
 * may get number 2 (a daemon's data file, a socket): never write there.
 */
static atomic_int stderr_ok;
/* stderr failed for good (EPIPE: its reader is gone). */
static atomic_int stderr_failed;
/* The last line lost: its error, and whether it was stderr's. */
static atomic_int lost_err;
static atomic_int lost_on_stderr;

int log_fell_back(void)
{
	return atomic_load_explicit(&fell_back, memory_order_relaxed);
}

int log_stderr_usable(void)
{
	return atomic_load_explicit(&stderr_ok, memory_order_relaxed) &&
	       !atomic_load_explicit(&stderr_failed, memory_order_relaxed) &&
	       fdt_get(2) == NULL;
}

void log_stderr_state(int usable)
{
	atomic_store(&stderr_ok, usable);
	if (usable && atomic_load(&stderr_failed))
		atomic_store(&stderr_failed, 0);
}

int log_gone(void)
{
	return (shim_config.log == LOG_STDERR || log_fell_back()) &&
	       !log_stderr_usable();
}

unsigned int log_rate(void)
{
	if (!shim_config.rate_set && shim_config.rate == TALLY_UNLIMITED &&
	    log_fell_back())
		return RATE_DAEMON_DEFAULT;
	return shim_config.rate;
}

/* An error the next line may not meet: a reader or a daemon behind, a
 * daemon restarting, memory short, the descriptor closed under us. */
static int passing(int err, int on_stderr)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
	       err == ENOBUFS || err == ENOMEM ||
	       (!on_stderr && (err == EBADF || err == ECONNREFUSED ||
			       err == ENOTCONN || err == ENOENT));
}

static void note_lost(int err, int on_stderr)
{
	atomic_store_explicit(&lost_err, err, memory_order_relaxed);
	atomic_store_explicit(&lost_on_stderr, on_stderr,
			      memory_order_relaxed);
}

void log_fall_back(const char *verb, const char *what, int err)
{
	char buf[CONFIG_PATH_MAX + 128];
	struct outbuf o = { buf, 0, sizeof(buf) };

	if (atomic_exchange(&fell_back, 1))
		return;
	outbuf_str(&o, "tcpshim: cannot ");
	outbuf_str(&o, verb);
	outbuf_str(&o, " log ");
	outbuf_str(&o, what);
	outbuf_str(&o, ": ");
	outbuf_errno(&o, err);
	outbuf_str(&o, "; logging to stderr instead\n");
	if (log_stderr_usable() && quiet_line(2, buf, o.len) != 0)
		log_fail_stderr(errno);
}

int log_fail_write(int err)
{
	char name[CONFIG_PATH_MAX];

	if (passing(err, 0) || shim_config.log == LOG_SYSLOG ||
	    shim_config.log == LOG_JOURNAL) {
		note_lost(err, 0);
		return 0;
	}
	log_target_name(name, sizeof(name));
	log_fall_back("write", name, err);
	return 1;
}

void log_fail_stderr(int err)
{
	note_lost(err, 1);
	if (!passing(err, 1))
		atomic_store(&stderr_failed, 1);
}

int log_fail_tell_lost(int pid, uint64_t lost, uint64_t events,
		       uint64_t held)
{
	char buf[CONFIG_PATH_MAX + 192];
	struct outbuf o = { buf, 0, sizeof(buf) - 1 };
	int err = atomic_load(&lost_err);

	if (!log_stderr_usable())
		return 0;
	outbuf_str(&o, "tcpshim[");
	outbuf_u64(&o, (uint64_t)pid);
	outbuf_str(&o, "]: lost ");
	outbuf_u64(&o, lost);
	outbuf_str(&o, " of ");
	outbuf_u64(&o, events);
	outbuf_str(&o, " events");
	if (held > 0) {
		outbuf_str(&o, " (");
		outbuf_u64(&o, held);
		outbuf_str(&o, " more held back by TCPSHIM_RATE)");
	}
	if (err != 0) {
		outbuf_str(&o, ": cannot write ");
		if (atomic_load(&lost_on_stderr)) {
			outbuf_str(&o, "stderr");
		} else {
			outbuf_str(&o, "log ");
			log_target_name(buf + o.len, o.cap - o.len);
			o.len += strlen(buf + o.len);
		}
		outbuf_str(&o, ": ");
		outbuf_errno(&o, err);
	}
	outbuf_char(&o, '\n');
	return quiet_line(2, buf, o.len) == 0;
}
