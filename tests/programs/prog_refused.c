/*
 * prog_refused.c - refused connects a program does not count as such,
 * for holding tcpshim's log against the kernel's tracepoints
 * (check_kernel).  PORT is a port where nothing listens.
 *
 *   prog_refused again PORT     one socket connects to PORT twice: two
 *                               attempts, two RSTs received
 *   prog_refused unasked PORT   a non-blocking connect to PORT; poll says
 *                               it is over, and the program closes without
 *                               asking how it ended (no SO_ERROR, no
 *                               second connect): the RST came all the same
 *   prog_refused steered PORT   as root, in a network namespace of its
 *                               own: a listener on port L and connects
 *                               to PORT, with the ephemeral range
 *                               narrowed to L alone (the kernel never
 *                               gives a listener's port: EADDRNOTAVAIL),
 *                               to L and L + 1 (refused, from L + 1),
 *                               and to PORT alone (the SYN meets its own
 *                               socket: connected to itself, no RST)
 *
 * Prints one line per call, "call ret [ERRNO]"; in steered, "local L+1"
 * after the connect that got that port, and "self" after one connected
 * to itself.  Exits 0 when each gave what is expected, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 10000

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };

	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return in;
}

/* Print "call ret [ERRNO]"; 0 when ret and errno are what was expected. */
static int report(const char *call, int ret, int err, int want)
{
	if (ret == 0)
		printf("%s 0\n", call);
	else
		printf("%s %d %s\n", call, ret, strerrorname_np(err));
	fflush(stdout);
	return (ret == 0 ? 0 : err) == want ? 0 : 1;
}

static int connect_to(int fd, int port)
{
	struct sockaddr_in to = loopback(port);

	return connect(fd, (struct sockaddr *)&to, sizeof(to));
}

static int local_port(int fd)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);

	if (getsockname(fd, (struct sockaddr *)&in, &len) != 0)
		return -1;
	return ntohs(in.sin_port);
}

static int again(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int bad = 0, ret;

	for (int i = 0; i < 2; i++) {
		ret = connect_to(fd, port);
		bad |= report("connect", ret, errno, ECONNREFUSED);
	}
	return bad | report("close", close(fd), errno, 0);
}

static int unasked(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int bad, ret;

	ret = connect_to(fd, port);
	bad = report("connect", ret, errno, EINPROGRESS);
	ret = poll(&pfd, 1, WAIT_MS);
	bad |= report("poll", ret == 1 ? 0 : -1, ETIMEDOUT, 0);
	return bad | report("close", close(fd), errno, 0);
}

/* A network namespace of our own, its loopback up. */
static int own_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, ret;

	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (ret == 0)
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret;
}

/* The ephemeral ports of this namespace: first to last. */
static int port_range(int first, int last)
{
	int fd = open("/proc/sys/net/ipv4/ip_local_port_range",
		      O_WRONLY | O_CLOEXEC);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d %d\n", first, last), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, buf, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/* A connect to port, from the range first..last; want, its errno. */
static int steered_connect(int port, int first, int last, int want)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int bad, ret, local;

	if (port_range(first, last) != 0)
		return report("ip_local_port_range", -1, errno, 0);
	ret = connect_to(fd, port);
	bad = report("connect", ret, errno, want);
	local = local_port(fd);
	if (local == port && ret == 0)
		printf("self\n");
	else if (local == first + 1)
		printf("local L+1\n");
	fflush(stdout);
	return bad | report("close", close(fd), errno, 0);
}

static int steered(int port)
{
	struct sockaddr_in in = loopback(0);
	int lfd, l, bad;

	if (own_netns() != 0)
		return report("unshare", -1, errno, 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(lfd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(lfd, 1) != 0 || (l = local_port(lfd)) < 0)
		return report("listen", -1, errno, 0);
	if (l == port || l + 1 == port)
		port = l + 2;
	bad = steered_connect(port, l, l, EADDRNOTAVAIL);
	bad |= steered_connect(port, l, l + 1, ECONNREFUSED);
	bad |= steered_connect(port, port, port, 0);
	close(lfd);
	return bad;
}

int main(int argc, char **argv)
{
	int port = argc > 2 ? atoi(argv[2]) : 0;

	if (port <= 0) {
		fprintf(stderr, "usage: prog_refused again|unasked|steered "
				"PORT\n");
		return 2;
	}
	if (strcmp(argv[1], "again") == 0)
		return again(port);
	if (strcmp(argv[1], "unasked") == 0)
		return unasked(port);
	if (strcmp(argv[1], "steered") == 0)
		return steered(port);
	fprintf(stderr, "prog_refused: no mode %s\n", argv[1]);
	return 2;
}
