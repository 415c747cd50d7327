#!/bin/sh
# Demo 6: a client's retry loop, tested with real resets injected.
. "$(dirname "$0")/lib.sh"
NEEDS="python3:python3"
ROOT_NEEDS="ip:iproute2 tcpdump:tcpdump"
prepare private "$@"
PORT=45060
RULE='reset:after_received=1000,prob=0.5,seed=1'

title "Demo 6: does the client survive a reset in the middle of a download?"
say "A server sends a 4000-byte file on each connection. The client downloads five files, and when a download is reset it tries again, up to 8 times. Nothing in the path drops or forges anything: under tcpshim --inject '$RULE' the client's own connections are reset for real, after the 1,000th byte reached it, on about half of them, chosen by the seed: the same seed gives the same resets, run after run."

python3 -u -c '
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen()
print("ready")
while True:
    a, _ = l.accept()
    try:
        a.recv(100)
        a.sendall(b"x" * 4000)
    except OSError:
        pass
    a.close()
' "$PORT" >"$WORK/server.out" 2>&1 &
server=$!
on_exit "kill $server 2>/dev/null"
wait_for "$WORK/server.out" ready || exit 1

cat >"$WORK/client.py" <<'PY'
import socket, sys
done = 0
for name in range(1, 6):
    for attempt in range(1, 9):
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s.sendall(b"GET file%d\n" % name)
        got = 0
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                got += len(data)
        except ConnectionResetError as e:
            print(f"file {name}, attempt {attempt}: {e} after {got} bytes; trying again")
            continue
        finally:
            s.close()
        print(f"file {name}, attempt {attempt}: got all {got} bytes")
        done += 1
        break
print(f"{done} of 5 files downloaded")
PY

# run LOG OUT: the client under the rule.
run() {
	"$TCPSHIM" --inject "$RULE" --log "$1" -- python3 "$WORK/client.py" "$PORT" >"$2"
}

step "the client, under tcpshim --inject '$RULE'"
capture_start lo "tcp port $PORT and (tcp[tcpflags] & tcp-rst) != 0"
run "$WORK/inject.log" "$WORK/client.out"
indent <"$WORK/client.out"
step "on the wire (RST segments only): each one from the client's end"
capture_stop
rsts=$(segments "> 127.0.0.1.$PORT: Flags \[R")
step "what tcpshim logged: one rst_sent cause=injected per reset, naming the rule"
indent <"$WORK/inject.log" 2>/dev/null

step "the same again: the same seed, the same attempts reset"
run "$WORK/again.log" "$WORK/again.out"
indent <"$WORK/again.out"
if cmp -s "$WORK/client.out" "$WORK/again.out"; then
	same="the second run went exactly the same way"
else
	same="the second run went differently (it should not have)"
fi

resets=$(grep -c 'Connection reset' "$WORK/client.out")
last=$(tail -n 1 "$WORK/client.out")
injected=$(grep -c 'cause=injected' "$WORK/inject.log" 2>/dev/null)
conclude "The client's downloads were reset $resets times, each after exactly 1000 bytes ($(wire "$(counted "$rsts" RST) left the client's end on the wire")), and its retry loop recovered: ${last}. tcpshim logged ${injected:-0} rst_sent cause=injected; $same."
