/*
 * outbuf.h - an append-only text buffer, and the values the log writes
 * into it: numbers, socket addresses, times, errno names.
 *
 * Everything here is async-signal-safe: no stdio, no locale, no malloc,
 * no locks (gmtime_r and inet_ntop are not, so time and addresses are
 * formatted by hand).
 */
#ifndef SHIM_CORE_OUTBUF_H
#define SHIM_CORE_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* Text past cap is dropped; len stays <= cap. */
struct outbuf {
	char *p;
	size_t len;
	size_t cap;
};

void outbuf_str(struct outbuf *o, const char *s);
void outbuf_char(struct outbuf *o, char c);
void outbuf_u64(struct outbuf *o, uint64_t v);
void outbuf_i64(struct outbuf *o, int64_t v);
/* ADDR:PORT, [ADDR]:PORT for IPv6 (RFC 5952), "-" when unknown. */
void outbuf_sockaddr(struct outbuf *o, const struct sockaddr_storage *ss);
/* RFC 3339, UTC, microseconds: 2026-11-24T00:13:13.123456Z */
void outbuf_time(struct outbuf *o, const struct timespec *ts);
/* The errno name ("ECONNRESET"), or E followed by the number. */
void outbuf_errno(struct outbuf *o, int err);

#endif
