/*
 * watch_print.c - a record of tcpshim watch as one line, text or JSON,
 * with the fields of the preload's events (core/outbuf writes addresses
 * and times the same way) and watch's own: source, comm, reason, netns,
 * cgroup.
 *
 * Text:  tcpshim[PID] TIME EVENT cause=... reason=... source=kernel
 *        comm=... fd=... conn=- cookie=... netns=... cgroup=...
 *        local=... peer=...
 *        bytes_sent=... bytes_received=...
 *        [actor_pid=... actor_comm=...]
 * JSON:  one object with the same names; unknown values are null
 *        (text: -).  actor_pid and actor_comm, null in JSON, are left out
 *        of a text line unless another process caused the reset.
 */
#include "cmd/watch.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/names.h"
#include "core/outbuf.h"

int watch_print_wanted(const struct watch_filter *f,
		       const struct watch_event *ev)
{
	const struct watch_record *r = ev->r;
	int owned = ev->owned, pid_ok = f->npids == 0;

	for (int i = 0; i < f->npids; i++)
		if (owned && (int)ev->owner.pid == f->pids[i])
			pid_ok = 1;
	if (!pid_ok)
		return 0;
	if (f->port != 0 && r->local_port != f->port && r->peer_port != f->port)
		return 0;
	if (f->comm != NULL && (!owned || strncmp(ev->owner.comm, f->comm,
						  WATCH_COMM_LEN - 1) != 0))
		return 0;
	if (f->unit != NULL && !watch_cgroup_in_unit(ev->cgroup, f->unit))
		return 0;
	return f->netns == 0 || r->netns == f->netns;
}

const char *watch_print_cause(const struct watch_event *ev)
{
	return ev->cause == NAMES_CAUSE_UNKNOWN ? NULL : names_cause(ev->cause);
}

struct watch_line {
	struct outbuf o;
	int json;
	int fields;
};

static void watch_print_key(struct watch_line *l, const char *name)
{
	if (l->json) {
		outbuf_str(&l->o, l->fields++ ? ",\"" : "{\"");
		outbuf_str(&l->o, name);
		outbuf_str(&l->o, "\":");
	} else {
		outbuf_char(&l->o, ' ');
		outbuf_str(&l->o, name);
		outbuf_char(&l->o, '=');
	}
}

static void watch_print_null(struct watch_line *l)
{
	outbuf_str(&l->o, l->json ? "null" : "-");
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static int watch_print_utf8(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 :
		s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) ||
			(s[0] == 0xed && s[1] >= 0xa0))) ||
	    (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) ||
			(s[0] == 0xf4 && s[1] >= 0x90))))
		return 0;
	return n;
}

/* A string, or null; JSON-escaped (a comm may hold any byte: a byte
 * that is no valid UTF-8, as a name cut short leaves, is U+FFFD). */
static void watch_print_str(struct watch_line *l, const char *name,
			    const char *v)
{
	static const char hex[] = "0123456789abcdef";

	watch_print_key(l, name);
	if (v == NULL) {
		watch_print_null(l);
		return;
	}
	if (l->json)
		outbuf_char(&l->o, '"');
	while (*v != '\0') {
		const unsigned char *c = (const unsigned char *)v;
		int n = *c >= 0x80 && l->json ? watch_print_utf8(c) : 1;

		if (!l->json) {
			outbuf_char(&l->o, *c <= ' ' ? '?' : (char)*c);
		} else if (n == 0) {
			outbuf_str(&l->o, "\\ufffd");
			n = 1;
		} else if (*c < 0x20 || *c == '"' || *c == '\\') {
			outbuf_str(&l->o, "\\u00");
			outbuf_char(&l->o, hex[*c >> 4]);
			outbuf_char(&l->o, hex[*c & 15]);
		} else {
			for (int i = 0; i < n; i++)
				outbuf_char(&l->o, v[i]);
		}
		v += n;
	}
	if (l->json)
		outbuf_char(&l->o, '"');
}

static void watch_print_u64(struct watch_line *l, const char *name,
			    int known, uint64_t v)
{
	watch_print_key(l, name);
	if (known)
		outbuf_u64(&l->o, v);
	else
		watch_print_null(l);
}

