#!/bin/sh
# test_watch.sh - tcpshim watch against programs that know who they are.
# In a network namespace of its own (watch --netns keeps the host's
# traffic out), python3 programs print their pid and the fd of each
# connection; watch must name the same owner, exactly:
#   refused   a connect to a port where nothing listens: one rst_sent
#             with no owner (no socket), no_listener, NO_SOCKET; one
#             rst_received owned by the connecting process, refused.
#   linger0   a forked client closes with SO_LINGER {1, 0}: rst_sent
#             linger0, TCP_STATE, owned by the client (its close);
#             rst_received peer_reset owned by the server (found by
#             the pass over every descriptor, or by its exit).
#   accepted  the server closes its accepted socket with SO_LINGER
#             {1, 0}: rst_sent linger0 owned by the server (its
#             close); rst_received peer_reset owned by the client.
#   before    the same as linger0, on a connection made before watch
#             started: found the same ways.
#   stray     a bare ACK to a listening port (a segment of a connection
#             nobody has, as a restarted peer gets): the listener's
#             rst_sent, no owner, no_connection, TCP_FLAGS, the
#             segment's addresses.
#   fastopen  a client connected by sendto(MSG_FASTOPEN), no connect(),
#             that holds the socket until watch has printed: its
#             rst_received owner found by the pass.
#   refused6  the refused case on ::1 (where loopback has IPv6).
# A third watch with --pid and --comm prints only the before case's
# client's reset.  A watch in a pid namespace of its own names the
# linger0 case's owners by that namespace's pids.  A plain user is
# refused in one line; CAP_BPF and CAP_PERFMON alone are enough.
# Exactly these events, from both a JSON and a text watch; each ends
# cleanly on SIGINT with none lost, and leaves no BPF program behind.
# The command built without the eBPF toolchain (build/tests/
# tcpshim_nojansson, where make check-build made it) says what to install.
# Needs root, python3, iproute2 and a command built with clang, bpftool
# and libbpf-dev.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh

skip() { echo "SKIP test_watch: $*"; exit 77; }
fail() { echo "FAIL test_watch: $*"; exit 1; }
[ -x "$TCPSHIM" ] || fail "$TCPSHIM not built (make)"
"$TCPSHIM" --help 2>&1 | grep -q 'tcpshim watch' ||
	fail "tcpshim --help does not list watch"
# Built without clang, bpftool and libbpf: one line says what to install.
NOBPF=$B/tests/tcpshim_nojansson
if [ -x "$NOBPF" ]; then
	out=$("$NOBPF" watch --json 2>&1); st=$?
	[ $st = 1 ] && [ "$out" = "tcpshim watch: this tcpshim was built without eBPF support; install the toolchain, then rebuild: apt-get install clang libbpf-dev bpftool && make" ] ||
		fail "watch built without eBPF: status $st, said: $out"
	"$NOBPF" --help 2>&1 | grep -q 'tcpshim watch' ||
		fail "tcpshim --help, built without eBPF, does not list watch"
fi
watch_require "BPF programs"

