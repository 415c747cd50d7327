/*
 * prog_logfail - a program that makes a known number of events, for the
 * tests of a log that cannot be written: refused connects, and what it
 * saw on stdout, the same with tcpshim or without.
 *
 *   prog_logfail PORT COUNT [FSIZE]   COUNT refused connects to PORT, where
 *                                     nothing listens (under an
 *                                     RLIMIT_FSIZE of FSIZE bytes, as
 *                                     ulimit -f sets, if given); then
 *                                     "refused COUNT"
 *   prog_logfail PORT                 the same, step by step: each line
 *                                     "N" on stdin makes N, answered
 *                                     "refused N"; at the end of stdin,
 *                                     "total T"
 *   prog_logfail PORT COUNT blocked own|none
 *                                     with SIGPIPE and SIGXFSZ blocked,
 *                                     and (own) one of each of its own
 *                                     pending first; then which of the
 *                                     two are pending at the end
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int port;

/* n refused connects; the number refused. */
static long refused(long n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	long seen = 0;

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return seen;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
		    errno == ECONNREFUSED)
			seen++;
		close(fd);
	}
	return seen;
}

static int step_by_step(void)
{
	char line[64];
	long total = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		long n = refused(atol(line));

		total += n;
		printf("refused %ld\n", n);
		fflush(stdout);
	}
	printf("total %ld\n", total);
	return 0;
}

/* COUNT refused connects with both signals blocked: what is pending
 * after them is the program's own, never the shim's. */
static int blocked(long n, int own)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGXFSZ);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (own) {
		raise(SIGPIPE);
		raise(SIGXFSZ);
	}
	printf("refused %ld\n", refused(n));
	sigpending(&pending);
	printf("pending SIGPIPE %d SIGXFSZ %d\n",
	       sigismember(&pending, SIGPIPE),
	       sigismember(&pending, SIGXFSZ));
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: prog_logfail PORT [COUNT [FSIZE | blocked "
			"own|none]]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 5)
		return usage();
	port = atoi(argv[1]);
	if (argc == 2)
		return step_by_step();
	if (argc == 5)
		return strcmp(argv[3], "blocked") == 0
			       ? blocked(atol(argv[2]),
					 strcmp(argv[4], "own") == 0)
			       : usage();
	if (argc == 4) {
		rlim_t max = (rlim_t)atol(argv[3]);
		struct rlimit r = { max, max };

		if (setrlimit(RLIMIT_FSIZE, &r) != 0) {
			perror("setrlimit");
			return 1;
		}
	}
	printf("refused %ld\n", refused(atol(argv[2])));
	return 0;
}
