# Fuzzing: included by the top Makefile.
#
#   make fuzz                   build every target, run each FUZZ_TIME seconds
#   make fuzz FUZZ_TIME=600     longer
#   make fuzz-config, make fuzz-format    one target
#
# tests/fuzz/fuzz_*.c   libFuzzer targets over the pure parts of the
#                       library (shim/core: it defines no libc name),
#                       built with clang and AddressSanitizer and UBSan
# tests/fuzz/corpus/*/  their seed inputs, checked in; what a run adds
#                       goes to build/fuzz/corpus/*, a crashing input to
#                       build/fuzz/
#
# Whatever a run finds becomes a unit test in tests/unit/unit_*.c.  clang
# and its libFuzzer runtime come from Debian (tests/deps.sh fuzz installs
# them as root, or names the apt-get line).

FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_DIR := $(B)/fuzz
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_NAMES))
FUZZ_SRCS := $(wildcard shim/core/*.c)
# Values up to twice CONFIG_PATH_MAX: log paths too long to keep.
FUZZ_OPTS_config := -max_len=8200
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude -Ishim -g -O1 \
	-Wall -Wextra -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

.PHONY: fuzz fuzz-deps $(addprefix fuzz-,$(FUZZ_NAMES))

fuzz-deps:
	@sh tests/deps.sh fuzz

# deps.sh runs first, then each target builds (or is up to date).
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) $(SHIM_HDRS) \
		include/tcpshim.h | fuzz-deps
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS)

# -max_total_time bounds the run; a crash, leak or broken invariant stops
# it with an error and leaves the input as build/fuzz/crash-*.
$(addprefix fuzz-,$(FUZZ_NAMES)): fuzz-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$*
	$(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		$(FUZZ_OPTS_$*) -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$*

fuzz: $(addprefix fuzz-,$(FUZZ_NAMES))
