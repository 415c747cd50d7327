#!/bin/sh
# Demo 5: a running server holds a connection to a peer that crashed.
# Nobody restarts anything: tcpshim keepalive finds the dead peer, and
# tcpshim abort --dead resets that connection, and only that one.
. "$(dirname "$0")/lib.sh"
ROOT_NEEDS="ip:iproute2 python3:python3 tcpdump:tcpdump"
prepare "$@"
PEERHOST="$DEMOS/peerhost.sh"
SERVER=198.18.0.1
PORT=7100
TAG=live$$

title "Demo 5: clearing a dead peer's connection from a running server"
say "A server that was not started under tcpshim has two clients. One of them crashes without a word; the server's connection to it stays open, half-open, for as long as the server waits. tcpshim reaches into the running server: keepalive to find the dead peer, then a RST for exactly that connection."
hosts_up "$TAG"

# The server: plain python3, one thread per connection, each in recv().
"$PEERHOST" client "$TAG" python3 -u -c '
import os, socket, threading
srv = socket.create_server(("0.0.0.0", '"$PORT"'))
print("server: listening, pid %d" % os.getpid(), flush=True)
def serve(s, peer):
    print("server: connection from %s:%d" % peer, flush=True)
    try:
        while True:
            data = s.recv(100)
            if not data:
                break
            print("server: %s:%d says %s" % (peer + (data.decode().strip(),)), flush=True)
    except OSError as e:
        print("server: recv from %s:%d failed: %s %s" % (peer + (type(e).__name__, e)), flush=True)
while True:
    s, peer = srv.accept()
    threading.Thread(target=serve, args=(s, peer), daemon=True).start()
' >"$WORK/server.out" 2>&1 &
wait_for "$WORK/server.out" listening || exit 1
SERVER_PID=$(sed -n 's/^server: listening, pid //p' "$WORK/server.out")
on_exit "kill $SERVER_PID 2>/dev/null"

# client HOST NAME: a client that connects, says hello, and says more
# once the file $WORK/NAME.go appears.
client() {
	"$PEERHOST" "$1" "$TAG" python3 -u -c '
import os, socket, time
s = socket.create_connection(("'"$SERVER"'", '"$PORT"'))
s.sendall(b"hello from '"$2"'\n")
print("connected", flush=True)
while not os.path.exists("'"$WORK/$2.go"'"):
    time.sleep(0.05)
s.sendall(b"still here\n")
time.sleep(0.5)
' >"$WORK/$2.out" 2>&1 &
}
client peer far
wait_for "$WORK/far.out" connected || exit 1
client client near
wait_for "$WORK/near.out" connected || exit 1
wait_for "$WORK/server.out" "says hello from near" || exit 1

step "1. the server, pid $SERVER_PID, and its connections"
"$PEERHOST" client "$TAG" "$TCPSHIM" ls "$SERVER_PID" | indent
"$PEERHOST" crash "$TAG"
say "The far client's host (198.18.0.2) has crashed: no FIN, no RST. To the server both connections still look alive, and without keepalive it would wait forever."

step "2. tcpshim keepalive $SERVER_PID 1,1,30: probes start on the running server"
"$PEERHOST" client "$TAG" "$TCPSHIM" keepalive "$SERVER_PID" 1,1,30 2>&1 | indent
n=0
until "$PEERHOST" client "$TAG" "$TCPSHIM" ls --json "$SERVER_PID" |
	grep -q '"peer":"198.18.0.2:[0-9]*".*"probes":[2-9]'; do
	n=$((n + 1))
	[ $n -le 150 ] || { say "no second probe in 30 s"; exit 1; }
	sleep 0.2
done
"$PEERHOST" client "$TAG" "$TCPSHIM" ls "$SERVER_PID" | indent
say "The connection to 198.18.0.2 has unanswered probes: its peer is dead. The local one answered its probe at once."

step "3. tcpshim abort $SERVER_PID --dead"
capture_start br0 "tcp port $PORT" "tcpshim-$TAG-c"
"$PEERHOST" client "$TAG" "$TCPSHIM" abort "$SERVER_PID" --dead | indent
wait_for "$WORK/server.out" "failed" || exit 1
touch "$WORK/near.go"
wait_for "$WORK/server.out" "says still here" || exit 1
step "on the wire: one RST from the server to the dead peer (nobody is there to get it)"
capture_stop
rsts=$(segments "$SERVER\.$PORT > 198\.18\.0\.2\.[0-9]*: Flags \[R")
step "what the server saw"
indent <"$WORK/server.out"
say "The server's recv was waiting when the reset came: Linux 6.6 and later wake such a call with EPIPE (ECONNRESET before); its next call would get ECONNRESET."
saw=$(sed -n 's/^server: recv from 198.18.0.2:[0-9]* failed: \(.*\)/\1/p' "$WORK/server.out")

conclude "With no restart, tcpshim found the dead peer by keepalive and reset its connection: $(wire "the server sent $(counted "$rsts" RST) to 198.18.0.2"); the server's recv failed: $saw; the live client's connection went on serving."
