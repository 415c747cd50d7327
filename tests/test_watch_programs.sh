#!/bin/sh
# test_watch_programs.sh - tcpshim watch against programs no preload
# reaches, or that move their connections between processes and
# descriptors.  Each program prints, for each connection it holds, its
# pid, the descriptor and SO_COOKIE; watch must name the same owner
# exactly, give the cause, and print exactly the events the case causes
# (one per tracepoint hit: on loopback a reset is one rst_sent and one
# rst_received), each with the cookie of the socket it is about.
#   go             a static Go client (CGO_ENABLED=0) closes with
#                  SetLinger(0): rst_sent linger0 owned by the client (its
#                  raw fd through SyscallConn); rst_received peer_reset
#                  owned by the Go server.
#   unread         a static C server closes its accepted socket with
#                  unread data: rst_sent unread_data, TCP_ABORT_ON_CLOSE.
#   uring          a client that connected with connect(2) closes, with
#                  unread data, through io_uring (IORING_OP_CLOSE):
#                  rst_sent unread_data owned by it, fd null (the close
#                  was no close(2): the descriptor is not known).
#   fork_linger    a server accepts, forks, closes its copy; the child
#                  moves the socket to another descriptor and closes it
#                  with SO_LINGER {1, 0}: rst_sent linger0 owned by the
#                  child, at the descriptor it closed.
#   fork_reset     the same hand-over, then the client resets: the
#                  rst_received is owned by the child (the holder then),
#                  not by the parent that accepted.
#   rights_reset   A connects, passes the descriptor to B (SCM_RIGHTS)
#                  and closes its copy; the server resets: rst_received
#                  owned by B, at B's descriptor.
#   rights_linger  the same hand-over; B closes with SO_LINGER {1, 0}:
#                  rst_sent linger0 owned by B, at B's descriptor.
# The programs are build/tests/watch_go, prog_watch (gcc -static) and
# watch_uring (liburing), from tests/programs/; a case whose program was
# not built (no Go, no liburing-dev) is skipped, saying so.  One watch
# for all, in a network namespace of our own, each case on its own port.
# A program started before watch, and one in another namespace, are
# test_watch.sh's.  Needs root, python3, iproute2 and a command built
# with clang, bpftool and libbpf-dev.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh
T=$(pwd)/$B/tests

skip() { echo "SKIP test_watch_programs: $*"; exit 77; }
fail() { echo "FAIL test_watch_programs: $*"; exit 1; }
watch_require "BPF programs"
[ -x "$T/prog_watch" ] || fail "$T/prog_watch not built (make check-build)"

watch_scratch wprog
WPID= CPID=
cleanup() {
	# Whatever still waits for its hold file goes now.
	touch "$W/go.hold" "$W/unread.hold" "$W/uring.hold" \
		"$W/fork_linger.hold" "$W/fork_reset.hold" \
		"$W/rights_reset.hold" "$W/rights_linger.hold" 2>/dev/null
	watch_cleanup $WPID $CPID
}
trap cleanup EXIT
watch_netns "$NS"
watch_start "$W/json" "$W/json.err" --json --netns "$NETNS"

# run NAME PORT PROGRAM ARG...: run the case's program in the namespace
# (its last argument the hold file); once watch has printed the case's
# two events (or 10 s went by), let its processes end, and wait for them.
# Its lines go to $W/NAME.out; "NAME PORT" to $W/cases when it ran.
run() {
	name=$1 port=$2
	shift 2
	ip netns exec "$NS" "$@" "$W/$name.hold" > "$W/$name.out" 2> "$W/$name.err" &
	CPID=$!
	n=0
	while [ "$(grep -c "\"127.0.0.1:$port\"" "$W/json")" -lt 2 ] &&
		[ $n -lt 100 ] && kill -0 $CPID 2>/dev/null; do
		n=$((n + 1)); sleep 0.1
	done
	touch "$W/$name.hold"
	wait $CPID; st=$?
	CPID=
	if [ $st = 77 ]; then
		echo "SKIP test_watch_programs: case $name: $(cat "$W/$name.out")"
		return
	fi
	[ $st = 0 ] ||
		fail "case $name: $* exited $st: $(cat "$W/$name.err" "$W/$name.out")"
	echo "$name $port" >> "$W/cases"
}

if [ -x "$T/watch_go" ]; then
	run go 7201 "$T/watch_go" server 7201
else
	echo "SKIP test_watch_programs: case go: $T/watch_go not built (Go missing: apt-get install golang-go, then make check-build)"
fi
run unread 7202 "$T/prog_watch" unread 7202
if [ -x "$T/watch_uring" ]; then
	run uring 7203 "$T/watch_uring" 7203
else
	echo "SKIP test_watch_programs: case uring: $T/watch_uring not built (liburing missing at build time: apt-get install liburing-dev, then make check-build)"
