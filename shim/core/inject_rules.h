/*
 * inject_rules.h - TCPSHIM_INJECT: the rules that reset a connection on
 * purpose, parsed once at start-up, and the tests of one rule against
 * one connection that need no system call.
 *
 *   RULES := RULE [; RULE]...
 *   RULE  := reset[:COND[,COND]...]        every COND must hold (',' for
 *                                          ':' too)
 *   COND  := after_sent=BYTES | after_received=BYTES | after_ms=MS
 *          | peer=ADDR[/PREFIX][:PORT] | port=PORT | prob=P | seed=N
 *          | count=N
 */
#ifndef SHIM_CORE_INJECT_RULES_H
#define SHIM_CORE_INJECT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"

#define INJECT_RULES_MAX 16
#define INJECT_TEXT_MAX 192
/* prob=P is kept in parts per billion: nine decimals, exactly. */
#define INJECT_PROB_ONE 1000000000u

/* Which conditions a rule has (one bit each). */
enum inject_has {
	INJECT_AFTER_SENT = 1u << 0,
	INJECT_AFTER_RECEIVED = 1u << 1,
	INJECT_AFTER_MS = 1u << 2,
	INJECT_PEER = 1u << 3,
	INJECT_PORT = 1u << 4,
	INJECT_PROB = 1u << 5,
	INJECT_SEED = 1u << 6,
	INJECT_COUNT = 1u << 7,
};

/* The two directions a byte condition counts. */
enum inject_dir { INJECT_SENT = 0, INJECT_RECEIVED = 1 };

struct inject_rule {
	unsigned int has;		/* enum inject_has */
	uint64_t after[2];		/* bytes, by enum inject_dir */
	uint64_t after_ms;
	struct conn_addr peer;		/* family AF_UNSPEC: any address */
	unsigned int peer_prefix;	/* leading bits of peer.addr compared */
	uint16_t peer_port;		/* host order; 0: any port */
	uint16_t port;			/* local port, host order */
	uint32_t prob;			/* parts per billion */
	uint64_t seed;
	uint64_t count;
	/* As written; ",seed=N" added when prob came without a seed, so
	 * the event shows how to make the same choices again. */
	char text[INJECT_TEXT_MAX];
};

struct inject_rules {
	int n;
	struct inject_rule rule[INJECT_RULES_MAX];
};

/* The accepted form, for messages. */
extern const char inject_form[];

/*
 * Parse value into rules; seed is the one a rule with prob and no seed
 * gets.  0 on success.  On failure -1, rules->n is 0 (nothing is
 * injected), bad holds the rule that failed and why what is wrong with
 * it (both cut to fit).
 */
int inject_parse(struct inject_rules *rules, const char *value,
		 uint64_t seed, char *bad, size_t bad_size, char *why,
		 size_t why_size);

/* Does rule r's peer= (address, prefix, port) admit peer?  An IPv4
 * address mapped into IPv6 counts as IPv4. */
int inject_peer_matches(const struct inject_rule *r,
			const struct conn_addr *peer);

/* The n-th draw of rule r (0, 1, ...): does the connection it decides
 * get reset?  The same seed gives the same answers. */
int inject_draw(const struct inject_rule *r, int index, uint64_t n);

#endif
