/*
 * prog_linked_secure - linked with -ltcpshim, and found through an
 * absolute run path (tests.mk), so that a setuid copy of it still loads
 * the library: the loader ignores LD_PRELOAD and $ORIGIN in secure mode,
 * but not that.  check_hardening makes such a copy and runs it as nobody.
 *
 *   prog_linked_secure PORT    PORT: a loopback port where nothing listens
 *
 * Prints "secure 0|1" (the loader's AT_SECURE: set-id, so secure_getenv
 * returns nothing), then a refused connection's "connect -1 ECONNREFUSED".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpshim.h"

int main(int argc, char **argv)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	int fd, ret, err;

	if (argc != 2) {
		fputs("usage: prog_linked_secure PORT\n", stderr);
		return 2;
	}
	/* Really linked: the API is there without dlsym. */
	if (tcp_abort(-1) != -1 || errno != EBADF)
		return 3;
	printf("secure %lu\n", getauxval(AT_SECURE));
	in.sin_port = htons((uint16_t)atoi(argv[1]));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ret = connect(fd, (struct sockaddr *)&in, sizeof(in));
	err = errno;
	if (ret < 0)
		printf("connect %d %s\n", ret, strerrorname_np(err));
	else
		printf("connect %d\n", ret);
	close(fd);
	return 0;
}
