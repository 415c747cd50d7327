/*
 * journal.h - events and notices in journald's native protocol: the
 * datagram for /run/systemd/journal/socket (journal.c).
 */
#ifndef SHIM_CORE_JOURNAL_H
#define SHIM_CORE_JOURNAL_H

#include <stddef.h>

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

/* The datagram for ev, or n, into buf: its length. */
size_t journal_event(char *buf, size_t size, const struct tcp_event *ev);
size_t journal_notice(char *buf, size_t size, const struct shim_notice *n);
struct shim_counts;
/* A held_back or summary notice (format.h): TCPSHIM_NOTICE, _PID,
 * _CONNECTIONS, _EVENTS, _HELD_BACK, _LOST, _SINCE, _CAUSES as in the
 * text. */
size_t journal_counts(char *buf, size_t size, const struct shim_counts *n);

#endif
