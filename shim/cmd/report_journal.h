/*
 * report_journal.h - "journalctl -o json" entries as the report reads
 * them.
 */
#ifndef SHIM_CMD_REPORT_JOURNAL_H
#define SHIM_CMD_REPORT_JOURNAL_H

#include <jansson.h>

#include "cmd/report_model.h"

enum journal_entry {
	JOURNAL_NOT,		/* not a journal entry: a log line */
	JOURNAL_TCPSHIM,	/* tcpshim's: *line is it as a log line */
	JOURNAL_GAP,		/* journald suppressed messages: kept */
	JOURNAL_OTHER,		/* another program's */
};

/*
 * What entry is.  For tcpshim's, *line is a new object with the
 * entry's TCPSHIM_ fields under their log names (TCPSHIM_CAUSE is
 * "cause"), "time" from TCPSHIM_TIME (else the time the entry was
 * made), and *host the entry's _HOSTNAME interned (unless *host is
 * already set: a log named by --host).
 */
enum journal_entry report_journal(struct report *r, json_t *entry,
				  json_t **line, uint32_t *host);

#endif
