#!/bin/sh
# make check-real, as root: real programs (and the close race) with the
# kernel's tracepoints as the judge of every log.  Each case runs its
# program preloaded with a JSON log, while a private tracefs instance
# records tcp:tcp_send_reset and tcp:tcp_receive_reset; tests/real/truth.py
# then prints, per case: the kernel's resets on the program's own
# sockets, the events logged, and those missing, false, duplicated or
# with a cause the kernel's reason contradicts.  Every case runs
# TRUTH_RUNS times (default 5): a race shows only in some runs.
# TRUTH_ONLY="race node forking handoff fdholder exit sigpipe after_close inetd killed java
# haproxy inject"
# picks cases.  TRUTH_KEEP=DIR keeps each failed case's log, trace and
# server output in a directory under DIR.
#
# Exits 0 when every run of every case agrees with the kernel, 77 when it
# cannot judge (not root, no tracefs), 1 otherwise.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tracefs.sh
B=${TCPSHIM_BUILD:-build}
LIB=$(pwd)/$B/libtcpshim.so
RUNS=${TRUTH_RUNS:-5}
READY_WAIT=10
# make check-real SANITIZE=...: the sanitized library, with its runtime
# first in LD_PRELOAD, judged like the plain one; its reports are
# tests/real/san_reports.sh's.  Two runs: the sanitizers make each slower.
if [ -n "${TCPSHIM_TEST_SANITIZER:-}" ]; then
	LIB="${TCPSHIM_TEST_PRELOAD:?the sanitizer runtime} $LIB"
	RUNS=${TRUTH_RUNS:-2}
	# java compiles Resets.java as it starts: minutes under ThreadSanitizer.
	READY_WAIT=120
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-truth.XXXXXX")
PIDS=
fail=0

cleanup() {
	for pid in $PIDS; do kill "$pid" 2>/dev/null; done
	tracefs_remove
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "SKIP kernel truth: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root for the kernel's tracepoints"
command -v python3 >/dev/null || skip "python3 missing (Debian package python3)"
tracefs_instance tcpshim-truth-$$ "$W/tracefs" || skip "$TRACE_WHY"

# trace_on / trace_off FILE: record, then keep what was recorded.
trace_on() {
	# The sending process of each reset, for the judge.
	echo 1 >"$TRACE/options/record-tgid" 2>/dev/null
	tracefs_on
}
trace_off() {
	tracefs_off "$1"
	# A trace that overran lost records: it cannot judge the log.
	lost=$(tracefs_overrun)
	[ "$lost" = 0 ] ||
		failed "  the trace overran and lost $lost records: not judged"
}

# free_port: a loopback port nothing listens on.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# failed LINE...: the run fails; the lines are printed now and again at
# the end, since a long run's output may be read from its tail.
failed() {
	fail=1
	printf '%s\n' "$@"
	{ echo "run $run:"; printf '%s\n' "$@"; } >>"$W/failed"
}

# judge NAME ROLE:PORT [LIMITS]: the last run's trace against its log;
# LIMITS (missing, shared) are what docs/limits.md names as limits here.
judge() {
	if ! TRUTH_LIMIT=${3:-} \
		python3 tests/real/truth.py "$1" "$W/trace" "$2" "$W/log" >"$W/verdict"; then
		failed "$(cat "$W/verdict")"
		# TRUTH_KEEP=DIR: keep a failed case's log, trace and output.
		if [ -n "${TRUTH_KEEP:-}" ]; then
			k=$(mktemp -d "$TRUTH_KEEP/fail.XXXXXX")
			cp "$W/log" "$W/trace" "$W/verdict" "$k/" 2>/dev/null
			cp "$W/srv.out" "$k/" 2>/dev/null
			echo "$1" >"$k/case"
			echo "  kept in $k"
		fi
		return
	fi
	cat "$W/verdict"
}

# limited CMD...: CMD, killed if it runs past TRUTH_TIMEOUT seconds
# (default 120): a case that hangs fails, and says so, instead of
# holding the whole run.
LIMIT=${TRUTH_TIMEOUT:-120}
limited() { timeout -k 5 "$LIMIT" "$@"; }

# finish PID WHAT: wait for a program started in the background; one
# killed by its limit fails the run, by name.
finish() {
	wait "$1"
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		failed "  TIMEOUT: $2 still ran after $LIMIT s, killed"
	fi
	return $rc
}

# preloaded ENV... -- CMD...: CMD under the library with a JSON log.
preloaded() {
	limited env LD_PRELOAD="$LIB" TCPSHIM_LOG="$W/log" TCPSHIM_FORMAT=json "$@"
}

# race HOW N: the close that races the peer's FIN, N connections.
race() {
	port=$(free_port)
	: >"$W/peer.out"
	limited "$B/tests/prog_race" peer "$port" "$2" >"$W/peer.out" 2>&1 &
	peer=$!
	PIDS="$PIDS $peer"
	n=0
	until grep -q ready "$W/peer.out" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 200 ] || break; sleep 0.05
	done
	: >"$W/log"
	trace_on
	preloaded "$B/tests/prog_race" client "$port" "$2" "$1" >/dev/null
	finish "$peer" "prog_race peer"
	trace_off "$W/trace"
	judge "close racing the peer's FIN ($1, $2 connections)" "client:$port"
}

