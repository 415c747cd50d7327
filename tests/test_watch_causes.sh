#!/bin/sh
# test_watch_causes.sh - the classic resets, seen from both ends by
# tcpshim watch: each event's cause and reason exact, and its owner (pid,
# fd) the one the program (build/tests/prog_linked_causes) printed.
# On loopback, in a network namespace of its own, a server and its forked
# client (a refused connect alone):
#   refused        a connect where nothing listens: rst_sent no_listener
#                  (NO_SOCKET, no owner), rst_received refused (the client)
#   linger0        the client closes with SO_LINGER {1, 0}: rst_sent
#                  linger0 (TCP_STATE), rst_received peer_reset (the server)
#   tcp_abort      tcp_abort() of libtcpshim: rst_sent abort, peer_reset
#   unspec         connect(AF_UNSPEC) by the program itself: rst_sent abort
#   unread         a close with received data unread: rst_sent unread_data
#                  (TCP_ABORT_ON_CLOSE), peer_reset
#   ss_kill        ss -K: rst_sent killed, owner the client, actor ss
#                  (skipped, saying why, where the kernel cannot destroy
#                  sockets: CONFIG_INET_DIAG_DESTROY)
#   tcpshim_abort  tcpshim abort PID FD: rst_sent killed, actor tcpshim
# Between two hosts (demos/peerhost.sh), in parallel with the above:
#   keepalive      keepalive 1 s, 1 s, 1 probe; the peer's link goes down:
#                  halfopen keepalive_timeout (TCP_KEEPALIVE_TIMEOUT)
#   crash          the peer host crashes: its server dies with it, each of
#                  its two connections an rst_sent linger0 (SO_LINGER
#                  {1, 0}, sent into a link that is down) owned by the
#                  server, fd null (its exit closed them)
#   restart_data   the peer comes back with an empty stack; 1.2 s after
#                  the peer's last ACK the client sends: the peer's
#                  rst_sent no_connection (NO_SOCKET, no owner), the
#                  client's rst_received halfopen_reset
#   restart_probe  the same answering a keepalive probe: halfopen_reset
# Exactly these events in those namespaces, none other (in the two peer
# namespaces, born and dying while watch runs, whose inodes the kernel
# may give to others: on the restart cases' connections).  Watch sees
# the whole host: records lost to another program's storm of resets are
# said, and fail the test only where a case misses an event.  A verdict
# per case, then the events watch printed there if any failed.
# Needs root, python3, iproute2 and a command built with clang, bpftool
# and libbpf-dev.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh
PROG=$(pwd)/$B/tests/prog_linked_causes
PEERHOST=$(pwd)/demos/peerhost.sh