# Privilege: a plain user is told what is missing (status 1); CAP_BPF
# and CAP_PERFMON alone attach, the ready line names what the kernel's
# symbols could not tell without CAP_SYSLOG, and a root process's
# connection is named with its pid and fd all the same.
if command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	out=$(as_nobody "$TCPSHIM" watch --duration 1 2>&1); st=$?
	[ $st = 1 ] && [ "$out" = "tcpshim watch: needs root, or CAP_BPF and CAP_PERFMON (run it with sudo)" ] ||
		fail "watch as a plain user: status $st, said: $out"
	CAPS=$(mktemp -d)
	# Not through as_nobody: $! must be watch, which takes SIGINT.
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon \
		"$TCPSHIM" watch --json --port 7009 >"$CAPS/out" 2>"$CAPS/err" &
	WPID=$!
	watch_until "$CAPS/err" 'tcpshim watch: ready' 300 "$CAPS/err" ||
		fail "watch with CAP_BPF and CAP_PERFMON: no ready line: $(cat "$CAPS/err")"
	grep -q '^tcpshim watch: ready;.*CAP_SYSLOG' "$CAPS/err" ||
		fail "watch with CAP_BPF and CAP_PERFMON: said: $(cat "$CAPS/err")"
	who=$(python3 -c '
import os, socket
s = socket.socket()
try:
    s.connect(("127.0.0.1", 7009))
except OSError:
    pass
print("\"pid\":%d,\"fd\":%d," % (os.getpid(), s.fileno()))')
	watch_until "$CAPS/out" '"rst_received"' 300 "$CAPS/err" ||
		fail "watch with CAP_BPF and CAP_PERFMON: no rst_received: $(cat "$CAPS/err")"
	kill -INT $WPID; wait $WPID; WPID=
	grep '"rst_received"' "$CAPS/out" | grep -q "^{[^}]*$who" ||
		fail "watch with CAP_BPF and CAP_PERFMON: root's connect, $who, not named: $(cat "$CAPS/out")"
	rm -rf "$CAPS"
else
	echo "test_watch: setpriv missing (Debian package util-linux): its privilege cases are left out"
fi

watch_scratch watch
WPID= JPID= TPID= FPID= PRE=
cleanup() { watch_cleanup $WPID $JPID $TPID $FPID $PRE; }
trap cleanup EXIT
watch_netns "$NS"

cat > "$W/peer.py" <<'EOF'
# refused PORT [six] | linger PORT | accepted PORT | before PORT GOFILE:
# print pid and fd of each
# end, as role=... pid=... fd=...
import os, socket, struct, sys, time

def say(role, s):
    print("role=%s pid=%d fd=%d" % (role, os.getpid(), s.fileno()), flush=True)

mode, port = sys.argv[1], int(sys.argv[2])
if mode == "stray":
    # A bare ACK, from a connection nobody has, to a listening port: the
    # listener answers with a reset (as a peer that restarted would).
    ls = socket.socket()
    ls.bind(("127.0.0.1", port))
    ls.listen()
    src = int(sys.argv[3])
    def csum(b):
        b += b"\0" * (len(b) & 1)
        n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        n = (n >> 16) + (n & 0xffff)
        return ~(n + (n >> 16)) & 0xffff
    tcp = struct.pack("!HHIIBBHHH", src, port, 1000, 2000, 5 << 4, 0x10,
                      1024, 0, 0)
    lo = socket.inet_aton("127.0.0.1")
    tcp = tcp[:16] + struct.pack("!H", csum(lo + lo + struct.pack(
        "!BBH", 0, socket.IPPROTO_TCP, len(tcp)) + tcp)) + tcp[18:]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw.sendto(tcp, ("127.0.0.1", 0))
    # The answer, seen here: the raw socket gets every TCP segment.
    while True:
        seg = raw.recv(100)[20:]
        if struct.unpack("!HH", seg[:4]) == (port, src) and seg[13] & 0x04:
            break
    say("listener", ls)
    sys.exit(0)
if mode == "fastopen":
    # A client that connects with sendto(MSG_FASTOPEN), not connect():
    # watch's pass finds its owner.  The server closes with linger0.
    ls = socket.socket()
    ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 5)
    ls.bind(("127.0.0.1", port))
    ls.listen()
    c = socket.socket()
    c.sendto(b"hi", socket.MSG_FASTOPEN, ("127.0.0.1", port))
    a, _ = ls.accept()
    a.recv(2)
    say("client", c)
    say("server", a)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    a.close()
    try:
        c.recv(1)
    except ConnectionResetError:
        pass
    # Held until watch has printed it: the pass finds it open.
    for i in range(200):
        if os.path.exists(sys.argv[3]):
            break
        time.sleep(0.05)
    sys.exit(0)
if mode == "refused":
    six = len(sys.argv) > 3
    s = socket.socket(socket.AF_INET6 if six else socket.AF_INET)
    try:
        s.connect(("::1" if six else "127.0.0.1", port))
    except ConnectionRefusedError:
        pass
    say("client", s)
    sys.exit(0)
ls = socket.socket()
ls.bind(("127.0.0.1", port))
ls.listen()
r, w = os.pipe()
child = os.fork()
if child == 0:
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"hi")
    os.read(r, 1)
    say("client", c)
    if mode == "before":
        for i in range(1200):
            if os.path.exists(sys.argv[3]):
                break
            time.sleep(0.05)
    if mode == "accepted":
        try:
            c.recv(1)
        except ConnectionResetError:
            pass
        os._exit(0)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    os._exit(0)
a, _ = ls.accept()
a.recv(2)
say("server", a)
os.write(w, b"x")
if mode == "accepted":
    time.sleep(0.2)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    a.close()
os.waitpid(child, 0)
if mode == "accepted":
    sys.exit(0)
try:
    a.recv(1)
except ConnectionResetError:
    pass
EOF

run() { ip netns exec "$NS" python3 "$W/peer.py" "$@"; }

# A connection made before watch starts, held until $W/go exists.
run before 7003 "$W/go" > "$W/before.out" &
PRE=$!
n=0
while [ "$(grep -c role= "$W/before.out")" -lt 2 ]; do
	n=$((n + 1)); [ $n -lt 100 ] || fail "the program of the 'before' case did not start"
	sleep 0.1
