#!/bin/sh
# The Debian packages tcpshim needs.  As root, install what is missing;
# otherwise name the exact apt-get line and stop.
#   sh tests/deps.sh         what make check needs (jansson too: it tests
#                            tcpshim report; plain make builds without it)
#   sh tests/deps.sh fuzz    what make fuzz needs: clang and libFuzzer
# Keep the list in step with .ci/run, which also installs golang-go (the
# Go test of check_hardening is skipped without it), systemd-journal-remote
# and rsyslog (the shipping tests of test_journal and test_collector),
# clang, libbpf-dev and bpftool (tcpshim watch, which test_watch
# skips, saying so, in a command built without them), and liburing-dev
# (the io_uring case of test_watch_programs, skipped, saying so, where
# it was missing at build time).
need=""
if [ "${1:-}" = fuzz ]; then
	command -v clang >/dev/null || need="$need clang"
	# The runtimes of -fsanitize=fuzzer,address,undefined: link a target.
	printf '%s\n' 'int LLVMFuzzerTestOneInput(const char *d, long n)' \
		'{ return d && n; }' |
		clang -fsanitize=fuzzer,address,undefined -x c - -o /dev/null \
		>/dev/null 2>&1 || need="$need libclang-rt-14-dev"
fi
[ "${1:-}" = fuzz ] ||
	printf '#include <jansson.h>\n' | ${CC:-cc} -E -x c - >/dev/null 2>&1 ||
	need="$need libjansson-dev"
if [ "${1:-}" != fuzz ]; then
	pkg-config --exists check 2>/dev/null || need="$need check"
	command -v pkg-config >/dev/null || need="$need pkg-config"
	command -v curl >/dev/null || need="$need curl"
	command -v python3 >/dev/null || need="$need python3"
	command -v strace >/dev/null || need="$need strace"
	command -v ip >/dev/null || need="$need iproute2"
	command -v nm >/dev/null || need="$need binutils"
	# The demos' quick run captures the wire.
	command -v tcpdump >/dev/null || need="$need tcpdump"
	# The man page test renders each page with groff and man.
	command -v groff >/dev/null || need="$need groff-base"
	command -v man >/dev/null || need="$need man-db"
	# check_hardening preloads tcpshim behind other allocators.
	dpkg -s libjemalloc2 >/dev/null 2>&1 || need="$need libjemalloc2"
	dpkg -s libtcmalloc-minimal4 >/dev/null 2>&1 ||
		need="$need libtcmalloc-minimal4"
fi
[ -n "$need" ] || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "tcpshim: installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null || {
		echo "tcpshim: apt-get install$need failed" >&2; exit 1; }
else
	echo "tcpshim: missing packages; run as root:" >&2
	echo "  apt-get install$need" >&2
	exit 1
fi
