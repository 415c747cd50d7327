/*
 * prog_linked_nopie - a program built without PIE that takes the address
 * of tcpshim's API: the executable then holds its own canonical entry for
 * tcp_abort, which the library must not mistake for a second copy of
 * itself.  It makes one refused connect and asks tcp_peer_status.
 *
 *   prog_linked_nopie CLOSED_PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpshim.h"

int (*volatile api_abort)(int) = tcp_abort;
int (*volatile api_status)(int, struct tcp_peer *) = tcp_peer_status;

int main(int argc, char **argv)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct tcp_peer st;
	int fd, ret;

	if (argc != 2)
		return 2;
	in.sin_port = htons((uint16_t)atoi(argv[1]));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ret = connect(fd, (struct sockaddr *)&in, sizeof(in));
	printf("connect %d %s\n", ret, ret ? strerrorname_np(errno) : "");
	ret = api_status(fd, &st);
	printf("tcp_peer_status %d %s\n", ret, ret ? strerrorname_np(errno)
						 : st.state_name);
	printf("tcp_abort %d\n", api_abort(fd));
	return 0;
}
