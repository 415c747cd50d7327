#!/bin/sh
# test_report.sh - tcpshim report joins a reset's two ends and two
# layers, with real programs on both ends (tests/programs/report_pair.py,
# each under its own tcpshim and log):
#   1. on loopback (any user): unread data, SO_LINGER {1, 0} and
#      tcp_abort() each joined to the client's peer_reset with the right
#      verdict, a refused connect one-sided; the client's log alone gives
#      four one-sided rows;
#   2. from those logs: the server's log 3.5 s ahead, named as another
#      host, still joins and the estimated offset is shown; a receiver
#      logged 2 minutes late still pairs; one address pair used twice in
#      a minute pairs right or not at all; the filters; the --html page
#      in headless Chromium (where installed: Debian package chromium):
#      its DOM and a screenshot that is not blank, and its bound;
#   3. (root) the same programs logging to a private journald, read
#      back with journalctl -o json: the same rows and verdicts;
#   4. (root, eBPF) with tcpshim watch: one row per reset, both layers at
#      each end, and the refused connect joined to watch's no_listener;
#   5. (root) across two hosts in network namespaces (the demos'): the
#      same joins, with --host names; a peer that crashed and restarted
#      (halfopen_reset) and one that stayed down (keepalive_timeout)
#      one-sided from the client's log, joined with watch's events.
# Needs python3.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/watch.sh
PAIR=$(pwd)/tests/programs/report_pair.py
EXPECT="python3 $(pwd)/tests/lib/report_expect.py"
PEERHOST=$(pwd)/demos/peerhost.sh
PEER_SERVICE=$(pwd)/$B/demos/peer_service
TAG=rep$$

skip() { echo "SKIP test_report: $*"; exit 77; }
fail() { echo "FAIL test_report: $*"; exit 1; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it runs the plain build's command and library; make check without SANITIZE runs it"
[ -x "$TCPSHIM" ] || fail "$TCPSHIM not built (make)"
command -v python3 >/dev/null || skip "python3 missing (Debian package python3)"
"$TCPSHIM" report --help | grep -q -- --host ||
	skip "tcpshim built without jansson: apt-get install libjansson-dev && make"

W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-report.XXXXXX")
SPID= WPID= HOSTS=
cleanup() {
	for p in $SPID $WPID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -z "$HOSTS" ] || "$PEERHOST" down "$TAG"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port: a TCP port nothing uses on loopback, with the next one free
# too (the refused case connects there).
free_port() {
	python3 -c '
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass'
}

# pair DIR ADDR PORT LOG...: report_pair.py's server (under $SRUN) and
# client (under $CRUN), each under tcpshim with the options LOG...
# (DIR/server.json and DIR/client.json go after --log, or journal);
# the client's lines in DIR/client.out.
pair() {
	d=$1 addr=$2 port=$3
	shift 3
	slog=$d/server.json clog=$d/client.json
	[ -z "$JOURNAL" ] || slog=journal clog=journal
	mkdir -p "$d"
	mkfifo "$d/in"
	$SRUN "$TCPSHIM" "$@" --log "$slog" -- \
		python3 "$PAIR" server "$addr" "$port" <"$d/in" >"$d/server.out" 2>&1 &
	SPID=$!
	# Read-write: never blocks, even if the server is gone already.
	exec 3<>"$d/in"
	n=0
	until grep -q ready "$d/server.out" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 300 ] || fail "the server did not start: $(cat "$d/server.out")"
		kill -0 "$SPID" 2>/dev/null || fail "the server ended: $(cat "$d/server.out")"
		sleep 0.1
	done
	$CRUN "$TCPSHIM" "$@" --log "$clog" -- \
		python3 "$PAIR" client "$addr" "$port" unread linger0 abort refused \
		>"$d/client.out" 2>&1
	exec 3>&-
	wait "$SPID"
	SPID=
	printf 'unread: ConnectionResetError\nlinger0: ConnectionResetError\nabort: ConnectionResetError\nrefused: ConnectionRefusedError\n' |
		cmp -s - "$d/client.out" ||
		fail "the client saw: $(cat "$d/client.out") $(cat "$d/server.out")"
}

