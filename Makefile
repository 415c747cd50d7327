# tcpshim - see and control TCP resets in unmodified programs.
#
# Targets:
#   make                 build/libtcpshim.so and build/tcpshim
#   make check           build with -Werror, then run every test
#   make check-real      real programs, natively and preloaded, compared
#   make demo            the RST demos, narrated
#   make bench           benchmarks against native, with budget verdicts
#   make fuzz            fuzz the config parser and the event formatter
#   make install         PREFIX=/usr/local DESTDIR= (see below)
#   make uninstall       remove exactly what install put there
#   make deb             the Debian packages, built in build/deb/
#   make check-deb       make deb twice, compared; lintian; the packages'
#                        contents
#   make clean
#
# Knobs:
#   CC ?= cc             compiler
#   CFLAGS ?= -O2 -g     optimisation and debug flags
#   CPPFLAGS, LDFLAGS    preprocessor and linker flags, added to the
#                        project's own (Debian's build flags use them)
#   PREFIX ?= /usr/local installation prefix
#   LIBDIR ?= $(PREFIX)/lib
#   BINDIR, INCLUDEDIR, MANDIR, PKGCONFIGDIR   under PREFIX, as usual
#   SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system  tcpshim-watch.service
#   DESTDIR              staging directory for packagers
#   LDCONFIG ?= ldconfig run by install/uninstall as root when DESTDIR
#                        is empty
#   WATCH=yes|no         build tcpshim watch, or fail (yes); never (no);
#                        by default, where clang, bpftool and libbpf are
#   WERROR=1             treat warnings as errors (make check sets it)
#   SANITIZE=LIST        build the library and the tests with
#                        -fsanitize=LIST (address,undefined or thread)
#                        into build/san-LIST/; make check then preloads
#                        the sanitizer runtime first

CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
LDCONFIG ?= ldconfig

B := build
WARN := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
ifneq ($(SANITIZE),)
comma := ,
B := build/san-$(subst $(comma),-,$(SANITIZE))
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# The runtime a preloaded sanitized library needs first in LD_PRELOAD.
SAN_RUNTIME := $(realpath $(shell $(CC) -print-file-name=$(if \
	$(findstring thread,$(SANITIZE)),libtsan.so,libasan.so)))
endif
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude $(WARN) $(CPPFLAGS) \
	$(CFLAGS) $(SAN_FLAGS)
SHIM_CFLAGS := $(BASE_CFLAGS) -Ishim -fPIC -fvisibility=hidden -pthread

