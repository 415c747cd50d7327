#!/bin/sh
# Demo 1: a connection request to a port where nothing listens.
. "$(dirname "$0")/lib.sh"
NEEDS="curl:curl"
ROOT_NEEDS="ip:iproute2 tcpdump:tcpdump"
prepare private "$@"
PORT=9

title "Demo 1 of 4: a connection request to a port where nothing listens"
say "Nothing listens on 127.0.0.1:$PORT. The host's TCP answers a SYN for that port with a RST, and the program's connect() fails."

step "the program: curl http://127.0.0.1:$PORT/, unmodified, run under build/tcpshim"
capture_start lo "tcp port $PORT"
rc=0
"$TCPSHIM" --log "$WORK/curl.log" -- curl -sS "http://127.0.0.1:$PORT/" \
	>"$WORK/curl.out" 2>&1 || rc=$?
indent <"$WORK/curl.out"
echo "    curl exited with status $rc"

step "on the wire (tcpdump -S): the SYN, and the RST that answers it"
capture_stop
rsts=$(segments "127\.0\.0\.1\.$PORT > .*Flags \[R")

step "what tcpshim logged"
indent <"$WORK/curl.log"

step "the same from C (demos/refused_demo.c): connect(), and a tcp_on_event() callback"
TCPSHIM_LOG="$WORK/c.log" "$BUILD/demos/refused_demo" "$PORT" >"$WORK/c.out"
indent <"$WORK/c.out"
indent <"$WORK/c.log"
c_saw=$(sed -n 's/^connect() = -1, errno \([A-Z]*\).*/\1/p' "$WORK/c.out")

meant=
[ "$rc" = 7 ] && meant=" (7: it could not connect)"
conclude "$(wire "The SYN to port $PORT was answered by $(counted "$rsts" RST).") curl exited with status $rc$meant, the C program's connect() saw ${c_saw:-no error}, and tcpshim logged $(logged "$WORK/curl.log") for curl and $(logged "$WORK/c.log") for the C program."
