#!/bin/sh
# The demos cannot rot: run each one and check its key facts in what it
# printed: the RST on the wire, the errno the program saw, the event
# tcpshim logged (for demo 7, what tcpshim watch printed).  Demos 3 to 5
# and 7 need root (they say so and are skipped).
cd "$(dirname "$0")/.." || exit 1
if [ -n "${TCPSHIM_TEST_SANITIZER:-}" ]; then
	echo "SKIP demos: they run the plain build; the sanitizer build is covered by the Check suites"
	exit 0
fi
out=$(mktemp)
trap 'rm -f "$out" "$out.flat"' EXIT
fail=0

# expect DEMO TEXT...: each TEXT is a fixed string found in DEMO's output,
# read as one line with runs of blanks squeezed (the narration is folded).
expect() {
	demo=$1
	shift
	tr -s ' \n' '  ' <"$out" >"$out.flat"
	for text in "$@"; do
		if ! grep -qF -- "$text" "$out.flat"; then
			echo "FAIL $demo: no \"$text\" in its output:"
			sed 's/^/  | /' "$out"
			fail=1
			return
		fi
	done
	echo "ok   $demo"
}

# run DEMO: run demos/DEMO.sh into $out; a non-zero exit fails.
run() {
	sh "demos/$1.sh" >"$out" 2>&1 && return 0
	echo "FAIL $1: exit $?:"
	sed 's/^/  | /' "$out"
	fail=1
}

root=0
[ "$(id -u)" = 0 ] && command -v tcpdump >/dev/null && root=1

run 01-refused
expect 01-refused "curl exited with status 7" \
	"rst_received cause=refused call=getsockopt errno=ECONNREFUSED" \
	"connect() = -1, errno ECONNREFUSED" \
	"callback: event=rst_received cause=refused call=connect" \
	"curl exited with status 7 (7: it could not connect), the C program's connect() saw ECONNREFUSED, and tcpshim logged rst_received cause=refused for curl and rst_received cause=refused for the C program."
if [ $root = 1 ]; then
	expect 01-refused-wire "127.0.0.1.9 > 127.0.0.1." "Flags [R.], seq 0" \
		"=> The SYN to port 9 was answered by one RST."
else
	expect 01-refused-nowire "=> (no capture of the wire) curl exited"
fi

run 02-abort
expect 02-abort "then end of file: an orderly close, nothing lost" \
	"then ECONNRESET: the connection was reset" \
	"rst_sent cause=abort call=tcp_abort" \
	"rst_received cause=peer_reset call=read errno=ECONNRESET" \
	"server: recv failed: [Errno 104] Connection reset by peer" \
	"rst_sent cause=policy call=close" \
	"the receiver read 3910656 bytes, then end of file" \
	"tcpshim logged rst_sent cause=abort and rst_received cause=peer_reset." \
	"its peer's recv failed: [Errno 104] Connection reset by peer; tcpshim logged rst_sent cause=policy."
[ $root = 1 ] && expect 02-abort-wire "Flags [F.]" "Flags [R.]" \
	"=> close(): 2 FINs and no RST on the wire" \
	"tcp_abort(): no FIN and one RST on the wire" \
	"python3 under --abort-on-close: no FIN and one RST on the wire"

if [ $root = 1 ]; then
	run 03-halfopen
	expect 03-halfopen "TimeoutError [Errno 110]" \
		"halfopen cause=keepalive_timeout call=recv errno=ETIMEDOUT" \
		"ConnectionResetError [Errno 104]" \
		"rst_received cause=halfopen_reset call=recv errno=ECONNRESET" \
		"198.18.0.2.7000 > 198.18.0.1." "Flags [R], seq" \
		"=> The peer that crashed and stayed down: 3 keepalive probes left unanswered and the client sent one RST" \
		"tcpshim logged halfopen cause=keepalive_timeout. The peer that crashed and restarted: the peer sent one RST" \
		"tcpshim logged rst_received cause=halfopen_reset."
	run 04-timewait
	expect 04-timewait "(none: the TIME-WAIT entry is gone)" \
		"127.0.0.1:40001 127.0.0.1:41001" \
		"victim: recv failed: ConnectionResetError" \
		"rst_received cause=peer_reset call=recv errno=ECONNRESET" \
		"127.0.0.1.41000 > 127.0.0.1.40000: Flags [R]" \
		"=> With tcp_rfc1337=0 the TIME-WAIT state was killed by the forged RST; with tcp_rfc1337=1 it survived the forged RST." \
		"the in-window RST drew one challenge ACK, and the connection lived on; the out-of-window one drew no challenge ACK, and the connection lived on" \
		"tcpshim logged rst_received cause=peer_reset."
	run 05-dead
	expect 05-dead "keepalive 1,1,30" "probing 2" \
		"rst_sent cause=killed call=tcpshim_abort" \
		"198.18.0.1.7100 > 198.18.0.2." "Flags [R.]" \
		"says still here" \
		"=> With no restart, tcpshim found the dead peer by keepalive and reset its connection: the server sent one RST to 198.18.0.2" \
		"the live client's connection went on serving."
