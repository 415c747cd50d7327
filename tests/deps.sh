#!/bin/sh
# The Debian packages tcpshim needs.  As root, install what is missing;
# otherwise name the exact apt-get line and stop.
#   sh tests/deps.sh         what make check needs (jansson too: it tests
#                            tcpshim report; plain make builds without it)
#   sh tests/deps.sh fuzz    what make fuzz needs: clang and libFuzzer
#   sh tests/deps.sh deb     what make deb needs: debian/control's
#                            Build-Depends, as dpkg-checkbuilddeps finds
#                            them missing (without dpkg-dev: it, and
#                            build-essential, which it also asks for)
# As root it also installs what tcpshim watch is built with (clang,
# libbpf-dev, bpftool) and tested with (liburing-dev): its tests need
# root, so a plain user is not asked for them.
# Keep the list in step with .ci/run, which also installs golang-go (the
# Go tests of check_hardening and test_watch_programs are skipped without
# it), systemd-journal-remote and rsyslog (the shipping tests of
# test_journal and test_collector).
need=""
if [ "${1:-}" = fuzz ]; then
	command -v clang >/dev/null || need="$need clang"
	# The runtimes of -fsanitize=fuzzer,address,undefined: link a target.
	printf '%s\n' 'int LLVMFuzzerTestOneInput(const char *d, long n)' \
		'{ return d && n; }' |
		clang -fsanitize=fuzzer,address,undefined -x c - -o /dev/null \
		>/dev/null 2>&1 || need="$need libclang-rt-14-dev"
fi
# "debhelper-compat (= 13)" is debhelper's; versions and architectures
# go, as apt-get takes the names.
if [ "${1:-}" = deb ]; then
	if command -v dpkg-checkbuilddeps >/dev/null 2>&1; then
		need=$(dpkg-checkbuilddeps 2>&1 >/dev/null |
			sed -n 's/.*Unmet build dependencies: //p' |
			sed 's/) /)\n/g; s/\] /]\n/g' | tr ' ' '\n')
	else
		need="dpkg-dev build-essential $(awk '/^Build-Depends:/ { f = 1; sub(/^Build-Depends:/, "") }
			f && !/^[ \t]/ && !/^Build-Depends:/ { f = 0 }
			f' debian/control | tr ',' '\n')"
	fi
	need=" $(printf '%s\n' $need | sed 's/[[(].*//; s/:.*//; s/^debhelper-compat$/debhelper/' |
		grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort -u | tr '\n' ' ' | sed 's/ $//')"
	[ "$need" != " " ] || need=""
fi
[ "${1:-}" = fuzz ] || [ "${1:-}" = deb ] ||
	printf '#include <jansson.h>\n' | ${CC:-cc} -E -x c - >/dev/null 2>&1 ||
	need="$need libjansson-dev"
if [ "${1:-}" != fuzz ] && [ "${1:-}" != deb ]; then
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
	if [ "$(id -u)" = 0 ]; then
		command -v clang >/dev/null || need="$need clang"
		pkg-config --exists libbpf 2>/dev/null || need="$need libbpf-dev"
		command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ] ||
			need="$need bpftool"
		pkg-config --exists liburing 2>/dev/null ||
			need="$need liburing-dev"
	fi
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
