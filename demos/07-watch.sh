#!/bin/sh
# Demo 7: the classic resets of a static Go server and client, which no
# preload reaches, seen from the kernel by tcpshim watch: a connection
# refused, an abort (SetLinger(0)), and a peer host that crashed and
# restarted.
. "$(dirname "$0")/lib.sh"
ROOT_NEEDS="ip:iproute2 tcpdump:tcpdump"
prepare "$@"
PEERHOST="$DEMOS/peerhost.sh"
CLIENT=198.18.0.1
PEER=198.18.0.2
PORT=7300
TAG=go$$

title "Demo 7: a static Go program's resets, seen from the kernel by tcpshim watch"
say "Go programs are often built with CGO_ENABLED=0: statically linked, with no dynamic loader, so no LD_PRELOAD library ever runs inside them and the preload cannot see their resets. tcpshim watch needs nothing inside the program: it reads the kernel's own reset tracepoints through eBPF, and names the process and the descriptor that hold the connection, the kernel's reason, and the cause."
is_root || skipped "tcpshim watch loads eBPF programs and the demo's two hosts are network namespaces: both need root"

# rebuild TARGET...: make them, quietly; on failure show the end of what
# make said, and stop.
rebuild() {
	make -C "$ROOT" "$@" >"$WORK/make.log" 2>&1 && return 0
	echo "demo: make $* failed:" >&2
	tail -n 15 "$WORK/make.log" | indent >&2
	exit 1
}

# watch_built: build/tcpshim has tcpshim watch (a command built without
# the eBPF toolchain refuses every watch with the same line).
watch_built() {
	! "$TCPSHIM" watch --duration 0 2>&1 | grep -q 'built without eBPF'
}

if ! watch_built; then
	say "build/tcpshim was built without tcpshim watch, whose kernel side is compiled with clang, libbpf-dev and bpftool."
	need clang:clang bpftool:bpftool pkg-config:pkg-config \
		/usr/include/bpf/libbpf.h:libbpf-dev ||
		skipped "tcpshim watch cannot be built without clang, libbpf-dev and bpftool"
	rebuild build/tcpshim
	watch_built ||
		skipped "make built build/tcpshim without tcpshim watch again: it needs the kernel's BTF (/sys/kernel/btf/vmlinux) too"
	say "(build/tcpshim rebuilt, now with tcpshim watch)"
fi
need go:golang-go ||
	skipped "the Go server and client cannot be built without Go (Debian package golang-go)"
rebuild build/demos/goserver build/demos/goclient
GOSERVER=$BUILD/demos/goserver
GOCLIENT=$BUILD/demos/goclient

# netns_of c|p: the inode of that host's network namespace, which
# watch's events name (netns=).
netns_of() { stat -L -c %i "/run/netns/tcpshim-$TAG-$1"; }

# watched N NAME: wait (10 s at most: watch reads the kernel's records
# on its own) until watch has printed N more lines about the demo's
# hosts, then show them and keep them in $WORK/NAME.watch.
watched() {
	n=0
	while sed -n "$((MARK + 1)),\$p" "$WORK/watch.out" |
		grep -E "netns=($HOSTS) " >"$WORK/$2.watch" &&
		[ "$(wc -l <"$WORK/$2.watch")" -lt "$1" ] && [ $n -lt 200 ]; do
		n=$((n + 1))
		sleep 0.05
	done
	MARK=$(wc -l <"$WORK/watch.out")
	indent <"$WORK/$2.watch"
}

# go_error NAME: the error the Go program printed last in $WORK/NAME.out.
go_error() { sed -n 's/^go[a-z]*\[[0-9]*\]: .*: \([^:]*\)$/\1/p' "$WORK/$1.out" | tail -n 1; }

# owners NAME: the events of $WORK/NAME.watch, each as "EVENT
# cause=CAUSE (reason REASON, COMM pid PID fd FD)", the reason left out
# where there is none, joined by "and".
owners() {
	sed -n 's/^tcpshim\[\([0-9-]*\)\] [^ ]* \([a-z_]*\) \(cause=[a-z0-9_-]*\) reason=\([A-Z0-9_-]*\) .* comm=\([^ ]*\) fd=\([0-9-]*\) .*/\2 \3 (reason \4, \5 pid \1 fd \6)/p' \
		"$WORK/$1.watch" |
		sed -e 's/, - pid - fd -)/, no owner)/' -e 's/(reason -, /(/' |
		awk 'NR > 1 { printf " and " } { printf "%s", $0 }'
}

step "the programs: demos/goresets.go, built with CGO_ENABLED=0 as goserver and goclient"
printf '%s\n' "\$ ldd build/demos/goserver" "$(ldd "$GOSERVER" 2>&1)" |
	sed 's/^[[:space:]]*//' | indent
say "Not a dynamic executable: nothing would load a preloaded library into it. goserver answers each line it reads with the same line, except \"abort\", on which it closes that connection with SetLinger(0) and Close. goclient connects, sends lines and reads the answers, and prints every error as Go reports it."

hosts_up "$TAG"
HOSTS="$(netns_of c)|$(netns_of p)"
say "Two hosts in network namespaces: the client ($CLIENT) runs goclient, the peer ($PEER) runs goserver on port $PORT. Both share this machine's kernel, so one tcpshim watch sees both ends of every reset; between two real hosts each host's watch sees its own end."

