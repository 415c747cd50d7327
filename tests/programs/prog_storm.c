/*
 * prog_storm - a reset storm: refused connections, as fast as they go.
 *
 *   prog_storm refused PORT THREADS COUNT   COUNT connects to PORT, where
 *                                           nothing listens, over THREADS
 *                                           threads; then "callbacks N":
 *                                           the events tcp_on_event saw
 *   prog_storm _exit PORT COUNT             the same, one thread, ended
 *                                           by _exit
 *   prog_storm exit_group PORT COUNT        ended by syscall(SYS_exit_group)
 *   prog_storm quick_exit PORT COUNT        ended by quick_exit, whose
 *                                           handler makes one refused
 *                                           connect more
 *   prog_storm fork PORT N M                N refused connects, a fork,
 *                                           M more in the child, which
 *                                           exits before the parent does
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tcpshim.h"

static int port;
static long per_thread;
static atomic_long seen;

static void refused_once(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	    errno != ECONNREFUSED) {
		fprintf(stderr, "connect: not refused (%s)\n", strerror(errno));
		exit(1);
	}
	close(fd);
}

static void *storm(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread; i++)
		refused_once();
	return NULL;
}

static void count_event(const struct tcp_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	atomic_fetch_add(&seen, 1);
}

/* The API through the preload, when there is one. */
static void watch_events(void)
{
	__typeof__(tcp_on_event) *on = (__typeof__(tcp_on_event) *)dlsym(
		RTLD_DEFAULT, "tcp_on_event");

	if (on != NULL)
		on(count_event, NULL);
}

static void refused_n(long n)
{
	for (long i = 0; i < n; i++)
		refused_once();
}

/* COUNT refused connects, then the end argv[1] names. */
static int end_by(const char *how, long n)
{
	refused_n(n);
	if (strcmp(how, "_exit") == 0)
		_exit(0);
	if (strcmp(how, "exit_group") == 0)
		syscall(SYS_exit_group, 0);
	if (strcmp(how, "quick_exit") == 0) {
		at_quick_exit(refused_once);
		quick_exit(0);
	}
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "refused") == 0) {
		int threads = atoi(argv[3]);
		pthread_t t[64];

		port = atoi(argv[2]);
		if (threads < 1 || threads > 64)
			return 2;
		per_thread = atol(argv[4]) / threads;
		watch_events();
		for (int i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, storm, NULL);
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
		printf("callbacks %ld\n", atomic_load(&seen));
		return 0;
	}
	if (argc == 4) {
		port = atoi(argv[2]);
		return end_by(argv[1], atol(argv[3]));
	}
	if (argc == 5 && strcmp(argv[1], "fork") == 0) {
		pid_t child;
		int status;

		port = atoi(argv[2]);
		refused_n(atol(argv[3]));
		child = fork();
		if (child == 0) {
			refused_n(atol(argv[4]));
			exit(0);
		}
		if (child < 0 || waitpid(child, &status, 0) != child ||
		    status != 0)
			return 1;
		printf("child %d\n", (int)child);
		return 0;
	}
	fprintf(stderr, "usage: prog_storm refused PORT THREADS COUNT | "
		"_exit|exit_group|quick_exit PORT COUNT | fork PORT N M\n");
	return 2;
}
