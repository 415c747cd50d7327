#!/bin/sh
# test_watch_preload.sh - the preload's log and tcpshim watch agree.  In
# a network namespace of its own, build/tests/prog_watch_volume runs under
# `tcpshim --json --log FILE` (client and forked server both preloaded):
# 15 connections ended in turn by a client's SO_LINGER {1, 0} close, a
# server's, a client's close with unread data, an orderly close and a
# refused connect, and a last refused connect that tells when watch has
# printed everything.  The preload logs linger0, unread_data and refused
# at the end that made the reset, peer_reset at the end that received it,
# at most one event per connection; `tcpshim watch --json --netns` prints
# one per hit of the kernel's tracepoints.  For every event of the log,
# watch has one with the same cookie and event, the same pid and fd, the
# same peer and local port; and the same cause where the log's cause is one watch
# names too (linger0, unread_data, refused, peer_reset: all of this
# program's).  The log must hold each of those four causes, so the test
# cannot pass on an empty log.  Needs root, python3, iproute2 and a
# command built with clang, bpftool and libbpf-dev.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh
PROG=$(pwd)/$B/tests/prog_watch_volume
PORT=7700
MARKER=$((PORT + 4))

skip() { echo "SKIP test_watch_preload: $*"; exit 77; }
fail() { echo "FAIL test_watch_preload: $*"; exit 1; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it runs the plain build's command, library and program; make check without SANITIZE runs it"
watch_require "BPF programs, network namespaces" "$PROG"

watch_scratch wpre
WPID=
cleanup() { watch_cleanup $WPID; }
trap cleanup EXIT
trap 'exit 130' INT TERM
watch_netns "$NS"
watch_start "$W/json" "$W/json.err" --json --netns "$NETNS"

timeout -k 5 60 ip netns exec "$NS" "$TCPSHIM" --json --log "$W/log" -- \
	"$PROG" 15 2 each $PORT >"$W/conns" 2>"$W/prog.err" ||
	fail "prog_watch_volume under tcpshim: $(tail -5 "$W/prog.err")"

watch_until "$W/json" "\"event\":\"rst_received\".*\"peer\":\"127.0.0.1:$MARKER\"" \
	300 "$W/json.err" ||
	fail "watch printed no reset of the last connect (port $MARKER) in 30 s: $(cat "$W/json.err")"
watch_stop "$W/json.err"
watch_none_lost "$W/json.err"

python3 - "$W" <<'EOF' || exit 1
import json, sys

w = sys.argv[1]
# The causes watch names too, by the same rules (the preload has more:
# policy, injected, killed by another holder, timeouts).
SHARED = {"linger0", "unread_data", "refused", "peer_reset", "halfopen_reset",
          "abort", "killed", "keepalive_timeout"}
log = [json.loads(l) for l in open(w + "/log")]
watch = [json.loads(l) for l in open(w + "/json")]
by_cookie = {}
for e in watch:
    if e.get("cookie") is not None:
        by_cookie.setdefault(e["cookie"], []).append(e)
pids = [l.split() for l in open(w + "/conns") if l.startswith("pid ")][0]
pids = {int(pids[1]), int(pids[2].split("=")[1])}

def port_of(addr):
    return addr and addr.rsplit(":", 1)[1]

bad, good = [], 0
for p in log:
    what = "the log's %s/%s (pid %s fd %s cookie %s %s->%s)" % (
        p["event"], p["cause"], p["pid"], p["fd"], p["cookie"], p["local"], p["peer"])
    if p["pid"] not in pids:
        bad.append("%s: a pid the program does not have" % what)
    same = [e for e in by_cookie.get(p["cookie"], []) if e["event"] == p["event"]]
    if len(same) != 1:
        bad.append("%s: watch has %d %s events with its cookie" % (what, len(same), p["event"]))
        continue
    e = same[0]
    diff = ["%s %s" % (k, json.dumps(e.get(k))) for k in ("pid", "fd", "peer")
            if e.get(k) != p[k]]
    # The port only: after a refused connect the kernel has cleared the
    # socket's address when the preload looks (0.0.0.0:PORT); watch reads
    # it as the reset arrives.
    if port_of(e.get("local")) != port_of(p["local"]):
        diff.append("local %s" % json.dumps(e.get("local")))
    if p["cause"] in SHARED and e.get("cause") != p["cause"]:
        diff.append("cause %s" % json.dumps(e.get("cause")))
    elif e.get("cause") is not None and p["cause"] is not None and e["cause"] != p["cause"]:
        diff.append("cause %s" % json.dumps(e["cause"]))
    if diff:
        bad.append("%s: watch's has %s" % (what, ", ".join(diff)))
    else:
        good += 1
causes = sorted({p["cause"] for p in log})
for c in ("linger0", "unread_data", "refused", "peer_reset"):
    if c not in causes:
        bad.append("the log has no %s event: the case did not run as meant" % c)
for b in bad:
    print("FAIL test_watch_preload:", b)
if bad:
    print("the log:\n" + open(w + "/log").read() + "watch:\n" + open(w + "/json").read())
    sys.exit(1)
print("PASS test_watch_preload: %d events of the preload's log (%s), each in watch's "
      "with its cookie, event, cause, pid, fd and ports; watch printed %d, none lost"
      % (len(log), ", ".join(causes), len(watch)))
EOF
