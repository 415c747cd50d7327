#!/bin/sh
# bench_report_cmd.sh - make bench's part on `tcpshim report`: a log of
# BENCH_REPORT_PAIRS two-ended resets (500,000: a million events, made by
# bench_report_log.py), reported as a table, as --json and with --html,
# each run alone: wall-clock time (min, median and max of
# BENCH_REPORT_ROUNDS runs of the table, one of the others) and the
# largest resident set.  Budgets, for the table: at most 10.5 s (the
# report without joins took that on this size; reported, never failing)
# and at most 335 MB resident (half of that report's; over it fails).
#
#   sh tests/bench/bench_report_cmd.sh OUT.md OVER
set -u
OUT=$1 OVER=$2
B=build
W=$B/bench/report
PAIRS=${BENCH_REPORT_PAIRS:-500000}
ROUNDS=${BENCH_REPORT_ROUNDS:-3}
TIME_BUDGET=10.5
RSS_BUDGET_MB=335
mkdir -p "$W"

if ! "$B/tcpshim" report --help 2>&1 | grep -q -- --html; then
	printf '\n## tcpshim report\n\nSKIP: tcpshim built without jansson (apt-get install libjansson-dev).\n' >"$OUT"
	exit 0
fi
python3 tests/bench/bench_report_log.py "$PAIRS" >"$W/log.json" || exit 1

# run ARG...: "SECONDS MAX_RSS_KB STATUS CPU_SECONDS" of one tcpshim
# report ARG..., its output thrown away.  CPU time beside the wall
# clock: on a shared virtual machine the wall clock of one binary was
# seen to vary by half.
run() {
	python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f %d %d %.2f" % (time.monotonic() - t, u.ru_maxrss, r.returncode,
                           u.ru_utime + u.ru_stime))' "$B/tcpshim" report "$@"
}

: >"$W/table"
i=0
while [ $i -lt "$ROUNDS" ]; do
	run "$W/log.json" >>"$W/table" || exit 1
	i=$((i + 1))
done
json=$(run --json "$W/log.json")
html=$(run --html "$W/page.html" "$W/log.json")
events=$(wc -l <"$W/log.json")
mb=$(($(wc -c <"$W/log.json") / 1048576))

sort -n "$W/table" | awk -v ev="$events" -v mb="$mb" -v json="$json" \
	-v html="$html" -v tb="$TIME_BUDGET" -v rb="$RSS_BUDGET_MB" \
	-v over="$OVER" '
{ t[NR] = $1; if ($2 > rss) rss = $2; if ($3 != 0) bad = 1
  if (NR == 1 || $4 < cpu) cpu = $4 }
END {
	split(json, j, " "); split(html, h, " ")
	med = t[int((NR + 1) / 2)]
	rssmb = rss / 1024
	printf "\n## tcpshim report\n\n"
	printf "%d events (%d MB of JSON Lines, every reset seen from both " \
	       "ends), reported alone; %d runs of the table.\n\n", ev, mb, NR
	printf "| output | seconds (min / median / max) | CPU seconds (least) | largest resident set |\n"
	printf "| --- | --- | --- | --- |\n"
	printf "| table | %s / %s / %s | %s | %.0f MB |\n", t[1], med, t[NR], cpu, rssmb
	printf "| --json | %s | %s | %.0f MB |\n", j[1], j[4], j[2] / 1024
	printf "| --html, and the table (2000 rows on the page) | %s | %s | %.0f MB |\n\n", h[1], h[4], h[2] / 1024
	tv = med <= tb ? "holds" : "over (wall clock: reported, not failing)"
	rv = rssmb <= rb ? "holds" : "**over**"
	printf "- Budget: the table in at most %s s: median %s s, %s.\n", tb, med, tv
	printf "- Budget: at most %d MB resident: %.0f MB, %s.\n", rb, rssmb, rv
	if (rssmb > rb)
		print "tcpshim report: " rssmb " MB resident for " ev " events (budget " rb ")" >>over
	if (bad || j[3] != 0 || h[3] != 0)
		print "tcpshim report: a run failed" >>over
}' >"$OUT"
