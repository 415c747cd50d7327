/*
 * addr_spec.c - parsing ADDR[/PREFIX][:PORT].
 */
#include "core/addr_spec.h"

#include <arpa/inet.h>
#include <string.h>

/* Longer than any address inet_pton takes. */
#define ADDR_TEXT_MAX 64
/* Digits a number may have (leading zeros count). */
#define DIGITS_MAX 19

/* A decimal number in [0, max], digits only, p to end; 0 on success. */
static int read_number(const char *p, const char *end, unsigned int max,
		       unsigned int *out)
{
	unsigned int v = 0;

	if (p == end || end - p > DIGITS_MAX)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* The address from s to end, IPv6 only if v6; 0 on success. */
static int read_address(struct addr_spec *spec, const char *s,
			const char *end, int v6, unsigned int allow)
{
	char text[ADDR_TEXT_MAX];
	struct conn_addr *a = &spec->addr;

	if ((size_t)(end - s) >= sizeof(text))
		return -1;
	memcpy(text, s, (size_t)(end - s));
	text[end - s] = '\0';
	if (strcmp(text, "*") == 0 && (allow & ADDR_SPEC_ANY)) {
		a->family = AF_UNSPEC;
	} else if (!v6 && inet_pton(AF_INET, text, a->addr) == 1) {
		a->family = AF_INET;
		spec->prefix = 32;
	} else if (inet_pton(AF_INET6, text, a->addr) == 1) {
		a->family = AF_INET6;
		spec->prefix = 128;
	} else {
		return -1;
	}
	return 0;
}

/* What follows the address, from p to end: [/PREFIX][:PORT]. */
static int read_prefix_and_port(struct addr_spec *spec, const char *p,
				const char *end, unsigned int allow)
{
	unsigned int v;

	if (p < end && *p == '/') {
		const char *q = ++p;

		while (p < end && *p != ':')
			p++;
		if (!(allow & ADDR_SPEC_PREFIX) ||
		    spec->addr.family == AF_UNSPEC ||
		    read_number(q, p, spec->prefix, &v) != 0)
			return -1;
		spec->prefix = v;
	}
	if (p < end) {
		if (*p != ':' || read_number(p + 1, end, 65535, &v) != 0 ||
		    v == 0)
			return -1;
		spec->port = (uint16_t)v;
	}
	return 0;
}

int addr_spec_parse(struct addr_spec *spec, const char *s, size_t len,
		    unsigned int allow)
{
	const char *end = s + len, *a = s, *a_end, *p;
	int v6;

	memset(spec, 0, sizeof(*spec));
	if (len > 0 && s[0] == '[') {
		a = s + 1;
		a_end = memchr(a, ']', len - 1);
		if (a_end == NULL)
			return -1;
		p = a_end + 1;
		v6 = !(allow & ADDR_SPEC_V4_IN_BRACKETS);
	} else {
		const char *colon = memchr(s, ':', len);

		/* Two colons: a bare IPv6 address, with no port. */
		v6 = colon != NULL && memchr(colon + 1, ':',
					     (size_t)(end - colon - 1)) != NULL;
		for (p = s; p < end && *p != '/' && (v6 || *p != ':'); p++)
			;
		a_end = p;
	}
	if (read_address(spec, a, a_end, v6, allow) != 0 ||
	    read_prefix_and_port(spec, p, end, allow) != 0) {
		memset(spec, 0, sizeof(*spec));
		return -1;
	}
	return 0;
}