# peers MODE PORT N [ARG...]: a plain python3 peer, never preloaded
# (tests/real/truth_peers.py), in the foreground.
peers() {
	limited python3 tests/real/truth_peers.py "$@"
	[ $? != 124 ] || failed "  TIMEOUT: truth_peers.py $1 after $LIMIT s"
}

# plain_peer MODE PORT N [ARG...]: that peer in the background, called
# in srv; until it is ready.
plain_peer() {
	: >"$W/srv.out"
	limited python3 tests/real/truth_peers.py "$@" >"$W/srv.out" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_ready "$W/srv.out"
}

# wait_ready FILE: until a server printed "ready" (READY_WAIT seconds at
# most).  The caller empties FILE before it starts the server: the
# redirection of a program started with & runs later, and would leave the
# last case's "ready" to be read as this one's.
wait_ready() {
	n=0
	until grep -q ready "$1" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt $((READY_WAIT * 20)) ] || return 1
		sleep 0.05
	done
}

# not_started WHAT FILE: a server that never said it was ready fails the
# case: what it printed is shown.
not_started() {
	failed "  FAIL: $1 did not start within $READY_WAIT s: $(cat "$2")"
}

# served WHAT CMD...: CMD preloaded, a server that prints "ready", in the
# background, called in srv; the case's log emptied and the trace on.
served() {
	what=$1
	shift
	: >"$W/log"
	: >"$W/srv.out"
	trace_on
	preloaded "$@" >"$W/srv.out" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_ready "$W/srv.out" || not_started "$what" "$W/srv.out"
}

# case_node N: Node.js (libuv closes with syscall(SYS_close)): a server
# that answers each request with resetAndDestroy(); a client whose
# server resets it; a client refused.
case_node() {
	port=$(free_port)
	: >"$W/log"
	: >"$W/node.out"
	trace_on
	preloaded node -e '
const net = require("net");
const n = +process.argv[1];
let seen = 0;
const srv = net.createServer((s) => {
  s.on("error", () => {});
  s.on("data", () => { s.resetAndDestroy(); if (++seen === n) srv.close(); });
});
srv.listen(+process.argv[2], "127.0.0.1", () => console.log("ready"));
' "$1" "$port" >"$W/node.out" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_ready "$W/node.out" || not_started "node server" "$W/node.out"
	peers client "$port" "$1" 1
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "node: server, resetAndDestroy() ($1 connections)" "server:$port"

	port=$(free_port)
	plain_peer reset "$port" "$1"
	: >"$W/log"
	trace_on
	preloaded node -e '
const net = require("net");
let left = +process.argv[1];
function one() {
  const s = net.connect(+process.argv[2], "127.0.0.1", () => s.write("x"));
  s.on("error", () => {});
  s.on("close", () => { if (--left > 0) one(); });
}
one();
' "$1" "$port"
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "node: client, reset by its server ($1 connections)" "client:$port"

	port=$(free_port)
	: >"$W/log"
	trace_on
	preloaded node -e '
const net = require("net");
let left = +process.argv[1];
function one() {
  const s = net.connect(+process.argv[2], "127.0.0.1");
  s.on("error", () => {});
  s.on("close", () => { if (--left > 0) one(); });
}
one();
' "$1" "$port"
	trace_off "$W/trace"
	judge "node: client, refused ($1 connections)" "client:$port"
}

