#!/bin/sh
# test_watch_edges.sh - tcpshim watch where the kernel's facts mislead a
# naive reading, in a network namespace of its own, one python3 program
# per case printing its pid, descriptors and cookies:
#   abort_on_data  a server shuts its connection down (SHUT_RDWR); the
#                  client then sends: the kernel aborts the server's socket
#                  through its received-reset path and sends a reset
#                  (TCP_ABORT_ON_DATA).  One rst_sent, owned by the server,
#                  and no rst_received for it (none came in); the client's
#                  rst_received, peer_reset.
#   under_close    the same abort, run in softirq on top of the client's
#                  close() that pushes its data: the server's rst_sent is
#                  still the server's, never the closing client's.
#   timewait       a closed socket, TIME-WAIT in its FIN_WAIT2 substate
#                  (ss says when), answers data with a reset
#                  (TCP_TIMEWAIT_SOCKET): its own local port, no owner.
#   fin_then_exit  the server's FIN, then its SO_LINGER {1, 0} reset: the
#                  client's rst_received comes in CLOSE_WAIT (watch holds
#                  it a moment: it may be the kernel's own abort), and the
#                  client exits at once on it: still owned by the client,
#                  at its fd (found as its exit closed the socket).
#   fork_exit      a server forks after accept; the child keeps its copy
#                  and exits as soon as the client's reset comes, while the
#                  server holds on: the rst_received is the server's.
#   names          the connection made in a thread named otherwise, by a
#                  process whose name was cut in the middle of a UTF-8
#                  character: comm is the process's name, and the JSON
#                  line is valid UTF-8 (the cut byte is U+FFFD).
# Exactly these events.  Needs root, python3, iproute2 and a command built
# with clang, bpftool and libbpf-dev.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh

skip() { echo "SKIP test_watch_edges: $*"; exit 77; }
fail() { echo "FAIL test_watch_edges: $*"; exit 1; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it runs the plain build's command; make check without SANITIZE runs it"
watch_require "BPF programs, network namespaces"

watch_scratch wedge
WPID=
cleanup() { watch_cleanup $WPID; }
trap cleanup EXIT
trap 'exit 130' INT TERM
watch_netns "$NS"

cat > "$W/edges.py" <<'EOF'
# CASE PORT HOLD: one case; prints name=value lines, then waits for the
# file HOLD (watch has printed the case) before it exits.
import ctypes, errno, os, socket, struct, subprocess, sys, threading, time

case, port, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def say(**kv):
    print(" ".join("%s=%s" % i for i in sorted(kv.items())), flush=True)

def cookie(s):
    return struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 57, 8))[0]

def wait_hold():
    for i in range(600):
        if os.path.exists(hold):
            return
        time.sleep(0.05)

def until_eof(s):
    while s.recv(100):
        pass

def until_reset(s):
    # SO_ERROR: after the peer's FIN, recv reports only the end of data.
    for i in range(1000):
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) in \
                (errno.ECONNRESET, errno.EPIPE):
            return
        time.sleep(0.01)
    sys.exit("no reset")

ls = socket.socket()
ls.bind(("127.0.0.1", port))
ls.listen()

def pair():
    # Both ends in this process: the client's, and the server's accepted.
    a = socket.create_connection(("127.0.0.1", port))
    y, _ = ls.accept()
    say(role="server", pid=os.getpid(), fd=y.fileno(), cookie=cookie(y))
    say(role="client", pid=os.getpid(), fd=a.fileno(), cookie=cookie(a))
    return a, y

if case == "abort_on_data":
    a, y = pair()
    y.shutdown(socket.SHUT_RDWR)
    until_eof(a)
    a.send(b"data")
    until_reset(a)
