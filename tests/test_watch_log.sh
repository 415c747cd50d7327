#!/bin/sh
# test_watch_log.sh - tcpshim watch's events in every log the preload
# has, each checked as its reader sees it:
#   file     --log PATH with %p, --json, --events rst_received,summary,
#            --rate 3: ten refused connects give at most three events a
#            second, held_back notices for the rest, and a summary whose
#            counts add up; nothing on standard output; the stopped line
#            says how many were held back.
#   stderr   --log stderr: the events on stderr, in text.
#   syslog   --log syslog: one datagram per event on a private /dev/log,
#            "<28>tcpshim[WATCH]: " and the whole text line, owner's pid
#            included.
#   journal  --log journal: one datagram per event on a private journal
#            socket, in journald's native protocol, with the kernel's
#            fields (TCPSHIM_SOURCE, _COMM, _REASON, _NETNS, _CGROUP,
#            _TIME) beside the preload's.  For both, the daemon restarts
#            (a new socket at its path): the next events reach it.
#   rotated  the file renamed away (logrotate): watch makes it again at
#            its path, and the next event lands there.
#   full     --log /dev/full: one line says the log cannot be written and
#            that events go to stderr; they do, and watch exits 0.
#   stdout   --log stdout: the events on standard output, and no file of
#            that name; standard output on /dev/full: each line lost and
#            counted, and watch still stops at SIGINT, status 0.
#   reader   standard output piped to head -n 1: once head has gone,
#            watch ends by itself, status 0.
#   stalled  standard output piped to a reader that never reads, full:
#            SIGTERM still ends watch, status 0, what was not taken
#            counted.
# Each case uses a port of its own, where nothing listens (watch --port
# keeps the host's other resets out).  Needs root, python3, unshare.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh

skip() { echo "SKIP test_watch_log: $*"; exit 77; }
fail() { echo "FAIL test_watch_log: $*"; exit 1; }
watch_require "BPF programs"
command -v unshare >/dev/null || skip "unshare missing (Debian package util-linux)"
watch_scratch log
STALLED=
trap 'watch_cleanup $WPID $STALLED' EXIT
export TCPSHIM W

# refused PORT [N]: N (1) connects to 127.0.0.1:PORT, where nothing
# listens, from one python3 process; prints its pid and cgroup v2 path,
# or - where no cgroup v2 hierarchy is mounted (a chroot without
# /sys/fs/cgroup): watch gives no cgroup there.
cat >"$W/refused.py" <<'PY'
import os, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
cg = [l[3:].strip() for l in open("/proc/self/cgroup") if l.startswith("0::")]
if not any(" - cgroup2 " in l for l in open("/proc/self/mountinfo")):
    cg = []
print(os.getpid(), cg[0] if cg else "-", flush=True)
for _ in range(n):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        pass
    s.close()
PY
refused() { python3 "$W/refused.py" "$@"; }

# --- file, JSON, --events, --rate, summary -------------------------------
watch_start "$W/file.out" "$W/file.err" --port 7411 --json \
	--log "$W/watch-%p.log" --rate 3 --events rst_received,summary
FILE=$W/watch-$WPID.log
[ -f "$FILE" ] || fail "--log with %p: no $FILE ($(ls "$W"))"
refused 7411 10 >"$W/file.who"
# The last held_back notice comes once its second is over.
watch_until "$FILE" '"held_back"' 300 "$W/file.err" ||
	fail "no held_back notice in $(cat "$FILE")"
watch_stop "$W/file.err"
python3 - "$FILE" "$W/file.who" "$W/file.out" "$W/file.err" <<'PY' || exit 1
import json, sys
from collections import Counter
lines = [json.loads(l) for l in open(sys.argv[1])]
pid, cgroup = open(sys.argv[2]).read().split()
events = [l for l in lines if "event" in l]
held = [l for l in lines if l.get("notice") == "held_back"]
summ = [l for l in lines if l.get("notice") == "summary"]
bad = []
for e in events:
    want = {"event": "rst_received", "cause": "refused", "pid": int(pid),
            "comm": "python3", "source": "kernel",
            "cgroup": None if cgroup == "-" else cgroup,
            "peer": "127.0.0.1:7411", "call": None, "errno": None}
    got = {k: e.get(k) for k in want}
    if got != want:
        bad.append("event %r, want %r" % (got, want))
