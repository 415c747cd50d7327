#!/bin/sh
# test_watch_volume.sh - tcpshim watch accounts for every reset of 10,000
# connections, one by one.  In a network namespace of its own,
# build/tests/prog_watch_volume makes them over 8 threads to a forked
# server process, each ended one way drawn from a seed: a client's or a
# server's SO_LINGER {1, 0} close, a client's close with unread data, an
# orderly close (no reset), a connect to a closed port (refused).  It
# prints each connection's ends: fd, SO_COOKIE, ports; descriptor numbers
# are reused at once across connections and threads, so an owner is
# right only if it names the fd that very connection had.  Meanwhile
# `tcpshim watch --json --netns` runs, and a private tracefs instance
# records tcp:tcp_send_reset and tcp:tcp_receive_reset.  Checked:
#   - watch's events, sent and received apart, as many as the
#     tracepoints' hits (and as the endings make), hit for hit: the same
#     addresses, the same reason, the same cookie; the trace did not
#     overrun (without tracefs this part is skipped, saying why);
#   - none lost ("stopped; N events printed, 0 lost");
#   - each event with a cookie is that of one end of one connection, with
#     its ports, owner pid and fd, comm, cause, reason and byte counts;
#     one event per reset, none for an orderly close, none unknown;
#   - each event with no socket is the no_listener reset of a refused
#     connect, with no owner.
# The last connect, to a port of its own, is refused too: once watch has
# printed its reset it has printed all before it (one ring buffer, read
# in order).  WATCH_VOLUME_SEED=N draws other endings (default 1);
# WATCH_VOLUME_KEEP=DIR keeps the program's output, watch's and the trace.
# Needs root, python3, iproute2 and a command built with clang, bpftool
# and libbpf-dev.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh
. tests/lib/tracefs.sh
PROG=$(pwd)/$B/tests/prog_watch_volume
SEED=${WATCH_VOLUME_SEED:-1}
COUNT=10000
THREADS=8
# Ports of this run's own, under the ephemeral range: the trace sees every
# network namespace, a concurrent run's included.  Listeners on PORT+0..7,
# refused connects to PORT+8..15, the marker to PORT+16.
PORT=$((10000 + $$ % 700 * 32))
MARKER=$((PORT + 2 * THREADS))

