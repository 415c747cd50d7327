/*
 * prog_halfopen - a client whose peer may crash, restart or abort: run
 * under LD_PRELOAD on the client test host by check_halfopen.
 *
 *   prog_halfopen MODE ADDR PORT
 *
 * It connects, prints "connected", and waits for a line on stdin, while
 * the test crashes or restarts the peer.  Then, by MODE:
 *   wait       stay idle, blocked in poll, watching tcp_peer_status()
 *   send       once the peer has been silent for 1.5 s, send one byte,
 *              then wait as above
 *   answered   wait until a keepalive probe has been answered (the last
 *              ACK came after the last data), print "probe answered",
 *              then wait as above
 *   override   turn keepalive off itself, and set its own TCP_KEEPIDLE,
 *              against the TCPSHIM_KEEPALIVE policy; print what the
 *              socket then holds
 * Every change of tcp_peer_status() is printed ("status probing probes=1"),
 * the call that reveals the end prints its errno ("recv -1 ETIMEDOUT"),
 * and tcp_peer_status() then gives the verdict ("final dead").
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpshim.h"

/* The most any mode waits: the test's own timeout is longer. */
#define GIVE_UP_MS 30000

static int (*peer_status)(int, struct tcp_peer *);

static void die(const char *what)
{
	printf("FAILED %s: %s\n", what, strerrorname_np(errno));
	exit(1);
}

static int dial(const char *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *in6 = (void *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (void *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &in->sin_addr);
		len = sizeof(*in);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0)
		die("connect");
	return fd;
}

static struct tcp_info info_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	return ti;
}

/* Poll in 50 ms steps until cond(fd) holds; die after GIVE_UP_MS. */
static void until(int fd, int (*cond)(int fd), const char *what)
{
	for (int waited = 0; !cond(fd); waited += 50) {
		if (waited > GIVE_UP_MS)
			die(what);
		poll(NULL, 0, 50);
	}
}

static int silent_1500ms(int fd)
{
	return info_of(fd).tcpi_last_ack_recv >= 1500;
}

static int probe_answered(int fd)
{
	struct tcp_info ti = info_of(fd);

	/* No data since the handshake: an ACK after it answered a probe. */
	return ti.tcpi_last_data_recv >= 1500 &&
	       ti.tcpi_last_ack_recv + 500 < ti.tcpi_last_data_recv;
}

/* Idle in poll until the connection ends, printing peer status changes. */
static void watch(int fd)
{
	const char *last = "";
	struct tcp_peer st;
	char c;

	for (int waited = 0; waited <= GIVE_UP_MS; waited += 50) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (peer_status(fd, &st) == 0 && strcmp(st.state_name, last)) {
			printf("status %s probes=%d\n", st.state_name,
			       st.probes);
			fflush(stdout);
			last = st.state_name;
		}
		if (poll(&p, 1, 50) == 1) {
			ssize_t r = recv(fd, &c, 1, 0);

			printf("recv %zd %s\n", r, r < 0 ? strerrorname_np(errno)
							 : "");
			if (peer_status(fd, &st) == 0)
				printf("final %s\n", st.state_name);
			return;
		}
	}
	printf("gave up\n");
}

static void override(int fd)
{
	int off = 0, idle = 77, v;
	socklen_t len = sizeof(v);

	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &off, sizeof(off));
	getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len);
	printf("keepalive %d", v);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len);
	printf(" idle %d\n", v);
}

int main(int argc, char **argv)
{
	char line[64];
	int fd;

	if (argc != 4) {
		fputs("usage: prog_halfopen MODE ADDR PORT\n", stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	peer_status = (int (*)(int, struct tcp_peer *))dlsym(RTLD_DEFAULT,
							     "tcp_peer_status");
	if (peer_status == NULL)
		die("dlsym tcp_peer_status (is libtcpshim preloaded?)");
	fd = dial(argv[2], atoi(argv[3]));
	printf("connected\n");
	if (fgets(line, sizeof(line), stdin) == NULL)
		die("stdin");
	if (strcmp(argv[1], "override") == 0) {
		override(fd);
		return 0;
	}
	if (strcmp(argv[1], "send") == 0) {
		until(fd, silent_1500ms, "silence");
		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
			die("send");
	} else if (strcmp(argv[1], "answered") == 0) {
		until(fd, probe_answered, "probe answer");
		printf("probe answered\n");
	}
	watch(fd);
	close(fd);
	return 0;
}
