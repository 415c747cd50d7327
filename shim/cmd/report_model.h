/*
 * report_model.h - what "tcpshim report" keeps of a log: every event in a
 * fixed-size record (addresses in binary, strings interned), because
 * joining a reset's two ends needs them all at once.  A million events
 * take about 150 MB.
 */
#ifndef SHIM_CMD_REPORT_MODEL_H
#define SHIM_CMD_REPORT_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/report_intern.h"
#include "cmd/report_table.h"

#define REV_NONE UINT32_MAX	/* no such event (a link to nothing) */

enum rev_flag {
	REV_COOKIE = 1,		/* cookie known */
	REV_LOCAL = 2,		/* local address known */
	REV_PEER = 4,		/* peer address known */
	REV_KERNEL = 8,		/* from tcpshim watch (source kernel) */
	REV_TIME = 16,		/* ns known */
	REV_LOCAL_ANY = 32,	/* local address is 0.0.0.0 or :: */
};

/* What kind of event: a reset sent, received, a half-open peer, or a
 * close (or a name the report does not know). */
enum rev_kind { RK_OTHER, RK_SENT, RK_RECEIVED, RK_HALFOPEN, RK_CLOSE };

/* One event. */
struct rev {
	int64_t ns;			/* UTC, ns since 1970 */
	uint64_t cookie;
	int64_t sent, received;		/* bytes; -1 unknown */
	int64_t conn;			/* -1 unknown */
	uint8_t local[16], peer[16];	/* IPv6; IPv4 as v4-mapped */
	uint16_t lport, pport;
	int32_t pid, fd, actor_pid;	/* -1 unknown */
	int32_t probes;			/* -1 unknown */
	uint32_t host;			/* interned host name ("" unnamed) */
	uint32_t event, cause, call, err, reason, comm, actor_comm, cgroup;
	uint32_t layer;		/* the other layer's event of this end */
	uint32_t next;		/* the next event of this preload connection */
	uint32_t end;		/* the other end's head event */
	uint8_t kind, flags;
	uint8_t secondary;	/* not a head: a later event of a connection,
				   or the kernel layer of a preload end */
};

/* A host pair's clock offset: b's clock less a's (a < b). */
struct rep_offset {
	uint32_t a, b;
	int64_t ns;
	int64_t spread_ns;	/* the median delay: how long after its
				   reset a receiver was logged */
	size_t pairs;
	int64_t fwd_low, back_low;	/* a to b's samples, b to a's */
	size_t fwd_n, back_n, delay_n;
};

/* A journald "Suppressed N messages" notice: events may be missing. */
struct rep_gap {
	int64_t ns;
	uint32_t host;
	char *text;
};

struct rep_filter;

struct report {
	struct rev *ev;
	size_t nev, cap;
	struct intern strings;
	struct rep_offset *offset;
	size_t noffsets;
	struct rep_gap *gap;
	size_t ngaps;
	uint32_t *rows;		/* head events, one per row, by time */
	size_t nrows;
	const struct rep_filter *filter;
	struct table notices;
	struct table held;		/* held_back notices */
	struct table summaries;		/* summary notices */
	json_t *pid_events;		/* pid -> its event lines */
	json_t *watch_pids;		/* pids of watch's summaries */
	struct tally held_causes;	/* held back, by event and cause */
	size_t kernel_events;		/* watch's events read */
	size_t other_entries;		/* journal entries of others */
	size_t held_back;		/* events held back, by the notices */
	size_t lines, skipped;
	size_t cut;			/* last lines cut short */
	int unreadable;
};

/* Add one event, a copy of *e; its index. */
uint32_t report_add(struct report *r, const struct rev *e);

/* The interned string of id ("" for id 0). */
static inline const char *rev_str(const struct report *r, uint32_t id)
{
	return intern_str(&r->strings, id);
}

#endif