# report OUT ARG...: tcpshim report ARG... into OUT; it must exit 0.
report() {
	_out=$1
	shift
	"$TCPSHIM" report "$@" >"$_out" 2>"$_out.err" ||
		fail "tcpshim report $*: status $?: $(cat "$_out.err")"
}

# 1. Loopback.
SRUN= CRUN= JOURNAL=
PORT=$(free_port)
L=$W/lo
pair "$L" 127.0.0.1 "$PORT" --json
report "$L/rows" --json "$L/server.json" "$L/client.json"
$EXPECT joined "$L/rows" "$L/server.json" "$L/client.json" 127.0.0.1 "$PORT" || exit 1
report "$L/client_rows" --json "$L/client.json"
$EXPECT one_sided "$L/client_rows" "$L/client.json" "$PORT" || exit 1
# The table: the joined row as a user reads it.
report "$L/table" "$L/server.json" "$L/client.json"
grep -q "^Connections$" "$L/table" &&
	grep -q "  127.0.0.1:$PORT  127.0.0.1:[0-9]*  unread_data/peer_reset  pid [0-9]* (fd [0-9]*) closed with 12 bytes unread: its kernel reset the connection; pid [0-9]* (fd [0-9]*) saw ECONNRESET in recv [0-9.]* ms later$" "$L/table" &&
	grep -q '^4 connections (3 seen from both ends), 7 events, 0 notices$' "$L/table" ||
	fail "the table: $(cat "$L/table")"
echo "ok   the table: the joined row and the summary line"

# 2. Crafted from those logs.
$EXPECT shift "$L/server.json" 3.5 >"$W/ahead.json" || exit 1
report "$W/skew" --json --host server="$W/ahead.json" --host client="$L/client.json"
$EXPECT joined "$W/skew" "$L/server.json" "$L/client.json" 127.0.0.1 "$PORT" || exit 1
python3 - "$W/skew" <<'EOF' || exit 1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
off = [r["clock_offset_ms"] for r in rows if "clock_offset_ms" in r]
# The client's clock less the server's: about -3500 ms, the time a reset
# takes on loopback aside.
if len(off) != 3 or any(abs(o + 3500) > 50 for o in off) or \
        any(e["host"] not in ("server", "client") for r in rows for e in r["ends"]):
    print("FAIL skewed clocks: offsets %r" % off)
    sys.exit(1)
print("ok   the server's clock 3.5 s ahead: joined, offset %.3f ms" % off[0])
EOF
report "$W/skew_table" --host server="$W/ahead.json" --host client="$L/client.json"
grep -q '^client  server     -3[45][0-9][0-9]\.[0-9]* ms ' "$W/skew_table" ||
	grep -q '^server  client     +3[45][0-9][0-9]\.[0-9]* ms ' "$W/skew_table" ||
	fail "no offset line: $(cat "$W/skew_table")"
echo "ok   the table shows the estimated offset"

$EXPECT shift "$L/client.json" 120 peer_reset >"$W/late.json" || exit 1
report "$W/late" --json "$L/server.json" "$W/late.json"
python3 - "$W/late" <<'EOF' || exit 1
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
if len(rows) != 4 or not all(re.search(r"saw ECONNRESET in recv 2 min 0 s later$", r["verdict"])
                             for r in rows[:3]):
    print("FAIL late receivers: %r" % [r["verdict"] for r in rows])
    sys.exit(1)
print("ok   receivers that logged 2 minutes later still pair")
EOF
for v in both first_missing late_second_missing ambiguous; do
	$EXPECT reuse "$L/server.json" "$L/client.json" $v >"$W/reuse.json" || exit 1
	report "$W/reuse_rows" --json "$W/reuse.json"
	$EXPECT reuse_check "$W/reuse_rows" "$L/server.json" "$L/client.json" $v || exit 1
