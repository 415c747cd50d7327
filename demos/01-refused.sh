#!/bin/sh
# Demo 1: a connection request to a port where nothing listens.
. "$(dirname "$0")/lib.sh"
private_net "$@"
PORT=9

title "Demo 1 of 4: a connection request to a port where nothing listens"
say "Nothing listens on 127.0.0.1:$PORT. The host's TCP answers a SYN for that port with a RST, and the program's connect() fails."
need curl:curl || exit 1

step "the program: curl http://127.0.0.1:$PORT/, unmodified, run under build/tcpshim"
capture_start lo "tcp port $PORT"
rc=0
"$TCPSHIM" --log "$WORK/curl.log" -- curl -sS "http://127.0.0.1:$PORT/" \
	>"$WORK/curl.out" 2>&1 || rc=$?
indent <"$WORK/curl.out"
echo "    curl exited with status $rc"

step "on the wire (tcpdump -S): the SYN, and the RST that answers it"
capture_stop

step "what tcpshim logged"
indent <"$WORK/curl.log"

step "the same from C (demos/refused_demo.c): connect(), and a tcp_on_event() callback"
TCPSHIM_LOG="$WORK/c.log" "$BUILD/demos/refused_demo" "$PORT" | indent
indent <"$WORK/c.log"

conclude "A SYN to a port with no listener was answered by RST: the program saw ECONNREFUSED (curl: exit 7), and tcpshim logged rst_received, cause refused."
