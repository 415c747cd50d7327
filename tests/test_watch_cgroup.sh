#!/bin/sh
# test_watch_cgroup.sh - the cgroup field and --unit, with cgroups made
# here in the cgroup v2 hierarchy, named as systemd names a service and
# as podman names a container:
#     T/web.service                       the server
#     T/machine.slice/libpod-ID.scope     the clients
# (T is tcpshim-test-PID at the hierarchy's root.)
#   linger0  a client resets its connection (SO_LINGER {1, 0}): rst_sent
#            in the container's cgroup (the closing task's); the server's
#            rst_received in web.service (the owner, checked in the
#            kernel).
#   orphan   a client closes with its send queue full (its FIN cannot go)
#            and exits; the server's reset then reaches that orphan: its
#            rst_received has no owner (no process holds it), and the
#            cgroup the socket was made in.
#   moved    both ends move to T/moved.service after connecting; the
#            client resets: each event has the cgroup its process is in
#            now, not the one its socket was made in.
# Four watches at once: none filtered (every event, its cgroup exact),
# --unit web (web.service: the server's events only), --unit
# machine.slice (the clients' only), --unit libpod (no component is
# named so: nothing).  An empty --unit, or one with a '/', is refused.  Needs root, python3 and a cgroup v2 hierarchy.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh

skip() { echo "SKIP test_watch_cgroup: $*"; exit 77; }
fail() { echo "FAIL test_watch_cgroup: $*"; exit 1; }
watch_require "BPF programs"
CG=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$CG" ] || skip "no cgroup v2 hierarchy mounted"
T=tcpshim-test-$$
ID=$(printf '%s' "$T" | sha256sum | cut -c1-64)
WEB=/$T/web.service
BOX=/$T/machine.slice/libpod-$ID.scope
MOVED=/$T/moved.service
mkdir "$CG/$T" 2>/dev/null || skip "cannot make a cgroup in $CG"
mkdir -p "$CG$WEB" "$CG$BOX" "$CG$MOVED" || fail "mkdir in $CG/$T"
watch_scratch cgroup
# Every process still in them is killed, then the cgroups go.
cg_cleanup() {
	for g in "$CG$WEB" "$CG$BOX" "$CG$MOVED"; do
		xargs -r kill -9 <"$g/cgroup.procs" 2>/dev/null
	done
	watch_cleanup $W1 $W2 $W3 $W4 $SRV
	rmdir "$CG$WEB" "$CG$BOX" "$CG$MOVED" "$CG/$T/machine.slice" "$CG/$T" 2>/dev/null
}
trap cg_cleanup EXIT
PORT=7431

# in CGROUP CMD...: CMD run in CGROUP (a path under the hierarchy).
in_cg() {
	_g=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG$_g" "$@"
}

cat >"$W/server.py" <<'PY'
import os, socket, struct, sys, time
w, port, moved = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
open(w + "/server.ready", "w").write(str(os.getpid()))
a, _ = ls.accept()
# Accepted: the client resets only now (a reset still in the accept
# queue has no owner).
a.send(b"!")
try:
    a.recv(10)
except ConnectionResetError:
    pass
b, _ = ls.accept()
while not os.path.exists(w + "/go"):
    time.sleep(0.05)
b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
b.close()
c, _ = ls.accept()
c.send(b"!")
open(moved + "/cgroup.procs", "w").write(str(os.getpid()))
open(w + "/moved", "w").close()
try:
    c.recv(10)
except ConnectionResetError:
    pass
PY
cat >"$W/client.py" <<'PY'
import os, socket, struct, sys, time
port, how = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
if how == "moved":
    # Once the server has moved, this end moves too, then resets.
    w, moved = sys.argv[3], sys.argv[4]
    s.recv(1)
    while not os.path.exists(w + "/moved"):
        time.sleep(0.05)
    open(moved + "/cgroup.procs", "w").write(str(os.getpid()))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