done

# Filters: whole rows, either end.
t=$(sed -n 's/.*"event":"rst_sent".*"cause":"linger0".*/x/p' "$L/server.json" | wc -l)
[ "$t" = 1 ] || fail "no linger0 in the server's log"
n() { "$TCPSHIM" report --json "$@" "$L/server.json" "$L/client.json" | wc -l; }
last=$(python3 -c 'import json,sys; print(max(json.loads(l)["time"] for l in open(sys.argv[1])))' "$L/client.json")
[ "$(n --cause linger0)" = 1 ] && [ "$(n --cause peer_reset)" = 3 ] &&
	[ "$(n --peer "127.0.0.1:$((PORT + 1))")" = 1 ] && [ "$(n --peer 127.0.0.1)" = 4 ] &&
	[ "$(n --since "$last")" = 1 ] && [ "$(n --until "$last")" = 3 ] &&
	[ "$(n --cause linger0 --peer ::1)" = 0 ] ||
	fail "filters: $(n --cause linger0) $(n --cause peer_reset) $(n --peer "127.0.0.1:$((PORT + 1))") $(n --since "$last") $(n --until "$last")"
echo "ok   --cause, --peer, --since and --until keep whole rows"

# The page: the timeline, the counts and the rows in its DOM as
# Chromium builds it, a screenshot that is not blank, and a bounded size.
html_part() {
	"$TCPSHIM" report --html "$L/page.html" "$L/server.json" "$L/client.json" >/dev/null ||
		fail "--html: status $?"
	CHROMIUM=$(command -v chromium || command -v chromium-browser)
	if [ -z "$CHROMIUM" ]; then
		echo "SKIP the page in a browser: chromium not installed (Debian package chromium)"
		return 0
	fi
	# --no-sandbox: root, or a container, has no user namespaces for it;
	# the page is the test's own file.
	set -- --headless --no-sandbox --disable-gpu --hide-scrollbars
	timeout 120 "$CHROMIUM" "$@" --dump-dom "file://$L/page.html" \
		>"$L/dom.html" 2>"$L/chromium.err" ||
		fail "chromium --dump-dom: $(tail -3 "$L/chromium.err")"
	python3 - "$L/dom.html" "$PORT" <<'EOF' || exit 1
import re, sys
dom = open(sys.argv[1]).read()
rows = re.findall(r'<tr><td class="t">.*?</tr>', re.search(
    r'<table id="rows">(.*?)</table>', dom, re.S).group(1), re.S)
bars = re.findall(r'<rect class="bar"[^>]*>', re.search(
    r'<svg id="timeline".*?</svg>', dom, re.S).group(0))
ok = len(rows) == 4 and len(bars) >= 2 and \
    "closed with 12 bytes unread: its kernel reset the connection" in rows[0] and \
    re.search(r'<table id="causes">.*unread_data/peer_reset', dom, re.S) and \
    re.search(r'<table id="peers">.*127\.0\.0\.1', dom, re.S) and \
    '<input id="search"' in dom and "<script" in dom and \
    not re.search(r'(src|href)="(https?:)?//', dom)
if not ok:
    print("FAIL the page's DOM: %d rows, %d bars" % (len(rows), len(bars)))
    sys.exit(1)
print("ok   the page in Chromium: the timeline's bars, the counts and the 4 rows, nothing fetched")
EOF
	timeout 120 "$CHROMIUM" "$@" --screenshot="$L/page.png" --window-size=1280,1000 \
		"file://$L/page.html" >/dev/null 2>>"$L/chromium.err" ||
		fail "chromium --screenshot: $(tail -3 "$L/chromium.err")"
	# unread_data's and linger0's colours: the chart was drawn.
	python3 tests/lib/png_check.py "$L/page.png" d62728 1f77b4 || exit 1
	# Bounded: 3000 rows list 2000, the rest counted by cause.
	python3 tests/bench/bench_report_log.py 3000 >"$L/many.json"
	"$TCPSHIM" report --html "$L/many.html" "$L/many.json" >/dev/null ||
		fail "--html of 3000 rows: status $?"
	[ "$(grep -c '^<tr><td class="t">' "$L/many.html")" = 2000 ] &&
		grep -q '^<p id="more">1000 more rows are not listed' "$L/many.html" &&
		[ "$(wc -c <"$L/many.html")" -lt 2000000 ] ||
		fail "the page of 3000 rows: $(grep -c '^<tr><td class="t">' "$L/many.html") rows, $(wc -c <"$L/many.html") bytes"
	echo "ok   3000 rows: 2000 listed, the rest counted, $(($(wc -c <"$L/many.html") / 1024)) kB"
}
html_part