# case_forking POLICY N: python3's ForkingTCPServer: the parent closes
# its copy of each connection, the child reads one byte of the request
# and closes with the rest unread.  POLICY normal or abort.
case_forking() {
	port=$(free_port)
	served "forking server" TCPSHIM_CLOSE="$1" \
		python3 tests/real/truth_peers.py forking "$port" "$2"
	peers client "$port" "$2" 2048
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "python3 forking server, TCPSHIM_CLOSE=$1 ($2 connections)" \
		"server:$port" shared
}

# case_handoff HOW N: an acceptor hands each connection to a worker with
# SCM_RIGHTS and closes its copy; the worker reads one byte of two and
# closes, so each connection ends with a reset for unread data, sent by
# whichever close was the last.  HOW: the worker is exec'd, or forked
# before any connection.  Two holders closing at the same instant may
# each find the socket gone, and both log (a limit docs/limits.md counts).
case_handoff() {
	port=$(free_port)
	served acceptor python3 tests/real/truth_peers.py handoff "$port" "$2" "$1"
	peers client "$port" "$2" 2
	finish "$srv" "the case's acceptor"
	trace_off "$W/trace"
	judge "python3 acceptor, worker $1 ($2 connections, SCM_RIGHTS)" \
		"server:$port" shared
}

# case_fdholder N: s6-fdholderd, a daemon that holds descriptors for other
# programs and receives them with SCM_RIGHTS.  A plain python3 stores
# each connection it accepted there (s6-fdholder-store), with 2 bytes
# unread, closes its copy, and has the daemon drop it
# (s6-fdholder-delete): the daemon's close is the last, and resets.
case_fdholder() {
	port=$(free_port)
	d=$W/fdholder
	rm -rf "$d"
	mkdir -p "$d/rules/uid/0/env"
	: >"$d/rules/uid/0/allow"
	echo '^tcp:' >"$d/rules/uid/0/env/S6_FDHOLDER_STORE_REGEX"
	: >"$W/log"
	: >"$W/srv.out"
	trace_on
	# -1: a line on its standard output once it listens.
	preloaded s6-fdholder-daemon -1 -i "$d/rules" "$d/sock" \
		>"$W/srv.out" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	n=0
	until [ -s "$W/srv.out" ]; do
		n=$((n + 1)); [ $n -lt $((READY_WAIT * 20)) ] || break
		sleep 0.05
	done
	[ -s "$W/srv.out" ] || not_started "s6-fdholderd" "$W/srv.out"
	peers fdholder "$port" "$1" "$d/sock" "$LIB" "$W/log"
	kill "$srv" 2>/dev/null
	{ wait "$srv"; } 2>/dev/null
	trace_off "$W/trace"
	judge "s6-fdholderd drops what it was given ($1 connections)" \
		"server:$port"
}

# case_exit HOW N: N python3 processes, each connects, waits for the
# server's data and ends without reading it or closing: HOW is _exit
# (os._exit) or exit (sys.exit, the interpreter's own way out).
case_exit() {
	port=$(free_port)
	plain_peer send "$port" "$2"
	: >"$W/log"
	trace_on
	for _ in $(seq 1 "$2"); do
		preloaded python3 -c '
import os, select, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
select.select([s], [], [])
if sys.argv[2] == "_exit":
    os._exit(0)
sys.exit(0)
' "$port" "$1"
	done
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "python3 ends with data unread: $1 ($2 processes)" "client:$port"
}

# case_sigpipe N: N python3 processes with SIGPIPE at its default, each
# killed by it: its server sends a FIN, then a RST, and the next send
# fails with EPIPE.
case_sigpipe() {
	port=$(free_port)
	plain_peer fin-reset "$port" "$1"
	: >"$W/log"
	trace_on
	killed=0
	for _ in $(seq 1 "$1"); do
		preloaded python3 -c '
import select, signal, socket, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.send(b"x")
s.recv(1)                        # the FIN
s.send(b"y")                     # answered by the RST
select.poll().register(s, 0)
p = select.poll(); p.register(s, select.POLLERR); p.poll(10000)
s.send(b"z")                     # EPIPE, and SIGPIPE
' "$port"
		[ $? = 141 ] && killed=$((killed + 1))
	done
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	echo "  ($killed of $1 ended by SIGPIPE, status 141)"
	[ "$killed" = "$1" ] || failed "  FAIL: $killed of $1 ended by SIGPIPE"
	judge "python3 killed by SIGPIPE ($1 processes)" "client:$port"
}

