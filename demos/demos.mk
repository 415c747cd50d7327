# Demos: included by the top Makefile.
#
# demos/*_demo.c  programs that use the C API: linked with -ltcpshim
# demos/*.c       other helpers (the peer service, the RST injector)
# demos/*.sh      the four demos, and the peer host script they share

D := $(B)/demos
DEMO_API_SRCS := $(wildcard demos/*_demo.c)
DEMO_TOOL_SRCS := $(filter-out $(DEMO_API_SRCS),$(wildcard demos/*.c))
DEMO_BINS := $(patsubst demos/%.c,$(D)/%,$(DEMO_API_SRCS) $(DEMO_TOOL_SRCS))

$(patsubst demos/%.c,$(D)/%,$(DEMO_API_SRCS)): $(D)/%: demos/%.c include/tcpshim.h $(B)/flags $(B)/libtcpshim.so
	@mkdir -p $(D)
	$(CC) $(BASE_CFLAGS) -o $@ $< -L$(B) -ltcpshim -Wl,-rpath,'$$ORIGIN/..'

$(patsubst demos/%.c,$(D)/%,$(DEMO_TOOL_SRCS)): $(D)/%: demos/%.c $(B)/flags
	@mkdir -p $(D)
	$(CC) $(BASE_CFLAGS) -o $@ $<

.PHONY: demo
demo: all $(DEMO_BINS)
	@sh demos/run.sh