per_second = Counter(e["time"][:19] for e in events)
if any(n > 3 for n in per_second.values()):
    bad.append("more than 3 events in one second: %r" % per_second)
nheld = sum(h["held_back"] for h in held)
if any(h["causes"] != {"refused": h["held_back"]} for h in held):
    bad.append("held_back causes: %r" % held)
if len(events) + nheld != 10:
    bad.append("%d events + %d held back, want 10" % (len(events), nheld))
if len(summ) != 1 or summ[0]["events"] != 10 or summ[0]["held_back"] != nheld \
        or summ[0]["lost"] != 0 or summ[0]["ring_lost"] != 0 or \
        summ[0]["causes"] != {"refused": 10} or \
        summ[0]["connections"] < 10:
    bad.append("summary: %r" % summ)
if open(sys.argv[3]).read():
    bad.append("standard output not empty")
stop = open(sys.argv[4]).read()
if "stopped; %d events printed, 0 lost (ring buffer full), %d held back " \
        "(--rate)" % (len(events), nheld) not in stop:
    bad.append("stopped line: %r" % stop)
if bad:
    print("FAIL test_watch_log: file:\n  " + "\n  ".join(bad))
    print("".join("  | " + l for l in open(sys.argv[1])))
    sys.exit(1)
print("ok   file: %%p, JSON, --events, --rate 3 (%d written, %d held back), "
      "summary" % (len(events), nheld))
PY

# --- stderr ---------------------------------------------------------------
watch_start "$W/err.out" "$W/err.err" --port 7412 --log stderr
refused 7412 >"$W/err.who"
watch_until "$W/err.err" ' rst_received cause=refused' 300 "$W/err.err" ||
	fail "stderr: no event in $(cat "$W/err.err")"
watch_stop "$W/err.err"
pid=$(cut -d' ' -f1 "$W/err.who")
grep -q "^tcpshim\[$pid\] .* rst_received cause=refused reason=- source=kernel comm=python3 fd=3 " "$W/err.err" &&
	grep -q "^tcpshim\[-\] .* rst_sent cause=no_listener reason=NO_SOCKET " "$W/err.err" &&
	[ ! -s "$W/err.out" ] ||
	fail "stderr: $(cat "$W/err.err"; echo; echo "stdout:"; cat "$W/err.out")"
echo "ok   stderr: both events, text"