fi
run fork_linger 7204 "$T/prog_watch" fork_linger 7204
run fork_reset 7205 "$T/prog_watch" fork_reset 7205
run rights_reset 7206 "$T/prog_watch" rights_reset 7206
run rights_linger 7207 "$T/prog_watch" rights_linger 7207

# Every program has ended, so every reset it caused is in the ring
# buffer: watch prints what is there before it stops.
watch_stop "$W/json.err"
watch_none_lost "$W/json.err"

python3 - "$W" "$NETNS" <<'EOF' || exit 1
import json, sys
w, netns = sys.argv[1], int(sys.argv[2])

# case: (comm, [(event, owner role, cause, reason, side)]); side is the
# end of the connection the event is about: "server" (local is the
# listening port) or "client" (peer is).  reason: a name, None (must be
# null) or ... (any name, not null).  A sixth item, None, wants fd null.
CASES = {
    "go": ("watch_go", [
        ("rst_sent", "client", "linger0", ..., "client"),
        ("rst_received", "server", "peer_reset", None, "server")]),
    "unread": ("prog_watch", [
        ("rst_sent", "server", "unread_data", "TCP_ABORT_ON_CLOSE", "server"),
        ("rst_received", "client", "peer_reset", None, "client")]),
    "uring": ("watch_uring", [
        ("rst_sent", "client", "unread_data", "TCP_ABORT_ON_CLOSE", "client",
         None),
        ("rst_received", "server", "peer_reset", None, "server")]),
    "fork_linger": ("prog_watch", [
        ("rst_sent", "child", "linger0", ..., "server"),
        ("rst_received", "client", "peer_reset", None, "client")]),
    "fork_reset": ("prog_watch", [
        ("rst_sent", "client", "linger0", ..., "client"),
        ("rst_received", "child", "peer_reset", None, "server")]),
    "rights_reset": ("prog_watch", [
        ("rst_sent", "server", "linger0", ..., "server"),
        ("rst_received", "B", "peer_reset", None, "client")]),
    "rights_linger": ("prog_watch", [
        ("rst_sent", "B", "linger0", ..., "client"),
        ("rst_received", "server", "peer_reset", None, "server")]),
}

def roles(name):
    out = {}
    for line in open("%s/%s.out" % (w, name)):
        kv = dict(f.split("=", 1) for f in line.split())
        out[kv["role"]] = dict(pid=int(kv["pid"]), fd=int(kv["fd"]),
                               cookie=int(kv["cookie"]))
    return out

events = [json.loads(l) for l in open(w + "/json")]
ran = [l.split() for l in open(w + "/cases")]
bad, passed, want = [], [], 0
for name, port in ran:
    comm, expected = CASES[name]
    who = roles(name)
    listen = "127.0.0.1:" + port
    mine = [e for e in events if listen in (e["local"], e["peer"])]
    problems = []
    if len(mine) != len(expected):
        problems.append("%d events, want %d" % (len(mine), len(expected)))
    want += len(expected)
    for kind, role, cause, reason, side, *fd in expected:
        hits = [e for e in mine if e["event"] == kind]
        if len(hits) != 1:
            problems.append("%d %s events, want 1" % (len(hits), kind))
            continue
        e, o = hits[0], who[role]
        want_e = dict(pid=o["pid"], fd=fd[0] if fd else o["fd"],
                      cookie=o["cookie"],
                      comm=comm, cause=cause, source="kernel", netns=netns,
                      conn=None, call=None, errno=None)
        want_e["local" if side == "server" else "peer"] = listen
        if reason is not ...:
            want_e["reason"] = reason
        for k, v in want_e.items():
            if e.get(k) != v:
                problems.append("%s: %s is %r, want %r (%s)" %
                                (kind, k, e.get(k), v, role))
        if reason is ... and not e.get("reason"):
            problems.append("%s: no reason" % kind)
        # The owner caused it: no actor.
        for k in ("actor_pid", "actor_comm"):
            if e.get(k) is not None:
                problems.append("%s: %s is %r, want null" % (kind, k, e[k]))
    if problems:
        bad += ["case %s (port %s, %s): %s" % (name, port, " ".join(
            "%s=%d/%d" % (r, v["pid"], v["fd"]) for r, v in sorted(who.items())),
            p) for p in problems]
    else:
        passed.append(name)
if len(events) != want:
    bad.append("%d events in the namespace, want %d" % (len(events), want))
for b in bad:
    print("FAIL test_watch_programs:", b)
if bad:
    print("passed: %s" % (" ".join(passed) or "none"))
    print("the JSON watch printed:\n" + open(w + "/json").read())
    sys.exit(1)
print("PASS test_watch_programs: %s: %d events, owners (pid, fd, cookie)"
      " exact, causes and reasons right" % (", ".join(passed), want))
EOF