[ "$(id -u)" = 0 ] || skip "parts 3 to 5 need root (a private journald, eBPF, network namespaces); parts 1 and 2 passed"


# 3. A private journald: its own /run in a mount namespace of its own,
# where the programs run too (nsenter), and journalctl reads it back.
JOURNALD=
for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
	[ -x "$j" ] && { JOURNALD=$j; break; }
done
journal_part() {
	[ -n "$JOURNALD" ] || { echo "SKIP journald: systemd-journald not installed (Debian package systemd)"; return 0; }
	for c in journalctl unshare nsenter; do
		command -v $c >/dev/null || { echo "SKIP journald: $c missing"; return 0; }
	done
	unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run &&
		mkdir -p /run/systemd/journal /run/log/journal && exec "$0"' \
		"$JOURNALD" >"$W/journald.out" 2>&1 &
	JPID=$!
	SPID=$JPID
	n=0
	until nsenter -t "$JPID" -m test -S /run/systemd/journal/socket 2>/dev/null; do
		n=$((n + 1))
		if [ $n -ge 100 ] || ! kill -0 "$JPID" 2>/dev/null; then
			echo "SKIP journald: it did not run here: $(tail -n 1 "$W/journald.out")"
			kill "$JPID" 2>/dev/null; wait "$JPID" 2>/dev/null; SPID=
			return 0
		fi
		sleep 0.1
	done
	SRUN="nsenter -t $JPID -m --" CRUN="nsenter -t $JPID -m --" JOURNAL=1
	pair "$W/j" 127.0.0.1 "$(free_port)"
	SRUN= CRUN= JOURNAL=
	# Until journald has written the seven events (5 s at most).
	n=0
	until [ "$(nsenter -t "$JPID" -m journalctl -q -D /run/log/journal \
		-o json SYSLOG_IDENTIFIER=tcpshim 2>/dev/null | grep -c TCPSHIM_EVENT)" -ge 7 ]; do
		n=$((n + 1)); [ $n -lt 50 ] || break; sleep 0.1
	done
	nsenter -t "$JPID" -m journalctl -q -D /run/log/journal -o json >"$W/j/journal.json"
	kill "$JPID"; wait "$JPID" 2>/dev/null; SPID=
	report "$W/j/rows" --json "$W/j/journal.json"
	host=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["_HOSTNAME"])' "$W/j/journal.json")
	$EXPECT same "$L/rows" "$W/j/rows" "$host" || exit 1
	python3 - "$W/j/rows" "$host" <<'EOF' || exit 1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
if any(e["host"] != sys.argv[2] for r in rows for e in r["ends"]):
    print("FAIL journald: the ends' host is not _HOSTNAME %s" % sys.argv[2])
    sys.exit(1)
print("ok   journald: each end's host is the entry's _HOSTNAME")
EOF
}
journal_part