void watch_print_sockaddr(struct sockaddr_storage *ss,
			  const struct watch_record *r, const __u8 *addr,
			  __u16 port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_UNSPEC;
	if (r->family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, addr, sizeof(in->sin_addr));
	} else if (r->family == AF_INET6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, addr, sizeof(in6->sin6_addr));
	}
}

static void watch_print_addr(struct watch_line *l, const char *name,
			     const struct watch_record *r, const __u8 *addr,
			     __u16 port)
{
	struct sockaddr_storage ss;

	watch_print_key(l, name);
	watch_print_sockaddr(&ss, r, addr, port);
	if (ss.ss_family == AF_UNSPEC) {
		watch_print_null(l);
		return;
	}
	if (l->json)
		outbuf_char(&l->o, '"');
	outbuf_sockaddr(&l->o, &ss);
	if (l->json)
		outbuf_char(&l->o, '"');
}

/* time, pid, event: JSON has them as fields, text as its head. */
static void watch_print_head(struct watch_line *l,
			     const struct watch_event *ev,
			     const struct timespec *time, const char *event)
{
	int owned = ev->owned;

	if (l->json) {
		watch_print_key(l, "time");
		outbuf_char(&l->o, '"');
		outbuf_time(&l->o, time);
		outbuf_char(&l->o, '"');
		watch_print_u64(l, "pid", owned, ev->owner.pid);
		watch_print_u64(l, "fd", owned && ev->owner.fd >= 0,
				(uint64_t)ev->owner.fd);
		watch_print_u64(l, "conn", 0, 0);
		watch_print_u64(l, "cookie", ev->r->cookie != 0, ev->r->cookie);
		watch_print_str(l, "event", event);
		return;
	}
	outbuf_str(&l->o, "tcpshim[");
	if (owned)
		outbuf_u64(&l->o, ev->owner.pid);
	else
		outbuf_char(&l->o, '-');
	outbuf_str(&l->o, "] ");
	outbuf_time(&l->o, time);
	outbuf_char(&l->o, ' ');
	outbuf_str(&l->o, event);
}

size_t watch_print_line(char *buf, size_t size, const struct watch_event *ev,
			const struct timespec *time, int json)
{
	struct watch_line l = { .o = { buf, 0, size ? size - 1 : 0 },
				.json = json };
	const struct watch_record *r = ev->r;
	int owned = ev->owned, acted = ev->acted;
	int full = r->flags & WATCH_FULL_SOCK;

	watch_print_head(&l, ev, time, names_kind(ev->kind));
	watch_print_str(&l, "cause", watch_print_cause(ev));
	if (json) {
		watch_print_str(&l, "call", NULL);
		watch_print_str(&l, "errno", NULL);
	}
	watch_print_str(&l, "reason", ev->reason);
	watch_print_str(&l, "source", "kernel");
	watch_print_str(&l, "comm", owned ? ev->owner.comm : NULL);
	if (!json) {
		watch_print_u64(&l, "fd", owned && ev->owner.fd >= 0,
				(uint64_t)ev->owner.fd);
		watch_print_u64(&l, "conn", 0, 0);
		watch_print_u64(&l, "cookie", r->cookie != 0, r->cookie);
	}
	watch_print_u64(&l, "netns", r->netns != 0, r->netns);
	watch_print_str(&l, "cgroup", ev->cgroup);
	watch_print_addr(&l, "local", r, r->local_addr, r->local_port);
	watch_print_addr(&l, "peer", r, r->peer_addr, r->peer_port);
	watch_print_u64(&l, "bytes_sent", full, r->bytes_sent);
	watch_print_u64(&l, "bytes_received", full, r->bytes_received);
	if (json || acted) {
		watch_print_u64(&l, "actor_pid", acted, ev->actor.pid);
		watch_print_str(&l, "actor_comm", acted ? ev->actor.comm : NULL);
	}
	if (json)
		outbuf_char(&l.o, '}');
	if (size == 0)
		return 0;
	l.o.p[l.o.len++] = '\n';
	return l.o.len;
}