# The library, one folder per layer, lowest first (CONTRIBUTING.md): a
# file includes headers of its own layer or a lower one only, which
# tests/test_layers.sh checks.  shim/cmd is the tcpshim command.
SHIM_LAYERS := core os event api calls
SHIM_SRCS := $(foreach l,$(SHIM_LAYERS),$(wildcard shim/$(l)/*.c))
SHIM_HDRS := $(foreach l,$(SHIM_LAYERS) cmd,$(wildcard shim/$(l)/*.h))
SHIM_OBJS := $(patsubst shim/%.c,$(B)/obj/%.o,$(SHIM_SRCS))
# The layers that define no libc name: unit-tested without preloading.
PURE_OBJS := $(filter $(B)/obj/core/% $(B)/obj/os/%,$(SHIM_OBJS))

.PHONY: all check clean install install-build uninstall
all: $(B)/libtcpshim.so $(B)/tcpshim

# Objects are rebuilt when the flags change (make check adds -Werror).
# Expanded once here, so no target's own additions leak into the stamp.
FLAGS_STAMP := $(CC) $(SHIM_CFLAGS) $(LDFLAGS)
$(B)/flags: FORCE
	@mkdir -p $(B)
	@echo '$(FLAGS_STAMP)' | cmp -s - $@ || echo '$(FLAGS_STAMP)' > $@
FORCE:

$(B)/obj/%.o: shim/%.c $(SHIM_HDRS) include/tcpshim.h $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -c -o $@ $<

# dlsym(RTLD_NEXT) must never be reached by a tail call (see real.c).
$(B)/obj/os/real.o: SHIM_CFLAGS += -fno-optimize-sibling-calls
# Two call sites of one real function (one per MSG_NOSIGNAL case, or a
# peek and a read), each with its own load of the function's address:
# hoisted, the load costs both an instruction (calls/send.c, recv.c).
$(B)/obj/calls/send.o $(B)/obj/calls/recv.o: SHIM_CFLAGS += -fno-code-hoisting

$(B)/libtcpshim.so: $(SHIM_OBJS) shim/libtcpshim.map
	$(CC) $(SAN_FLAGS) $(LDFLAGS) -shared -pthread -Wl,-soname,libtcpshim.so.1 \
		-Wl,--version-script=shim/libtcpshim.map \
		-o $@ $(SHIM_OBJS) -ldl
	ln -sf libtcpshim.so $(B)/libtcpshim.so.1

# The tcpshim command (shim/cmd), with its report (JSON read with
# jansson).  It checks option values with the library's own parser, and
# formats events with its formatter: shim/core, linked in statically.
# The library's path is baked in, absolute: the build tree's here, the
# installed one in $(B)/install/tcpshim, which install puts in BINDIR.
# Without jansson's header the command is built all the same, with a
# report that says what to install (report_unavailable.c); a stamp
# rebuilds it once jansson is there.
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
HAVE_JANSSON := $(shell printf '\043include <jansson.h>\n' | \
	$(CC) $(JANSSON_CFLAGS) -E -x c - >/dev/null 2>&1 && echo yes)
COMMAND_COMMON := $(filter-out shim/cmd/report%.c,$(wildcard shim/cmd/*.c))
ifeq ($(HAVE_JANSSON),yes)
REPORT_SRCS := $(filter-out shim/cmd/report_unavailable.c,$(wildcard shim/cmd/report*.c))
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
else
REPORT_SRCS := shim/cmd/report_unavailable.c
JANSSON_LIBS :=
endif
COMMAND_COMMON := $(filter-out shim/cmd/watch%.c,$(COMMAND_COMMON))

# tcpshim watch (shim/cmd/watch*.c, its kernel side shim/bpf/): built
# when clang, bpftool and libbpf are there.  The kernel's types come from
# its BTF, into $(B)/bpf/vmlinux.h; the BPF object (CO-RE) is compiled
# with clang and embedded in the command through bpftool's skeleton.
# Without them, watch_unavailable.c says what to install.
BPF_CLANG ?= clang
BPFTOOL ?= $(firstword $(shell command -v bpftool 2>/dev/null) \
	$(wildcard /usr/sbin/bpftool /sbin/bpftool))
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
BPF_ARCH := $(subst x86_64,x86,$(subst aarch64,arm64,$(shell uname -m)))
HAVE_BPF := $(shell command -v $(BPF_CLANG) >/dev/null 2>&1 && \
	test -n "$(BPFTOOL)" && test -r $(VMLINUX_BTF) && \
	pkg-config --exists libbpf 2>/dev/null && echo yes)
# WATCH=yes: watch must be built (a package's contents must not depend
# on what the build machine happens to have); WATCH=no: never.
ifeq ($(filter-out yes no,$(WATCH)),)
else
$(error WATCH=$(WATCH): use yes, no, or leave it unset)
endif
ifeq ($(WATCH),no)
HAVE_BPF :=
else ifeq ($(WATCH):$(HAVE_BPF),yes:)
$(error WATCH=yes, but tcpshim watch cannot be built here: it needs clang, \
	bpftool, libbpf-dev and the kernel's BTF in $(VMLINUX_BTF))
endif
ifeq ($(HAVE_BPF),yes)
WATCH_SRCS := $(filter-out shim/cmd/watch_unavailable.c,$(wildcard shim/cmd/watch*.c))
BPF_CFLAGS := -I$(B)/bpf
# zlib (libbpf-dev brings it) reads the kernel's gzipped configuration.
BPF_LIBS := $(shell pkg-config --libs libbpf) -lz
WATCH_DEPS := $(B)/bpf/watch.skel.h
else
WATCH_SRCS := shim/cmd/watch_unavailable.c shim/cmd/watch_usage.c
endif
$(B)/bpf/vmlinux.h:
	@mkdir -p $(B)/bpf
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@
$(B)/bpf/watch.bpf.o: shim/bpf/watch.bpf.c $(wildcard shim/bpf/*.h) \
		$(B)/bpf/vmlinux.h
	$(BPF_CLANG) -target bpf -g -O2 -Wall -D__TARGET_ARCH_$(BPF_ARCH) \
		-fdebug-prefix-map=$(CURDIR)=. \
		-I$(B)/bpf -Ishim $(shell pkg-config --cflags libbpf 2>/dev/null) \
		-c $< -o $@
$(B)/bpf/watch.skel.h: $(B)/bpf/watch.bpf.o
	$(BPFTOOL) gen skeleton $< name watch_bpf > $@.tmp && mv $@.tmp $@
$(B)/bpfstamp: FORCE
	@mkdir -p $(B)
	@echo '$(HAVE_BPF)' | cmp -s - $@ || echo '$(HAVE_BPF)' > $@

COMMAND_SRCS := $(COMMAND_COMMON) $(REPORT_SRCS) $(WATCH_SRCS)
COMMAND_OBJS := $(filter $(B)/obj/core/%,$(SHIM_OBJS))
$(B)/jansson: FORCE
	@mkdir -p $(B)
	@echo '$(HAVE_JANSSON)' | cmp -s - $@ || echo '$(HAVE_JANSSON)' > $@
COMMAND_DEPS := $(COMMAND_SRCS) $(wildcard shim/cmd/*.h) $(COMMAND_OBJS) \
	$(B)/flags $(B)/jansson $(B)/bpfstamp $(WATCH_DEPS) \
	$(wildcard shim/bpf/*.h)
build_command = $(CC) $(BASE_CFLAGS) -Ishim $(JANSSON_CFLAGS) $(BPF_CFLAGS) \
	-DTCPSHIM_LIBRARY='"$(1)"' $(LDFLAGS) -o $@ $(COMMAND_SRCS) $(COMMAND_OBJS) \
	$(JANSSON_LIBS) $(BPF_LIBS)
no_jansson_note = $(if $(HAVE_JANSSON),,@echo "tcpshim: built without" \
	"'tcpshim report', which needs jansson: apt-get install libjansson-dev")
no_bpf_note = $(if $(HAVE_BPF),,@echo "tcpshim: built without" \
	"'tcpshim watch', which needs clang, bpftool and libbpf:" \
	"apt-get install clang libbpf-dev bpftool")

$(B)/tcpshim: $(COMMAND_DEPS)
	$(call build_command,$(abspath $(B))/libtcpshim.so)
	$(no_jansson_note)
	$(no_bpf_note)

# Rebuilt when the installation paths change.
INSTALL_STAMP := $(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(BINDIR)
$(B)/install/paths: FORCE
	@mkdir -p $(B)/install
	@echo '$(INSTALL_STAMP)' | cmp -s - $@ || echo '$(INSTALL_STAMP)' > $@

$(B)/install/tcpshim: $(COMMAND_DEPS) $(B)/install/paths
	$(call build_command,$(LIBDIR)/libtcpshim.so.1)
	$(no_jansson_note)
	$(no_bpf_note)

# pkg-config: -I and -l for those who link; ${preload}, the library's
# path, for those who preload.
$(B)/install/tcpshim.pc: tcpshim.pc.in include/tcpshim.h $(B)/install/paths
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(PC_VERSION)|' tcpshim.pc.in > $@

# The watch service, running the installed command.
$(B)/install/tcpshim-watch.service: shim/cmd/tcpshim-watch.service.in \
		$(B)/install/paths
	sed -e 's|@BINDIR@|$(BINDIR)|' $< > $@

# The library's file name: the ABI version (soname 1), which changes with
# the interface, not with TCPSHIM_VERSION.
LIBFILE := libtcpshim.so.1.0.0
PC_VERSION := $(shell sed -n 's/^\#define TCPSHIM_VERSION "\(.*\)"/\1/p' include/tcpshim.h)
MAN1 := man/tcpshim.1 man/tcpshim-watch.1
# tcpshim(3) holds the functions that have no page of their own; theirs
# are .so links to it, so that man tcp_keepalive finds it.
MAN3 := man/tcpshim.3 man/tcp_abort.3 man/tcp_keepalive.3 \
	man/tcp_user_timeout.3 man/tcp_peer_status.3 man/tcp_on_event.3
INSTALLED := $(LIBDIR)/$(LIBFILE) $(LIBDIR)/libtcpshim.so.1 \
	$(LIBDIR)/libtcpshim.so $(INCLUDEDIR)/tcpshim.h \
	$(PKGCONFIGDIR)/tcpshim.pc $(BINDIR)/tcpshim \
	$(addprefix $(MANDIR)/man1/,$(notdir $(MAN1))) \
	$(addprefix $(MANDIR)/man3/,$(notdir $(MAN3))) \
	$(SYSTEMDUNITDIR)/tcpshim-watch.service
# Refresh the loader's cache for a real install (not a staged one).
run_ldconfig = if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ]; then \
	$(LDCONFIG) || true; fi

# Everything install copies, built (a packager builds before installing).
install-build: all $(B)/install/tcpshim $(B)/install/tcpshim.pc \
	$(B)/install/tcpshim-watch.service

install: install-build
	install -d '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(PKGCONFIGDIR)' \
		'$(DESTDIR)$(INCLUDEDIR)' '$(DESTDIR)$(BINDIR)' \
		'$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(MANDIR)/man3' \
		'$(DESTDIR)$(SYSTEMDUNITDIR)'
	install -m 644 $(B)/libtcpshim.so '$(DESTDIR)$(LIBDIR)/$(LIBFILE)'
	ln -sfn $(LIBFILE) '$(DESTDIR)$(LIBDIR)/libtcpshim.so.1'
	ln -sfn $(LIBFILE) '$(DESTDIR)$(LIBDIR)/libtcpshim.so'
	install -m 644 include/tcpshim.h '$(DESTDIR)$(INCLUDEDIR)/tcpshim.h'
	install -m 644 $(B)/install/tcpshim.pc '$(DESTDIR)$(PKGCONFIGDIR)/tcpshim.pc'
	install -m 755 $(B)/install/tcpshim '$(DESTDIR)$(BINDIR)/tcpshim'
	install -m 644 $(MAN1) '$(DESTDIR)$(MANDIR)/man1'
	install -m 644 $(MAN3) '$(DESTDIR)$(MANDIR)/man3'
	install -m 644 $(B)/install/tcpshim-watch.service \
		'$(DESTDIR)$(SYSTEMDUNITDIR)/tcpshim-watch.service'
	@$(run_ldconfig)

# Exactly the files install put there; directories stay, since install
# cannot tell which of them it created.
uninstall:
	rm -f $(foreach f,$(INSTALLED),'$(DESTDIR)$(f)')
	@$(run_ldconfig)

# Go, for the static Go programs of the demos and the tests: built only
# where it is installed.
GO := $(shell command -v go 2>/dev/null)

include demos/demos.mk
include tests/tests.mk
include tests/real/real.mk
include tests/bench/bench.mk
include tests/fuzz/fuzz.mk
include tests/fresh/fresh.mk
include debian/deb.mk

clean:
	rm -rf $(B)