elif how == "linger0":
    s.recv(1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
else:
    # The server never reads: fill both buffers, then close; the FIN
    # stays queued behind the data, the socket an orphan.
    s.setblocking(False)
    try:
        while True:
            s.send(b"x" * 65536)
    except BlockingIOError:
        pass
s.close()
PY

# A unit is one component: none empty, none with a '/'.
for bad in '' web/x; do
	out=$("$TCPSHIM" watch --unit "$bad" 2>&1); st=$?
	[ $st = 2 ] && printf '%s\n' "$out" | grep -q "^tcpshim watch: --unit '$bad': expected the name of a unit" ||
		fail "--unit '$bad': status $st: $out"
done
W1= W2= W3= W4= SRV=
watch_start "$W/all.out" "$W/all.err" --json --port $PORT
W1=$WPID
watch_start "$W/web.out" "$W/web.err" --json --port $PORT --unit web
W2=$WPID
watch_start "$W/box.out" "$W/box.err" --json --port $PORT --unit machine.slice
W3=$WPID
watch_start "$W/none.out" "$W/none.err" --json --port $PORT --unit libpod
W4=$WPID
in_cg "$WEB" python3 "$W/server.py" "$W" $PORT "$CG$MOVED" &
SRV=$!
n=0
until [ -s "$W/server.ready" ]; do
	n=$((n + 1)); [ $n -lt 300 ] || fail "the server did not start"
	sleep 0.1
done
in_cg "$BOX" python3 "$W/client.py" $PORT linger0 || fail "client linger0"
in_cg "$BOX" python3 "$W/client.py" $PORT orphan || fail "client orphan"
touch "$W/go"
in_cg "$BOX" python3 "$W/client.py" $PORT moved "$W" "$CG$MOVED" || fail "client moved"
wait $SRV || fail "server exit status $?"
SRV=
# Six events, two a case: all of them in the unfiltered watch, then
# every watch stopped.
WPID=$W1
watch_until "$W/all.out" "$MOVED" 300 "$W/all.err"
n=0
until [ "$(wc -l <"$W/all.out")" -ge 6 ]; do
	n=$((n + 1)); [ $n -lt 300 ] || fail "6 events expected: $(cat "$W/all.out")"
	sleep 0.1
done
for p in $W1 $W2 $W3 $W4; do
	WPID=$p
	watch_stop "$W/all.err"
done
W1= W2= W3= W4=
python3 - "$W" "$WEB" "$BOX" "$MOVED" <<'PY' || exit 1
import json, sys
w, web, box, moved = sys.argv[1:5]
def events(name):
    return [json.loads(l) for l in open("%s/%s.out" % (w, name))]
every = events("all")
got = sorted(((e["event"], e["comm"], e["cgroup"], e["fd"] is None)
              for e in every), key=repr)
want = sorted([
    ("rst_sent", "python3", box, False),        # linger0, by the client
    ("rst_received", "python3", web, False),    # at the server
    ("rst_sent", "python3", web, False),        # the server's, to the orphan
    ("rst_sent", "python3", moved, False),      # moved: the closing client
    ("rst_received", "python3", moved, False),  # moved: the owner
    ("rst_received", None, box, True),          # the orphan: no owner
], key=repr)
bad = []
if got != want:
    bad.append("every event (event, comm, cgroup, fd null):\n    %r\n  want\n    %r"
               % (got, want))
# The same events (each watch reads the clock for itself: not time).
def same(es):
    return sorted(json.dumps(dict(e, time=None)) for e in es)
for name, cg in (("web", web), ("box", box)):
    mine = events(name)
    if same(mine) != same(e for e in every if e["cgroup"] == cg):
        bad.append("--unit for %s printed %r" % (cg, mine))
if events("none"):
    bad.append("--unit libpod printed %r" % events("none"))
if bad:
    print("FAIL test_watch_cgroup:\n  " + "\n  ".join(bad))
    sys.exit(1)
PY
echo "PASS test_watch_cgroup: the cgroups of a service and of a container, the closing task's, the owner's (where each is now, after a move), an orphan's socket's; --unit by a .service's name, by a slice, and not by part of a name; an empty or a path --unit refused"
