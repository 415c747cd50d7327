#!/bin/sh
# make check-real, as root: real programs (and the close race) with the
# kernel's tracepoints as the judge of every log.  Each case runs its
# program preloaded with a JSON log, while a private tracefs instance
# records tcp:tcp_send_reset and tcp:tcp_receive_reset; tests/truth.py
# then prints, per case: the kernel's resets on the program's own
# sockets, the events logged, and those missing, false, duplicated or
# with a cause the kernel's reason contradicts.  Every case runs
# TRUTH_RUNS times (default 5): a race shows only in some runs.
#
# Exits 0 when every run of every case agrees with the kernel, 77 when it
# cannot judge (not root, no tracefs), 1 otherwise.
cd "$(dirname "$0")/.." || exit 1
B=${TCPSHIM_BUILD:-build}
LIB=$(pwd)/$B/libtcpshim.so
RUNS=${TRUTH_RUNS:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-truth.XXXXXX")
TRACE=
MOUNTED=
PIDS=
fail=0

cleanup() {
	for pid in $PIDS; do kill "$pid" 2>/dev/null; done
	if [ -n "$TRACE" ]; then
		for ev in tcp_send_reset tcp_receive_reset; do
			echo 0 >"$TRACE/events/tcp/$ev/enable" 2>/dev/null
		done
		rmdir "$TRACE" 2>/dev/null
	fi
	[ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "SKIP kernel truth: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root for the kernel's tracepoints"
[ -n "${TCPSHIM_TEST_SANITIZER:-}" ] &&
	skip "runs the plain build; the sanitized one is checked by make check"
command -v python3 >/dev/null || skip "python3 missing (Debian package python3)"
root=
for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -r "$t/events/tcp/tcp_send_reset/format" ] && { root=$t; break; }
done
if [ -z "$root" ]; then
	mkdir -p "$W/tracefs"
	mount -t tracefs nodev "$W/tracefs" 2>/dev/null &&
		MOUNTED=$W/tracefs root=$W/tracefs
	[ -r "$root/events/tcp/tcp_send_reset/format" ] ||
		skip "no tracefs with tcp:tcp_send_reset"
fi
TRACE=$root/instances/tcpshim-truth-$$
mkdir "$TRACE" || skip "cannot make a tracefs instance"

# trace_on / trace_off FILE: record, then keep what was recorded.
trace_on() {
	: >"$TRACE/trace"
	for ev in tcp_send_reset tcp_receive_reset; do
		echo 1 >"$TRACE/events/tcp/$ev/enable"
	done
}
trace_off() {
	for ev in tcp_send_reset tcp_receive_reset; do
		echo 0 >"$TRACE/events/tcp/$ev/enable"
	done
	cat "$TRACE/trace" >"$1"
}

# free_port: a loopback port nothing listens on.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# judge NAME ROLE:PORT: the last run's trace against its log.
judge() {
	if ! python3 tests/truth.py "$1" "$W/trace" "$2" "$W/log" >"$W/verdict"; then
		fail=1
	fi
	cat "$W/verdict"
}

# preloaded ENV... -- CMD...: CMD under the library with a JSON log.
preloaded() {
	env LD_PRELOAD="$LIB" TCPSHIM_LOG="$W/log" TCPSHIM_FORMAT=json "$@"
}

# race HOW N: the close that races the peer's FIN, N connections.
race() {
	port=$(free_port)
	"$B/tests/prog_race" peer "$port" "$2" >"$W/peer.out" 2>&1 &
	peer=$!
	PIDS="$PIDS $peer"
	n=0
	until grep -q ready "$W/peer.out" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 200 ] || break; sleep 0.05
	done
	: >"$W/log"
	trace_on
	preloaded "$B/tests/prog_race" client "$port" "$2" "$1" >/dev/null
	wait "$peer"
	trace_off "$W/trace"
	judge "close racing the peer's FIN ($1, $2 connections)" "client:$port"
}

for run in $(seq 1 "$RUNS"); do
	echo "-- run $run of $RUNS"
	race unread 1000
	race linger0 1000
done
exit $fail
