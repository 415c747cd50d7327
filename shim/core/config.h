/*
 * config.h - the TCPSHIM_ environment variables, their defaults, and the
 * read-only settings parsed from them once at start-up.
 */
#ifndef SHIM_CORE_CONFIG_H
#define SHIM_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/inject_rules.h"

#define ENV_LOG "TCPSHIM_LOG"
#define ENV_FORMAT "TCPSHIM_FORMAT"
#define ENV_KEEPALIVE "TCPSHIM_KEEPALIVE"
#define ENV_USER_TIMEOUT "TCPSHIM_USER_TIMEOUT"
#define ENV_CLOSE "TCPSHIM_CLOSE"
#define ENV_EVENTS "TCPSHIM_EVENTS"
#define ENV_DEBUG "TCPSHIM_DEBUG"
#define ENV_INJECT "TCPSHIM_INJECT"
#define ENV_RATE "TCPSHIM_RATE"

#define CONFIG_PATH_MAX 4096

/* The kernel's limits: TCP_KEEPIDLE and TCP_KEEPINTVL in seconds, and
 * TCP_KEEPCNT (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT). */
#define KEEPALIVE_TIME_MAX 32767
#define KEEPALIVE_COUNT_MAX 127

/* TCPSHIM_RATE's default where the log goes to a daemon (syslog, the
 * journal), which drops what floods it: events per second. */
#define RATE_DAEMON_DEFAULT 100

/* A number macro as a string literal, for messages. */
#define CONFIG_STR(x) CONFIG_STR_(x)
#define CONFIG_STR_(x) #x

enum log_kind { LOG_STDERR = 0, LOG_OFF, LOG_SYSLOG, LOG_FILE, LOG_JOURNAL };

/* The small settings first: config_defaults clears them, and only the
 * first byte of each array after them (every process start pays for
 * the pages it writes). */
struct shim_config {
	enum log_kind log;
	int json;
	int keepalive;			/* TCPSHIM_KEEPALIVE given */
	int keep_idle, keep_intvl, keep_cnt;
	int user_timeout;		/* TCPSHIM_USER_TIMEOUT given */
	unsigned int user_timeout_ms;
	int close_abort;
	unsigned int events;		/* bit (1 << enum tcp_event_kind) */
	int summary;			/* "summary" in TCPSHIM_EVENTS */
	unsigned int rate;		/* events/s; TALLY_UNLIMITED: none */
	int rate_set;			/* TCPSHIM_RATE given */
	int debug;			/* TCPSHIM_DEBUG=1 */
	char log_path[CONFIG_PATH_MAX];	/* LOG_FILE: may hold %p */
	struct inject_rules inject;	/* TCPSHIM_INJECT; n 0: none */
};

/* Reads one variable; NULL when unset. */
typedef const char *(*config_getenv_fn)(const char *name);
/* Receives one whole warning line, newline included. */
typedef void (*config_warn_fn)(const char *line);

void config_defaults(struct shim_config *cfg);
/*
 * Fill cfg from the environment.  A bad value keeps that setting's
 * default and is reported by one call to warn.  seed is what a
 * TCPSHIM_INJECT rule with prob= and no seed= draws from.
 */
void config_parse(struct shim_config *cfg, config_getenv_fn get,
		  config_warn_fn warn, uint64_t seed);

/*
 * One setting, by its variable's name (ENV_LOG, ...), as tcpshim watch's
 * options give them: 0, or -1 (cfg untouched).  Either way *expected is
 * the accepted form, for a message.
 */
int config_set(struct shim_config *cfg, const char *name, const char *value,
	       const char **expected);
/* With every setting in: TCPSHIM_RATE's default for the log chosen. */
void config_default_rate(struct shim_config *cfg);

/* A TCPSHIM_LOG path with every %p replaced by pid, into dst: 0, or -1
 * if it does not fit. */
int config_log_path(char *dst, size_t size, const char *src, int pid);

/* The settings in force, parsed by the library constructor. */
extern struct shim_config shim_config;

#endif
