/*
 * format.h - an event as one log line, text or JSON.
 *
 * Everything here is async-signal-safe: no stdio, no locale, no malloc,
 * no locks (gmtime_r and inet_ntop are not, so time and addresses are
 * formatted by hand).
 */
#ifndef SHIM_FORMAT_H
#define SHIM_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tcpshim.h"

/* Longest line format_event() writes; longer output is cut short. */
#define FORMAT_LINE_MAX 1024

/* An append-only buffer; text past cap is dropped, len stays <= cap. */
struct outbuf {
	char *p;
	size_t len;
	size_t cap;
};

void out_str(struct outbuf *o, const char *s);
void out_char(struct outbuf *o, char c);
void out_u64(struct outbuf *o, uint64_t v);
void out_i64(struct outbuf *o, int64_t v);
/* ADDR:PORT, [ADDR]:PORT for IPv6 (RFC 5952), "-" when unknown. */
void out_sockaddr(struct outbuf *o, const struct sockaddr_storage *ss);
/* RFC 3339, UTC, microseconds: 2026-11-24T00:13:13.123456Z */
void out_time(struct outbuf *o, const struct timespec *ts);
/* The errno name ("ECONNRESET"), or E followed by the number. */
void out_errno(struct outbuf *o, int err);

const char *format_kind_name(enum tcp_event_kind kind);
const char *format_cause_name(enum tcp_event_cause cause);

/*
 * A notice: not an event, but something a reader of the log must know,
 * such as the program overriding a TCPSHIM_ policy on one socket.  JSON
 * notices have a "notice" field where events have "event".
 */
struct shim_notice {
	struct timespec time;
	int pid;
	int fd;
	uint64_t conn;
	const char *what;	/* "policy_overridden" */
	const char *option;	/* "SO_KEEPALIVE", "TCP_KEEPIDLE", ... */
	int64_t value;		/* what the program set */
	const char *policy;	/* "TCPSHIM_KEEPALIVE=1,1,2" */
};

size_t format_notice(char *buf, size_t size, const struct shim_notice *n,
		     int json);

/* Write ev as one line ending in '\n'; returns its length. */
size_t format_event(char *buf, size_t size, const struct tcp_event *ev,
		    int json);

#endif
