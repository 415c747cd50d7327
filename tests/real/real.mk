# make check-real: tcpshim inside real programs
# (tests/real/real_programs.c), and, as root, every log held against the
# kernel's tracepoints (tests/real/real_truth.sh, judged by
# tests/real/truth.py).
# Included by the top Makefile.  Not part of make check: it is slower
# (about a minute), and needs Debian packages make check does not.
#
# Each program the suite runs natively and preloaded: python3 http.server
# with curl and with urllib, nginx under wrk, redis-server and redis-benchmark, git daemon
# and git, sshd and ssh, bash.  tests/real/real_truth.sh runs Node.js, Java,
# haproxy, s6-fdholderd, python3 servers and clients (an acceptor
# handing connections to a worker among them), and the close race, preloaded,
# with the kernel's tracepoints as the judge.  As root, check-real installs what is
# missing with apt-get; otherwise it prints the apt-get line, and the
# tests of the missing programs say they are skipped.  With SANITIZE=...
# the sanitized library runs in the same programs, and
# tests/real/san_reports.sh judges what the sanitizers reported.

REAL_BIN := $(T)/real_programs

$(REAL_BIN): tests/real/real_programs.c $(TEST_DEPS) $(B)/libtcpshim.so
	@mkdir -p $(T)
	$(CC) $(TEST_CFLAGS) -o $@ $< tests/lib/testlib.c $(CHECK_LIBS)

# command:package, for what make check's own packages do not bring.
REAL_NEEDS := nginx:nginx wrk:wrk redis-server:redis-server \
	redis-benchmark:redis-tools redis-cli:redis-tools git:git \
	sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client \
	node:nodejs javac:openjdk-17-jdk-headless haproxy:haproxy \
	s6-fdholder-daemon:s6

.PHONY: check-real check-real-deps
check-real-deps: check-deps
	@need=""; \
	for pair in $(REAL_NEEDS); do \
		cmd=$${pair%%:*}; pkg=$${pair#*:}; \
		PATH="$$PATH:/usr/sbin:/sbin" command -v $$cmd >/dev/null || \
		case " $$need " in *" $$pkg "*) ;; *) need="$$need $$pkg" ;; esac; \
	done; \
	[ -n "$$need" ] || exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "tcpshim: installing:$$need"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq \
			--no-install-recommends $$need >/dev/null || { \
			echo "tcpshim: apt-get install$$need failed" >&2; \
			exit 1; }; \
	else \
		echo "tcpshim: missing packages; their tests are skipped." \
			"To run them, as root:"; \
		echo "  apt-get install$$need"; \
	fi

# Under SANITIZE every sanitizer report goes to a file of its own, in a
# directory every program's user can write in (nginx's workers run as
# nobody), for tests/real/san_reports.sh to judge once the programs are done.
# Leaks are looked for here, and judged by whose they are; exitcode=0
# keeps a host program's own leaks out of its exit status (a report of
# any other kind still fails the run, from its file).
SAN_REAL_OPTS = log_path=$$rep/report:log_exe_name=1
SAN_REAL_ENV = $(SAN_ENV) TCPSHIM_SAN_REPORTS=$$rep \
	ASAN_OPTIONS=detect_leaks=1:exitcode=0:use_sigaltstack=0:$(SAN_REAL_OPTS) \
	UBSAN_OPTIONS=print_stacktrace=1:$(SAN_REAL_OPTS) \
	TSAN_OPTIONS=halt_on_error=1:$(SAN_REAL_OPTS)

check-real: check-real-deps
	@$(MAKE) --no-print-directory WERROR=1 all $(REAL_BIN) $(T)/prog_race \
		$(T)/prog_scenario
ifeq ($(SANITIZE),)
	@TCPSHIM_BUILD=$(B) sh tests/run.sh $(REAL_BIN) tests/real/real_truth.sh
else
	@rep=$$(mktemp -d /tmp/tcpshim-sanitizer.XXXXXX) && chmod 1777 $$rep && \
	$(SAN_REAL_ENV) TCPSHIM_BUILD=$(B) sh tests/run.sh $(REAL_BIN) \
		tests/real/real_truth.sh tests/real/san_reports.sh; \
	rc=$$?; rm -rf $$rep; exit $$rc
endif
