/*
 * addr_spec.h - an address as a user writes it to choose connections:
 * ADDR[/PREFIX][:PORT], for TCPSHIM_INJECT's peer= and "tcpshim abort
 * --peer".
 *
 *   ADDR   an IPv4 address; an IPv6 one, in brackets when a port
 *          follows ([::1]:80); or '*', any address (where allowed)
 *   PREFIX the leading bits that count (where allowed)
 *   PORT   1-65535
 */
#ifndef SHIM_CORE_ADDR_SPEC_H
#define SHIM_CORE_ADDR_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"

/* What a caller admits beyond ADDR[:PORT] (one bit each). */
enum addr_spec_allow {
	ADDR_SPEC_ANY = 1u << 0,	/* '*' for any address */
	ADDR_SPEC_PREFIX = 1u << 1,	/* /PREFIX */
	ADDR_SPEC_V4_IN_BRACKETS = 1u << 2,	/* [1.2.3.4]:80 too */
};

struct addr_spec {
	struct conn_addr addr;	/* family AF_UNSPEC for '*'; port 0 */
	unsigned int prefix;	/* leading bits of addr that count: 32 or
				 * 128 unless /PREFIX said fewer; 0 for '*' */
	uint16_t port;		/* host order; 0: any port */
};

/*
 * Parse s[0..len) into *spec, admitting what allow says (enum
 * addr_spec_allow).  0, or -1 when it is not of the form.
 */
int addr_spec_parse(struct addr_spec *spec, const char *s, size_t len,
		    unsigned int allow);

#endif
