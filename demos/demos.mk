# Demos: included by the top Makefile.
#
# demos/*_demo.c  programs that use the C API: linked with -ltcpshim
# demos/*.c       other helpers (the peer service, the RST injector)
# demos/*.go      the static Go server and client of demo 7
# demos/*.sh      the demos, and the scripts they share

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

# Demo 7's Go server and client: one static program (CGO_ENABLED=0: no
# loader, so no preload) under two names, since the name is the command
# name tcpshim watch reports.  Go's caches stay under $(D), never in
# $HOME, and nothing is downloaded.  make demo builds them where Go is
# installed; elsewhere demo 7 installs Go (as root) and makes them.
DEMO_GO_BINS := $(D)/goserver $(D)/goclient
$(D)/goserver: demos/goresets.go
	@mkdir -p $(D)
	CGO_ENABLED=0 GOCACHE=$(abspath $(D))/gocache \
		GOPATH=$(abspath $(D))/gopath GOTOOLCHAIN=local GOPROXY=off \
		$(or $(GO),go) build -o $@ $<
$(D)/goclient: $(D)/goserver
	ln -sf goserver $@

.PHONY: demo
demo: all $(DEMO_BINS) $(if $(GO),$(DEMO_GO_BINS))
	@sh demos/run.sh
