/*
 * lib_early.c - a library whose constructor uses the network before
 * tcpshim's constructor has run (preloaded so that its initializer comes
 * first).  It proves that the wrapped calls work before the shim is
 * initialised: socket(), a connect() refused by a closed loopback port
 * (EARLY_PORT in the environment) and close() give what libc would give,
 * and the shim logs nothing for them.
 *
 * It prints with write(2) on purpose: write is wrapped too, and stdio
 * would hold the lines in a buffer until exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(const char *line)
{
	size_t len = strlen(line);

	while (len > 0) {
		ssize_t n = write(1, line, len);

		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

__attribute__((constructor)) static void early_init(void)
{
	const char *port = getenv("EARLY_PORT");
	struct sockaddr_in in;
	char line[128];
	int fd, ret, err;

	if (port == NULL)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(line, sizeof(line), "early socket -1 %s\n",
			 strerrorname_np(errno));
		say(line);
		return;
	}
	say("early socket ok\n");

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons((uint16_t)atoi(port));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ret = connect(fd, (struct sockaddr *)&in, sizeof(in));
	err = errno;
	snprintf(line, sizeof(line), "early connect %d %s\n", ret,
		 ret == 0 ? "0" : strerrorname_np(err));
	say(line);

	ret = close(fd);
	snprintf(line, sizeof(line), "early close %d\n", ret);
	say(line);
}
