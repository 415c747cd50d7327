/*
 * report_filter.h - which rows "tcpshim report" shows: --since, --until,
 * --cause, --peer.
 */
#ifndef SHIM_CMD_REPORT_FILTER_H
#define SHIM_CMD_REPORT_FILTER_H

#include <stdint.h>

#include "cmd/report_model.h"

struct rep_filter {
	int64_t since, until;		/* INT64_MIN / INT64_MAX: none */
	const char *cause;		/* NULL: any */
	uint8_t peer[16];
	uint16_t port;
	int has_peer, has_port;
};

/* Set one filter from its option's value: 0, or -1 with the reason on
 * stderr. */
int report_filter_set(struct rep_filter *f, int opt, const char *value);

/* Does the row headed by event i pass? */
int report_filter_pass(const struct report *r, uint32_t i);

#endif
