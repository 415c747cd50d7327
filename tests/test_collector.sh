#!/bin/sh
# test_collector.sh - the JSON Lines log read by a log collector, as a
# fleet ships it: rsyslog's imfile follows the file, mmjsonparse parses
# each line, and the fields come out by name.  A refused connect from
# python3 and its summary at exit arrive, one record each, nothing
# skipped as unparsable.  (Vector and the OpenTelemetry collector read
# the same lines; neither is packaged for Debian 12.)
cd "$(dirname "$0")/.." || exit 1
B=${TCPSHIM_BUILD:-build}
LIB=$(pwd)/$B/libtcpshim.so

skip() { echo "SKIP test_collector: $*"; exit 77; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it runs the plain build; the sanitized one writes the same lines"
command -v python3 >/dev/null || skip "python3 missing (Debian package python3)"
RSYSLOGD=$(command -v rsyslogd || ls /usr/sbin/rsyslogd 2>/dev/null) ||
	skip "rsyslogd missing (Debian package rsyslog)"
ls /usr/lib/*/rsyslog/mmjsonparse.so >/dev/null 2>&1 ||
	skip "rsyslog has no mmjsonparse module"

W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-collector.XXXXXX")
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$W"' EXIT

# The program writes its log first; imfile reads a new file from its
# start, so nothing races the collector's start.
TCPSHIM_LOG=$W/app.jsonl TCPSHIM_FORMAT=json TCPSHIM_EVENTS=rst_received,summary \
	LD_PRELOAD=$LIB python3 -c '
import socket
s = socket.socket()
try:
    s.connect(("127.0.0.1", 1))
except ConnectionRefusedError:
    print("refused")
' >"$W/app.out" 2>"$W/app.err"

cat >"$W/rsyslog.conf" <<CONF
global(workDirectory="$W")
module(load="imfile")
module(load="mmjsonparse")
template(name="fields" type="string"
	string="%\$!event%%\$!notice% cause=%\$!cause% peer=%\$!peer% events=%\$!events%\n")
ruleset(name="tcpshim") {
	action(type="mmjsonparse" cookie="")
	if \$parsesuccess == "OK" then
		action(type="omfile" file="$W/fields.txt" template="fields")
	else
		action(type="omfile" file="$W/unparsed.txt")
}
input(type="imfile" file="$W/app.jsonl" tag="tcpshim" ruleset="tcpshim")
CONF
"$RSYSLOGD" -n -f "$W/rsyslog.conf" -i "$W/rsyslogd.pid" >"$W/rsyslogd.out" 2>&1 &
pid=$!
n=0
until [ "$(cat "$W/fields.txt" "$W/unparsed.txt" 2>/dev/null | wc -l)" -ge 2 ]; do
	kill -0 "$pid" 2>/dev/null || break
	n=$((n + 1)); [ $n -lt 100 ] || break; sleep 0.1
done

want="rst_received cause=refused peer=127.0.0.1:1 events=
summary cause= peer= events=1"
if [ "$(cat "$W/app.out")" = refused ] && [ ! -s "$W/app.err" ] &&
	[ "$(cat "$W/fields.txt" 2>/dev/null)" = "$want" ] && [ ! -e "$W/unparsed.txt" ]; then
	echo "ok   rsyslog imfile + mmjsonparse: the event and the summary, every field by name"
	exit 0
fi
echo "FAIL rsyslog imfile + mmjsonparse: expected"
printf '%s\n' "$want" | sed 's/^/  | /'
for f in fields.txt unparsed.txt app.err rsyslogd.out app.jsonl; do
	[ -e "$W/$f" ] && { echo "  $f:"; sed 's/^/  | /' "$W/$f"; }
done
exit 1
