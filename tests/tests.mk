# make check: included by the top Makefile.  Every folder's files are
# found by wildcard: a new unit_*.c, check_*.c, prog_*.c, lib_*.c or
# test_*.sh in its folder needs no edit here.
#
# tests/unit/unit_*.c        Check suites over the pure parts (linked, no
#                            preload), one program: build/tests/unit
# tests/suites/check_*.c     Check suites that run programs under LD_PRELOAD
# tests/programs/prog_*.c    the programs those suites run
# tests/programs/lib_*.c     small shared libraries those suites preload
# tests/lib/                 the suites' shared helpers (testlib.h, ...), and
#                            the scripted tests' (watch.sh, tracefs.sh)
# tests/test_*.sh            scripted tests (exit 0 pass, 77 skip)
#
# Every binary goes flat into build/tests/, named for its source file.

T := $(B)/tests
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
# Tests build paths with snprintf into PATH_MAX buffers on purpose.
TEST_CFLAGS := $(BASE_CFLAGS) -Ishim -Itests/lib -pthread \
	-Wno-format-truncation \
	-DTL_SOURCE_DIR='"$(CURDIR)"' -DTL_BUILD_DIR='"$(abspath $(B))"'

UNIT_SRCS := $(wildcard tests/unit/unit_*.c)
CHECK_SRCS := $(wildcard tests/suites/check_*.c)
PROG_SRCS := $(wildcard tests/programs/prog_*.c)
LIB_SRCS := $(wildcard tests/programs/lib_*.c)

UNIT_BIN := $(T)/unit
CHECK_BINS := $(patsubst tests/suites/%.c,$(T)/%,$(CHECK_SRCS))
PROG_BINS := $(patsubst tests/programs/%.c,$(T)/%,$(PROG_SRCS)) \
	$(T)/prog_scenario_fortify
LIB_BINS := $(patsubst tests/programs/%.c,$(T)/%.so,$(LIB_SRCS))
TEST_LIB := $(addprefix tests/lib/,testlib.c tracer.c livelib.c agree.c)
TEST_DEPS := $(TEST_LIB) $(TEST_LIB:.c=.h) \
	tests/programs/prog_common.h include/tcpshim.h \
	$(B)/flags

$(UNIT_BIN): $(UNIT_SRCS) $(PURE_OBJS) $(TEST_DEPS)
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -o $@ $(UNIT_SRCS) tests/lib/testlib.c $(PURE_OBJS) \
		$(CHECK_LIBS)

$(T)/check_%: tests/suites/check_%.c $(TEST_DEPS) $(B)/libtcpshim.so
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LIB) $(CHECK_LIBS)

# Programs run under LD_PRELOAD are plain programs: they reach the API,
# when they need it, through dlsym(RTLD_DEFAULT).  prog_linked_* link
# with -ltcpshim instead, as a C program using the library would.
$(T)/prog_linked_%: tests/programs/prog_linked_%.c $(TEST_DEPS) $(B)/libtcpshim.so
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -o $@ $< -L$(B) -ltcpshim -Wl,-rpath,'$$ORIGIN/..'

# A program built without PIE: its canonical entries for the API.
$(T)/prog_linked_nopie: TEST_CFLAGS += -fno-pie -no-pie
# Its setuid copy finds the library by an absolute run path: the loader
# ignores $ORIGIN in secure mode.
$(T)/prog_linked_secure: TEST_CFLAGS += -Wl,-rpath,$(abspath $(B))
# Static: no loader, so no preload (sanitizers need one: left out).
$(T)/prog_static $(T)/prog_watch: TEST_CFLAGS := \
	$(filter-out $(SAN_FLAGS),$(TEST_CFLAGS)) -static

$(T)/prog_%: tests/programs/prog_%.c $(TEST_DEPS)
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -O0 -U_FORTIFY_SOURCE -o $@ $< -ldl

# The same scenarios as a hardened Debian build: __recv_chk, __read_chk.
$(T)/prog_scenario_fortify: tests/programs/prog_scenario.c $(TEST_DEPS)
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -O2 -D_FORTIFY_SOURCE=2 -o $@ $< -ldl

