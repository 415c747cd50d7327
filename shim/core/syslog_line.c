/*
 * syslog_line.c - a log line as a syslog datagram.
 */
#include "core/format.h"
#include "core/syslog_line.h"

#include <stdint.h>
#include <string.h>

#include "core/outbuf.h"

/* RFC 5424 facility daemon. */
#define SYSLOG_DAEMON (3 << 3)

size_t syslog_line(char *buf, size_t size, int pid, int severity,
		   const char *line, size_t len, int whole)
{
	struct outbuf o = { buf, 0, size };

	outbuf_str(&o, "<");
	outbuf_u64(&o, (uint64_t)(SYSLOG_DAEMON + severity));
	outbuf_str(&o, ">tcpshim[");
	outbuf_u64(&o, (uint64_t)pid);
	outbuf_str(&o, "]: ");
	if (!whole) {
		/* "tcpshim[PID] TIME " */
		for (int spaces = 0; len > 0 && spaces < 2; line++, len--)
			spaces += *line == ' ';
	}
	if (len > 0 && o.len + len - 1 <= o.cap) {
		memcpy(buf + o.len, line, len - 1);	/* no newline */
		o.len += len - 1;
	}
	return o.len;
}
