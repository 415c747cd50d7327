/*
 * journal.h - events and notices in journald's native protocol: the
 * datagram for /run/systemd/journal/socket (journal.c).
 */
#ifndef SHIM_CORE_JOURNAL_H
#define SHIM_CORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "core/format.h"
#include "tcpshim.h"

/* syslog priorities: resets and half-open peers, orderly closes and
 * notices. */
#define JOURNAL_WARNING 4
#define JOURNAL_NOTICE 5

/* Room for any datagram these write. */
#define JOURNAL_MAX 2048

/* The MESSAGE_ID of notices (each event kind has its own). */
extern const char journal_notice_id[];

struct outbuf;
/* One field, TCPSHIM_NAME=value: a string (left out when NULL), a
 * number (left out when negative), an address (left out unless IPv4 or
 * IPv6). */
void journal_str(struct outbuf *o, const char *name, const char *v);
void journal_num(struct outbuf *o, const char *name, int64_t v);
void journal_addr(struct outbuf *o, const char *name,
		  const struct sockaddr_storage *ss);
/* What an event's entry starts with: MESSAGE (line, its newline
 * dropped), MESSAGE_ID and PRIORITY of kind, SYSLOG_IDENTIFIER,
 * TCPSHIM_EVENT and TCPSHIM_TIME. */
void journal_head(struct outbuf *o, const char *line, size_t len,
		  enum tcp_event_kind kind, const struct timespec *time);

/* The datagram for ev, or n, into buf: its length. */
size_t journal_event(char *buf, size_t size, const struct tcp_event *ev);
size_t journal_notice(char *buf, size_t size, const struct shim_notice *n);
struct shim_counts;
/* A held_back or summary notice (format.h): TCPSHIM_NOTICE, _PID,
 * _CONNECTIONS, _EVENTS, _HELD_BACK, _LOST, _RING_LOST (watch), _SINCE,
 * _CAUSES as in the text. */
size_t journal_counts(char *buf, size_t size, const struct shim_counts *n);

#endif