fi

run 06-inject
expect 06-inject "file 2, attempt 1: [Errno 104] Connection reset by peer after 1000 bytes; trying again" \
	"rst_sent cause=injected call=recv errno=- fd=3" \
	"bytes_received=1000 rule=reset:after_received=1000,prob=0.5,seed=1" \
	"5 of 5 files downloaded" \
	"tcpshim logged 2 rst_sent cause=injected; the second run went exactly the same way."
if [ $root = 1 ]; then
	expect 06-inject-wire "> 127.0.0.1.45060: Flags [R.]" \
		"(2 RSTs left the client's end on the wire)"
else
	echo "SKIP demos 3, 4 and 5: they need root and tcpdump (network namespaces, raw sockets, capture)"
fi

# owned DEMO EVENT CAUSE COMM PID FD: watch's line for that event names
# that owner, pid and descriptor (the ones the Go program printed).
owned() {
	if grep -Eq "^ *tcpshim\[$5\] [^ ]* $2 cause=$3 reason=[A-Z_-]* source=kernel comm=$4 fd=$6 " "$out"; then
		echo "ok   $1"
	else
		echo "FAIL $1: no $2 cause=$3 owned by $4, pid $5, fd $6:"
		sed 's/^/  | /' "$out"
		fail=1
	fi
}

# Demo 7 needs root, tcpshim watch and Go.  Run by hand it installs what
# is missing and rebuilds; a test only says what is missing.
if [ $root = 0 ]; then
	echo "SKIP demo 7: it needs root and tcpdump (eBPF, network namespaces, capture)"
elif build/tcpshim watch --duration 0 2>&1 | grep -q 'built without eBPF'; then
	echo "SKIP demo 7: build/tcpshim was built without tcpshim watch (apt-get install clang libbpf-dev bpftool, then make)"
elif ! command -v go >/dev/null; then
	echo "SKIP demo 7: Go is missing (apt-get install golang-go)"
else
	run 07-watch
	if grep -q '(skipped:' "$out"; then
		echo "SKIP demo 7: $(sed -n 's/^(skipped: //p' "$out")"
	else
		expect 07-watch "goclient[" \
			"dial tcp 198.18.0.2:7300: connect: connection refused" \
			"rst_received cause=refused reason=- source=kernel comm=goclient fd=" \
			"read: connection reset by peer" \
			"rst_received cause=peer_reset reason=- source=kernel comm=goclient fd=" \
			"rst_received cause=halfopen_reset reason=- source=kernel comm=goclient fd=" \
			"198.18.0.2.7300 > 198.18.0.1." "Flags [R.], seq 0," "Flags [R], seq" \
			"events printed, 0 lost" \
			"=> a. Nothing listening: the SYN was answered by one RST; goclient saw connection refused;" \
			"b. SetLinger(0) and Close: no FIN and one RST from the server; goclient saw connection reset by peer;" \
			"c. The peer crashed and restarted: the peer sent one RST; goclient saw connection reset by peer;"
		# The owner watch names is the Go program, by pid and fd.
		server=$(sed -n 's/^ *goserver\[\([0-9]*\)\]: accepted .* on fd \([0-9]*\)$/\1 \2/p' "$out" | head -n 1)
		client=$(sed -n 's/^ *goclient\[\([0-9]*\)\]: connected .* on fd \([0-9]*\)$/\1 \2/p' "$out" | tail -n 1)
		# shellcheck disable=SC2086 # "PID FD" split on purpose
		owned 07-watch-client rst_received halfopen_reset goclient $client
		if grep -q 'gives no reason' "$out"; then
			echo "SKIP demo 7: the peer's resets and linger0: this kernel's tcp_send_reset gives no reason (Linux 6.10 and later do)"
		else
			expect 07-watch-kernel \
				"rst_sent cause=no_listener reason=NO_SOCKET source=kernel comm=- fd=-" \
				"rst_sent cause=no_connection reason=TCP_FLAGS source=kernel comm=- fd=-"
			# shellcheck disable=SC2086
			owned 07-watch-server rst_sent linger0 goserver $server
		fi
	fi
fi
exit $fail