skip() { echo "SKIP test_watch_volume: $*"; exit 77; }
fail() { echo "FAIL test_watch_volume: $*"; exit 1; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it runs the plain build's command and program; make check without SANITIZE runs it"
watch_require "BPF programs, network namespaces" "$PROG"

watch_scratch wvol
WPID=
cleanup() {
	# Before W goes: a tracefs mounted for the test is in it.
	tracefs_remove
	watch_cleanup $WPID
}
trap cleanup EXIT
trap 'exit 130' INT TERM
watch_netns "$NS"

# The kernel's own count: a private tracefs instance, where there is
# tracefs (mounted here if the system has not).
NOTRACE=
tracefs_instance tcpshim-wvol-$$ "$W/tracefs" || NOTRACE=$TRACE_WHY

watch_start "$W/json" "$W/json.err" --json --netns "$NETNS"
if [ -n "$TRACE" ]; then
	tracefs_on || fail "cannot enable tcp:$TRACE_EVENT in $TRACE"
fi

timeout -k 5 120 ip netns exec "$NS" "$PROG" $COUNT $THREADS "$SEED" $PORT \
	>"$W/conns" 2>"$W/prog.err" ||
	fail "prog_watch_volume (seed $SEED): $(tail -5 "$W/prog.err")"

# Everything before the marker's reset is out once watch printed it.
watch_until "$W/json" "\"event\":\"rst_received\".*\"peer\":\"127.0.0.1:$MARKER\"" \
	600 "$W/json.err" ||
	fail "watch printed no reset of the last connect (port $MARKER) in 60 s; $(wc -l <"$W/json") events, $(cat "$W/json.err")"
if [ -n "$TRACE" ]; then
	tracefs_off "$W/trace"
	tracefs_overrun >"$W/overrun"
else
	echo "SKIP test_watch_volume: the kernel's count: $NOTRACE (the rest is checked)"
fi
watch_stop "$W/json.err"

# WATCH_VOLUME_KEEP=DIR: the run's files are copied there first.
if [ -n "${WATCH_VOLUME_KEEP:-}" ]; then
	mkdir -p "$WATCH_VOLUME_KEEP" &&
		cp "$W"/conns "$W"/json "$W"/json.err "$WATCH_VOLUME_KEEP"/ &&
		{ [ ! -f "$W/trace" ] || cp "$W"/trace "$W"/overrun "$WATCH_VOLUME_KEEP"/; }
fi
python3 - "$W" "$NETNS" "$PORT" "$THREADS" "$SEED" <<'EOF' || exit 1
import collections, json, os, re, sys

w, netns, port, threads, seed = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
marker_port = port + 2 * threads
ours = set(range(port, marker_port + 1))
SENT, RECV = "rst_sent", "rst_received"
COMM = "prog_watch_volume"[:15]

# Each check's problems: a kind of problem, how often, one example.
CHECKS = ["none lost", "as many events as the endings make",
          "event fields as the spec lists them",
          "every event is one end's, none for orderly closes, none unknown",
          "one event per reset", "owner pid, fd and comm exact", "causes",
          "reasons", "bytes_sent and bytes_received"]
problems = {c: collections.OrderedDict() for c in CHECKS}
notes = {}

def problem(check, kind, example=""):
    n, ex = problems[check].get(kind, (0, example))
    problems[check][kind] = (n + 1, ex)

# The program's connections: each end by its cookie.
pids, ends, refused, n_end = {}, {}, collections.Counter(), collections.Counter()
listeners = {}
elapsed = None
for line in open(w + "/conns"):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
    if f[0] == "pid":
        pids["client"], pids["server"] = int(f[1]), int(kv["server"])
    elif f[0] == "listener":
        listeners[int(kv["cookie"])] = int(kv["port"])
    elif f[0] == "elapsed_ms":
        elapsed = int(f[1])
    elif f[0] == "marker":
        ends[int(kv["cookie"])] = dict(i="marker", end="refused", side="client",
                                       fd=int(kv["fd"]), local=int(kv["local"]),
                                       peer=marker_port)
        refused[(marker_port, int(kv["local"]))] += 1
    elif f[0] == "conn":
        n_end[kv["end"]] += 1
        ends[int(kv["client_cookie"])] = dict(
            i=kv["i"], end=kv["end"], side="client", fd=int(kv["client_fd"]),
            local=int(kv["local"]), peer=int(kv["peer"]))
        if kv["end"] == "refused":
            refused[(int(kv["peer"]), int(kv["local"]))] += 1
            continue
        ends[int(kv["server_cookie"])] = dict(
            i=kv["i"], end=kv["end"], side="server", fd=int(kv["server_fd"]),
            local=int(kv["server_local"]), peer=int(kv["server_peer"]))
        if (kv["server_local"], kv["server_peer"]) != (kv["peer"], kv["local"]):
            sys.exit("FAIL test_watch_volume: the program's ends of connection"
                     " %s do not agree on ports: %s" % (kv["i"], line))

# What each end of each ending logs: event, cause, reason (... : the
# kernel's, held against the trace below), bytes sent and received.
want_of = {
    ("client_linger0", "client"): (SENT, "linger0", ..., 0, 1),
    ("client_linger0", "server"): (RECV, "peer_reset", None, 1, 0),
    ("server_linger0", "server"): (SENT, "linger0", ..., 0, 0),
    ("server_linger0", "client"): (RECV, "peer_reset", None, 0, 0),
    ("unread", "client"): (SENT, "unread_data", "TCP_ABORT_ON_CLOSE", 0, 1),
    ("unread", "server"): (RECV, "peer_reset", None, 1, 0),
    ("refused", "client"): (RECV, "refused", None, 0, 0),
}
resets = sum(n for k, n in n_end.items() if k != "orderly") + 1  # + marker
expected = {SENT: resets, RECV: resets}
# Added below: the listeners' TCP_FLAGS resets.

events = [json.loads(l) for l in open(w + "/json")]
m = re.search(r"stopped; (\d+) events printed, (\d+) lost",
              open(w + "/json.err").read())
lost = int(m.group(2)) if m else None
if not m or lost != 0 or int(m.group(1)) != len(events):
    problem("none lost", "watch said %r and printed %d lines"
            % (m and m.group(0), len(events)))
notes["none lost"] = "%s lost, %d printed" % (lost, len(events))
count = collections.Counter(e.get("event") for e in events)

js = json.dumps

def port_of(addr):
    return None if addr is None else int(addr.rsplit(":", 1)[1])

FIELDS = {"time", "pid", "fd", "conn", "cookie", "event", "cause", "call",
          "errno", "reason", "source", "comm", "netns", "cgroup", "local", "peer",
          "bytes_sent", "bytes_received", "actor_pid", "actor_comm"}
listener_ports = set(listeners.values())

def is_listeners(e):
    return e["event"] == SENT and e.get("cookie") is None and \
        port_of(e.get("local")) in listener_ports and \
        e.get("reason") != "NO_SOCKET"

def owner_of(e):
    return tuple(e.get(k) for k in ("pid", "fd", "comm", "actor_pid", "actor_comm"))

seen = collections.Counter()
nolistener = collections.Counter()
stray = 0
for e in events:
    ex = json.dumps(e)
    if set(e) != FIELDS:
        problem("event fields as the spec lists them", "; ".join(
            "%s %s" % (what, ", ".join(sorted(names))) for what, names in
            (("missing:", FIELDS - set(e)), ("not in the spec:", set(e) - FIELDS))
            if names), ex)
    fixed = tuple(e.get(k) for k in ("conn", "call", "errno", "source", "netns"))
    if fixed != (None, None, None, "kernel", netns):
        problem("event fields as the spec lists them",
                "conn, call, errno, source, netns are %r" % (fixed,), ex)
    lp, pp = port_of(e.get("local")), port_of(e.get("peer"))
    if is_listeners(e):
        # A client's ACK overtaken by its own reset reaches the listener,
        # which resets (TCP_FLAGS): the kernel's, and the trace's too.
        # No connection of the listener's: the segment's addresses, no
        # owner, no cookie, no_connection.
        if (e.get("reason"), e.get("cause")) != ("TCP_FLAGS", "no_connection") \
                or owner_of(e) != (None,) * 5:
            problem("every event is one end's, none for orderly closes, none unknown",
                    "a listener's %s, reason %s, cause %s" % (e["event"],
                    e.get("reason"), e.get("cause")), ex)
        stray += 1
        continue
    if not (e.get("local") or "").startswith("127.0.0.1:") or \
            not (e.get("peer") or "").startswith("127.0.0.1:"):
        problem("every event is one end's, none for orderly closes, none unknown",
                "addresses not 127.0.0.1", ex)
        continue
    owner = owner_of(e)
    if e.get("cookie") is None:
        # No socket: the answer to a refused connect's SYN, nothing else.
        what = "a refused connect's no_listener rst_sent"
        if e["event"] != SENT or (lp, pp) not in refused:
            problem("every event is one end's, none for orderly closes, none unknown",
                    "%s with no cookie, not to a refused connect" % e["event"], ex)
            continue
        nolistener[(lp, pp)] += 1
        if owner != (None,) * 5:
            problem("owner pid, fd and comm exact", "%s: owned" % what, ex)
        if e.get("cause") != "no_listener":
            problem("causes", "%s: cause %s, want no_listener" % (what, js(e.get("cause"))), ex)
        if e.get("reason") != "NO_SOCKET":
            problem("reasons", "%s: reason %s, want NO_SOCKET" % (what, js(e.get("reason"))), ex)
        if (e.get("bytes_sent"), e.get("bytes_received")) != (None, None):
            problem("bytes_sent and bytes_received", "%s: not null" % what, ex)
        continue
    end = ends.get(e["cookie"])
    if end is None:
        problem("every event is one end's, none for orderly closes, none unknown",
                "%s: a cookie none of the program's sockets had" % e["event"], ex)
        continue
    what = "%s, %s end, %s" % (end["end"], end["side"], e["event"])
    want = want_of.get((end["end"], end["side"]))
    if (lp, pp) != (end["local"], end["peer"]):
        problem("every event is one end's, none for orderly closes, none unknown",
                "%s: the ports are not its connection's (%s: %d->%d)"
                % (what, end["i"], end["local"], end["peer"]), ex)
        continue
    if want is None or want[0] != e["event"]:
        problem("every event is one end's, none for orderly closes, none unknown",
                "%s: an event this end does not make" % what, ex)
        continue
    seen[(e["cookie"], e["event"])] += 1
    pid = pids[end["side"]]
    if e.get("pid") != pid:
        problem("owner pid, fd and comm exact", "%s: pid %s, want the %s's" % (
            what, "the client's" if e.get("pid") == pids["client"] else
            "the server's" if e.get("pid") == pids["server"] else e.get("pid"),
            end["side"]), ex + "  want fd %d" % end["fd"])
    elif e.get("fd") != end["fd"]:
        problem("owner pid, fd and comm exact", "%s: fd %s, not this connection's" % (
            what, "null" if e.get("fd") is None else "another"),
            ex + "  want fd %d" % end["fd"])
    elif owner[2:] != (COMM, None, None):
        problem("owner pid, fd and comm exact", "%s: comm or actor %r" % (what, owner[2:]), ex)
    if e.get("cause") != want[1]:
        problem("causes", "%s: cause %s, want %s" % (what, js(e.get("cause")), want[1]), ex)
    if want[2] is not ... and e.get("reason") != want[2]:
        problem("reasons", "%s: reason %s, want %s" % (what, js(e.get("reason")), js(want[2])), ex)
    if (e.get("bytes_sent"), e.get("bytes_received")) != want[3:]:
        problem("bytes_sent and bytes_received", "%s: %s/%s, want %d/%d" % (
            what, e.get("bytes_sent"), e.get("bytes_received"), *want[3:]), ex)

# One event per reset: every end that resets, once; every refused
# connect's SYN answered, once.
for cookie, end in ends.items():
    want = want_of.get((end["end"], end["side"]))
    if want is not None and seen[(cookie, want[0])] != 1:
        problem("one event per reset", "%s, %s end: %d %s events, want 1" % (
            end["end"], end["side"], seen[(cookie, want[0])], want[0]),
            "connection %s cookie %d" % (end["i"], cookie))
for k, n in refused.items():
    if nolistener[k] != n:
        problem("one event per reset", "refused: %d no_listener rst_sent for %d connects"
                % (nolistener[k], n), "ports %d->%d" % k)
expected[SENT] += stray
for k in set(count) | {SENT, RECV}:
    if count[k] != expected.get(k, 0):
        problem("as many events as the endings make",
                "%s: %d, want %d" % (k, count[k], expected.get(k, 0)))
notes["as many events as the endings make"] = \
    "%d rst_sent, %d rst_received (%d of them listeners' TCP_FLAGS resets)" \
    % (count[SENT], count[RECV], stray)
fds = collections.Counter((end["side"], end["fd"]) for end in ends.values())
notes["owner pid, fd and comm exact"] = "%d descriptor numbers in the two " \
    "processes, each one of up to %d connections' ends" % (len(fds), max(fds.values()))
notes["every event is one end's, none for orderly closes, none unknown"] = \
    "%d events, each matched by cookie and ports" % len(events)

# The kernel's count: every hit of the tracepoints on the program's ports.
if os.path.exists(w + "/trace"):
    CHECKS += ["the trace did not overrun", "as many events as tracepoint hits",
               "hit for hit: addresses, reason (sent), cookie (received)"]
    for c in CHECKS[-3:]:
        problems[c] = collections.OrderedDict()
    overrun = int(open(w + "/overrun").read())
    if overrun:
        problem("the trace did not overrun", "%d records lost" % overrun)
    # A listener's reset names no peer: dest=0.0.0.0:0.
    sent_re = re.compile(r"tcp_send_reset: .*src=127\.0\.0\.1:(\d+) "
                         r"dest=(?:127\.0\.0\.1|0\.0\.0\.0):(\d+) "
                         r"state=\S+(?: reason=(\S+))?")
    recv_re = re.compile(r"tcp_receive_reset: family=AF_INET sport=(\d+) "
                         r"dport=(\d+) saddr=127\.0\.0\.1 daddr=127\.0\.0\.1 "
                         r".*sock_cookie=([0-9a-f]+)")
    kernel, theirs = collections.Counter(), collections.Counter()
    for line in open(w + "/trace"):
        m = sent_re.search(line)
        if m and {int(m.group(1)), int(m.group(2))} & ours:
            kernel[(SENT, int(m.group(1)), int(m.group(2)), m.group(3))] += 1
            continue
        m = recv_re.search(line)
        if m and {int(m.group(1)), int(m.group(2))} & ours:
            kernel[(RECV, int(m.group(1)), int(m.group(2)), int(m.group(3), 16))] += 1
    hits = collections.Counter()
    for k, n in kernel.items():
        hits[k[0]] += n
    for e in events:
        # The trace prints a listener's reset with the listener's own
        # (unconnected) peer, 0.0.0.0:0; watch, the segment's.
        peer = 0 if is_listeners(e) else port_of(e.get("peer"))
        theirs[(e.get("event"), port_of(e.get("local")), peer,
                e.get("reason") if e.get("event") == SENT else e.get("cookie"))] += 1
    for k in (SENT, RECV):
        if count[k] != hits[k]:
            problem("as many events as tracepoint hits",
                    "%s: watch %d, the tracepoint %d" % (k, count[k], hits[k]))
    notes["as many events as tracepoint hits"] = \
        "tcp_send_reset %d, tcp_receive_reset %d" % (hits[SENT], hits[RECV])
    for k in kernel - theirs:
        problem("hit for hit: addresses, reason (sent), cookie (received)",
                "a hit watch has no event for", "%s %s->%s %s" % k)
    for k in theirs - kernel:
        problem("hit for hit: addresses, reason (sent), cookie (received)",
                "an event with no hit", "%s %s->%s %s" % k)

nbad = 0
for c in CHECKS:
    if not problems[c]:
        print("ok   test_watch_volume: %s%s" % (c, ": " + notes[c] if c in notes else ""))
        continue
    nbad += 1
    print("FAIL test_watch_volume: %s" % c)
    for kind, (n, ex) in list(problems[c].items())[:8]:
        print("       %d x %s" % (n, kind) + ("\n         e.g. %s" % ex if ex else ""))
print("test_watch_volume: seed %s: %d connections (%s) in %s ms; watch: %d "
      "events, %s lost" % (seed, sum(n_end.values()), ", ".join(
          "%d %s" % (n, k) for k, n in sorted(n_end.items())), elapsed,
          len(events), lost))
if nbad:
    print("FAIL test_watch_volume: %d of %d checks (seed %s; WATCH_VOLUME_SEED "
          "reruns it)" % (nbad, len(CHECKS), seed))
    sys.exit(1)
print("PASS test_watch_volume: %d connections, every reset accounted for" % sum(n_end.values()))
EOF