skip() { echo "SKIP test_watch_causes: $*"; exit 77; }
fail() { echo "FAIL test_watch_causes: $*"; exit 1; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it runs the plain build's command and programs; the plain make check runs it"
watch_require "BPF programs, network namespaces" "$PROG"
command -v ss >/dev/null || skip "ss missing (Debian package iproute2)"
command -v timeout >/dev/null || skip "timeout missing (Debian package coreutils)"
# The programs' own log would only add noise to the output.
export TCPSHIM_LOG=off

watch_scratch wcause
K=wk$$ R=wr$$
WPID='' PIDS=''
cleanup() {
	for p in $WPID $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	sh "$PEERHOST" down "$K" 2>/dev/null
	sh "$PEERHOST" down "$R" 2>/dev/null
	watch_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM
watch_netns "$NS"
for tag in "$K" "$R"; do
	sh "$PEERHOST" up "$tag" >"$W/hosts" 2>&1 ||
		fail "demos/peerhost.sh up $tag: $(cat "$W/hosts")"
done

# wait_line FILE TEXT [COUNT]: until FILE holds COUNT (1) lines with TEXT.
wait_line() {
	n=0
	while c=$(grep -c -- "$2" "$1" 2>/dev/null); [ "${c:-0}" -lt "${3:-1}" ]; do
		n=$((n + 1))
		[ $n -le 400 ] || fail "no '$2' in $1 after 20 s: $(cat "$1" 2>&1)"
		sleep 0.05
	done
}

# finished PID NAME: PID (a program of case NAME) exited 0.
finished() {
	wait "$1" || fail "$2: the program failed: $(cat "$W/$2"* 2>&1)"
}

watch_start "$W/json" "$W/json.err" --json

# keepalive: the peer's link goes down once the connection is up; the
# program waits in recv until keepalive gives up (2 s).
sh "$PEERHOST" peer "$K" "$PROG" serve 198.18.0.2 7000 1 >"$W/keepalive.srv" 2>&1 &
PIDS="$PIDS $!"
wait_line "$W/keepalive.srv" listening
sh "$PEERHOST" client "$K" timeout 30 "$PROG" client keepalive 198.18.0.2 7000 \
	>"$W/keepalive.cli" 2>&1 &
KPID=$!
PIDS="$PIDS $KPID"
wait_line "$W/keepalive.cli" role=client
wait_line "$W/keepalive.srv" role=server
ip -n "tcpshim-$K-p" link set eth0 down || fail "keepalive: the peer's link"

# restart: two connections to a peer that crashes and restarts: one
# sends after a silence, one is probed by keepalive.
sh "$PEERHOST" peer "$R" "$PROG" serve 198.18.0.2 7000 2 >"$W/restart.srv" 2>&1 &
PIDS="$PIDS $!"
wait_line "$W/restart.srv" listening
sh "$PEERHOST" client "$R" timeout 30 "$PROG" client data 198.18.0.2 7000 \
	"$W/restart.go" >"$W/restart_data.cli" 2>&1 &
DPID=$!
PIDS="$PIDS $DPID"
wait_line "$W/restart_data.cli" role=client
sh "$PEERHOST" client "$R" timeout 30 "$PROG" client probe 198.18.0.2 7000 \
	>"$W/restart_probe.cli" 2>&1 &
QPID=$!
PIDS="$PIDS $QPID"
wait_line "$W/restart_probe.cli" role=client
wait_line "$W/restart.srv" role=server 2
OLD_PEER=$(netns_inode "tcpshim-$R-p")
sh "$PEERHOST" crash "$R" >"$W/hosts" 2>&1 || fail "crash: $(cat "$W/hosts")"
sh "$PEERHOST" restart "$R" >"$W/hosts" 2>&1 || fail "restart: $(cat "$W/hosts")"
NEW_PEER=$(netns_inode "tcpshim-$R-p")
: >"$W/restart.go"

# The loopback cases meanwhile, one after the other.
lo() { ip netns exec "$NS" "$@"; }
lo "$PROG" refused 7101 >"$W/refused.out" 2>&1 || fail "refused: $(cat "$W/refused.out")"
port=7102
for mode in linger0 abort unspec unread; do
	lo "$PROG" pair "$mode" $port >"$W/$mode.out" 2>&1 ||
		fail "$mode: the program failed: $(cat "$W/$mode.out")"
	port=$((port + 1))
done

# client_of FILE: the pid and fd the pair's client printed.
client_of() { sed -n 's/^role=client pid=\([0-9]*\) fd=\([0-9]*\) .*/\1 \2/p' "$1"; }

ip netns exec "$NS" "$PROG" pair hold 7106 >"$W/sskill.out" 2>&1 &
HPID=$!
PIDS="$PIDS $HPID"
wait_line "$W/sskill.out" role=client
# Not through a function: $! must be ss itself (ip netns exec execs it).
ip netns exec "$NS" ss -tK dport = :7106 >"$W/ss.out" 2>&1 &
SS_PID=$!
wait $SS_PID
SS_SKIP=
if grep -q '127.0.0.1:7106' "$W/ss.out"; then
	finished $HPID sskill
else
	# The server ends; its client sees EOF: no reset on either side.
	SS_SKIP="ss -K closed nothing: this kernel cannot destroy sockets (CONFIG_INET_DIAG_DESTROY)"
	kill $HPID
	{ wait $HPID; } 2>/dev/null
fi

ip netns exec "$NS" "$PROG" pair hold 7107 >"$W/tabort.out" 2>&1 &
HPID=$!
PIDS="$PIDS $HPID"
wait_line "$W/tabort.out" role=client
# shellcheck disable=SC2046 # pid and fd, two words
"$TCPSHIM" abort $(client_of "$W/tabort.out") >"$W/tabort.cmd" 2>&1 &
ABORT_PID=$!
wait $ABORT_PID || fail "tcpshim abort: $(cat "$W/tabort.cmd")"
finished $HPID tabort

finished $KPID keepalive
finished $DPID restart_data
finished $QPID restart_probe

# Every reset is in the ring buffer before the program that saw it went
# on; watch drains what is left when it stops.
watch_stop "$W/json.err"
# Records lost: watch sees the whole host, and another program's storm
# of resets can fill its ring buffer.  Judged below: a case that misses
# an event fails, saying so.
LOST=$(sed -n 's/.*events printed, \([0-9]*\) lost.*/\1/p' "$W/json.err")
[ -n "$LOST" ] || fail "no count of lost records: $(cat "$W/json.err")"

python3 - "$W" "$SS_PID" "$ABORT_PID" "$SS_SKIP" "$LOST" "$NETNS" \
	"$(netns_inode "tcpshim-$K-c")" "$(netns_inode "tcpshim-$K-p")" \
	"$(netns_inode "tcpshim-$R-c")" "$OLD_PEER" "$NEW_PEER" <<'EOF' || exit 1
import json, sys
w, ss_skip = sys.argv[1], sys.argv[4]
ss_pid, abort_pid, lost = (int(a) for a in sys.argv[2:4] + sys.argv[5:6])
lo, k_c, k_p, r_c, r_old, r_new = (int(a) for a in sys.argv[6:12])
COMM = "prog_linked_cau"   # the program's name, as the kernel keeps it
FIELDS = ("time", "pid", "fd", "conn", "cookie", "event", "cause", "call",
          "errno", "reason", "source", "comm", "netns", "local", "peer",
          "bytes_sent", "bytes_received", "actor_pid", "actor_comm")

def ends(name):
    """The ends a program printed: role -> [dict], in order."""
    out = {}
    for line in open("%s/%s" % (w, name)):
        if line.startswith("role="):
            kv = dict(f.split("=", 1) for f in line.split())
            kv["pid"], kv["fd"] = int(kv["pid"]), int(kv["fd"])
            out.setdefault(kv["role"], []).append(kv)
    return out

def port(addr):
    return addr.rsplit(":", 1)[1]

def side(e):
    return "received" if e.get("event") == "rst_received" else "sent"

def ports(e):
    return {port(e.get("local") or ":"), port(e.get("peer") or ":")}

# The namespaces that live as long as watch: every event there is the
# test's.  The crashed peer's dies, the restarted peer's is born, while
# watch runs: their inodes may be another namespace's before or after
# (the kernel reuses a freed one), so only the resets on the restart
# cases' connections count there.
def restart_ports():
    try:
        return [{"7000", port(ends(n)["client"][0]["local"])}
                for n in ("restart_data.cli", "restart_probe.cli")]
    except (OSError, KeyError, IndexError):
        return []
rports = restart_ports()
events = [json.loads(l) for l in open(w + "/json")]
events = [e for e in events if e.get("netns") in (lo, k_c, k_p, r_c) or
          (e.get("netns") in (r_old, r_new) and ports(e) in rports)]

# Which namespace each event is in: the crashed peer's and the restarted
# peer's may share an inode (the kernel reuses a freed one).  Then, of
# the resets the peer sent on a connection, the first is the crash's.
where = [e["netns"] for e in events]
if r_old == r_new:
    same, r_old, r_new = r_old, "crashed peer", "restarted peer"
    seen = set()
    for i, e in enumerate(events):
        if e["netns"] == same:
            key = frozenset(ports(e) | {side(e)})
            where[i] = r_new if key in seen else r_old
            seen.add(key)
claimed = set()
verdicts = []   # (case, [problems])

def expect(problems, netns, event, local, peer, cause, reason, owner,
           actor=(None, None)):
    """The one reset sent (rst_sent, halfopen) or received between these
    two ends, every field as given; owner is the (pid, fd) of the end
    that owns it, or None."""
    want_side = "received" if event == "rst_received" else "sent"
    hits = [i for i, e in enumerate(events)
            if where[i] == netns and side(e) == want_side and
            ports(e) == {port(local), port(peer)}]
    what = "%s %s -> %s" % (event, local, peer)
    if len(hits) != 1:
        problems.append("%s: %d resets %s, want 1" % (what, len(hits), want_side))
        claimed.update(hits)
        return
    claimed.add(hits[0])
    e = events[hits[0]]
    missing = [f for f in FIELDS if f not in e]
    if missing:
        problems.append("%s: no field %s" % (what, ", ".join(missing)))
    want = dict(event=event, cause=cause, reason=reason, local=local,
                peer=peer, source="kernel", conn=None, call=None, errno=None,
                actor_pid=actor[0], actor_comm=actor[1])
    if owner is None:
        want.update(pid=None, fd=None, comm=None, cookie=None,
                    bytes_sent=None, bytes_received=None)
    else:
        want.update(pid=owner[0], fd=owner[1], comm=COMM)
        for f in ("cookie", "bytes_sent", "bytes_received"):
            if not isinstance(e.get(f), int):
                problems.append("%s: %s is %r, want a number" % (what, f, e.get(f)))
    for f, v in want.items():
        if e.get(f) != v:
            problems.append("%s: %s is %r, want %r" % (what, f, e.get(f), v))

def case(name, fn):
    problems = []
    try:
        fn(problems)
    except (OSError, KeyError, IndexError) as x:
        problems.append("the program's output: %r" % (x,))
    verdicts.append((name, problems))

def owner(end):
    return (end["pid"], end["fd"])

def refused(p):
    c = ends("refused.out")["client"][0]
    local = "127.0.0.1:" + port(c["local"])
    expect(p, lo, "rst_sent", "127.0.0.1:7101", local, "no_listener",
           "NO_SOCKET", None)
    expect(p, lo, "rst_received", local, "127.0.0.1:7101", "refused", None,
           owner(c))

def pair(name, cause, reason, actor=(None, None)):
    def check(p):
        o = ends(name)
        c, s = o["client"][0], o["server"][0]
        expect(p, lo, "rst_sent", c["local"], c["peer"], cause, reason,
               owner(c), actor)
        expect(p, lo, "rst_received", s["local"], s["peer"], "peer_reset",
               None, owner(s))
    return check

def keepalive(p):
    c = ends("keepalive.cli")["client"][0]
    expect(p, k_c, "halfopen", c["local"], c["peer"], "keepalive_timeout",
           "TCP_KEEPALIVE_TIMEOUT", owner(c))

def crash(p):
    # Its exit closed them: the process, no descriptor.
    for s in ends("restart.srv")["server"]:
        expect(p, r_old, "rst_sent", s["local"], s["peer"], "linger0",
               "TCP_STATE", (s["pid"], None))

def restarted(name):
    def check(p):
        c = ends(name + ".cli")["client"][0]
        expect(p, r_new, "rst_sent", c["peer"], c["local"], "no_connection",
               "NO_SOCKET", None)
        expect(p, r_c, "rst_received", c["local"], c["peer"],
               "halfopen_reset", None, owner(c))
    return check

case("refused", refused)
case("linger0", pair("linger0.out", "linger0", "TCP_STATE"))
case("tcp_abort", pair("abort.out", "abort", "TCP_STATE"))
case("unspec", pair("unspec.out", "abort", "TCP_STATE"))
case("unread", pair("unread.out", "unread_data", "TCP_ABORT_ON_CLOSE"))
if ss_skip:
    print("SKIP test_watch_causes, its ss_kill case:", ss_skip)
    claimed.update(i for i, e in enumerate(events)
                   if e["netns"] == lo and "7106" in ports(e))
else:
    case("ss_kill", pair("sskill.out", "killed", "TCP_STATE", (ss_pid, "ss")))
case("tcpshim_abort", pair("tabort.out", "killed", "TCP_STATE",
                           (abort_pid, "tcpshim")))
case("keepalive", keepalive)
case("crash", crash)
case("restart_data", restarted("restart_data"))
case("restart_probe", restarted("restart_probe"))

extra = [e for i, e in enumerate(events) if i not in claimed]
if extra:
    verdicts.append(("others", ["an event no case causes: " + json.dumps(e)
                                for e in extra]))
failed = [v for v in verdicts if v[1]]
for name, problems in verdicts:
    print("%s %s" % ("FAIL" if problems else "ok  ", name))
    for line in problems:
        print("       " + line)
lost_note = ("; %d records lost (ring buffer full) with the host's other"
             " resets" % lost if lost else "")
if failed:
    print("FAIL test_watch_causes: %s%s" % (", ".join(n for n, _ in failed),
                                           lost_note))
    print("the events watch printed in the test's namespaces:")
    for e in events:
        print("  " + json.dumps(e))
    sys.exit(1)
print("PASS test_watch_causes: %d events, each cause, reason and owner exact%s"
      % (len(events), lost_note))
EOF
