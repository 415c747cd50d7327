/*
 * report_event.h - a log line's JSON object as the report keeps it.
 */
#ifndef SHIM_CMD_REPORT_EVENT_H
#define SHIM_CMD_REPORT_EVENT_H

#include <jansson.h>
#include <stdint.h>

#include "cmd/report_model.h"

/* Keep the event obj (its "event" a non-empty string) of host. */
void report_event_take(struct report *r, json_t *obj, uint32_t host);

/* The years a time may have: ns since 1970 stay far inside 64 bits. */
#define REPORT_YEAR_MIN 1900
#define REPORT_YEAR_MAX 2200

/* RFC 3339 ("2026-11-24T00:59:10.259401Z", an offset instead of Z, a
 * space for the T, fewer digits) as ns since 1970 in *ns: 0, or -1 when
 * s is not one (or its year is outside REPORT_YEAR_MIN..MAX). */
int report_parse_time(const char *s, int64_t *ns);

/* ns as RFC 3339 UTC with microseconds, into buf (32 bytes). */
char *report_format_time(int64_t ns, char *buf);

/* "ADDR:PORT" or "[ADDR]:PORT" into a v4-mapped or IPv6 address and a
 * port: 0, or -1 when s is not one. */
int report_parse_addr(const char *s, uint8_t addr[16], uint16_t *port);

/* An address and port as the log writes it, into buf (64 bytes). */
char *report_format_addr(const uint8_t addr[16], uint16_t port, char *buf);

/* An integer value, or a string of one (journal fields are strings):
 * -1 when missing, null or not a whole number >= 0. */
int64_t report_json_int(json_t *obj, const char *key);

#endif
