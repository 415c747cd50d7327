# demos/lib.sh - what the demos share: narration, Debian packages,
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

# skipped WHY: say that the demo is skipped and why, and end it with
# status 0: make demo goes on with the next one.
skipped() {
	say "(skipped: $*)"
	exit 0
}

. "$DEMOS/need.sh"

[ -x "$TCPSHIM" ] && [ -f "$BUILD/libtcpshim.so" ] || {
	echo "demo: build tcpshim first: make" >&2
	exit 1
}

# prepare [private] ARGS...: first the demo's packages (NEEDS on every
# run, ROOT_NEEDS as root too: CMD:PACKAGE pairs), installed before the
# demo leaves the host's network; then, with "private" and as root, the
# demo itself in a network namespace of its own (only its loopback), so
# nothing on the host is touched and nothing listens.  With
# DEMO_LIST_NEEDS set it only prints the pairs (demos/run.sh asks).
prepare() {
	private=
	[ "${1:-}" = private ] && { private=1; shift; }
	needs=${NEEDS:-}
	is_root && needs="$needs ${ROOT_NEEDS:-}"
	if [ -n "${DEMO_LIST_NEEDS:-}" ]; then
		echo $needs
		exit 0
	fi
	if [ -z "${DEMO_NETNS:-}" ]; then
		need $needs || exit 1
	fi
	[ -n "$private" ] && is_root || return 0
	if [ -z "${DEMO_NETNS:-}" ]; then
		rm -rf "$WORK"
		DEMO_NETNS=1 exec unshare -n sh "$0" "$@"
	fi
	ip link set lo up
}

# capture_start IFACE FILTER [NETNS]: tcpdump into $WORK/wire.pcap.
# Returns 1 (and says why) when there can be no capture.
capture_start() {
	if ! is_root; then
		say "(no capture of the wire: tcpdump needs root)"
		return 1
	fi
	if ! command -v tcpdump >/dev/null; then
		say "(no capture of the wire: tcpdump is missing)"
		return 1
	fi
	rm -f "$WORK/wire.pcap" "$WORK/tcpdump.err" "$WORK/wire.txt"
	if [ -n "${3:-}" ]; then
		ip netns exec "$3" tcpdump --immediate-mode -Z root -i "$1" -n -U -w "$WORK/wire.pcap" \
			"$2" 2>"$WORK/tcpdump.err" &
	else
		tcpdump --immediate-mode -Z root -i "$1" -n -U -w "$WORK/wire.pcap" "$2" \
			2>"$WORK/tcpdump.err" &
	fi
	CAPTURE_PID=$!
	# Until tcpdump says it is listening (10 s at most), or has failed.
	n=0
	until grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 200 ] || ! kill -0 "$CAPTURE_PID" 2>/dev/null; then
			say "(no capture of the wire: tcpdump did not start:" \
				"$(tail -n 1 "$WORK/tcpdump.err" 2>/dev/null))"
			kill "$CAPTURE_PID" 2>/dev/null
			CAPTURE_PID=
			return 1
		fi
		sleep 0.05
	done
}

# capture_stop: stop tcpdump and print the segments, absolute sequence
# numbers, without TCP options; they stay in $WORK/wire.txt, which is
# empty when there was no capture.
capture_stop() {
	: >"$WORK/wire.txt"
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
		sed -e 's/, options \[[^]]*\]//' -e 's/^IP6\{0,1\} //' \
		>"$WORK/wire.txt"
	indent <"$WORK/wire.txt"
}

# captured: true when the last capture ran (its segments can be counted).
captured() { [ -s "$WORK/wire.txt" ]; }

# segments PATTERN: how many captured segments match the basic regular
# expression PATTERN.
segments() { grep -c -- "$1" "$WORK/wire.txt" 2>/dev/null || true; }

# logged LOG: the events a text log holds, as "EVENT cause=CAUSE", joined
# by "and"; "nothing" when it holds none.
logged() {
	ev=$(sed -n 's/^tcpshim\[[0-9]*\] [^ ]* \([a-z_]*\) \(cause=[a-z_]*\) .*/\1 \2/p' \
		"$1" 2>/dev/null | awk 'NR > 1 { printf " and " } { printf "%s", $0 }')
	echo "${ev:-nothing}"
}

# counted N THING: "no THING", "one THING", "N THINGs".
counted() {
	case $1 in
	0) echo "no $2" ;;
	1) echo "one $2" ;;
	*) echo "$1 $2s" ;;
	esac
}

# wire SENTENCE: SENTENCE when the last capture ran, else a note that
# there was none.
wire() {
	if captured; then echo "$1"; else echo "(no capture of the wire)"; fi
}

# hosts_up TAG: the two hosts of demos/peerhost.sh, removed on exit; a
# demo run without root says why it is skipped and ends here.
hosts_up() {
	is_root ||
		skipped "this demo makes two hosts in network namespaces, which needs root"
	"$DEMOS/peerhost.sh" down "$1"
	on_exit "'$DEMOS/peerhost.sh' down '$1'"
	"$DEMOS/peerhost.sh" up "$1"
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
