/*
 * tracer.c - the kernel's reset tracepoints for tests (tracer.h).
 */
#include "tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

/*
 * A whole file read to EOF.  tracefs files report size 0, so tl_slurp's
 * seek to the end does not work on them.  NULL if it cannot be opened.
 */
static char *read_all(const char *path)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}


static const char *const tracepoints[] = { "tcp_send_reset",
					   "tcp_receive_reset" };

static int has_tcp_events(const char *root)
{
	return access(tl_str("%s/events/tcp/tcp_receive_reset/format", root),
		      R_OK) == 0 &&
	       access(tl_str("%s/events/tcp/tcp_send_reset/format", root),
		      R_OK) == 0;
}

static void tracer_unmount(struct tracer *t)
{
	if (t->mounted) {
		umount2(t->root, MNT_DETACH);
		rmdir(t->root);
		t->mounted = 0;
	}
}

/* What the format files say about the fields this suite reads. */
static const char *tracer_formats(struct tracer *t)
{
	char *recv_fmt = read_all(tl_str("%s/events/tcp/tcp_receive_reset/format",
				      t->root));
	char *send_fmt = read_all(tl_str("%s/events/tcp/tcp_send_reset/format",
				      t->root));
	const char *why = NULL;

	if (recv_fmt == NULL || send_fmt == NULL)
		why = "cannot read the tcp tracepoint format files";
	else if (strstr(recv_fmt, " sock_cookie;") == NULL)
		why = "tcp_receive_reset has no sock_cookie field "
		      "(kernel older than the cookie)";
	else if (strstr(send_fmt, "src=") == NULL &&
		 strstr(send_fmt, "sport=") == NULL)
		why = "tcp_send_reset prints no addresses this suite knows";
	if (why == NULL) {
		t->cookie_hex = strstr(recv_fmt, "sock_cookie=%llx") != NULL;
		t->send_cookie = strstr(send_fmt, " sock_cookie;") != NULL;
	}
	free(recv_fmt);
	free(send_fmt);
	return why;
}

/*
 * Find tracefs where the system mounted it, or else mount it on a
 * directory of this run's.  Returns NULL, or why the test must be
 * skipped.
 */