step "tcpshim watch --port $PORT, started before the programs, says when it is ready"
"$TCPSHIM" watch --port "$PORT" >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH=$!
on_exit '[ -z "$WATCH" ] || kill -INT "$WATCH" 2>/dev/null'
n=0
until grep -q 'tcpshim watch: ready' "$WORK/watch.err" 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 600 ] || ! kill -0 "$WATCH" 2>/dev/null; then
		indent <"$WORK/watch.err"
		skipped "tcpshim watch did not start on this kernel (its line above says why)"
	fi
	sleep 0.05
done
indent <"$WORK/watch.err"
MARK=0
# Both ends of a reset are two events, except on kernels before 6.10,
# whose tcp_send_reset fires only for a socket: no event for a reset the
# peer's kernel sends with no connection (the ready line says so).
BOTH=2
if grep -q 'gives no reason' "$WORK/watch.err"; then
	BOTH=1
	say "(This kernel gives no reason with a sent reset, and reports only the resets sent on a socket: below, the peer's no_listener and no_connection events are missing, and the abort's cause is null. What is said of them here holds on Linux 6.10 and later.)"
fi

step "a. goclient connects to $PEER:$PORT, where nothing listens yet"
capture_start br0 "tcp port $PORT" "tcpshim-$TAG-c"
"$PEERHOST" client "$TAG" "$GOCLIENT" "$PEER:$PORT" hello >"$WORK/a.out" 2>&1
indent <"$WORK/a.out"
step "on the wire: the SYN, answered by a RST from the peer's kernel"
capture_stop
a_wire=$(wire "the SYN was answered by $(counted "$(segments "$PEER\.$PORT > .*Flags \[R")" RST)")
step "what tcpshim watch printed"
watched $BOTH a
say "The peer's kernel answered the SYN itself: no socket, so no owner (pid, comm and fd are -), and the cause no_listener, in the peer's network namespace. At the client, the RST received in SYN_SENT: refused, on goclient's descriptor."

step "b. goserver starts; goclient says hello, then asks it to abort"
"$PEERHOST" peer "$TAG" "$GOSERVER" "$PEER:$PORT" >"$WORK/server.out" 2>&1 &
wait_for "$WORK/server.out" listening || exit 1
capture_start br0 "tcp port $PORT" "tcpshim-$TAG-c"
"$PEERHOST" client "$TAG" "$GOCLIENT" "$PEER:$PORT" hello abort >"$WORK/b.out" 2>&1
wait_for "$WORK/server.out" "abort:" || exit 1
indent <"$WORK/server.out"
indent <"$WORK/b.out"
step "on the wire: hello and its echo, then abort, answered by a RST and no FIN"
capture_stop
b_wire=$(wire "$(counted "$(segments 'Flags \[F')" FIN) and $(counted "$(segments "$PEER\.$PORT > .*Flags \[R")" RST) from the server")
step "what tcpshim watch printed"
watched 2 b
say "The close after SetLinger(0) sent the RST: reason TCP_STATE, and the kernel's stack shows it came from the socket's last close, so linger0, with goserver's pid and the descriptor it closed. At goclient's end, \"abort\" was still unacknowledged when the RST came, but it had been sent right after the server's last segment, not after a silence: a live peer's reset, peer_reset."

step "c. goclient connects and says hello; then the peer host crashes and restarts"
capture_start br0 "tcp port $PORT" "tcpshim-$TAG-c"
"$PEERHOST" client "$TAG" "$GOCLIENT" "$PEER:$PORT" hello \
	"wait:$WORK/restarted" hello >"$WORK/c.out" 2>&1 &
client=$!
wait_for "$WORK/c.out" idle || exit 1
indent <"$WORK/c.out"
shown=$(wc -l <"$WORK/c.out")
"$PEERHOST" crash "$TAG"
"$PEERHOST" restart "$TAG"
HOSTS="$HOSTS|$(netns_of p)"
"$PEERHOST" peer "$TAG" "$GOSERVER" "$PEER:$PORT" >"$WORK/server2.out" 2>&1 &
wait_for "$WORK/server2.out" listening || exit 1
say "The peer host went away without a word (its link went down before its goserver was killed: no FIN, no RST left) and came back with the same address and a new goserver on port $PORT, but a new TCP stack: goclient's connection means nothing to it. goclient, idle all along, now sends its next line."
indent <"$WORK/server2.out"
touch "$WORK/restarted"
wait "$client"
sed "1,${shown}d" "$WORK/c.out" | indent
step "on the wire: the handshake and hello; after the restart, the next hello, answered by the peer's RST"
capture_stop
c_wire=$(wire "the peer sent $(counted "$(segments "$PEER\.$PORT > .*Flags \[R")" RST)")
step "what tcpshim watch printed"
watched $BOTH c
say "The restarted host has a listener on port $PORT but no such connection. A listener expects a SYN; this segment carried an ACK and data, so the kernel answered it with a RST, reason TCP_FLAGS (with no listener at all it would have been NO_SOCKET): cause no_connection, and no process owns it. At goclient's end the RST answered data that was sent after more than a second of silence (watch's rule: 1000 ms or more since the peer's last ACK) and never acknowledged: halfopen_reset, the peer had lost the connection. goclient's write had succeeded, since it only queued the data; its read got the reset."

kill -INT "$WATCH"
wait "$WATCH"
WATCH=
step "tcpshim watch, stopped with Ctrl-C (SIGINT)"
tail -n 1 "$WORK/watch.err" | indent

conclude "a. Nothing listening: $a_wire; goclient saw $(go_error a); watch printed $(owners a). b. SetLinger(0) and Close: $b_wire; goclient saw $(go_error b); watch printed $(owners b). c. The peer crashed and restarted: $c_wire; goclient saw $(go_error c); watch printed $(owners c). None of it went through a preload: the Go programs are static, and watch read it all from the kernel."
