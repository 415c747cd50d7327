#!/bin/sh
# test_journal.sh - TCPSHIM_LOG=journal against a real systemd-journald,
# started for the test in a private mount namespace (its own /run, so
# the host's journal is never touched), and read back with journalctl:
# one entry per event, with MESSAGE, MESSAGE_ID, PRIORITY and one field
# per event field, found by journalctl's own field match.  Without a
# journal there, the one-line warning and the text log on stderr.
# Without journald, the datagram itself is received and checked against
# the protocol.  A storm of 1000 refused connects, with the journal's
# default TCPSHIM_RATE and summary: at most the limit in each second's
# entries, and the held_back and summary entries count the rest.  Then
# the journal is shipped, as a fleet would, with systemd-journal-upload
# to a systemd-journal-remote.  Needs root (a mount namespace) and
# python3.
cd "$(dirname "$0")/.." || exit 1
B=${TCPSHIM_BUILD:-build}
LIB=$(pwd)/$B/libtcpshim.so

skip() { echo "SKIP test_journal: $*"; exit 77; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it runs the plain build; the sanitized one logs through the same code"
[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
command -v unshare >/dev/null || skip "unshare missing (Debian package util-linux)"
command -v python3 >/dev/null || skip "python3 missing (Debian package python3)"
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"
JOURNALD=
for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
	[ -x "$j" ] && { JOURNALD=$j; break; }
done

UPLOAD= REMOTE=
for d in /lib/systemd /usr/lib/systemd; do
	[ -x "$d/systemd-journal-upload" ] && [ -x "$d/systemd-journal-remote" ] &&
		{ UPLOAD=$d/systemd-journal-upload; REMOTE=$d/systemd-journal-remote; break; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-journal.XXXXXX")
trap 'rm -rf "$W"' EXIT
export LIB W JOURNALD UPLOAD REMOTE

# The refused connect the test logs: python3, preloaded.
cat >"$W/refused.py" <<'PY'
import os, socket
s = socket.socket()
try:
    s.connect(("127.0.0.1", 1))
except OSError as e:
    print("refused", e.errno, "pid", os.getpid())
PY
# The storm: as many refused connects as asked, as fast as they go.
cat >"$W/storm.py" <<'PY'
import os, socket, sys
print(os.getpid())
for i in range(int(sys.argv[1])):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", 1))
    except ConnectionRefusedError:
        pass
    s.close()
PY

unshare -m sh -eu <<'SH'
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal /run/log/journal
fail=0

# 1. No journal: one warning, then the text line on stderr.
TCPSHIM_LOG=journal LD_PRELOAD=$LIB python3 "$W/refused.py" >"$W/none.out" 2>"$W/none.err"
if grep -q '^tcpshim: cannot open log /run/systemd/journal/socket: ENOENT; logging to stderr instead$' "$W/none.err" &&
	grep -q ' rst_received cause=refused call=connect errno=ECONNREFUSED ' "$W/none.err" &&
	[ "$(wc -l <"$W/none.err")" = 2 ]; then
	echo "ok   no journal: one warning, the event on stderr"
else
	echo "FAIL no journal:"; sed 's/^/  | /' "$W/none.err"; fail=1
fi

# datagram WHY: no journald to read back (WHY), so receive the datagram
# and check its form.
datagram() {
	python3 - "$W" "$1" <<'PY' || fail=1
import os, socket, subprocess, sys
w = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
env = dict(os.environ, TCPSHIM_LOG="journal", LD_PRELOAD=os.environ["LIB"])
subprocess.run(["python3", w + "/refused.py"], env=env, check=True,
               stdout=subprocess.DEVNULL)
s.settimeout(5)
d = s.recv(65536).decode()
fields = dict(l.split("=", 1) for l in d.rstrip("\n").split("\n"))
ok = d.endswith("\n") and fields.get("TCPSHIM_CAUSE") == "refused" and \
    fields.get("PRIORITY") == "4" and fields.get("MESSAGE", "").startswith("tcpshim[")
print(("ok  " if ok else "FAIL") + " datagram (no journald here: " +
      sys.argv[2] + "): " + ("KEY=VALUE lines" if ok else repr(d)))
sys.exit(0 if ok else 1)
PY
}

# 4. Shipped: systemd-journal-upload sends this journal over HTTP to a
# systemd-journal-remote, and journalctl finds the entry, its fields
# intact, in the journal the receiver wrote.
ship() {
	if [ -z "$UPLOAD" ]; then
		echo "SKIP journal-upload to journal-remote: not installed (Debian package systemd-journal-remote)"
		return 0
	fi
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$W/remote"
	"$REMOTE" --listen-http="127.0.0.1:$port" --output="$W/remote/" >"$W/remote.out" 2>&1 &
	rm_pid=$!
	n=0
	until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 100 ] || break; sleep 0.1
	done
	"$UPLOAD" --url="http://127.0.0.1:$port" -D /run/log/journal \
		--save-state="$W/upload.state" --follow=no >"$W/upload.out" 2>&1 || true
	# Stopped, the receiver has written every entry it took.
	kill "$rm_pid" 2>/dev/null || true
	wait "$rm_pid" 2>/dev/null || true
	journalctl -q -D "$W/remote" -o json TCPSHIM_CAUSE=refused \
		_PID="$(sed -n 's/^refused .* pid //p' "$W/real.out")" >"$W/shipped.json" 2>/dev/null || true
	if [ "$(wc -l <"$W/shipped.json")" = 1 ] &&
		grep -q '"TCPSHIM_PEER":"127.0.0.1:1"' "$W/shipped.json" &&
		grep -q '"MESSAGE_ID":"4fe9b1a5db0c4c9faa18e2ad67d45bfb"' "$W/shipped.json"; then
		echo "ok   journal-upload to journal-remote: the entry arrives, every field in place"
	else
		echo "FAIL journal-upload to journal-remote:"
		sed 's/^/  | /' "$W/upload.out" "$W/remote.out" "$W/shipped.json"; fail=1
	fi
}

jd=
if [ -n "$JOURNALD" ]; then
	# 2. A real journald, its files in this namespace's /run.
	"$JOURNALD" >"$W/journald.out" 2>&1 &
	jd=$!
	n=0
	until [ -S /run/systemd/journal/socket ] || ! kill -0 "$jd" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 100 ] || break; sleep 0.1
	done
	if [ -S /run/systemd/journal/socket ] && kill -0 "$jd" 2>/dev/null; then
		TCPSHIM_LOG=journal LD_PRELOAD=$LIB python3 "$W/refused.py" \
			>"$W/real.out" 2>"$W/real.err"
		TCPSHIM_LOG=journal TCPSHIM_EVENTS=summary LD_PRELOAD=$LIB \
			python3 "$W/storm.py" 1000 >"$W/storm.pid" 2>>"$W/real.err"
	fi
	# A journald that cannot run here (a root without a machine id,
	# say) is no journald to read back.
	if ! kill -0 "$jd" 2>/dev/null; then
		wait "$jd" 2>/dev/null || true
		jd=
		rm -f /run/systemd/journal/* 2>/dev/null || true
		datagram "systemd-journald did not run: $(tail -n 1 "$W/journald.out")"
	fi
else
	datagram "systemd-journald not installed"
fi
if [ -n "$jd" ]; then
	# journalctl reads what journald has written: until the storm's
	# summary, the last entry, is there (5 s at most).
	n=0
	until journalctl -q -D /run/log/journal -o json TCPSHIM_NOTICE=summary >"$W/summary.json" 2>/dev/null &&
		[ -s "$W/summary.json" ]; do
		n=$((n + 1)); [ $n -lt 50 ] || break; sleep 0.1
	done
	journalctl -q -D /run/log/journal -o json TCPSHIM_CAUSE=refused \
		_PID="$(cat "$W/storm.pid")" >"$W/storm.json" 2>/dev/null || true
	journalctl -q -D /run/log/journal -o json TCPSHIM_NOTICE=held_back \
		>"$W/held.json" 2>/dev/null || true
	journalctl -q -D /run/log/journal -o json TCPSHIM_CAUSE=refused \
		_PID="$(sed -n 's/^refused .* pid //p' "$W/real.out")" >"$W/real.json" 2>/dev/null || true
	ship
	kill "$jd" 2>/dev/null || true
	wait "$jd" 2>/dev/null || true
	if [ -s "$W/real.err" ]; then
		echo "FAIL journald: the program printed:"; sed 's/^/  | /' "$W/real.err"; fail=1
	fi
	python3 - "$W/real.json" <<'PY' || fail=1
import json, sys
lines = open(sys.argv[1]).read().splitlines()
want = {"TCPSHIM_EVENT": "rst_received", "TCPSHIM_CAUSE": "refused",
        "TCPSHIM_CALL": "connect", "TCPSHIM_ERRNO": "ECONNREFUSED",
        "TCPSHIM_PEER": "127.0.0.1:1", "PRIORITY": "4",
        "SYSLOG_IDENTIFIER": "tcpshim",
        "MESSAGE_ID": "4fe9b1a5db0c4c9faa18e2ad67d45bfb"}
if len(lines) != 1:
    print("FAIL journald: %d entries for TCPSHIM_CAUSE=refused" % len(lines))
    sys.exit(1)
e = json.loads(lines[0])
bad = {k: (e.get(k), v) for k, v in want.items() if e.get(k) != v}
# The event's own time, as the line has it.
t = e.get("TCPSHIM_TIME", "")
if bad or "rst_received cause=refused" not in e.get("MESSAGE", "") or \
        e.get("TCPSHIM_PID") != e.get("_PID") or \
        len(t) != 27 or not e.get("MESSAGE", "").split(" ")[1] == t:
    print("FAIL journald: the entry differs:", bad, e)
    sys.exit(1)
print("ok   journald: journalctl TCPSHIM_CAUSE=refused finds the entry, every field in place")
PY
	python3 - "$W" <<'PY' || fail=1
import json, sys
from collections import Counter
w = sys.argv[1]
def entries(name):
    return [json.loads(l) for l in open(w + "/" + name).read().splitlines()]
events, held, summary = entries("storm.json"), entries("held.json"), entries("summary.json")
per_second = Counter(int(e["__REALTIME_TIMESTAMP"]) // 1000000 for e in events)
held_sum = sum(int(e["TCPSHIM_HELD_BACK"]) for e in held)
problems = []
if len(summary) != 1:
    problems.append("%d summary entries" % len(summary))
else:
    s = summary[0]
    if (s.get("TCPSHIM_EVENTS"), s.get("TCPSHIM_CONNECTIONS"), s.get("TCPSHIM_CAUSES")) != \
            ("1000", "1000", "refused:1000"):
        problems.append("summary %r" % {k: v for k, v in s.items() if k.startswith("TCPSHIM_")})
    if int(s.get("TCPSHIM_HELD_BACK", -1)) != held_sum:
        problems.append("summary held back %s, held_back entries %d" % (s.get("TCPSHIM_HELD_BACK"), held_sum))
if max(per_second.values(), default=0) > 100:
    problems.append("%d entries in one second" % max(per_second.values()))
if len(events) + held_sum != 1000:
    problems.append("%d entries + %d held back != 1000" % (len(events), held_sum))
if problems:
    print("FAIL journald storm: " + "; ".join(problems))
    sys.exit(1)
print("ok   journald storm: %d entries (at most 100 a second), %d held back in %d notices, the summary adds up"
      % (len(events), held_sum, len(held)))
PY
fi
exit $fail
SH