# The command as it is built where jansson and the eBPF toolchain are
# missing.
$(T)/tcpshim_nojansson: $(COMMAND_COMMON) shim/cmd/report_unavailable.c \
		shim/cmd/watch_unavailable.c shim/cmd/watch_usage.c $(wildcard shim/cmd/*.h) \
		$(COMMAND_OBJS) $(B)/flags
	@mkdir -p $(T)
	$(CC) $(BASE_CFLAGS) -Ishim \
		-DTCPSHIM_LIBRARY='"$(abspath $(B))/libtcpshim.so"' -o $@ \
		$(COMMAND_COMMON) shim/cmd/report_unavailable.c \
		shim/cmd/watch_unavailable.c shim/cmd/watch_usage.c $(COMMAND_OBJS)

# The Go programs: check_live's target and test_watch_programs' server
# and client, static, out of any preload's reach.  Built where Go is
# installed (GO, in the top Makefile); their tests say they skip them
# otherwise.
GO_BINS := $(if $(GO),$(T)/live_target_go $(T)/watch_go)
$(T)/live_target_go: tests/programs/live_target.go
$(T)/watch_go: tests/programs/watch_go.go
$(T)/live_target_go $(T)/watch_go:
	@mkdir -p $(T)
	CGO_ENABLED=0 GOCACHE=$(abspath $(T))/gocache GOPATH=$(abspath $(T))/gopath \
		$(GO) build -o $@ $<

# A connection closed through io_uring, for test_watch_programs: built
# where liburing's header is (liburing-dev); the test says it skips that
# case otherwise.
HAVE_URING := $(shell printf '\043include <liburing.h>\n' | \
	$(CC) -E -x c - >/dev/null 2>&1 && echo yes)
URING_BINS := $(if $(HAVE_URING),$(T)/watch_uring)
$(T)/watch_uring: tests/programs/watch_uring.c $(B)/flags
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -o $@ $< -luring

$(T)/lib_%.so: tests/programs/lib_%.c $(B)/flags
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -fPIC -shared -o $@ $<

TEST_ALL := $(UNIT_BIN) $(CHECK_BINS) $(PROG_BINS) $(LIB_BINS) $(DEMO_BINS) \
	$(if $(GO),$(DEMO_GO_BINS)) \
	$(GO_BINS) $(URING_BINS) \
	$(T)/tcpshim_nojansson all

.PHONY: check check-build check-deps check-targets
check-deps:
	@sh tests/deps.sh

# The list is made again by the make below, after check-deps: a package
# it just installed (liburing-dev, say) adds its programs.
check-build: check-deps
	@$(MAKE) --no-print-directory WERROR=1 check-targets
check-targets: $(TEST_ALL)

# Under SANITIZE, every program a test starts gets the sanitizer runtime
# first in LD_PRELOAD (testlib.c); leaks are not checked, since a
# preloaded library's pool lives as long as the process; and ASan keeps
# off the alternate signal stack, whose teardown in a cancelled thread it
# reports against itself.
SAN_ENV := $(if $(SANITIZE),TCPSHIM_TEST_SANITIZER='$(SANITIZE)' \
	TCPSHIM_TEST_PRELOAD='$(SAN_RUNTIME)' \
	ASAN_OPTIONS=detect_leaks=0:use_sigaltstack=0 \
	UBSAN_OPTIONS=print_stacktrace=1 \
	TSAN_OPTIONS=halt_on_error=1)

# Install layout and the command line are the plain build's business.
SAN_SKIP := $(if $(SANITIZE),$(T)/check_install $(T)/check_command $(T)/check_live)
SAN_SKIP_WHY := SKIP check_install, check_command and check_live: with SANITIZE only the library and its tests are sanitized

check: check-build
	@$(if $(SAN_SKIP),echo '$(SAN_SKIP_WHY)')
	@$(SAN_ENV) sh tests/run.sh $(UNIT_BIN) $(filter-out $(SAN_SKIP),$(CHECK_BINS)) $(wildcard tests/test_*.sh)
