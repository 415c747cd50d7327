/*
 * diag_msg.c - sock_diag's requests and answers for TCP sockets, as
 * bytes.
 */
#include "core/diag_msg.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>

/* What every request holds: a TCP socket of family, in any state. */
static void fill_header(struct diag_msg_request *m, uint16_t flags,
			int family)
{
	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = sizeof(*m);
	m->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->nlh.nlmsg_seq = 1;
	m->req.sdiag_family = (uint8_t)family;
	m->req.sdiag_protocol = IPPROTO_TCP;
	m->req.idiag_states = ~0u;
}

void diag_msg_dump(struct diag_msg_request *m, int family)
{
	fill_header(m, NLM_F_DUMP, family);
	m->req.idiag_ext = 1u << (INET_DIAG_INFO - 1);
}

int diag_msg_lookup(struct diag_msg_request *m,
		    const struct sockaddr_storage *local,
		    const struct sockaddr_storage *peer, uint64_t cookie,
		    int ifindex)
{
	struct inet_diag_sockid *id = &m->req.id;

	fill_header(m, 0, local->ss_family);
	if (local->ss_family != peer->ss_family)
		return -1;
	if (local->ss_family == AF_INET) {
		const struct sockaddr_in *l = (const void *)local;
		const struct sockaddr_in *p = (const void *)peer;

		id->idiag_sport = l->sin_port;
		id->idiag_dport = p->sin_port;
		memcpy(id->idiag_src, &l->sin_addr, 4);
		memcpy(id->idiag_dst, &p->sin_addr, 4);
	} else if (local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *l = (const void *)local;
		const struct sockaddr_in6 *p = (const void *)peer;

		id->idiag_sport = l->sin6_port;
		id->idiag_dport = p->sin6_port;
		memcpy(id->idiag_src, &l->sin6_addr, 16);
		memcpy(id->idiag_dst, &p->sin6_addr, 16);
	} else {
		return -1;
	}
	id->idiag_if = (uint32_t)ifindex;
	id->idiag_cookie[0] = (uint32_t)cookie;
	id->idiag_cookie[1] = (uint32_t)(cookie >> 32);
	return 0;
}

/* A socket's message h into *s: its TCP_INFO among the attributes. */
static void read_socket(const struct nlmsghdr *h, struct diag_msg_socket *s)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));

	s->msg = m;
	s->info = NULL;
	s->info_len = 0;
	for (const struct rtattr *a = (const void *)(m + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		s->info = RTA_DATA(a);
		s->info_len = RTA_PAYLOAD(a);
	}
}

/* The errno an NLMSG_ERROR message h carries. */
static int error_of(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error == 0)
		return EPROTO;
	return -e->error;
}

enum diag_msg_kind diag_msg_next(const void *buf, size_t n, size_t *at,
				 struct diag_msg_socket *s, int *err)
{
	while (*at < n) {
		const struct nlmsghdr *h =
			(const void *)((const char *)buf + *at);
		int left = (int)(n - *at);

		if (!NLMSG_OK(h, left))
			break;
		*at += NLMSG_ALIGN(h->nlmsg_len) < (size_t)left
			       ? NLMSG_ALIGN(h->nlmsg_len)
			       : (size_t)left;
		if (h->nlmsg_type == NLMSG_DONE)
			return DIAG_MSG_DONE;
		if (h->nlmsg_type == NLMSG_ERROR) {
			*err = error_of(h);
			return DIAG_MSG_ERROR;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*s->msg))) {
			read_socket(h, s);
			return DIAG_MSG_SOCKET;
		}
	}
	return DIAG_MSG_END;
}

uint64_t diag_msg_cookie(const struct inet_diag_msg *m)
{
	return (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
}

/* An address of the answer's: IPv4 for AF_INET, else IPv6. */
static void fill_address(struct sockaddr_storage *ss, int family,
			 const uint32_t *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		in->sin_port = port;
		memcpy(&in->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		memcpy(&in6->sin6_addr, addr, 16);
	}
}

void diag_msg_local(const struct inet_diag_msg *m,
		    struct sockaddr_storage *ss)
{
	fill_address(ss, m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
}

void diag_msg_peer(const struct inet_diag_msg *m,
		   struct sockaddr_storage *ss)
{
	fill_address(ss, m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
}

int diag_msg_tcp_info(const struct diag_msg_socket *s, struct tcp_info *info)
{
	memset(info, 0, sizeof(*info));
	if (s->info == NULL)
		return 0;
	memcpy(info, s->info,
	       s->info_len < sizeof(*info) ? s->info_len : sizeof(*info));
	return 1;
}
