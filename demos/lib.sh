# demos/lib.sh - what the four demos share: narration, Debian packages,
# a private network namespace, packet capture, and cleanup.  Sourced by
# demos/NN-*.sh; they run from anywhere, after `make`.

DEMOS=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$DEMOS")
BUILD=$ROOT/build
TCPSHIM=$BUILD/tcpshim
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-demo.XXXXXX")
CAPTURE_PID=

# Cleanup runs on every exit path, Ctrl-C included; demos add their own
# steps with on_exit.
CLEANUP=
on_exit() { CLEANUP="$1; $CLEANUP"; }
cleanup() {
	trap - EXIT INT TERM
	capture_stop >/dev/null 2>&1
	eval "$CLEANUP"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT TERM

title() { printf '\n=== %s\n' "$*"; }
say() { printf '%s\n' "$*" | fold -s -w 76; }
step() { printf '\n--- %s\n' "$*"; }
indent() { sed 's/^/    /'; }
conclude() { printf '\n=> '; printf '%s\n' "$*" | fold -s -w 73 | sed '2,$s/^/   /'; }

is_root() { [ "$(id -u)" = 0 ]; }

# need CMD:PACKAGE...  Install what is missing when root; otherwise name
# the apt-get line and return 1.
need() {
	missing=
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
	done
	[ -n "$missing" ] || return 0
	if is_root && command -v apt-get >/dev/null; then
		say "(installing:$missing)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends $missing >/dev/null 2>&1; }
		return
	fi
	say "missing:$missing; install with: apt-get install$missing"
	return 1
}

[ -x "$TCPSHIM" ] && [ -f "$BUILD/libtcpshim.so" ] || {
	echo "demo: build tcpshim first: make" >&2
	exit 1
}

# As root, run this demo in a network namespace of its own (only its
# loopback), so nothing on the host is touched and nothing listens.
private_net() {
	if is_root && [ -z "${DEMO_NETNS:-}" ] && command -v unshare >/dev/null; then
		DEMO_NETNS=1 exec unshare -n sh "$0" "$@"
	fi
	if [ -n "${DEMO_NETNS:-}" ]; then
		ip link set lo up
	fi
}

# capture_start IFACE FILTER [NETNS]: tcpdump into $WORK/wire.pcap.
# Returns 1 (and says why) when there can be no capture.
capture_start() {
	if ! is_root; then
		say "(no capture of the wire: tcpdump needs root)"
		return 1
	fi
	need tcpdump:tcpdump || return 1
	rm -f "$WORK/wire.pcap" "$WORK/tcpdump.err"
	if [ -n "${3:-}" ]; then
		ip netns exec "$3" tcpdump --immediate-mode -Z root -i "$1" -n -U -w "$WORK/wire.pcap" \
			"$2" 2>"$WORK/tcpdump.err" &
	else
		tcpdump --immediate-mode -Z root -i "$1" -n -U -w "$WORK/wire.pcap" "$2" \
			2>"$WORK/tcpdump.err" &
	fi
	CAPTURE_PID=$!
	# Until tcpdump says it is listening (10 s at most).
	n=0
	until grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null; do
		n=$((n + 1))
		[ $n -le 200 ] || { say "(tcpdump did not start)"; return 1; }
		sleep 0.05
	done
}

# capture_stop: stop tcpdump and print the segments, absolute sequence
# numbers, without TCP options.
capture_stop() {
	[ -n "$CAPTURE_PID" ] || return 0
	# tcpdump has no flush request: wait until the file stops growing.
	last=-1 n=0
	while size=$(wc -c <"$WORK/wire.pcap" 2>/dev/null) &&
		[ "$size" != "$last" ] && [ $n -lt 20 ]; do
		last=$size n=$((n + 1))
		sleep 0.1
	done
	kill -INT "$CAPTURE_PID" 2>/dev/null
	wait "$CAPTURE_PID" 2>/dev/null
	CAPTURE_PID=
	tcpdump -r "$WORK/wire.pcap" -n -S -t 2>/dev/null |
		sed -e 's/, options \[[^]]*\]//' -e 's/^IP6\{0,1\} //' | indent
}

# wait_for FILE TEXT [SECONDS]: until FILE holds TEXT.
wait_for() {
	n=0
	until grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -le $((${3:-10} * 20)) ] || return 1
		sleep 0.05
	done
}
