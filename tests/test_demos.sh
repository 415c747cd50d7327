#!/bin/sh
# The demos cannot rot: run each one and check its key facts in what it
# printed: the RST on the wire, the errno the program saw, the event
# tcpshim logged.  Demos 3 and 4 need root (they say so and are skipped).
cd "$(dirname "$0")/.." || exit 1
if [ -n "${TCPSHIM_TEST_SANITIZER:-}" ]; then
	echo "SKIP demos: they run the plain build; the sanitizer build is covered by the Check suites"
	exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

# expect DEMO TEXT...: each TEXT is a fixed string found in DEMO's output.
expect() {
	demo=$1
	shift
	for text in "$@"; do
		if ! grep -qF -- "$text" "$out"; then
			echo "FAIL $demo: no \"$text\" in its output:"
			sed 's/^/  | /' "$out"
			fail=1
			return
		fi
	done
	echo "ok   $demo"
}

root=0
[ "$(id -u)" = 0 ] && command -v tcpdump >/dev/null && root=1

sh demos/01-refused.sh >"$out" 2>&1 || echo "FAIL 01-refused: exit $?"
expect 01-refused "curl exited with status 7" \
	"rst_received cause=refused call=getsockopt errno=ECONNREFUSED" \
	"connect() = -1, errno ECONNREFUSED" \
	"callback: event=rst_received cause=refused call=connect"
[ $root = 1 ] && expect 01-refused-wire "127.0.0.1.9 > 127.0.0.1." "Flags [R.], seq 0"

sh demos/02-abort.sh >"$out" 2>&1 || echo "FAIL 02-abort: exit $?"
expect 02-abort "then end of file: an orderly close, nothing lost" \
	"then ECONNRESET: the connection was reset" \
	"rst_sent cause=abort call=tcp_abort" \
	"rst_received cause=peer_reset call=read errno=ECONNRESET" \
	"server: recv failed: [Errno 104] Connection reset by peer" \
	"rst_sent cause=policy call=close"
[ $root = 1 ] && expect 02-abort-wire "Flags [F.]" "Flags [R.]"

if [ $root = 1 ]; then
	sh demos/03-halfopen.sh >"$out" 2>&1 || echo "FAIL 03-halfopen: exit $?"
	expect 03-halfopen "TimeoutError [Errno 110]" \
		"halfopen cause=keepalive_timeout call=recv errno=ETIMEDOUT" \
		"ConnectionResetError [Errno 104]" \
		"rst_received cause=halfopen_reset call=recv errno=ECONNRESET" \
		"198.18.0.2.7000 > 198.18.0.1." "Flags [R], seq"
	sh demos/04-timewait.sh >"$out" 2>&1 || echo "FAIL 04-timewait: exit $?"
	expect 04-timewait "(none: the TIME-WAIT entry is gone)" \
		"127.0.0.1:40001    127.0.0.1:41001" \
		"victim: recv failed: ConnectionResetError" \
		"rst_received cause=peer_reset call=recv errno=ECONNRESET" \
		"127.0.0.1.41000 > 127.0.0.1.40000: Flags [R]"
	# TIME-WAIT survived the RST with tcp_rfc1337=1: listed after it too.
	[ "$(grep -c '127.0.0.1:40001    127.0.0.1:41001' "$out")" = 2 ] ||
		{ echo "FAIL 04-timewait: TIME-WAIT did not survive with tcp_rfc1337=1"; fail=1; }
else
	echo "SKIP demos 3 and 4: they need root and tcpdump (network namespaces, raw sockets, capture)"
fi
exit $fail