done

watch_start "$W/json" "$W/json.err" --json --netns "$NETNS"
JPID=$WPID
watch_start "$W/text" "$W/text.err" --netns "$NETNS" --port 7001
TPID=$WPID
BEFORE_CLIENT=$(sed -n 's/^role=client pid=\([0-9]*\) .*/\1/p' "$W/before.out")
watch_start "$W/filtered" "$W/filtered.err" \
	--json --pid 1 --pid "$BEFORE_CLIENT" --comm python3
FPID=$WPID WPID=

# The programs this watch holds through its links (others' watches may
# run on the host): their ids, from its descriptors.
HELD=$(grep -h '^prog_id:' /proc/$JPID/fdinfo/* 2>/dev/null |
	awk '{ print $2 }' | sort -un | tr '\n' ' ')
[ -n "$HELD" ] || fail "watch (pid $JPID) holds no BPF program"
run refused 7001 > "$W/refused.out" || fail "refused case: $(cat "$W/refused.out")"
run linger 7002 > "$W/linger.out" || fail "linger0 case: $(cat "$W/linger.out")"
run accepted 7005 > "$W/accepted.out" || fail "accepted case: $(cat "$W/accepted.out")"
run stray 7008 7009 > "$W/stray.out" || fail "stray case: $(cat "$W/stray.out")"
run fastopen 7007 "$W/fastopen.hold" > "$W/fastopen.out" &
n=0
until [ "$(grep -c ':7007"' "$W/json")" = 2 ]; do
	n=$((n + 1)); [ $n -lt 100 ] || break
	sleep 0.1
done
touch "$W/fastopen.hold"
wait $! || fail "fastopen case: $(cat "$W/fastopen.out")"
if ip -n "$NS" addr show lo | grep -q inet6; then
	run refused 7004 six > "$W/refused6.out" || fail "IPv6 refused case"
else
	echo "test_watch: no IPv6 on loopback here: its refused case is left out"
fi
touch "$W/go"
wait $PRE; PRE=
# Every record is in the ring buffers before the programs end; watch
# drains its buffer as it stops.
kill -INT $JPID $TPID $FPID
wait $JPID; js=$?
wait $TPID; ts=$?
wait $FPID; fs=$?
JPID= TPID= FPID=
[ $js = 0 ] && [ $ts = 0 ] && [ $fs = 0 ] ||
	fail "watch exit status $js, $ts and $fs on SIGINT"
watch_none_lost "$W/json.err"
# The kernel frees programs once their last link is gone: give it time.
left=$HELD n=0
while [ -n "$left" ] && [ $n -lt 50 ]; do
	still=
	for id in $left; do
		bpftool prog show id "$id" >/dev/null 2>&1 && still="$still $id"
	done
	left=$still n=$((n + 1))
	[ -z "$left" ] || sleep 0.1
done
[ -z "$left" ] || fail "BPF programs$left of watch still loaded after it ended"

python3 - "$W" "$NETNS" <<'EOF' || exit 1
import json, sys
w, netns = sys.argv[1], int(sys.argv[2])

def who(name):
    out = {}
    for line in open("%s/%s.out" % (w, name)):
        kv = dict(f.split("=") for f in line.split())
        out[kv["role"]] = (int(kv["pid"]), int(kv["fd"]))
    return out

events = [json.loads(l) for l in open(w + "/json")]
bad = []

def expect(port, kind, pid, fd, cause, reason, **extra):
    hits = [e for e in events if e["event"] == kind and port in
            (e["local"].rsplit(":", 1)[1], e["peer"].rsplit(":", 1)[1])]
    if len(hits) != 1:
        bad.append("port %s: %d %s events, want 1" % (port, len(hits), kind))
        return
    e = hits[0]
    want = dict(pid=pid, fd=fd, cause=cause, source="kernel", netns=netns,
                conn=None, call=None, errno=None, **extra)
    if reason is not None:
        want["reason"] = reason
    for k, v in want.items():
        if v is not Ellipsis and e.get(k) != v:
            bad.append("port %s %s: %s is %r, want %r" % (port, kind, k, e.get(k), v))
    if reason is None and not e.get("reason"):
        bad.append("port %s %s: no reason" % (port, kind))
    if e.get("actor_pid") is not None or e.get("actor_comm") is not None:
        bad.append("port %s %s: an actor: %r" % (port, kind, e))
    if pid is not None and (e["cookie"] is None or e["comm"] != "python3"):
        bad.append("port %s %s: cookie %r comm %r" % (port, kind, e["cookie"], e["comm"]))

c = who("refused")["client"]
expect("7001", "rst_sent", None, None, "no_listener", "NO_SOCKET",
       local="127.0.0.1:7001", comm=None, cookie=None, bytes_sent=None)
expect("7001", "rst_received", c[0], c[1], "refused", Ellipsis,
       peer="127.0.0.1:7001")
for case, port in (("linger", "7002"), ("before", "7003")):
    o = who(case)
    expect(port, "rst_sent", o["client"][0], o["client"][1], "linger0",
           "TCP_STATE", peer="127.0.0.1:" + port)
    expect(port, "rst_received", o["server"][0], o["server"][1],
           "peer_reset", Ellipsis, local="127.0.0.1:" + port)
o = who("accepted")
expect("7005", "rst_sent", o["server"][0], o["server"][1], "linger0",
       "TCP_STATE", local="127.0.0.1:7005")
expect("7005", "rst_received", o["client"][0], o["client"][1], "peer_reset",
       Ellipsis, peer="127.0.0.1:7005")
expect("7008", "rst_sent", None, None, "no_connection", "TCP_FLAGS",
       local="127.0.0.1:7008", peer="127.0.0.1:7009", comm=None,
       cookie=None, bytes_sent=None)
o = who("fastopen")
expect("7007", "rst_sent", o["server"][0], o["server"][1], "linger0",
       "TCP_STATE", local="127.0.0.1:7007")
expect("7007", "rst_received", o["client"][0], o["client"][1], "peer_reset",
       Ellipsis, peer="127.0.0.1:7007")
want = 11
try:
    c6 = who("refused6")["client"]
    expect("7004", "rst_sent", None, None, "no_listener", "NO_SOCKET",
           local="[::1]:7004", comm=None, cookie=None)
    expect("7004", "rst_received", c6[0], c6[1], "refused", Ellipsis,
           peer="[::1]:7004", comm="python3")
    want = 13
except FileNotFoundError:
    pass
if len(events) != want:
    bad.append("%d events in the namespace, want %d" % (len(events), want))
filtered = [json.loads(l) for l in open(w + "/filtered")]
b = who("before")["client"]
if [(e["event"], e["pid"], e["fd"]) for e in filtered] != [("rst_sent",) + b]:
    bad.append("watch --pid 1 --pid %d --comm python3 printed %r" % (b[0], filtered))
text = open(w + "/text").read()
head = "tcpshim[%d] " % c[0]
if text.count("\n") != 2 or head not in text or " fd=%d " % c[1] not in text:
    bad.append("text watch --port 7001 printed:\n" + text)
for b in bad:
    print("FAIL test_watch:", b)
if bad:
    print("the JSON watch printed:\n" + open(w + "/json").read())
    sys.exit(1)
EOF

# In a pid namespace of its own (as in a container), watch names the
# owners by the pids of that namespace, as they know themselves.
PIDNS=
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	# A shell of its own, where the helpers' skip and fail only end it:
	# the fail below says what went wrong.
	unshare --pid --fork --mount-proc sh -c '
		skip() { exit 1; }
		fail() { exit 1; }
		. tests/lib/watch.sh
		watch_start "$2/pidns.json" "$2/pidns.err" --json --netns "$1"
		ip netns exec "$3" python3 "$2/peer.py" linger 7006 > "$2/pidns.out"
		watch_stop "$2/pidns.err"' sh "$NETNS" "$W" "$NS" ||
		fail "watch in a pid namespace: $(cat "$W/pidns.err")"
	python3 - "$W" <<'EOF' || exit 1
import json, sys
w = sys.argv[1]
who = {}
for line in open(w + "/pidns.out"):
    kv = dict(f.split("=") for f in line.split())
    who[kv["role"]] = (int(kv["pid"]), int(kv["fd"]))
got = sorted((e["event"], e["pid"], e["fd"], e["cause"])
             for e in map(json.loads, open(w + "/pidns.json")))
want = sorted([("rst_sent",) + who["client"] + ("linger0",),
               ("rst_received",) + who["server"] + ("peer_reset",)])
if got != want:
    print("FAIL test_watch: in a pid namespace, watch printed %r, want %r"
          % (got, want))
    sys.exit(1)
EOF
	PIDNS="; in a pid namespace, its own pids"
else
	echo "test_watch: cannot make a pid namespace here: that case is left out"
fi
six=
[ -f "$W/refused6.out" ] && six=" and IPv6"
echo "PASS test_watch: refused (IPv4$six), linger0 by a client and by an accepting server, a connection made before watch, a TCP Fast Open client found by the pass, a listener answering a stray ACK: owners and fds exact; text and JSON; --pid, --comm, --port, --netns; a plain user refused, CAP_BPF and CAP_PERFMON enough$PIDNS; no drops, nothing left attached"