elif case == "under_close":
    r, w = os.pipe()
    if os.fork() == 0:
        ls.close()
        a = socket.create_connection(("127.0.0.1", port))
        say(role="client", pid=os.getpid(), fd=a.fileno(), cookie=cookie(a))
        until_eof(a)
        # Corked: the data leaves with the close, which then runs the
        # server's abort in softirq on this process's stack.
        a.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        a.send(b"x")
        a.close()
        os.write(w, b"x")
        wait_hold()
        os._exit(0)
    y, _ = ls.accept()
    say(role="server", pid=os.getpid(), fd=y.fileno(), cookie=cookie(y))
    y.shutdown(socket.SHUT_RDWR)
    os.read(r, 1)
elif case == "timewait":
    a = socket.create_connection(("127.0.0.1", port))
    y, _ = ls.accept()
    say(role="client", pid=os.getpid(), fd=a.fileno(), cookie=cookie(a))
    say(role="server", pid=os.getpid(), fd=y.fileno(), cookie=cookie(y))
    # Closed, the server's socket becomes a TIME-WAIT one (FIN_WAIT2
    # substate) once the client's ACK is in; data for it then draws that
    # socket's reset.  ss tells when it is one.
    y.close()
    for i in range(300):
        if "timewait" in subprocess.run(
                ["ss", "-tano", "state", "fin-wait-2", "sport", "= :%d" % port],
                capture_output=True, text=True).stdout:
            break
        time.sleep(0.01)
    a.send(b"x")
    until_reset(a)
elif case == "fin_then_exit":
    if os.fork() == 0:
        ls.close()
        a = socket.create_connection(("127.0.0.1", port))
        say(role="client", pid=os.getpid(), fd=a.fileno(), cookie=cookie(a))
        try:
            until_eof(a)
        except OSError:
            pass
        until_reset(a)
        os._exit(0)
    y, _ = ls.accept()
    say(role="server", pid=os.getpid(), fd=y.fileno(), cookie=cookie(y))
    y.shutdown(socket.SHUT_WR)
    y.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    y.close()
    os.wait()
elif case == "fork_exit":
    a, y = pair()
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        # The client's end is the server's own to close.
        a.close()
        os.write(w, b"x")
        until_reset(y)
        os._exit(0)
    os.read(r, 1)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    a.close()
    os.waitpid(child, 0)
elif case == "names":
    libc = ctypes.CDLL(None)
    # PR_SET_NAME: 18 bytes of UTF-8, of which the kernel keeps 15.
    libc.prctl(15, ("\u00e9" * 9).encode(), 0, 0, 0)
    got = {}
    def client():
        libc.prctl(15, b"a-worker", 0, 0, 0)
        got["a"] = socket.create_connection(("127.0.0.1", port))
    t = threading.Thread(target=client)
    t.start()
    t.join()
    a = got["a"]
    y, _ = ls.accept()
    say(role="client", pid=os.getpid(), fd=a.fileno(), cookie=cookie(a))
    say(role="server", pid=os.getpid(), fd=y.fileno(), cookie=cookie(y))
    y.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    y.close()
    until_reset(a)
wait_hold()
EOF

watch_start "$W/json" "$W/json.err" --json --netns "$NETNS"
port=7600
for case in abort_on_data under_close timewait names fin_then_exit fork_exit; do
	port=$((port + 1))
	ip netns exec "$NS" python3 "$W/edges.py" $case $port "$W/$case.hold" \
		> "$W/$case.out" 2> "$W/$case.err" &
	# Two events each; then a moment more would add none (the held
	# "received" half of an abort is dropped or printed within 10 ms).
	watch_until "$W/json" ":$port\"" 300 "$W/json.err" ||
		fail "$case: no event in 30 s: $(cat "$W/$case.err")"
	n=0
	while [ "$(grep -c ":$port\"" "$W/json")" -lt 2 ] && [ $n -lt 300 ]; do
		n=$((n + 1)); sleep 0.1
	done
	touch "$W/$case.hold"
	wait $! || fail "$case: $(cat "$W/$case.err")"
done
watch_stop "$W/json.err"
watch_none_lost "$W/json.err"