# --- syslog and journal: a private /dev/log and journal socket ------------
# daemon KIND PORT: in a mount namespace of its own, a python3 receiver
# bound where KIND's daemon listens runs watch --log KIND and one refused
# connect, and checks the two datagrams.
daemon() {
	unshare -m sh -c '
		mount --make-rprivate / &&
		mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 &&
		mkdir -p /run/systemd/journal &&
		mount -t tmpfs tmpfs /run/systemd/journal &&
		exec python3 - "$@"' sh "$1" "$2" <<'PY'
import os, re, socket, subprocess, sys, time
kind, port = sys.argv[1], sys.argv[2]
w, tcpshim = os.environ["W"], os.environ["TCPSHIM"]
path = "/dev/log" if kind == "syslog" else "/run/systemd/journal/socket"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(30)
err = open("%s/%s.err" % (w, kind), "w+")
watch = subprocess.Popen([tcpshim, "watch", "--port", port, "--log", kind],
                         stderr=err)
deadline = time.time() + 30
while "ready" not in open(err.name).read():
    if watch.poll() is not None or time.time() > deadline:
        print("FAIL test_watch_log: %s: watch did not start: %s" %
              (kind, open(err.name).read()))
        sys.exit(1)
    time.sleep(0.1)
who = subprocess.run(["python3", w + "/refused.py", port], check=True,
                     capture_output=True, text=True).stdout.split()
grams = [s.recv(65536).decode() for _ in range(2)]
# The daemon restarts: a new socket at its path.  The next events reach
# it (the log stays the daemon's).
s.close()
os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(30)
subprocess.run(["python3", w + "/refused.py", port], check=True,
               capture_output=True)
after = [s.recv(65536).decode() for _ in range(2)]
watch.send_signal(2)
watch.wait()
bad = []
def kinds(gs):
    return sorted(re.search(r" (rst_sent|rst_received) ", g).group(1)
                  for g in gs)
if kinds(after) != ["rst_received", "rst_sent"] or \
        "from now on" in open(err.name).read():
    bad.append("after a restart: %r; watch said %r" %
               (after, open(err.name).read()))
pid, cgroup = who
if kind == "syslog":
    want = [r"<28>tcpshim\[%d\]: tcpshim\[-\] \S+ rst_sent cause=no_listener "
            r"reason=NO_SOCKET source=kernel " % watch.pid,
            r"<28>tcpshim\[%d\]: tcpshim\[%s\] \S+ rst_received cause=refused "
            r"reason=- source=kernel comm=python3 fd=3 .* cgroup=%s " %
            (watch.pid, pid, re.escape(cgroup))]
    for g in grams:
        if "\n" in g or not any(re.match(p, g) for p in want):
            bad.append(repr(g))
    if not all(any(re.match(p, g) for g in grams) for p in want):
        bad.append("want one of each: %r" % want)
else:
    got = {}
    for g in grams:
        f = dict(l.split("=", 1) for l in g.rstrip("\n").split("\n"))
        if not g.endswith("\n"):
            bad.append("no final newline: %r" % g)
        got[f.get("TCPSHIM_EVENT")] = f
    r, t = got.get("rst_received", {}), got.get("rst_sent", {})
    want_r = {"TCPSHIM_CAUSE": "refused", "TCPSHIM_SOURCE": "kernel",
              "TCPSHIM_PID": pid, "TCPSHIM_FD": "3",
              "TCPSHIM_COMM": "python3",
              "TCPSHIM_CGROUP": None if cgroup == "-" else cgroup,
              "TCPSHIM_PEER": "127.0.0.1:" + port, "PRIORITY": "4",
              "SYSLOG_IDENTIFIER": "tcpshim",
              "MESSAGE_ID": "4fe9b1a5db0c4c9faa18e2ad67d45bfb"}
    want_t = {"TCPSHIM_CAUSE": "no_listener", "TCPSHIM_REASON": "NO_SOCKET",
              "TCPSHIM_SOURCE": "kernel", "TCPSHIM_LOCAL": "127.0.0.1:" + port}
    for name, f, want in (("rst_received", r, want_r), ("rst_sent", t, want_t)):
        diff = {k: (f.get(k), v) for k, v in want.items() if f.get(k) != v}
        if diff:
            bad.append("%s: %r" % (name, diff))
        if not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$",
                        f.get("TCPSHIM_TIME", "")) or \
                not f.get("TCPSHIM_NETNS", "").isdigit() or \
                not f.get("MESSAGE", "").startswith("tcpshim["):
            bad.append("%s: TIME, NETNS or MESSAGE: %r" % (name, f))
    if "TCPSHIM_PID" in t or "TCPSHIM_REASON" in r:
        bad.append("a field with no value: %r" % grams)
if watch.returncode != 0:
    bad.append("watch exit status %d" % watch.returncode)
if bad:
    print("FAIL test_watch_log: %s:\n  %s" % (kind, "\n  ".join(bad)))
    sys.exit(1)
print("ok   %s: one datagram per event, every field in place" % kind)
PY
}
daemon syslog 7413 || exit 1
daemon journal 7414 || exit 1

# --- rotated ----------------------------------------------------------------
watch_start "$W/rot.out" "$W/rot.err" --port 7415 --log "$W/rot.log"
refused 7415 >/dev/null
watch_until "$W/rot.log" 'rst_received' 300 "$W/rot.err" || fail "rotated: no first event"
mv "$W/rot.log" "$W/rot.log.1"
# Made again at its path within a second or so.
n=0
until [ -f "$W/rot.log" ]; do
	n=$((n + 1)); [ $n -lt 300 ] || fail "rotated: $W/rot.log not made again"
	sleep 0.1
done
refused 7415 >/dev/null
watch_until "$W/rot.log" 'rst_received' 300 "$W/rot.err" ||
	fail "rotated: the next event is not in the new file"
watch_stop "$W/rot.err"
[ "$(grep -c rst_received "$W/rot.log.1")" = 1 ] ||
	fail "rotated: the old file has $(grep -c rst_received "$W/rot.log.1") events"
echo "ok   rotated: the file made again at its path, the next event there"

# --- full -------------------------------------------------------------------
watch_start "$W/full.out" "$W/full.err" --port 7416 --log /dev/full
refused 7416 >/dev/null
watch_until "$W/full.err" ' rst_received cause=refused' 300 "$W/full.err" ||
	fail "full: no event on stderr: $(cat "$W/full.err")"
