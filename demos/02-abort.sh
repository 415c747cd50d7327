#!/bin/sh
# Demo 2: an abortive close, next to an orderly one.
. "$(dirname "$0")/lib.sh"
NEEDS="python3:python3"
ROOT_NEEDS="ip:iproute2 tcpdump:tcpdump"
prepare private "$@"
FLAGS='(tcp[tcpflags] & (tcp-fin|tcp-rst)) != 0'

title "Demo 2 of 4: an abortive close"
say "A sender fills a connection with data, then closes it. With close() the kernel delivers everything and ends with a FIN. With tcp_abort() a RST leaves at once, the queued data is thrown away, and the receiver can tell: it sees ECONNRESET, not end of file."

step "an orderly close: demos/abort_demo.c calls close(fd)"
capture_start lo "tcp port 45001 and $FLAGS"
TCPSHIM_LOG="$WORK/close.log" TCPSHIM_EVENTS=all \
	"$BUILD/demos/abort_demo" close 45001 >"$WORK/close.out"
indent <"$WORK/close.out"
step "on the wire (FIN and RST segments only): FIN from each side"
capture_stop
close_wire=$(wire "$(counted "$(segments 'Flags \[F')" FIN) and $(counted "$(segments 'Flags \[R')" RST) on the wire")
step "what tcpshim logged (with TCPSHIM_EVENTS=all, orderly closes too)"
indent <"$WORK/close.log"

step "an abortive close: demos/abort_demo.c calls tcp_abort(fd)"
capture_start lo "tcp port 45002 and $FLAGS"
TCPSHIM_LOG="$WORK/abort.log" "$BUILD/demos/abort_demo" abort 45002 >"$WORK/abort.out"
indent <"$WORK/abort.out"
step "on the wire: one RST, and no FIN"
capture_stop
abort_wire=$(wire "$(counted "$(segments 'Flags \[F')" FIN) and $(counted "$(segments 'Flags \[R')" RST) on the wire")
step "what tcpshim logged: the RST sent, and the RST received"
indent <"$WORK/abort.log"

step "an unmodified program: python3 closes normally, build/tcpshim --abort-on-close makes it a RST"
python3 -u -c '
import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 45003)); l.listen()
print("ready")
a, _ = l.accept()
print("server: received", a.recv(100))
try:
    print("server: recv returned", a.recv(100), "(end of file)")
except OSError as e:
    print("server: recv failed:", e)
' >"$WORK/server.out" 2>&1 &
server=$!
on_exit "kill $server 2>/dev/null"
wait_for "$WORK/server.out" ready || exit 1
capture_start lo "tcp port 45003 and $FLAGS"
"$TCPSHIM" --abort-on-close --log "$WORK/policy.log" -- python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 45003))
s.sendall(b"hello")
s.close()
'
wait "$server"
grep server "$WORK/server.out" | indent
step "on the wire: the close() left as a RST"
capture_stop
policy_wire=$(wire "$(counted "$(segments 'Flags \[F')" FIN) and $(counted "$(segments 'Flags \[R')" RST) on the wire")
step "what tcpshim logged"
indent <"$WORK/policy.log"

# receiver OUT: what the receiver of abort_demo said, after "receiver: ".
receiver() { sed -n 's/^receiver: //p' "$1"; }
server=$(sed -n 's/^server: recv \(.*\)/\1/p' "$WORK/server.out" | tail -n 1)

conclude "close(): $close_wire; the receiver $(receiver "$WORK/close.out"). tcp_abort(): $abort_wire; the receiver $(receiver "$WORK/abort.out"); tcpshim logged $(logged "$WORK/abort.log"). python3 under --abort-on-close: $policy_wire; its peer's recv ${server:-said nothing}; tcpshim logged $(logged "$WORK/policy.log")."
