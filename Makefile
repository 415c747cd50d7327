# tcpshim - see and control TCP resets in unmodified programs.
#
# Targets:
#   make                 build/libtcpshim.so and build/tcpshim
#   make check           build with -Werror, then run every test
#   make demo            the four RST demos, narrated
#   make install         PREFIX=/usr/local DESTDIR= (see below)
#   make uninstall       remove exactly what install put there
#   make clean
#
# Knobs:
#   CC ?= cc             compiler
#   CFLAGS ?= -O2 -g     optimisation and debug flags
#   PREFIX ?= /usr/local installation prefix
#   LIBDIR ?= $(PREFIX)/lib
#   DESTDIR              staging directory for packagers
#   WERROR=1             treat warnings as errors (make check sets it)

CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=

B := build
WARN := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude $(WARN) $(CFLAGS)
SHIM_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -pthread

SHIM_SRCS := $(filter-out shim/tcpshim.c,$(wildcard shim/*.c))
SHIM_OBJS := $(patsubst shim/%.c,$(B)/obj/%.o,$(SHIM_SRCS))
# The parts that define no libc name: unit-tested without preloading.
PURE_OBJS := $(addprefix $(B)/obj/,config.o conn.o fdtable.o format.o classify.o)

.PHONY: all check clean install uninstall
all: $(B)/libtcpshim.so $(B)/tcpshim

# Objects are rebuilt when the flags change (make check adds -Werror).
$(B)/flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(SHIM_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(SHIM_CFLAGS)' > $@
FORCE:

$(B)/obj/%.o: shim/%.c $(wildcard shim/*.h) include/tcpshim.h $(B)/flags
	@mkdir -p $(B)/obj
	$(CC) $(SHIM_CFLAGS) -c -o $@ $<

# dlsym(RTLD_NEXT) must never be reached by a tail call (see real.c).
$(B)/obj/real.o: SHIM_CFLAGS += -fno-optimize-sibling-calls

$(B)/libtcpshim.so: $(SHIM_OBJS) shim/libtcpshim.map
	$(CC) -shared -pthread -Wl,-soname,libtcpshim.so.1 \
		-Wl,--version-script=shim/libtcpshim.map -Wl,-z,now \
		-o $@ $(SHIM_OBJS) -ldl
	ln -sf libtcpshim.so $(B)/libtcpshim.so.1

$(B)/tcpshim: shim/tcpshim.c include/tcpshim.h $(B)/flags
	$(CC) $(BASE_CFLAGS) -DTCPSHIM_LIBRARY='"$(abspath $(B))/libtcpshim.so"' \
		-o $@ shim/tcpshim.c

include demos/demos.mk
include tests/tests.mk

clean:
	rm -rf $(B)
