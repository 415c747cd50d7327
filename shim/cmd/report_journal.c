/*
 * report_journal.c - journald's JSON export of tcpshim's entries
 * (TCPSHIM_LOG=journal, or tcpshim watch --log journal).  Every field of
 * an event is a journal field, its value a string: TCPSHIM_BYTES_SENT
 * is "12"; a notice's TCPSHIM_CAUSES is "refused:3,peer_reset:1".  An
 * entry's host is _HOSTNAME (a journal-remote store mixes hosts in one
 * stream).  Older entries without TCPSHIM_TIME take the time the
 * program sent them (_SOURCE_REALTIME_TIMESTAMP), else the time journald
 * received them.  Entries of other programs are skipped, but journald's
 * own "Suppressed N messages" are kept: events may be missing there.
 */
#include "cmd/report_journal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_event.h"

static const char *field(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A journal timestamp (microseconds since 1970, as a string) in ns. */
static int journal_time(json_t *o, const char *key, int64_t *ns)
{
	const char *s = field(o, key);
	char *end;
	long long us;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	us = strtoll(s, &end, 10);
	/* Up to the year 2200, as report_parse_time takes. */
	if (*end != '\0' || us > 7258118400000000LL)
		return -1;
	*ns = (int64_t)us * 1000;
	return 0;
}

/* "refused:3,peer_reset:1" as {"refused":3,"peer_reset":1}. */
static json_t *causes(const char *s)
{
	json_t *o = json_object();
	char name[128];

	while (s != NULL && *s != '\0') {
		const char *colon = strchr(s, ':'), *comma = strchr(s, ',');
		size_t n;

		if (colon == NULL || (comma != NULL && comma < colon))
			break;
		n = (size_t)(colon - s) < sizeof(name) - 1
			    ? (size_t)(colon - s) : sizeof(name) - 1;
		memcpy(name, s, n);
		name[n] = '\0';
		json_object_set_new(o, name, json_integer(atoll(colon + 1)));
		s = comma != NULL ? comma + 1 : NULL;
	}
	return o;
}

static void gap(struct report *r, json_t *entry, uint32_t host)
{
	struct rep_gap *g;
	int64_t ns = 0;

	journal_time(entry, "__REALTIME_TIMESTAMP", &ns);
	r->gap = report_grow(r->gap, (r->ngaps + 1) * sizeof(*r->gap));
	g = &r->gap[r->ngaps++];
	g->ns = ns;
	g->host = host;
	g->text = report_copy(field(entry, "MESSAGE"));
}

enum journal_entry report_journal(struct report *r, json_t *entry,
				  json_t **line, uint32_t *host)
{
	const char *key, *msg = field(entry, "MESSAGE");
	const char *ident = field(entry, "SYSLOG_IDENTIFIER");
	json_t *v, *out;
	int64_t ns;
	char name[64], when[32];

	if (json_object_get(entry, "__CURSOR") == NULL &&
	    json_object_get(entry, "__REALTIME_TIMESTAMP") == NULL)
		return JOURNAL_NOT;
	if (*host == 0 && field(entry, "_HOSTNAME") != NULL)
		*host = intern(&r->strings, field(entry, "_HOSTNAME"));
	if (ident != NULL && strcmp(ident, "systemd-journald") == 0 &&
	    msg != NULL && strncmp(msg, "Suppressed ", 11) == 0) {
		gap(r, entry, *host);
		return JOURNAL_GAP;
	}
	if (field(entry, "TCPSHIM_EVENT") == NULL &&
	    field(entry, "TCPSHIM_NOTICE") == NULL)
		return JOURNAL_OTHER;
	out = json_object();
	json_object_foreach(entry, key, v) {
		size_t n = strlen(key);

		if (strncmp(key, "TCPSHIM_", 8) != 0 || !json_is_string(v) ||
		    n - 8 >= sizeof(name))
			continue;
		for (size_t i = 8; i <= n; i++)
			name[i - 8] = (char)tolower((unsigned char)key[i]);
		if (strcmp(name, "causes") == 0)
			json_object_set_new(out, name,
					    causes(json_string_value(v)));
		else
			json_object_set(out, name, v);
	}
	if (json_object_get(out, "time") == NULL &&
	    (journal_time(entry, "_SOURCE_REALTIME_TIMESTAMP", &ns) == 0 ||
	     journal_time(entry, "__REALTIME_TIMESTAMP", &ns) == 0))
		json_object_set_new(out, "time",
				    json_string(report_format_time(ns, when)));
	*line = out;
	return JOURNAL_TCPSHIM;
}