# 4 and 5 need tcpshim watch for their joined rows.
WATCH=1
"$TCPSHIM" watch --duration 0 2>&1 | grep -q 'built without eBPF' && WATCH=
[ -n "$WATCH" ] || echo "SKIP watch: tcpshim built without eBPF (apt-get install clang libbpf-dev bpftool && make)"

# watch_on FILE / watch_off: tcpshim watch --json into FILE, every reset
# on the host (the report's --peer picks the test's).
watch_on() { [ -z "$WATCH" ] || watch_start "$1" "$1.err" --json; }
watch_off() { [ -z "$WATCH" ] || { sleep 0.3; watch_stop "$1.err"; watch_none_lost "$1.err"; }; }

# rows_of OUT ADDR PORT LOG...: the report's rows of the server at
# ADDR:PORT, then those of ADDR:PORT+1 (the refused connect's).
rows_of() {
	_o=$1 _a=$2 _p=$3
	shift 3
	report "$_o.1" --json --peer "$_a:$_p" "$@"
	report "$_o.2" --json --peer "$_a:$((_p + 1))" "$@"
	cat "$_o.1" "$_o.2" >"$_o"
}

# 4. tcpshim watch beside the preload, on loopback.
if [ -n "$WATCH" ]; then
	PORT=$(free_port)
	K=$W/k
	mkdir -p "$K"
	watch_on "$K/watch.json"
	pair "$K" 127.0.0.1 "$PORT" --json
	watch_off "$K/watch.json"
	rows_of "$K/rows" 127.0.0.1 "$PORT" "$K/server.json" "$K/client.json" "$K/watch.json"
	$EXPECT joined "$K/rows" "$K/server.json" "$K/client.json" 127.0.0.1 "$PORT" kernel || exit 1
fi

# 5. Two hosts: the demos' network namespaces.
command -v ip >/dev/null || skip "ip missing (Debian package iproute2); parts 1 to 4 passed"
[ -x "$PEER_SERVICE" ] || fail "$PEER_SERVICE not built (make check-build)"
"$PEERHOST" up "$TAG" || skip "cannot make network namespaces here"
HOSTS=1
PEER=198.18.0.2 PORT=7000 HPORT=7100
N=$W/n
mkdir -p "$N"
SRUN="$PEERHOST peer $TAG" CRUN="$PEERHOST client $TAG"
watch_on "$N/watch.json"
pair "$N" "$PEER" "$PORT" --json
SRUN= CRUN=
report "$N/named" --json --host peer="$N/server.json" --host client="$N/client.json"
$EXPECT joined "$N/named" "$N/server.json" "$N/client.json" "$PEER" "$PORT" || exit 1

# halfopen CASE: python3 on the client host under tcpshim with keepalive
# 1,1,3, connected to the peer service (on HPORT: its resets stay out of
# the rows of PORT) and waiting in recv(), while the
# peer host crashes (CASE dead) or crashes and restarts (restarted).
halfopen() {
	"$PEERHOST" peer "$TAG" "$PEER_SERVICE" "$PEER" "$HPORT" >"$N/peer_$1.out" 2>&1 &
	SPID=$!
	n=0
	until grep -q ready "$N/peer_$1.out"; do
		n=$((n + 1)); [ $n -lt 100 ] || fail "no peer service: $(cat "$N/peer_$1.out")"; sleep 0.1
	done
	"$PEERHOST" client "$TAG" "$TCPSHIM" --keepalive 1,1,3 --json --log "$N/$1.json" -- \
		python3 -u -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print("connected", flush=True)
try:
    s.recv(100)
except OSError as e:
    print(e.__class__.__name__)' "$PEER" "$HPORT" >"$N/$1.out" 2>&1 &
	CPID=$!
	n=0
	until grep -q connected "$N/$1.out"; do
		n=$((n + 1)); [ $n -lt 100 ] || fail "no client: $(cat "$N/$1.out")"; sleep 0.1
	done
	"$PEERHOST" crash "$TAG"
	wait "$SPID" 2>/dev/null
	SPID=
	if [ "$1" = restarted ]; then
		"$PEERHOST" restart "$TAG"
		"$PEERHOST" peer "$TAG" "$PEER_SERVICE" "$PEER" "$HPORT" >"$N/peer2.out" 2>&1 &
		SPID=$!
	fi
	wait "$CPID"
	[ "$1" = restarted ] || "$PEERHOST" restart "$TAG"
}
halfopen dead
halfopen restarted
[ -z "$SPID" ] || { kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=; }
# watch's lines are all written once it has stopped.
watch_off "$N/watch.json"
if [ -n "$WATCH" ]; then
	rows_of "$N/rows" "$PEER" "$PORT" "$N/server.json" "$N/client.json" "$N/watch.json"
	$EXPECT joined "$N/rows" "$N/server.json" "$N/client.json" "$PEER" "$PORT" kernel || exit 1
