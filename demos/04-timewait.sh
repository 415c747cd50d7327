#!/bin/sh
# Demo 4: TIME-WAIT assassination (RFC 1337), and what RFC 5961 lets a
# RST do to an established connection.
. "$(dirname "$0")/lib.sh"
ROOT_NEEDS="ip:iproute2 ss:iproute2 python3:python3 tcpdump:tcpdump"
prepare private "$@"
INJECT="$BUILD/demos/rstinject"

title "Demo 4 of 4: TIME-WAIT assassination (RFC 1337)"
say "The side that closes first keeps the connection in TIME-WAIT for a minute, so that late segments of it cannot be taken for a new connection. A RST with exactly the right sequence number kills that state early: TIME-WAIT assassination. net.ipv4.tcp_rfc1337=1 makes Linux ignore RSTs in TIME-WAIT."
if ! is_root; then
	say "(skipped: forging a RST needs a raw socket, and the demo changes tcp_rfc1337 in a network namespace of its own: both need root)"
	exit 0
fi
say "(All of this runs in a network namespace of the demo's own: tcp_rfc1337 is changed there, never on the host.)"

# injector VICTIM_PORT PEER_PORT: rstinject watching loopback; feed it
# "fire OFFSET" lines on descriptor 3.
injector() {
	rm -f "$WORK/inject" "$WORK/inject.out"
	mkfifo "$WORK/inject"
	"$INJECT" lo 127.0.0.1 "$1" 127.0.0.1 "$2" <"$WORK/inject" \
		>"$WORK/inject.out" 2>&1 &
	INJECTOR=$!
	on_exit "kill $INJECTOR 2>/dev/null"
	exec 3>"$WORK/inject"
	wait_for "$WORK/inject.out" watching || exit 1
}

injector_stop() {
	exec 3>&-
	kill "$INJECTOR" 2>/dev/null
	wait "$INJECTOR" 2>/dev/null
}

fire() {
	before=$(grep -c "sent RST" "$WORK/inject.out")
	echo "fire $1" >&3
	until [ "$(grep -c "sent RST" "$WORK/inject.out")" -gt "$before" ]; do
		sleep 0.05
	done
	grep "sent RST" "$WORK/inject.out" | tail -n 1 | indent
}

tw() { ss -tan state time-wait "( sport = :$1 )" | tail -n +2; }
established() { ss -tan state established "( sport = :$1 )" | tail -n +2; }

# challenge_acks: how many challenge ACKs this namespace's TCP has sent
# (TcpExt TCPChallengeACK in /proc/net/netstat).
challenge_acks() {
	awk '$1 == "TcpExt:" && !names { for (i = 2; i <= NF; i++) col[$i] = i; names = 1; next }
	     $1 == "TcpExt:" { print $col["TCPChallengeACK"] }' /proc/net/netstat
}

# timewait RFC1337 PORT: a connection whose client closes first, then a
# forged RST at its TIME-WAIT.
timewait() {
	echo "$1" >/proc/sys/net/ipv4/tcp_rfc1337
	server=$(($2 + 1000))
	python3 -u -c '
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", '"$server"')); l.listen(); print("ready")
a, _ = l.accept()
while a.recv(100): pass
a.close()
' >"$WORK/server.out" 2>&1 &
	server_pid=$!
	wait_for "$WORK/server.out" ready || exit 1
	injector "$2" "$server"
	capture_start lo "tcp port $2"
	python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", '"$2"')); s.connect(("127.0.0.1", '"$server"'))
s.sendall(b"hello"); s.close()
'
	wait "$server_pid"
	n=0
	until [ -n "$(tw "$2")" ] || [ $n -gt 100 ]; do n=$((n + 1)); sleep 0.05; done
	say "The client (port $2) closed first: its side is now in TIME-WAIT (ss -tan state time-wait):"
	tw "$2" | indent
	say "A RST from the server's address, with the sequence number the client expects next (learned from its final ACK):"
	fire 0
	sleep 0.2
	say "TIME-WAIT afterwards:"
	if [ -n "$(tw "$2")" ]; then
		tw "$2" | indent
		TW_AFTER="survived the forged RST"
	else
		echo "    (none: the TIME-WAIT entry is gone)"
		TW_AFTER="was killed by the forged RST"
	fi
	injector_stop
	step "on the wire: the close, the final ACK, and the forged RST"
	capture_stop
}

step "1. net.ipv4.tcp_rfc1337=0 (the default)"
timewait 0 40000
tw0=$TW_AFTER
step "2. net.ipv4.tcp_rfc1337=1"
timewait 1 40001
tw1=$TW_AFTER

title "RFC 5961: which RST an established connection accepts"
say "An established connection accepts a RST only with exactly the next expected sequence number. One elsewhere in the window gets a challenge ACK (a real peer would answer it with a correct RST); one outside the window is dropped. The victim here is python3 under build/tcpshim, waiting in recv()."
python3 -u -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 41002)); l.listen(); print("ready")
a, _ = l.accept(); time.sleep(30)
' >"$WORK/server.out" 2>&1 &
server=$!
on_exit "kill $server 2>/dev/null"
wait_for "$WORK/server.out" ready || exit 1
injector 40002 41002
capture_start lo "tcp port 40002"
"$TCPSHIM" --log "$WORK/5961.log" -- python3 -u -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 40002)); s.connect(("127.0.0.1", 41002))
print("victim: connected, waiting in recv()")
try:
    print("victim: recv returned", s.recv(100))
except OSError as e:
    print("victim: recv failed:", type(e).__name__, e)
' >"$WORK/victim.out" 2>&1 &
victim=$!
wait_for "$WORK/victim.out" connected || exit 1
# shot OFFSET: fire, then say what it drew: challenge ACKs, and whether
# the connection is still established.
shot() {
	before=$(challenge_acks)
	fire "$1"
	sleep 0.2
	SHOT="$(counted $(($(challenge_acks) - before)) "challenge ACK"), and the connection"
	if [ -n "$(established 40002)" ]; then SHOT="$SHOT lived on"; else SHOT="$SHOT was gone"; fi
	say "($SHOT)"
}
step "a RST 1000 bytes into the window: the victim answers with a challenge ACK"
shot 1000
in_window=$SHOT
step "a RST 2000000000 bytes away, outside the window: nothing happens"
shot 2000000000
out_window=$SHOT
step "a RST with exactly the next sequence number: the connection is reset"
fire 0
wait "$victim"
indent <"$WORK/victim.out"
injector_stop
step "on the wire"
capture_stop
step "what tcpshim logged"
indent <"$WORK/5961.log"

victim_saw=$(sed -n 's/^victim: recv \(.*\)/\1/p' "$WORK/victim.out")
conclude "With tcp_rfc1337=0 the TIME-WAIT state $tw0; with tcp_rfc1337=1 it $tw1. On the established connection the in-window RST drew $in_window; the out-of-window one drew $out_window; after the exact one the victim's recv $victim_saw, and tcpshim logged $(logged "$WORK/5961.log")."
