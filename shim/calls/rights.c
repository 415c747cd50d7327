/*
 * rights.c - descriptors passed with SCM_RIGHTS.  A socket sent away
 * lives in another process too: its record is marked shared, so its last
 * close here asks the kernel before it logs a reset.  A socket received
 * is tracked from that moment, as shared: its close here may be the one
 * that resets it (an acceptor that hands each connection to a worker).
 */
#include <string.h>

#include "api/keepalive.h"
#include "calls/wrap.h"
#include "core/config.h"
#include "event/track.h"

/* Each descriptor of msg's SCM_RIGHTS messages, to fn.  Walks the
 * control buffer itself: glibc's CMSG_NXTHDR is a function call. */
static void each_right(const struct msghdr *msg, void (*fn)(int fd))
{
	const char *p = msg->msg_control;
	const char *end = p + msg->msg_controllen;

	while (p != NULL && (size_t)(end - p) >= sizeof(struct cmsghdr)) {
		const struct cmsghdr *cm = (const struct cmsghdr *)p;
		size_t len = cm->cmsg_len;

		if (len < CMSG_LEN(0) || len > (size_t)(end - p))
			return;
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			const unsigned char *data = CMSG_DATA(cm);

			for (size_t i = 0; i < (len - CMSG_LEN(0)) / sizeof(int);
			     i++) {
				int fd;

				memcpy(&fd, data + i * sizeof(int), sizeof(fd));
				fn(fd);
			}
		}
		if (CMSG_ALIGN(len) >= (size_t)(end - p))
			return;
		p += CMSG_ALIGN(len);
	}
}

static void shared_now(int fd)
{
	struct conn *c = fdt_get(fd);

	if (c != NULL)
		conn_set(c, CONN_SHARED);
}

void wrap_rights_sent(const struct msghdr *msg)
{
	each_right(msg, shared_now);
}

/* TCPSHIM_KEEPALIVE and TCPSHIM_USER_TIMEOUT are for every TCP socket
 * of the program, those it was given included. */
static void received(int fd)
{
	struct conn *c = track_received(fd);

	if (c != NULL && (shim_config.keepalive || shim_config.user_timeout)) {
		keepalive_apply_policy(fd);
		conn_set(c, CONN_POLICY);
	}
}

void wrap_rights_received(const struct msghdr *msg)
{
	each_right(msg, received);
}