# case_java N: the JDK's sockets (tests/real/Resets.java): a server
# closing with SO_LINGER 0, a client closing with data unread, and a
# close while a reader thread is blocked in read.
case_java() {
	port=$(free_port)
	: >"$W/log"
	: >"$W/java.out"
	trace_on
	preloaded java tests/real/Resets.java server "$port" "$1" \
		>"$W/java.out" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_ready "$W/java.out" || not_started "java server" "$W/java.out"
	peers client "$port" "$1" 1
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "java: server, SO_LINGER 0 ($1 connections)" "server:$port"
	for how in client blocked; do
		port=$(free_port)
		if [ $how = client ]; then
			plain_peer send "$port" "$1"
		else
			plain_peer echo "$port" "$1"
		fi
		: >"$W/log"
		trace_on
		preloaded java tests/real/Resets.java "$how" "$port" "$1"
		finish "$srv" "the case's server"
		trace_off "$W/trace"
		judge "java: $how ($1 connections)" "client:$port"
	done
}

# case_haproxy N: haproxy with "option nolinger" (every close a RST) in
# front of an echo server, N client connections through it.
case_haproxy() {
	front=$(free_port)
	back=$(free_port)
	cat >"$W/haproxy.cfg" <<CFG
global
	maxconn 256
defaults
	mode tcp
	option nolinger
	timeout connect 5s
	timeout client 10s
	timeout server 10s
listen echo
	bind 127.0.0.1:$front
	server back 127.0.0.1:$back
CFG
	plain_peer echo "$back" "$1"
	: >"$W/log"
	: >"$W/haproxy.out"
	trace_on
	preloaded haproxy -db -f "$W/haproxy.cfg" >"$W/haproxy.out" 2>&1 &
	hap=$!
	PIDS="$PIDS $hap"
	n=0
	until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$front" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 200 ] || break; sleep 0.05
	done
	peers client "$front" "$1" 100 shut
	finish "$srv" "the case's server"
	kill "$hap" 2>/dev/null
	wait "$hap" 2>/dev/null
	trace_off "$W/trace"
	judge "haproxy, option nolinger ($1 connections)" "server:$front,client:$back"
}

have_node= have_java= have_haproxy= have_s6=
command -v node >/dev/null && have_node=1
command -v s6-fdholder-daemon >/dev/null && have_s6=1
command -v java >/dev/null && command -v javac >/dev/null && have_java=1
PATH="$PATH:/usr/sbin" command -v haproxy >/dev/null && have_haproxy=1
PATH="$PATH:/usr/sbin"
# Under ThreadSanitizer the JVM halts on its own first report: its locks
# and atomics are its own code, which TSan cannot see, so the memset of
# Metaspace::allocate races with Mutex::lock, in libjvm.so alone.
# And it halts haproxy on a race it sees on a descriptor one thread
# accepts and another reads: haproxy hands connections between its
# threads through queues of its own, which TSan cannot see either (the
# report's frames are haproxy's and TSan's).
java_why= haproxy_why=
case ${TCPSHIM_TEST_SANITIZER:-} in
*thread*)
	[ -z "$have_java" ] ||
		java_why="with SANITIZE=thread: ThreadSanitizer halts the JVM on a race in libjvm.so itself (Metaspace::allocate against Mutex::lock), tcpshim or not"
	[ -z "$have_haproxy" ] ||
		haproxy_why="with SANITIZE=thread: ThreadSanitizer halts haproxy on a race on a descriptor accepted by one of its threads and read by another (sock_accept_conn, then recv), a hand-off through haproxy's own queues"
	have_java= have_haproxy=
	;;
esac
# case_after_close N: a python3 server that reads what has come and
# closes while its client (plain) still streams: what arrives after the
# close makes the kernel reset the orphaned socket (TCP_ABORT_ON_DATA),
# which no process can see; what was unread at the close, the shim logs.
case_after_close() {
	port=$(free_port)
	: >"$W/log"
	: >"$W/srv.out"
	trace_on
	preloaded python3 tests/real/truth_peers.py read-once "$port" "$1" \
		>"$W/srv.out" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_ready "$W/srv.out"
	peers stream "$port" "$1"
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "python3 server closing while its client streams ($1 connections)" "server:$port" missing
}

# case_inetd N: an inetd (plain python3) that execs a preloaded service
# on each connection as descriptors 0 and 1; the service reads one byte
# of the request and closes both with the rest unread.
case_inetd() {
	port=$(free_port)
	: >"$W/log"
	trace_on
	plain_peer inetd "$port" "$1" "$LIB" "$W/log"
	peers client "$port" "$1" 2048
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "inetd-style: a preloaded service on descriptors 0 and 1 ($1 connections)" "server:$port"
}

