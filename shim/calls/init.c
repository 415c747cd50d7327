/*
 * init.c - the library constructor: bind the real functions, read the
 * settings, and only then let events out.  Wrapped calls that come
 * earlier (another library's constructor) work through direct system
 * calls and log nothing.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "calls/inject_hooks.h"
#include "calls/wrap.h"

#include "core/config.h"
#include "event/inherit.h"
#include "event/log.h"
#include "os/process.h"
#include "os/real.h"
#include "tcpshim.h"

/* This copy's own tcp_abort, not whichever the global scope binds. */
extern __typeof__(tcp_abort) abort_here;

/*
 * The TCPSHIM_ variables, found in one pass over the environment
 * (secure_getenv for each would scan it once per name, at every process
 * start), and never in a setuid or setgid program's, as secure_getenv.
 */
#define ENV_FOUND_MAX 16
static const char *env_found[ENV_FOUND_MAX];
static int env_nfound = -1;

/* s starts with prefix: its rest, or NULL. */
static const char *after(const char *s, const char *prefix)
{
	while (*prefix != '\0' && *s == *prefix)
		s++, prefix++;
	return *prefix == '\0' ? s : NULL;
}

static const char *env(const char *name)
{
	if (env_nfound < 0) {
		char **e = getauxval(AT_SECURE) ? NULL : environ;

		env_nfound = 0;
		for (; e != NULL && *e != NULL && env_nfound < ENV_FOUND_MAX;
		     e++)
			if (after(*e, "TCPSHIM_") != NULL)
				env_found[env_nfound++] = *e;
	}
	/* The first of a name, as getenv finds it. */
	for (int i = 0; i < env_nfound; i++) {
		const char *rest = after(env_found[i], name);

		if (rest != NULL && *rest == '=')
			return rest + 1;
	}
	return NULL;
}

/*
 * A program built without PIE that takes tcp_abort's address gets its own
 * canonical entry for it, which is what the global scope then finds: that
 * is still this copy, not another one.
 */
static int in_main_program(void *addr)
{
	struct link_map *map = NULL;
	Dl_info info;

	return dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) != 0 &&
	       map != NULL && map->l_name[0] == '\0';
}

/* What an injection rule with prob= and no seed= draws from: new in
 * each process. */
static uint64_t start_seed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_nsec * 1000003u ^ (uint64_t)t.tv_sec ^
	       (uint64_t)getpid() << 32;
}

__attribute__((constructor)) static void shim_init(void)
{
	void *first;

	atomic_store(&shim_pid, shim_getpid());
	shim_real_bind();
	inject_hooks_bind();
	/*
	 * Loaded twice (preloaded and linked from another path, or two
	 * preload paths): the copy the program binds to does the work; any
	 * later copy only passes calls on, so each event is logged once.
	 */
	first = dlsym(RTLD_DEFAULT, "tcp_abort");
	if (first != NULL && first != (void *)abort_here &&
	    !in_main_program(first)) {
		shim_passive = 1;
		return;
	}
	log_init();
	config_parse(&shim_config, env, log_warn_line,
		     env(ENV_INJECT) != NULL ? start_seed() : 0);
	if (shim_config.inject.n > 0)
		inject_hooks_install();
	/* Both sides of a fork may hold connections opened before it. */
	pthread_atfork(NULL, process_forked_parent, process_forked_child);
	inherit_adopt();
	atomic_store_explicit(&shim_ready, 1, memory_order_release);
}