fi
grep -q '^TimeoutError$' "$N/dead.out" && grep -q '^ConnectionResetError$' "$N/restarted.out" ||
	fail "the clients saw: $(cat "$N/dead.out" "$N/restarted.out")"
report "$N/ho" --json "$N/dead.json" "$N/restarted.json"
python3 - "$N/ho" "$N/dead.json" "$N/restarted.json" <<'EOF' || exit 1
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
dead, restarted = (json.loads(open(f).readline()) for f in sys.argv[2:4])
want = [
    ("keepalive_timeout", "the keepalive probes of pid %d \\(fd %d\\) went "
     "unanswered: the peer is gone, and its kernel gave up on the connection"
     % (dead["pid"], dead["fd"])),
    ("halfopen_reset", "the peer host did not know the connection \\(it had "
     "restarted\\): its kernel answered a keepalive probe of pid %d \\(fd %d\\) "
     "with a reset \\(ECONNRESET in recv\\)" % (restarted["pid"], restarted["fd"])),
]
got = [(r["cause"], r["verdict"]) for r in rows]
if len(got) != 2 or any(g[0] != w[0] or not re.fullmatch(w[1], g[1])
                        for g, w in zip(got, want)):
    print("FAIL half-open, one-sided: %r" % got)
    sys.exit(1)
print("ok   half-open peers from the client's log: keepalive_timeout and halfopen_reset, one-sided")
EOF
[ -n "$WATCH" ] || exit 0
report "$N/howatch" --json --peer "$PEER:$HPORT" "$N/dead.json" "$N/restarted.json" "$N/watch.json"
python3 - "$N/howatch" "$N/dead.json" "$N/restarted.json" <<'EOF' || exit 1
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
dead, restarted = (json.loads(open(f).readline()) for f in sys.argv[2:4])
r = {row["ends"][-1]["cookie"]: row for row in rows}
d, x = r.get(dead["cookie"]), r.get(restarted["cookie"])
ok = d is not None and x is not None and len(d["ends"]) == 1 and \
    d["ends"][0]["layers"] == ["preload", "kernel"] and \
    d["cause"] == "keepalive_timeout" and \
    x["cause"] == "no_connection/halfopen_reset" and \
    x["ends"][0]["layers"] == ["kernel"] and \
    x["ends"][1]["layers"] == ["preload", "kernel"] and \
    re.fullmatch("the host at 198.18.0.2 did not know the connection \\(it had "
                 "restarted, or dropped it\\): its kernel answered with a reset; "
                 "python3 \\(pid %d, fd %d\\) saw ECONNRESET in recv [0-9.]+ ms later"
                 % (restarted["pid"], restarted["fd"]), x["verdict"])
if not ok:
    print("FAIL half-open with watch:")
    for row in rows:
        print("  | " + json.dumps(row))
    sys.exit(1)
print("ok   with watch: keepalive_timeout with both layers; halfopen_reset joined to the restarted host's no_connection")
EOF