# case_killed N: connections torn down from outside the program: another
# process holding the socket, not preloaded, disconnects it
# (tests/programs/prog_scenario.c, scenario killed); the program's recv then
# fails with ECONNRESET, and the RST left from here.
case_killed() {
	port=$(free_port)
	plain_peer hi-ok "$port" "$1"
	: >"$W/log"
	trace_on
	for _ in $(seq 1 "$1"); do
		preloaded "$B/tests/prog_scenario" killed 4 "$port" >/dev/null
	done
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "killed: disconnected by another holder ($1 connections)" "client:$port"
}

# case_inject N: TCPSHIM_INJECT's resets, both sides.  A python3 client
# whose connections are reset after 1000 bytes received, about half of
# them (prob, seed); and a python3 echo server whose accepted
# connections (port=) are reset after 2048 bytes, 20 of them (count).
case_inject() {
	port=$(free_port)
	plain_peer send "$port" "$1"
	: >"$W/log"
	trace_on
	TCPSHIM_INJECT='reset:after_received=1000,prob=0.5,seed=1' preloaded python3 -c '
import socket, sys
for _ in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    got = 0
    try:
        while got < 4096:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
    except ConnectionResetError:
        pass
    s.close()
' "$port" "$1"
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	judge "inject: python3 client, after_received=1000, prob=0.5 ($1 connections)" "client:$port"

	port=$(free_port)
	: >"$W/log"
	: >"$W/srv.out"
	trace_on
	TCPSHIM_INJECT="reset:port=$port,after_received=2048,count=20" \
		preloaded python3 tests/real/truth_peers.py echo "$port" "$1" \
		>"$W/srv.out" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_ready "$W/srv.out" || not_started "echo server" "$W/srv.out"
	peers client "$port" "$1" 8192 shut
	finish "$srv" "the case's server"
	trace_off "$W/trace"
	n=$(grep -c '"cause":"injected"' "$W/log")
	echo "  ($n injected, count=20)"
	[ "$n" = 20 ] || failed "  FAIL: $n injected, not 20"
	judge "inject: python3 echo server, port=, count=20 ($1 connections)" "server:$port"
}

# wanted CASE: TRUTH_ONLY (a list of case names) unset, or naming it.
wanted() {
	case " ${TRUTH_ONLY:-$1} " in *" $1 "*) return 0 ;; esac
	return 1
}

for run in $(seq 1 "$RUNS"); do
	echo "-- run $run of $RUNS"
	if wanted race; then race unread 1000; race linger0 1000; fi
	if wanted node && [ -n "$have_node" ]; then case_node 50; fi
	if wanted forking; then case_forking normal 50; case_forking abort 50; fi
	# 1,000 handoffs in the first run; 200 in each later one.
	if wanted handoff; then
		handoffs=1000; [ "$run" = 1 ] || handoffs=200
		case_handoff exec $handoffs; case_handoff fork $handoffs
	fi
	if wanted fdholder && [ -n "$have_s6" ]; then case_fdholder 50; fi
	if wanted exit; then case_exit _exit 20; case_exit exit 20; fi
	if wanted sigpipe; then case_sigpipe 20; fi
	if wanted after_close; then case_after_close 100; fi
	if wanted inetd; then case_inetd 20; fi
	if wanted killed; then case_killed 20; fi
	if wanted java && [ -n "$have_java" ]; then case_java 30; fi
	if wanted haproxy && [ -n "$have_haproxy" ]; then case_haproxy 50; fi
	if wanted inject; then case_inject 50; fi
done
[ -n "$have_node" ] || echo "SKIP node cases: node missing (Debian package nodejs)"
[ -n "$have_s6" ] ||
	echo "SKIP fdholder case: s6-fdholder-daemon missing (Debian package s6)"
[ -n "$have_haproxy" ] ||
	echo "SKIP haproxy case: ${haproxy_why:-haproxy missing (Debian package haproxy)}"
[ -n "$have_java" ] ||
	echo "SKIP java cases: ${java_why:-java missing (Debian package openjdk-17-jdk-headless)}"
if [ -s "$W/failed" ]; then
	echo "-- the runs that disagreed with the kernel"
	cat "$W/failed"
fi
exit $fail
