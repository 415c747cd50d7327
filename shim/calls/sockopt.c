/*
 * sockopt.c - setsockopt and getsockopt.  setsockopt tells the shim that
 * a close will reset (SO_LINGER {1, 0}), and that the program set its
 * own keepalive or user timeout against a TCPSHIM_ policy: the program
 * wins, and the log says so.  The program's own getsockopt(SO_ERROR) is
 * how a non-blocking connect learns its fate, so the shim reads the
 * answer the program got (it never asks itself: SO_ERROR clears the
 * error it reports).
 */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "calls/wrap.h"
#include "core/classify.h"
#include "core/config.h"
#include "core/format.h"
#include "core/outbuf.h"
#include "event/event.h"
#include "event/log.h"

/* The policy value for a keepalive option, or -1 if no policy sets it. */
static int64_t policy_value(int level, int name, const char **option)
{
	const struct shim_config *cfg = &shim_config;

	if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
		*option = "SO_KEEPALIVE";
		return cfg->keepalive ? 1 : -1;
	}
	if (level != IPPROTO_TCP)
		return -1;
	switch (name) {
	case TCP_KEEPIDLE:
		*option = "TCP_KEEPIDLE";
		return cfg->keepalive ? cfg->keep_idle : -1;
	case TCP_KEEPINTVL:
		*option = "TCP_KEEPINTVL";
		return cfg->keepalive ? cfg->keep_intvl : -1;
	case TCP_KEEPCNT:
		*option = "TCP_KEEPCNT";
		return cfg->keepalive ? cfg->keep_cnt : -1;
	case TCP_USER_TIMEOUT:
		*option = "TCP_USER_TIMEOUT";
		return cfg->user_timeout ? (int64_t)cfg->user_timeout_ms : -1;
	default:
		return -1;
	}
}

/* "TCPSHIM_KEEPALIVE=1,1,2" or "TCPSHIM_USER_TIMEOUT=4000" */
static void policy_text(struct outbuf *o, int level, int name)
{
	const struct shim_config *cfg = &shim_config;

	if (level == IPPROTO_TCP && name == TCP_USER_TIMEOUT) {
		outbuf_str(o, ENV_USER_TIMEOUT "=");
		outbuf_u64(o, cfg->user_timeout_ms);
		return;
	}
	outbuf_str(o, ENV_KEEPALIVE "=");
	outbuf_u64(o, (uint64_t)cfg->keep_idle);
	outbuf_char(o, ',');
	outbuf_u64(o, (uint64_t)cfg->keep_intvl);
	outbuf_char(o, ',');
	outbuf_u64(o, (uint64_t)cfg->keep_cnt);
}

/* The program set an option of the policy (TCPSHIM_KEEPALIVE,
 * TCPSHIM_USER_TIMEOUT) to a value of its own: a policy_overridden
 * notice. */
static void report_policy_override(int fd, struct conn *c, int level,
				   int name, const void *val, socklen_t len)
{
	const char *option = NULL;
	int64_t want = policy_value(level, name, &option);
	char policy[64];
	struct outbuf o = { policy, 0, sizeof(policy) - 1 };
	struct shim_notice n;
	int saved = errno;
	int v;

	if (want < 0 || len < sizeof(int))
		return;
	v = *(const int *)val;
	if (level == SOL_SOCKET)
		v = v != 0;
	if (v == want)
		return;
	policy_text(&o, level, name);
	policy[o.len] = '\0';
	n = (struct shim_notice){
		.pid = getpid(), .fd = fd,
		.conn = __atomic_load_n(&c->id, __ATOMIC_ACQUIRE),
		.what = "policy_overridden", .option = option, .value = v,
		.policy = policy,
	};
	clock_gettime(CLOCK_REALTIME, &n.time);
	log_notice(&n);
	errno = saved;
}

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			   socklen_t len)
{
	int ret = real.setsockopt(fd, level, name, val, len);
	struct conn *c;

	if (ret != 0 || val == NULL || (c = fdt_get(fd)) == NULL)
		return ret;
	if ((shim_config.keepalive || shim_config.user_timeout) &&
	    atomic_load_explicit(&shim_ready, memory_order_acquire))
		report_policy_override(fd, c, level, name, val, len);
	if (level == SOL_SOCKET && name == SO_LINGER &&
	    len >= sizeof(struct linger)) {
		const struct linger *lg = val;

		if (lg->l_onoff && lg->l_linger == 0)
			conn_set(c, CONN_LINGER0);
		else
			conn_clear(c, CONN_LINGER0);
	}
	return ret;
}

SHIM_EXPORT int getsockopt(int fd, int level, int name, void *val,
			   socklen_t *len)
{
	int ret = real.getsockopt(fd, level, name, val, len);

	if (ret == 0 && level == SOL_SOCKET && name == SO_ERROR &&
	    val != NULL && len != NULL && *len >= sizeof(int) &&
	    classify_wants(*(int *)val))
		event_call_failed(fd, fdt_get(fd), "getsockopt", *(int *)val);
	return ret;
}