watch_stop "$W/full.err"
[ "$(grep -c 'cannot write the log /dev/full: No space left on device; writing to stderr from now on' "$W/full.err")" = 1 ] ||
	fail "full: $(cat "$W/full.err")"
echo "ok   full: said once, the events on stderr, exit 0"

# --- stdout -----------------------------------------------------------------
# In the scratch folder, where a file named stdout would be made.
cd "$W" || exit 1
watch_start "$W/out.out" "$W/out.err" --port 7418 --log stdout
refused 7418 >/dev/null
watch_until "$W/out.out" ' rst_received cause=refused' 300 "$W/out.err" ||
	fail "stdout: no event on standard output: $(cat "$W/out.err")"
watch_stop "$W/out.err"
[ ! -e "$W/stdout" ] || fail "stdout: --log stdout made a file named stdout"
watch_start /dev/full "$W/dfull.err" --port 7419
refused 7419 >/dev/null
kill -INT "$WPID"
n=0
while kill -0 "$WPID" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 300 ] || { kill -9 "$WPID"; fail "stdout on /dev/full: watch did not stop at SIGINT"; }
	sleep 0.1
done
wait "$WPID" || fail "stdout on /dev/full: exit status $?: $(cat "$W/dfull.err")"
WPID=
grep -q 'stopped; 2 events printed, 0 lost (ring buffer full), 2 of those printed lost' "$W/dfull.err" ||
	fail "stdout on /dev/full: $(cat "$W/dfull.err")"
cd - >/dev/null || exit 1
echo "ok   stdout: --log stdout on standard output; on /dev/full, lost and counted, stopped at SIGINT"

# --- reader -----------------------------------------------------------------
( "$TCPSHIM" watch --port 7417 2>"$W/reader.err"; echo $? >"$W/reader.status" ) |
	head -n 1 >"$W/reader.out" &
n=0
until grep -q ready "$W/reader.err" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 300 ] || fail "reader: no ready line"
	sleep 0.1
done
# Resets until watch has written into the pipe head left.
n=0
until [ -s "$W/reader.status" ]; do
	n=$((n + 1)); [ $n -lt 100 ] || fail "reader: watch still running: $(cat "$W/reader.err")"
	refused 7417 >/dev/null
	sleep 0.1
done
[ "$(cat "$W/reader.status")" = 0 ] && grep -q 'stopped;' "$W/reader.err" &&
	[ "$(wc -l <"$W/reader.out")" = 1 ] ||
	fail "reader: status $(cat "$W/reader.status"): $(cat "$W/reader.err")"
echo "ok   reader: head -n 1 took one line, watch ended by itself, status 0"
# --- stalled ----------------------------------------------------------------
# A reader that never reads: the pipe fills (600 events of some 300 bytes
# each, past its 64 KiB), watch blocks in write; SIGTERM ends it all the
# same.
# $! is the reader's pid (the last of the pipeline); watch's is written
# by the shell that becomes it.
( sh -c 'echo $$ >"$0" && exec "$1" watch --port 7418' "$W/stalled.pid" \
	"$TCPSHIM" 2>"$W/stalled.err"; echo $? >"$W/stalled.status" ) |
	sleep 600 &
STALLED=$!
n=0
until grep -q ready "$W/stalled.err" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 300 ] || fail "stalled: no ready line"
	sleep 0.1
done
refused 7418 300 >/dev/null
wpid=$(cat "$W/stalled.pid")
kill -0 "$wpid" 2>/dev/null || fail "stalled: watch is gone: $(cat "$W/stalled.err")"
kill -TERM "$wpid"
n=0
until [ -s "$W/stalled.status" ]; do
	n=$((n + 1))
	[ $n -lt 300 ] || { kill -9 "$wpid"; fail "stalled: watch did not end at SIGTERM"; }
	sleep 0.1
done
kill "$STALLED" 2>/dev/null
wait "$STALLED" 2>/dev/null
STALLED=
[ "$(cat "$W/stalled.status")" = 0 ] &&
	grep -q 'stopped; 600 events printed, 0 lost (ring buffer full), [1-9][0-9]* of those printed lost' "$W/stalled.err" ||
	fail "stalled: status $(cat "$W/stalled.status"): $(cat "$W/stalled.err")"
echo "ok   stalled: a reader that never reads, and SIGTERM still ends watch, status 0"
echo "PASS test_watch_log: file (%p, JSON, --events, --rate, summary), stderr, syslog, journal, daemon restarts, rotated, full, stdout, reader gone, reader stalled"
