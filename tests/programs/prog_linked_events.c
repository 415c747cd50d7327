/*
 * prog_linked_events.c - a C program that links with -ltcpshim and uses
 * tcp_on_event() as the header documents it.
 *
 *   prog_linked_events events PORT   register a callback, then make a
 *                                    refused connect (to loopback PORT,
 *                                    where nothing listens) and tcp_abort
 *                                    a live loopback connection
 *   prog_linked_events removed PORT  the same, but remove every callback
 *                                    with tcp_on_event(NULL, NULL) first
 *   prog_linked_events errors        the error returns of tcp_on_event
 *
 * Every callback prints one line:
 *   cb event=EVENT cause=CAUSE call=CALL error=ERRNO-NAME-or-0
 * and every API call prints its result, "NAME RET ERRNO-NAME-or-0".  The
 * accepted end of the aborted connection is left open until exit, so the
 * reset it received is never revealed and the two events above are all.
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

static const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : NULL;

	return name ? name : "0";
}

static void result(const char *what, int ret, int err)
{
	printf("%s %d %s\n", what, ret, ret == 0 ? "0" : errname(err));
	fflush(stdout);
}

/* Read errno after the call, never in the same argument list. */
#define REPORT(what, call) do { \
	int ret_ = (call); \
	int err_ = errno; \
	result((what), ret_, err_); \
} while (0)

static void on_event(const struct tcp_event *ev, void *arg)
{
	(void)arg;
	printf("cb event=%s cause=%s call=%s error=%s\n", ev->event,
	       ev->cause_name, ev->call, errname(ev->error));
	fflush(stdout);
}

static void loopback(struct sockaddr_in *in, int port)
{
	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* connect() to a loopback port where nothing listens. */
static void refused(int port)
{
	struct sockaddr_in in;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	loopback(&in, port);
	ret = connect(fd, (struct sockaddr *)&in, sizeof(in));
	result("connect", ret, errno);
	close(fd);
}

/* Connect to ourselves and tcp_abort() the connecting end. */
static int aborted(void)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	int lfd, cfd, sfd;

	loopback(&in, 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&in, sizeof(in)) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&in, &len) != 0) {
		perror("prog_linked_events: listen");
		return -1;
	}
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&in, sizeof(in)) != 0) {
		perror("prog_linked_events: connect");
		return -1;
	}
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0) {
		perror("prog_linked_events: accept");
		return -1;
	}
	REPORT("tcp_abort", tcp_abort(cfd));
	close(lfd);
	return 0;
}

static int scenario(int port, int remove)
{
	static int tag;

	REPORT("tcp_on_event", tcp_on_event(on_event, &tag));
	if (remove)
		REPORT("tcp_on_event(NULL, NULL)", tcp_on_event(NULL, NULL));
	refused(port);
	return aborted() == 0 ? 0 : 1;
}

static int errors(void)
{
	static int tags[9];
	char what[64];

	REPORT("tcp_on_event(NULL, arg)", tcp_on_event(NULL, &tags[0]));
	for (int i = 0; i < 9; i++) {
		snprintf(what, sizeof(what), "register %d", i + 1);
		REPORT(what, tcp_on_event(on_event, &tags[i]));
	}
	/* The same fn and arg again is no new registration. */
	REPORT("register 1 again", tcp_on_event(on_event, &tags[0]));
	REPORT("tcp_on_event(NULL, NULL)", tcp_on_event(NULL, NULL));
	REPORT("register 9 after removal", tcp_on_event(on_event, &tags[8]));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "events") == 0)
		return scenario(atoi(argv[2]), 0);
	if (argc == 3 && strcmp(argv[1], "removed") == 0)
		return scenario(atoi(argv[2]), 1);
	if (argc == 2 && strcmp(argv[1], "errors") == 0)
		return errors();
	fprintf(stderr, "usage: prog_linked_events events|removed PORT\n"
			"       prog_linked_events errors\n");
	return 2;
}
