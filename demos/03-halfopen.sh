#!/bin/sh
# Demo 3: a half-open connection.  The peer host crashes without a word;
# keepalive finds it gone.  Then it crashes and restarts, and its fresh
# TCP stack answers our next probe with a RST.
. "$(dirname "$0")/lib.sh"
ROOT_NEEDS="ip:iproute2 python3:python3 tcpdump:tcpdump"
prepare "$@"
PEERHOST="$DEMOS/peerhost.sh"
PEER=198.18.0.2
PORT=7000
TAG=demo$$

title "Demo 3 of 4: a half-open connection: the peer crashed, then restarted"
say "A peer that crashes or loses power sends nothing: no FIN, no RST. Its connections live on, half-open, on the other side, until that side sends something. Keepalive sends probes; a restarted peer, knowing nothing of the connection, answers with a RST."
hosts_up "$TAG"
say "Two hosts in network namespaces: the client (198.18.0.1), and the peer ($PEER), which runs a service on port $PORT."

# start_peer: the service on the peer host.
start_peer() {
	"$PEERHOST" peer "$TAG" "$BUILD/demos/peer_service" "$PEER" "$PORT" \
		>"$WORK/peer.out" 2>&1 &
	wait_for "$WORK/peer.out" ready || exit 1
}

# start_client NAME: python3 on the client host, under build/tcpshim with
# keepalive 1,1,3: it connects and waits in recv().
start_client() {
	rm -f "$WORK/$1.out"
	"$PEERHOST" client "$TAG" "$TCPSHIM" --keepalive 1,1,3 \
		--log "$WORK/$1.log" -- python3 -u -c '
import socket, sys
s = socket.create_connection(("'"$PEER"'", '"$PORT"'))
print("client: connected, waiting in recv()")
try:
    print("client: recv returned", s.recv(100))
except OSError as e:
    print("client: recv failed:", type(e).__name__, e)
' >"$WORK/$1.out" 2>/dev/null &
	CLIENT=$!
	wait_for "$WORK/$1.out" connected || exit 1
}

step "1. the peer crashes, and stays down"
start_peer
capture_start br0 "tcp port $PORT" "tcpshim-$TAG-c"
start_client dead
"$PEERHOST" crash "$TAG"
say "The peer host is gone: its link went down first, then its kernel state. The client waits in recv(); after 1 s idle keepalive sends a probe every 1 s; after 3 unanswered probes the kernel gives up."
wait "$CLIENT"
indent <"$WORK/dead.out"
step "on the wire: the handshake, keepalive probes (an empty ACK, shown as [.]) with no answer, then the client kernel gives up with a RST"
capture_stop
# Keepalive probes: empty ACKs from the client after the handshake's.
probes=$(($(segments "198\.18\.0\.1\.[0-9]* > $PEER\.$PORT: Flags \[\.\], ack [0-9]*, win [0-9]*, length 0") - 1))
[ "$probes" -ge 0 ] || probes=0
dead_wire=$(wire "$(counted "$probes" "keepalive probe") left unanswered and the client sent $(counted "$(segments "198\.18\.0\.1\.[0-9]* > .*Flags \[R")" RST)")
step "what tcpshim logged"
indent <"$WORK/dead.log"

step "2. the peer crashes and comes back"
"$PEERHOST" restart "$TAG"
start_peer
capture_start br0 "tcp port $PORT" "tcpshim-$TAG-c"
start_client restarted
"$PEERHOST" crash "$TAG"
"$PEERHOST" restart "$TAG"
start_peer
say "The peer host is back, same address, same service, but a new TCP stack: the connection means nothing to it."
wait "$CLIENT"
indent <"$WORK/restarted.out"
step "on the wire: the next keepalive probe, answered by the peer's RST"
capture_stop
restarted_wire=$(wire "the peer sent $(counted "$(segments "$PEER\.$PORT > .*Flags \[R")" RST)")
step "what tcpshim logged"
indent <"$WORK/restarted.log"

# saw NAME: what the client's recv() came to.
saw() { sed -n 's/^client: recv \(.*\)/\1/p' "$WORK/$1.out"; }

conclude "The peer that crashed and stayed down: $dead_wire; the client's recv $(saw dead); tcpshim logged $(logged "$WORK/dead.log"). The peer that crashed and restarted: $restarted_wire; the client's recv $(saw restarted); tcpshim logged $(logged "$WORK/restarted.log")."
