/*
 * watch_print.c - a record of tcpshim watch as one line, text or JSON,
 * with the fields of the preload's events (core/outbuf writes addresses
 * and times the same way) and watch's own: source, comm, reason, netns.
 *
 * Text:  tcpshim[PID] TIME EVENT cause=... reason=... source=kernel
 *        comm=... fd=... conn=- cookie=... netns=... local=... peer=...
 *        bytes_sent=... bytes_received=...
 * JSON:  one object with the same names; unknown values are null
 *        (text: -).
 *
 * The reason's name is the kernel's, read from the running kernel's BTF
 * (enum sk_rst_reason, its SK_RST_REASON_ prefix dropped): the numbers
 * move between kernel versions.
 */
#include "cmd/watch.h"

#include <bpf/btf.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/names.h"
#include "core/outbuf.h"

#define WATCH_REASON_ENUM "sk_rst_reason"
#define WATCH_REASON_PREFIX "SK_RST_REASON_"
#define WATCH_REASONS_MAX 256
#define WATCH_TCP_SYN_SENT 2

static struct btf *watch_print_btf;
static const char *watch_print_reasons[WATCH_REASONS_MAX];

int watch_print_init(void)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	size_t skip = strlen(WATCH_REASON_PREFIX);
	int id;

	watch_print_btf = btf__load_vmlinux_btf();
	if (watch_print_btf == NULL)
		return -1;
	id = btf__find_by_name_kind(watch_print_btf, WATCH_REASON_ENUM,
				    BTF_KIND_ENUM);
	if (id < 0)
		return 0;	/* a kernel without reasons: all null */
	t = btf__type_by_id(watch_print_btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *name = btf__name_by_offset(watch_print_btf,
						       e->name_off);

		if (name == NULL || e->val < 0 || e->val >= WATCH_REASONS_MAX)
			continue;
		if (strncmp(name, WATCH_REASON_PREFIX, skip) == 0)
			name += skip;
		watch_print_reasons[e->val] = name;
	}
	return 0;
}

void watch_print_free(void)
{
	btf__free(watch_print_btf);
	watch_print_btf = NULL;
}

static const char *watch_print_reason(const struct watch_record *r)
{
	if (!(r->flags & WATCH_HAS_REASON) || r->reason >= WATCH_REASONS_MAX)
		return NULL;
	return watch_print_reasons[r->reason];
}

/* The cause, where the kernel's facts tell it; NULL otherwise. */
static const char *watch_print_cause(const struct watch_record *r)
{
	const char *reason = watch_print_reason(r);

	if (r->kind == WATCH_RST_RECEIVED)
		return (r->flags & WATCH_HAS_SOCK) &&
		       r->state == WATCH_TCP_SYN_SENT ?
		       names_cause(TCP_CAUSE_REFUSED) : NULL;
	if (!(r->flags & WATCH_HAS_SOCK))
		return r->family == 0 ? NULL :
		       (r->flags & WATCH_SYN) ? "no_listener" : "no_connection";
	if (reason != NULL && strcmp(reason, "TCP_ABORT_ON_CLOSE") == 0)
		return names_cause(TCP_CAUSE_UNREAD_DATA);
	return NULL;
}

int watch_print_wanted(const struct watch_filter *f,
		       const struct watch_record *r)
{
	int owned = r->flags & WATCH_HAS_OWNER, pid_ok = f->npids == 0;

	for (int i = 0; i < f->npids; i++)
		if (owned && (int)r->owner.pid == f->pids[i])
			pid_ok = 1;
	if (!pid_ok)
		return 0;
	if (f->port != 0 && r->local_port != f->port && r->peer_port != f->port)
		return 0;
	if (f->comm != NULL && (!owned || strncmp(r->owner.comm, f->comm,
						  WATCH_COMM_LEN - 1) != 0))
		return 0;
	return f->netns == 0 || r->netns == f->netns;
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

/* A string, or null; JSON-escaped (a comm may hold any byte). */
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
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (!l->json) {
			outbuf_char(&l->o, c <= ' ' ? '?' : (char)c);
		} else if (c < 0x20 || c == '"' || c == '\\') {
			outbuf_str(&l->o, "\\u00");
			outbuf_char(&l->o, hex[c >> 4]);
			outbuf_char(&l->o, hex[c & 15]);
		} else {
			outbuf_char(&l->o, (char)c);
		}
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

static void watch_print_addr(struct watch_line *l, const char *name,
			     const struct watch_record *r, const __u8 *addr,
			     __u16 port)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	watch_print_key(l, name);
	if (r->family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, addr, sizeof(in->sin_addr));
	} else if (r->family == AF_INET6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, addr, sizeof(in6->sin6_addr));
	} else {
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
			     const struct watch_record *r,
			     const struct timespec *time, const char *event)
{
	int owned = r->flags & WATCH_HAS_OWNER;

	if (l->json) {
		watch_print_key(l, "time");
		outbuf_char(&l->o, '"');
		outbuf_time(&l->o, time);
		outbuf_char(&l->o, '"');
		watch_print_u64(l, "pid", owned, r->owner.pid);
		watch_print_u64(l, "fd", owned, (uint64_t)r->owner.fd);
		watch_print_u64(l, "conn", 0, 0);
		watch_print_u64(l, "cookie", r->cookie != 0, r->cookie);
		watch_print_str(l, "event", event);
		return;
	}
	outbuf_str(&l->o, "tcpshim[");
	if (owned)
		outbuf_u64(&l->o, r->owner.pid);
	else
		outbuf_char(&l->o, '-');
	outbuf_str(&l->o, "] ");
	outbuf_time(&l->o, time);
	outbuf_char(&l->o, ' ');
	outbuf_str(&l->o, event);
}

size_t watch_print_line(char *buf, size_t size, const struct watch_record *r,
			const struct timespec *time, int json)
{
	struct watch_line l = { .o = { buf, 0, size ? size - 1 : 0 },
				.json = json };
	int owned = r->flags & WATCH_HAS_OWNER;
	int full = r->flags & WATCH_FULL_SOCK;

	watch_print_head(&l, r, time, names_kind(r->kind == WATCH_RST_SENT ?
		TCP_EVENT_RST_SENT : TCP_EVENT_RST_RECEIVED));
	watch_print_str(&l, "cause", watch_print_cause(r));
	if (json) {
		watch_print_str(&l, "call", NULL);
		watch_print_str(&l, "errno", NULL);
	}
	watch_print_str(&l, "reason", watch_print_reason(r));
	watch_print_str(&l, "source", "kernel");
	watch_print_str(&l, "comm", owned ? r->owner.comm : NULL);
	if (!json) {
		watch_print_u64(&l, "fd", owned, (uint64_t)r->owner.fd);
		watch_print_u64(&l, "conn", 0, 0);
		watch_print_u64(&l, "cookie", r->cookie != 0, r->cookie);
	}
	watch_print_u64(&l, "netns", r->netns != 0, r->netns);
	watch_print_addr(&l, "local", r, r->local_addr, r->local_port);
	watch_print_addr(&l, "peer", r, r->peer_addr, r->peer_port);
	watch_print_u64(&l, "bytes_sent", full, r->bytes_sent);
	watch_print_u64(&l, "bytes_received", full, r->bytes_received);
	if (json)
		outbuf_char(&l.o, '}');
	if (size == 0)
		return 0;
	l.o.p[l.o.len++] = '\n';
	return l.o.len;
}