python3 - "$W" "$NETNS" <<'EOF' || exit 1
import json, sys
w, netns = sys.argv[1], int(sys.argv[2])
events = [json.loads(l.decode("utf-8")) for l in open(w + "/json", "rb")]
bad = []

def who(case):
    out = {}
    for line in open("%s/%s.out" % (w, case)):
        kv = dict(f.split("=") for f in line.split())
        out[kv["role"]] = {k: (v if k == "role" else int(v)) for k, v in kv.items()}
    return out

def expect(case, port, want):
    got = [e for e in events if str(port) in
           (e["local"].rsplit(":", 1)[1], e["peer"].rsplit(":", 1)[1])]
    if len(got) != len(want):
        bad.append("%s: %d events, want %d: %r" % (case, len(got), len(want), got))
        return
    for e, wnt in zip(sorted(got, key=lambda e: e["event"]),
                      sorted(want, key=lambda x: x["event"])):
        for k, v in wnt.items():
            if e.get(k) != v:
                bad.append("%s %s: %s is %r, want %r" % (case, e["event"], k, e.get(k), v))

o = who("abort_on_data")
expect("abort_on_data", 7601, [
    dict(event="rst_sent", reason="TCP_ABORT_ON_DATA", cause=None,
         pid=o["server"]["pid"], fd=o["server"]["fd"], cookie=o["server"]["cookie"]),
    dict(event="rst_received", cause="peer_reset", pid=o["client"]["pid"],
         fd=o["client"]["fd"], cookie=o["client"]["cookie"])])
o = who("under_close")
expect("under_close", 7602, [
    dict(event="rst_sent", reason="TCP_ABORT_ON_DATA", cause=None,
         pid=o["server"]["pid"], fd=o["server"]["fd"], cookie=o["server"]["cookie"],
         actor_pid=None),
    # The client was closing it: that process, its descriptor gone.
    dict(event="rst_received", cause="peer_reset", pid=o["client"]["pid"],
         fd=None, cookie=o["client"]["cookie"])])
o = who("timewait")
expect("timewait", 7603, [
    dict(event="rst_sent", reason="TCP_TIMEWAIT_SOCKET", cause=None, pid=None,
         fd=None, local="127.0.0.1:7603"),
    dict(event="rst_received", cause="peer_reset", pid=o["client"]["pid"],
         fd=o["client"]["fd"], cookie=o["client"]["cookie"])])
o = who("names")
name = ("\u00e9" * 9).encode()[:15].decode("utf-8", "replace")
expect("names", 7604, [
    dict(event="rst_sent", cause="linger0", pid=o["server"]["pid"],
         fd=o["server"]["fd"], comm=name),
    dict(event="rst_received", cause="peer_reset", pid=o["client"]["pid"],
         fd=o["client"]["fd"], comm=name)])
def linger0(case, port, closer, other):
    # A SO_LINGER {1, 0} close by one role; the other's reset received.
    o = who(case)
    expect(case, port, [dict(event=e, cause=c, pid=o[r]["pid"], fd=o[r]["fd"],
                             cookie=o[r]["cookie"])
                        for e, c, r in (("rst_sent", "linger0", closer),
                                        ("rst_received", "peer_reset", other))])

linger0("fin_then_exit", 7605, "server", "client")
linger0("fork_exit", 7606, "client", "server")
if len(events) != 12:
    bad.append("%d events in the namespace, want 12" % len(events))
for b in bad:
    print("FAIL test_watch_edges:", b)
if bad:
    sys.exit(1)
print("PASS test_watch_edges: the kernel's abort on data (alone and under"
      " another process's close), a TIME-WAIT socket's reset, a thread's"
      " connection in a process with a name cut mid-character, a reset"
      " after the peer's FIN whose owner exits at once, a forked copy that"
      " exits while the server holds on: 12 events, owners, causes, ports"
      " and names exact")
EOF
