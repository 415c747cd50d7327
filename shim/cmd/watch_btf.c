/*
 * watch_btf.c - the running kernel's own numbers, read from its BTF
 * (/sys/kernel/btf/vmlinux): the names of its reset reasons (enum
 * sk_rst_reason, the SK_RST_REASON_ prefix dropped), the values of
 * named enumerators such as TCP_SYN_SENT, and how many arguments a
 * tracepoint passes; its tick rate, from its configuration; and its count
 * of TCP connections opened, by name from /proc/net/snmp.  They move
 * between kernel versions: none is written down here.
 */
#include "cmd/watch.h"

#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#define WATCH_REASON_ENUM "sk_rst_reason"
#define WATCH_REASON_PREFIX "SK_RST_REASON_"
#define WATCH_REASONS_MAX 256

static struct btf *watch_btf;
static const char *watch_btf_reasons[WATCH_REASONS_MAX];

static void watch_btf_load_reasons(void)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	size_t skip = strlen(WATCH_REASON_PREFIX);
	int id;

	id = btf__find_by_name_kind(watch_btf, WATCH_REASON_ENUM, BTF_KIND_ENUM);
	if (id < 0)
		return;	/* a kernel without reasons: all null */
	t = btf__type_by_id(watch_btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *name = btf__name_by_offset(watch_btf, e->name_off);

		if (name == NULL || e->val < 0 || e->val >= WATCH_REASONS_MAX)
			continue;
		if (strncmp(name, WATCH_REASON_PREFIX, skip) == 0)
			name += skip;
		watch_btf_reasons[e->val] = name;
	}
}

int watch_btf_init(void)
{
	watch_btf = btf__load_vmlinux_btf();
	if (watch_btf == NULL)
		return -1;
	watch_btf_load_reasons();
	return 0;
}

void watch_btf_free(void)
{
	btf__free(watch_btf);
	watch_btf = NULL;
}

const char *watch_btf_reason(uint32_t value)
{
	return value < WATCH_REASONS_MAX ? watch_btf_reasons[value] : NULL;
}

long watch_btf_enumerator(const char *name)
{
	int n = watch_btf == NULL ? 0 : (int)btf__type_cnt(watch_btf);

	for (int id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(watch_btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			const char *s = btf__name_by_offset(watch_btf, e->name_off);

			if (s != NULL && strcmp(s, name) == 0)
				return e->val;
		}
	}
	return -1;
}

int watch_btf_tracepoint_args(const char *name)
{
	char type[128];
	const struct btf_type *t;
	int id;

	snprintf(type, sizeof(type), "btf_trace_%s", name);
	id = watch_btf == NULL ? -1 :
	     btf__find_by_name_kind(watch_btf, type, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	/* typedef → pointer → prototype (void *ctx, the arguments...) */
	t = btf__type_by_id(watch_btf, btf__resolve_type(watch_btf, id));
	if (t == NULL || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(watch_btf, t->type);
	return t != NULL && btf_is_func_proto(t) ? btf_vlen(t) - 1 : -1;
}

/* CONFIG_HZ from /boot/config-RELEASE or /proc/config.gz (gzopen reads
 * either); 0 where neither says. */
unsigned int watch_btf_hz(void)
{
	char path[128], line[256];
	unsigned int hz = 0;
	struct utsname u;
	gzFile f = NULL;

	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "rb");
	}
	if (f == NULL)
		f = gzopen("/proc/config.gz", "rb");
	if (f == NULL)
		return 0;
	while (hz == 0 && gzgets(f, line, sizeof(line)) != NULL)
		if (sscanf(line, "CONFIG_HZ=%u", &hz) != 1)
			hz = 0;
	gzclose(f);
	return hz;
}

/* TCP connections opened in watch's network namespace so far (the
 * kernel's ActiveOpens and PassiveOpens): the summary's connections. */
uint64_t watch_btf_tcp_opens(void)
{
	FILE *f = fopen("/proc/net/snmp", "re");
	char *names = NULL, *values = NULL, *n, *v, *ns, *vs;
	size_t nsize = 0, vsize = 0;
	uint64_t opens = 0;

	if (f == NULL)
		return 0;
	/* A line of names, then one of values: "Tcp: RtoAlgorithm ...". */
	while (getline(&names, &nsize, f) > 0 &&
	       getline(&values, &vsize, f) > 0) {
		if (strncmp(names, "Tcp:", 4) != 0)
			continue;
		n = strtok_r(names, " \n", &ns);
		v = strtok_r(values, " \n", &vs);
		while ((n = strtok_r(NULL, " \n", &ns)) != NULL &&
		       (v = strtok_r(NULL, " \n", &vs)) != NULL)
			if (strcmp(n, "ActiveOpens") == 0 ||
			    strcmp(n, "PassiveOpens") == 0)
				opens += strtoull(v, NULL, 10);
		break;
	}
	free(names);
	free(values);
	fclose(f);
	return opens;
}