static const char *tracer_find_root(struct tracer *t)
{
	static const char *const known[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (has_tcp_events(known[i])) {
			snprintf(t->root, sizeof(t->root), "%s", known[i]);
			return NULL;
		}
	snprintf(t->root, sizeof(t->root), "%s", tl_tmp("tracefs"));
	if (mkdir(t->root, 0700) != 0)
		return tl_str("mkdir %s: %s", t->root, strerror(errno));
	if (mount("nodev", t->root, "tracefs", 0, NULL) != 0) {
		int err = errno;

		rmdir(t->root);
		return tl_str("mount -t tracefs nodev %s: %s", t->root,
			      strerror(err));
	}
	t->mounted = 1;
	if (!has_tcp_events(t->root)) {
		tracer_unmount(t);
		return "tracefs has no tcp:tcp_send_reset and "
		       "tcp:tcp_receive_reset tracepoints";
	}
	return NULL;
}

/* Disable both tracepoints, and undo what tracer_start set up. */
static void tracer_undo(struct tracer *t)
{
	for (size_t i = 0; i < 2; i++)
		write_str(tl_str("%s/events/tcp/%s/enable", t->dir,
			      tracepoints[i]), "0");
	if (t->instance)
		rmdir(t->dir);
	tracer_unmount(t);
}

/*
 * Find or mount tracefs, make a private instance, enable both
 * tracepoints in it and clear its buffer.  Returns NULL, or why the test
 * must be skipped.
 */
const char *tracer_start(struct tracer *t)
{
	const char *why;

	memset(t, 0, sizeof(*t));
	if (!tl_is_root())
		return "needs root to use tracefs";
	why = tracer_find_root(t);
	if (why != NULL)
		return why;
	why = tracer_formats(t);
	if (why != NULL) {
		tracer_unmount(t);
		return why;
	}

	/* A private buffer: other tracing users are not disturbed. */
	snprintf(t->dir, sizeof(t->dir), "%s/instances/tcpshim-%d", t->root,
		 (int)getpid());
	if (mkdir(t->dir, 0700) == 0)
		t->instance = 1;
	else
		snprintf(t->dir, sizeof(t->dir), "%s", t->root);

	for (size_t i = 0; i < 2; i++)
		if (write_str(tl_str("%s/events/tcp/%s/enable", t->dir,
				  tracepoints[i]), "1") != 0) {
			why = tl_str("enable tcp:%s: %s", tracepoints[i],
				  strerror(errno));
			break;
		}
	/* Opening "trace" for writing with O_TRUNC clears the buffer. */
	if (why == NULL && write_str(tl_str("%s/trace", t->dir), "") != 0)
		why = tl_str("clear %s/trace: %s", t->dir, strerror(errno));
	if (why != NULL)
		tracer_undo(t);
	return why;
}

/* Read the records, disable the tracepoints, undo what start did. */
char *tracer_stop(struct tracer *t)
{
	char *trace = read_all(tl_str("%s/trace", t->dir));

	tracer_undo(t);
	return trace ? trace : strdup("");
}

/* ---- what the kernel recorded, and what the log says ------------------ */


/* The value after " key=" in a trace line, up to the next space. */
static int trace_field(const char *line, const char *key, char *buf,
		       size_t size)
{
	char pat[64];
	const char *p;
	size_t len;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	len = strcspn(p, " \n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

/* family/saddr/sport style (kernels before src=/dest=) into ADDR:PORT. */
static void old_style_addr(const char *line, const char *which_end,
			   char *out, size_t size)
{
	char family[16] = "", addr[64] = "", port[16] = "";
	int v6;

	trace_field(line, "family", family, sizeof(family));
	v6 = strcmp(family, "AF_INET6") == 0;
	trace_field(line, tl_str("%saddr%s", which_end, v6 ? "v6" : ""), addr,
		    sizeof(addr));
	trace_field(line, tl_str("%sport", which_end), port, sizeof(port));
	snprintf(out, size, v6 ? "[%s]:%s" : "%s:%s", addr, port);
}

static int parse_record(const char *line, const struct tracer *t,
			struct record *r)
{
	char val[64];

	memset(r, 0, sizeof(*r));
	if (strstr(line, ": tcp_send_reset: "))
		r->kind = REC_SEND;
	else if (strstr(line, ": tcp_receive_reset: "))
		r->kind = REC_RECEIVE;
	else
		return -1;
	snprintf(r->line, sizeof(r->line), "%s", line);
	if (trace_field(line, "sock_cookie", val, sizeof(val)) == 0) {
		r->has_cookie = 1;
		r->cookie = strtoull(val, NULL, t->cookie_hex ? 16 : 10);
	}
	if (r->kind == REC_SEND && trace_field(line, "src", r->src,
					       sizeof(r->src)) == 0) {
		trace_field(line, "dest", r->dst, sizeof(r->dst));
	} else if (r->kind == REC_RECEIVE) {
		/* Only the ports: the addresses print in two families. */
		trace_field(line, "sport", r->src, sizeof(r->src));
		trace_field(line, "dport", r->dst, sizeof(r->dst));
	} else {
		old_style_addr(line, "s", r->src, sizeof(r->src));
		old_style_addr(line, "d", r->dst, sizeof(r->dst));
	}
	return 0;
}

int tracer_records(const char *trace, const struct tracer *t,
			 struct record *out)
{
	char line[512];
	int n = 0;

	for (int i = 0; tl_line(trace, i, line, sizeof(line)); i++) {
		if (line[0] == '#')
			continue;
		ck_assert_int_lt(n, MAX_RECORDS);
		if (parse_record(line, t, &out[n]) == 0)
			n++;
	}
	return n;
}