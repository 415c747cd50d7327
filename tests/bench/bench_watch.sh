#!/bin/sh
# bench_watch.sh - make bench's part on `tcpshim watch`: what it costs a
# healthy workload, each reset, and each socket it tracks.  Root only,
# and only with a command built with watch; otherwise one SKIP line says
# why, in the report too.
#
#   sh tests/bench/bench_watch.sh OUT.md OVER
#
# The Markdown section goes to OUT.md; the budgets that do not hold and
# fail the run are added to the file OVER, one a line (bench.sh's list).
#
# 1. BPF run time, with kernel.bpf_stats_enabled=1 (its old value put
#    back after): run_time_ns and run_cnt of each of watch's programs
#    (found by the ids in watch's own /proc/PID/fdinfo), before and after
#    BENCH_WATCH_CONNS connections (bench_watch churn) and
#    BENCH_WATCH_REQUESTS ping-pong requests; their sum per connection
#    and per request over that connection's and request's CPU time
#    without watch (the least of three runs).  Of a healthy connection
#    only watch_destroy runs, once per socket freed (and watch_exit once
#    per process exit); the reset programs and the pass that looks for a
#    socket's holder (watch_holders) run for resets only.  Budget: 1 %
#    each; over it fails the run.
# 2. Wall clock: churn, ping-pong, getppid() and nginx under wrk (through
#    bench_servers.sh), without and with watch running (its output to
#    /dev/null), interleaved for BENCH_WATCH_ROUNDS rounds; min, median
#    and max, and the ratio of medians.  Reported, never failing.
# 3. One reset, end to end: BENCH_WATCH_RESETS refused connects, then as
#    many SO_LINGER {1, 0} closes, in a network namespace of their own
#    that watch is told with --netns: BPF run time (every program: the
#    resets', the closes', the exits' and the passes') and watch's own
#    CPU time (utime + stime of /proc/PID/stat) per event, and what was
#    lost.
# 4. Memory per tracked socket: BENCH_WATCH_HELD connections held open in
#    that namespace (TIME-WAIT off there: net.ipv4.tcp_max_tw_buckets=0),
#    without watch and with it: the slab it adds (/proc/meminfo, and the
#    kmalloc-cg caches of /proc/slabinfo, where BPF's memory goes), the
#    socket storage each socket carries (ss -m), the memory of watch's
#    maps (bpftool: bytes_memlock, summed); then BENCH_WATCH_CHURN
#    connections churned beside them and the same again.  Budgets: no
#    held socket carries socket storage (watch keeps it only on a socket
#    a reset came on); the kmalloc-cg caches grow by at most 1 MB over
#    the churn (1 byte a connection of a million).  Either over fails
#    the run, but where another instance of watch came or went meanwhile
#    (its own memory would count), which is not judged.
#
# Knobs (environment): BENCH_WATCH_CONNS (20000), BENCH_WATCH_REQUESTS
# (100000), BENCH_WATCH_ROUNDS (5), BENCH_WATCH_RESETS (10000),
# BENCH_WATCH_HELD (10000), BENCH_WATCH_CHURN (1000000); nginx's rounds
# last BENCH_SERVER_SECONDS (3).
set -u
OUT=$1
OVER=$2
CONNS=${BENCH_WATCH_CONNS:-20000}
REQS=${BENCH_WATCH_REQUESTS:-100000}
ROUNDS=${BENCH_WATCH_ROUNDS:-5}
RESETS=${BENCH_WATCH_RESETS:-10000}
HELD=${BENCH_WATCH_HELD:-10000}
CHURN=${BENCH_WATCH_CHURN:-1000000}
# What the churn may leave in the kmalloc-cg caches: 1 MB, 1 byte per
# connection of a million.  A leak keeps at least one object per
# connection (socket storage, the only thing watch keeps per socket,
# takes hundreds of bytes there; the smallest object is 8 bytes, 8 MB
# over a million), while the BPF allocator's per-CPU caches of free
# objects hold a few hundred objects whatever the count.
CG_GROWTH_MAX_KB=1024
# Rounds of part 4 when other instances of watch came or went.
MEM_TRIES=2
PATH="$PATH:/usr/sbin:/sbin"

log() { printf '%s\n' "bench: $*" >&2; }

# The section's title; every way out of this script writes it first.
{
	echo "### tcpshim watch"
	echo
} >"$OUT"
skip() {
	log "SKIP bench_watch: $*"
	echo "Not measured: $*." >>"$OUT"
	echo >>"$OUT"
	exit 0
}
fail() {
	log "bench_watch: $*"
	exit 1
}

. tests/lib/watch.sh
PROG=$(pwd)/$B/tests/bench_watch
[ -x "$PROG" ] || fail "$PROG not built (run it as make bench)"
[ "$(id -u)" = 0 ] || skip "needs root (BPF programs and their statistics)"
"$TCPSHIM" watch --help >/dev/null 2>&1 ||
	skip "$B/tcpshim has no watch"
watch_require "BPF programs and their statistics"
command -v bpftool >/dev/null ||
	skip "bpftool missing (apt-get install bpftool)"
command -v ss >/dev/null || skip "ss missing (apt-get install iproute2)"
STATS=/proc/sys/kernel/bpf_stats_enabled
[ -w "$STATS" ] || skip "no $STATS: this kernel keeps no BPF run time"
[ -r /proc/slabinfo ] || skip "no /proc/slabinfo: the kernel's memory cannot be told apart"

watch_scratch wbench
WPID='' HPID='' STATS_OLD=''
stats_restore() {
	[ -z "$STATS_OLD" ] || echo "$STATS_OLD" >"$STATS"
	STATS_OLD=
}
stats_on() {
	STATS_OLD=$(cat "$STATS")
	echo 1 >"$STATS"
}
cleanup() {
	stats_restore
	exec 3>&- 4<&-
	watch_cleanup $WPID $HPID
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A holder that died leaves its fifo readerless: the script ends, with
# its cleanup, rather than being killed.
trap 'exit 141' PIPE
watch_netns "$NS"
# No TIME-WAIT in the namespace: a million churned connections would
# otherwise hold up to tcp_max_tw_buckets sockets for a minute, which is
# not watch's memory.  An orphan in FIN_WAIT2 goes after 5 s, not 60.
ip netns exec "$NS" sh -c 'echo 0 >/proc/sys/net/ipv4/tcp_max_tw_buckets &&
	echo 5 >/proc/sys/net/ipv4/tcp_fin_timeout' ||
	fail "cannot turn TIME-WAIT off in $NS"

: >"$W/budgets"
# budget NAME LIMIT MEASURED HOLDS [WHY]: one row of the budgets' table;
# a budget that does not hold (HOLDS 0) goes to OVER; one that could not
# be judged (HOLDS -) says WHY.
budget() {
	if [ "$4" = 1 ]; then
		v=holds
	elif [ "$4" = - ]; then
		v="not judged: $5"
	else
		v="**over**"
		echo "$1" >>"$OVER"
	fi
	echo "| $1 | $2 | $3 | $v | yes |" >>"$W/budgets"
}

# others: the other instances of watch on the host, as the ids of their
# watch_destroy programs ("-" for none), which every build of watch has.
# Their programs run beside ours on the same hooks, in the runs without
# ours too, and what they keep for the sockets here is in the figures.
others() {
	_own=" $(watch_ids prog | tr '\n' ' ')"
	bpftool prog show --json 2>/dev/null |
		grep -o '"id":[0-9]*,"type":"tracing","name":"watch_destroy"' |
		sed 's/"id":\([0-9]*\).*/\1/' | sort -n |
		awk -v own="$_own" 'index(own, " " $1 " ") == 0 {
				ids = ids (ids == "" ? "" : ",") $1 }
			END { print ids == "" ? "-" : ids }'
}
# seen FILE: the other instances now, added to those FILE has seen.
seen() {
	others | tr ',' '\n' | grep -v '^-$' >>"$1"
}
# seen_count FILE: how many other instances FILE has seen.
seen_count() {
	sort -u "$1" 2>/dev/null | wc -l | tr -d ' '
}
# seen_note FILE: a paragraph on those, for the report (none: nothing).
seen_note() {
	_n=$(seen_count "$1")
	[ "$_n" = 0 ] && return
	echo "Other instances of watch ran on the host meanwhile ($_n):" \
		"their programs ran on every hook here, without this one as" \
		"with it."
	echo
}

# ---- watch's programs and maps ---------------------------------------

# The ids of one kind (prog or map) in WPID's descriptors.
watch_ids() {
	sed -n "s/^$1_id:[[:space:]]*//p" /proc/"$WPID"/fdinfo/* 2>/dev/null |
		sort -un
}

# An awk function, field(LINE, KEY): the value of KEY in a line of
# bpftool's --json output ("-" where it is not there).
JSON_FIELDS='
function field(s, k,    v) {
	if (!match(s, "\"" k "\": *(\"[^\"]*\"|[0-9]+)"))
		return "-"
	v = substr(s, RSTART, RLENGTH)
	sub(/^"[^"]*": */, "", v)
	gsub(/"/, "", v)
	return v
}'

# progs FILE: "name run_time_ns run_cnt" for each of watch's programs.
progs() {
	for id in $(watch_ids prog); do
		bpftool prog show id "$id" --json
		echo
	done | awk "$JSON_FIELDS"'
		NF { t = field($0, "run_time_ns"); c = field($0, "run_cnt")
		     print field($0, "name"), t == "-" ? 0 : t, c == "-" ? 0 : c }' \
		>"$1"
}

# map_id NAME: the id of watch's map NAME.
map_id() {
	for id in $(watch_ids map); do
		bpftool map show id "$id" --json | grep -q "\"name\":\"$1\"" &&
			echo "$id" && return
	done
}

# maps_memory: the bytes the kernel says watch's maps hold, summed.
maps_memory() {
	for id in $(watch_ids map); do
		bpftool map show id "$id" --json
		echo
	done | awk "$JSON_FIELDS"'
		NF { m = field($0, "bytes_memlock"); if (m != "-") b += m }
		END { printf "%.0f\n", b }'
}

# watch_cpu: watch's utime + stime so far, in clock ticks.
watch_cpu() {
	awk '{ print $14 + $15 }' /proc/"$WPID"/stat
}

# lost ERR: the records watch said at exit it had no room for.
lost() {
	sed -n 's/.* events printed, \([0-9]*\) lost.*/\1/p' "$1"
}

# ---- 1. BPF run time per connection and per request ----------------------

log "watch 1/4: BPF run time, $CONNS connections and $REQS requests"
# cpu MODE N: the least CPU time per operation of three runs.
cpu_least() {
	for _ in 1 2 3; do
		"$PROG" "$1" "$2" || fail "bench_watch $1 failed"
	done | sort -n | awk 'NR == 1 { print $1 }'
}
seen "$W/o1"
cpu_churn=$(cpu_least churn "$CONNS")
cpu_ping=$(cpu_least pingpong "$REQS")
watch_start /dev/null "$W/w1.err"
seen "$W/o1"
# With watch, before the statistics cost their own clock reads.
with_churn=$(cpu_least churn "$CONNS")
with_ping=$(cpu_least pingpong "$REQS")
stats_on
progs "$W/p0"
"$PROG" churn "$CONNS" >/dev/null || fail "bench_watch churn failed"
progs "$W/p1"
"$PROG" pingpong "$REQS" >/dev/null || fail "bench_watch pingpong failed"
progs "$W/p2"
stats_restore
seen "$W/o1"
watch_stop "$W/w1.err"

# The sockets the workload frees: both ends of each connection (the
# accepted end leaves a TIME-WAIT socket, no full socket, behind), and
# none per request (the run's few at its end aside).  As each is freed
# watch_destroy runs: the one program of watch's a healthy connection
# meets.  watch_exit runs as each process exits: the churn's one, the
# ping-pong's two (it and its echo process), over the whole run.  The
# reset programs run for resets only, and watch_holders for pending
# ones: the workload makes none.
FREED_CONN=2 FREED_REQ=0 EXITS_CHURN=1 EXITS_PING=2
awk -v nc="$CONNS" -v nr="$REQS" -v cc="$cpu_churn" -v cr="$cpu_ping" \
	-v wc="$with_churn" -v wr="$with_ping" \
	-v fc="$FREED_CONN" -v fq="$FREED_REQ" -v xc="$EXITS_CHURN" \
	-v xq="$EXITS_PING" -v totals="$W/p.totals" '
FILENAME == ARGV[1] { t0[$1] = $2; c0[$1] = $3; order[++n] = $1; next }
FILENAME == ARGV[2] { t1[$1] = $2; c1[$1] = $3; next }
{ t2[$1] = $2; c2[$1] = $3 }
function per(t, c) { return c > 0 ? sprintf("%.0f", t / c) : "-" }
# Runs per operation: two decimals, or one digit where fewer than 0.005.
function runs(v) {
	return v > 0 && v < 0.005 ? sprintf("%.1g", v) : sprintf("%.2f", v)
}
# The workload'"'"'s runs of program p per operation (freed: the sockets
# it frees each; exits: the processes that exit in the run of ops), or
# "" for a program not known here: every run on the host.
function workload_runs(p, freed, exits, ops) {
	if (p == "watch_destroy")
		return freed
	if (p == "watch_exit")
		return exits / ops
	if (p ~ /_reset$/ || p == "watch_holders")
		return 0
	return ""
}
# The cells of one program over ops operations: runs on the host, runs
# of the workload (own: how many it makes; "": every run on the host),
# ns per run, ns per operation (also left in cost).
function cells(p, dt, dc, ops, own,    mine) {
	mine = own != "" ? own : dc / ops
	cost = dc > 0 ? dt / dc * mine : 0
	return sprintf(" %s | %s | %s | %.0f |", runs(dc / ops), runs(mine),
		       per(dt, dc), cost)
}
END {
	print "**1. BPF run time** (`kernel.bpf_stats_enabled=1`: each" \
	      " program'"'"'s own `run_time_ns` and `run_cnt`, read before" \
	      " and after the workload; the kernel times each run of a" \
	      " program, two clock reads included, but not the tracepoint" \
	      " that calls it). " nc " connections over loopback (socket," \
	      " connect, accept, 64 bytes sent and read, two closes: " fc \
	      " sockets freed), then " nr " ping-pong requests of 64 bytes" \
	      " (a send and a receive at each end; no socket freed)." \
	      " No program of watch'"'"'s runs at system calls: of a healthy" \
	      " connection only `watch_destroy` runs, as each socket is" \
	      " freed, for one lookup (whether a reset came on that socket:" \
	      " only such a socket carries watch'"'"'s storage);" \
	      " `watch_exit` runs as each process exits, and looks through" \
	      " its descriptors only in the second after a reset (the" \
	      " workload'"'"'s own exits: " xc " in the connections'"'"' run," \
	      " " xq " in the requests'"'"'). The reset" \
	      " programs run for resets, and `watch_holders`, the pass over" \
	      " every process'"'"'s descriptors that finds who holds a socket" \
	      " a reset came on, only while resets wait for it (an iterator:" \
	      " one run per descriptor it visits); neither workload makes" \
	      " any, so their runs, if any, are other processes'"'"' resets." \
	      " Runs on the host: every run in that time, other processes'"'"'" \
	      " too; the workload'"'"'s: for `watch_destroy` the sockets it" \
	      " frees, for `watch_exit` its processes'"'"' exits, for the" \
	      " others none. ns per connection and per" \
	      " request count the workload'"'"'s runs."
	print ""
	print "| program | runs per connection, on the host | the workload'"'"'s | ns per run | ns per connection | runs per request, on the host | the workload'"'"'s | ns per run | ns per request |"
	print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= n; i++) {
		p = order[i]
		line = "| `" p "` |" cells(p, t1[p] - t0[p], c1[p] - c0[p], nc,
			workload_runs(p, fc, xc, nc))
		sc += cost
		line = line cells(p, t2[p] - t1[p], c2[p] - c1[p], nr,
			workload_runs(p, fq, xq, nr))
		sr += cost
		print line
	}
	printf "| all | | | | **%.0f** | | | | **%.0f** |\n", sc, sr
	print ""
	printf "Against the CPU time (user + system, both ends, the softirq" \
	       " work done in their time included) of the same work without" \
	       " watch, the least of three runs: a connection %.1f µs, of" \
	       " which watch'"'"'s programs would be %.2f%%; a request %.1f" \
	       " µs, %.2f%%. With watch running (the statistics off), the" \
	       " least of three runs took %.1f µs (%+.1f%%) and %.1f µs" \
	       " (%+.1f%%): all that watch costs there, what the programs'"'"'" \
	       " time leaves out too (the tracepoints that call" \
	       " `watch_destroy` as each socket is freed and `watch_exit` as" \
	       " each process exits), with the runs'"'"' noise.\n",
	       cc / 1000, 100 * sc / cc, cr / 1000, 100 * sr / cr, wc / 1000,
	       100 * (wc / cc - 1), wr / 1000, 100 * (wr / cr - 1)
	print ""
	printf "%.0f %.4f\n%.0f %.4f\n", sc, sc / cc, sr, sr / cr >totals
}' "$W/p0" "$W/p1" "$W/p2" >>"$OUT" || fail "no BPF run time"
seen_note "$W/o1" >>"$OUT"
# share_budget WHAT: the budget on the next line of p.totals ("ns share").
share_budget() {
	read -r ns share
	budget "BPF run time per $1, over its CPU time without watch" "≤ 1%" \
		"$ns ns ($(awk -v s="$share" 'BEGIN { printf "%.2f%%", s * 100 }'))" \
		"$(awk -v s="$share" 'BEGIN { print s <= 0.01 }')"
}
{
	share_budget "connection (churn)"
	share_budget "ping-pong request"
} <"$W/p.totals"

# ---- 2. wall clock, interleaved ----------------------------------------

log "watch 2/4: wall clock, $ROUNDS rounds without and with watch"
: >"$W/samples"
# one_round CONFIG: each workload once, its wall time per operation (for
# nginx: requests a second and p99) into the samples.
one_round() {
	for m in "churn $CONNS" "pingpong $((REQS / 2))" "syscall 500000"; do
		v=$("$PROG" $m) || fail "bench_watch $m failed"
		echo "${m% *} $1 ${v#* }" >>"$W/samples"
	done
	: >"$W/nginx"
	BENCH_SERVERS=nginx BENCH_SERVER_CONFIGS=native BENCH_SERVER_ROUNDS=1 \
		BENCH_SERVER_RAW=1 sh tests/bench/bench_servers.sh "" "$W/nginx" ||
		fail "nginx under wrk failed"
	awk -v c="$1" '{ print "nginx", c, $3; print "nginx-p99", c, $4 }' \
		"$W/nginx" >>"$W/samples"
}
r=1
while [ "$r" -le "$ROUNDS" ]; do
	order="native watch"
	[ $((r % 2)) = 0 ] && order="watch native"
	for c in $order; do
		seen "$W/o2"
		if [ "$c" = watch ]; then
			watch_start /dev/null "$W/w2.err"
			one_round watch
			watch_stop "$W/w2.err"
		else
			one_round native
		fi
	done
	r=$((r + 1))
done
# runs WORKLOAD CONFIG: "min median max" of its samples.
runs() {
	awk -v w="$1" -v c="$2" '$1 == w && $2 == c { print $3 }' \
		"$W/samples" | sort -g | awk '{ v[NR] = $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print v[1], m, v[NR] }'
}
# row WORKLOAD TITLE DIVISOR FORMAT MORE: its row of the table, each
# figure over DIVISOR in FORMAT; MORE is 1 where more is better.
row() {
	awk -v t="$2" -v d="$3" -v f="$4" -v more="$5" \
		-v a="$(runs "$1" native)" -v b="$(runs "$1" watch)" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		cell = f " (" f "–" f ") |"
		line = sprintf("| %s | " cell " " cell, t, x[2] / d, x[1] / d,
			       x[3] / d, y[2] / d, y[1] / d, y[3] / d)
		r = y[2] / x[2]
		spread = (x[3] - x[1]) / 2 / x[2]
		cost = more ? 1 - r : r - 1
		if (cost <= 0.01)
			v = "holds"
		else if (cost <= spread)
			v = sprintf("inconclusive: %.1f%% within the ±%.1f%%" \
				" of the runs without", cost * 100, spread * 100)
		else
			v = sprintf("**over**: %.1f%% (runs without: ±%.1f%%)," \
				" reported", cost * 100, spread * 100)
		printf "%s %.3f | %s |\n", line, r, v
	}'
}
{
	echo "**2. Wall clock**, without watch and with it running (its" \
	     "output to /dev/null; the workloads make no reset), taking turns" \
	     "for $ROUNDS rounds; median (min–max); × is the median with" \
	     "watch over the median without. Reported, never failing the" \
	     "run: a shared machine varies by more than the 1% this would" \
	     "judge."
	echo
	echo "| workload | without watch | with watch | × | verdict (1%) |"
	echo "| --- | ---: | ---: | ---: | --- |"
	row churn "churn: connect, accept, 64 B, close (µs per connection)" \
		1000 %.1f 0
	row pingpong "ping-pong, 64 B (µs per request)" 1000 %.1f 0
	row syscall "getppid() (ns per call)" 1 %.0f 0
	row nginx "nginx, 4 kB page, wrk -t1 -c50 (requests/s)" 1 %.0f 1
	row nginx-p99 "nginx: p99 latency (ms)" 1 %.2f 0
	echo
} >>"$OUT"
seen_note "$W/o2" >>"$OUT"

# ---- 3. one reset, end to end ------------------------------------------

log "watch 3/4: $RESETS refused connects, $RESETS SO_LINGER {1, 0} closes"
ticks=$(getconf CLK_TCK)
# events FILE: lines watch printed so far.
events() { wc -l <"$1" | tr -d ' '; }
# drained FILE WANT: until watch has printed WANT events, or has printed
# nothing more for a second (records lost), or 30 s have gone.
drained() {
	_last=-1 _still=0 _n=0
	while [ "$_n" -lt 300 ]; do
		_got=$(events "$1")
		[ "$_got" -ge "$2" ] && return
		if [ "$_got" = "$_last" ]; then
			_still=$((_still + 1))
			[ "$_still" -ge 10 ] && return
		else
			_still=0
		fi
		_last=$_got
		_n=$((_n + 1))
		sleep 0.1
	done
}
{
	echo "**3. One reset, end to end**: $RESETS resets of each kind in a" \
	     "network namespace of their own, first without watch, then with" \
	     "it running for that namespace (\`--netns\`, its output to a" \
	     "file); on loopback each reset is two events, one sent and one" \
	     "received. The workload's CPU time holds what the programs cost" \
	     "where they ran in its time; BPF run time: every program of" \
	     "watch's (the statistics on), over the events printed: the reset" \
	     "programs, \`watch_destroy\` (at each socket freed on the host;" \
	     "it records the last close of a socket a reset came on)," \
	     "\`watch_exit\` (at each process's exit on the host; in the" \
	     "second after a reset it looks through the exiting process's" \
	     "descriptors for a socket a reset came on), and" \
	     "\`watch_holders\`, the passes over every process's descriptors" \
	     "that watch runs, for the resets read since the last one, to" \
	     "find who holds their sockets (an iterator: its run count is one" \
	     "per descriptor visited, not one per pass, so its whole time per" \
	     "event is given); watch's own CPU time (its passes' included):" \
	     "utime + stime of its /proc/PID/stat, in ticks of" \
	     "$((1000 / ticks)) ms."
	echo
	echo "| resets | events printed | lost | the workload's CPU µs per reset, without watch | with watch | BPF ns per event, all programs | \`watch_send_reset\` ns per run | \`watch_receive_reset\` ns per run | \`watch_destroy\` ns per run | the passes (\`watch_holders\`) ns per event | watch's CPU µs per event |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >>"$OUT"
for kind in refused linger0; do
	v0=$(ip netns exec "$NS" "$PROG" "$kind" "$RESETS") ||
		fail "bench_watch $kind failed"
	watch_start "$W/r.$kind.out" "$W/r.$kind.err" --netns "$NETNS"
	seen "$W/o3"
	stats_on
	progs "$W/r0"
	t0=$(watch_cpu)
	v1=$(ip netns exec "$NS" "$PROG" "$kind" "$RESETS") ||
		fail "bench_watch $kind failed"
	drained "$W/r.$kind.out" $((2 * RESETS))
	t1=$(watch_cpu)
	progs "$W/r1"
	stats_restore
	watch_stop "$W/r.$kind.err"
	awk -v kind="$kind" -v ev="$(events "$W/r.$kind.out")" \
		-v lost="$(lost "$W/r.$kind.err")" -v cpu="$((t1 - t0))" \
		-v ticks="$ticks" -v w0="${v0% *}" -v w1="${v1% *}" \
		-v n="$RESETS" '
	FILENAME == ARGV[1] { t0[$1] = $2; c0[$1] = $3; next }
	{
		all += $2 - t0[$1]
		took[$1] = $2 - t0[$1]
		runs = $3 - c0[$1]
		run[$1] = runs > 0 ? sprintf("%.0f", ($2 - t0[$1]) / runs) : "-"
	}
	function cell(v) { return v == "" ? "-" : v }
	END {
		what = kind == "refused" ? "connects to a port where nothing" \
		       " listens" : "closes with SO_LINGER {1, 0}"
		printf "| %d %s | %d | %s | %.1f | %.1f | %.0f | %s | %s | %s | %.0f | %.1f |\n",
		       n, what, ev, lost == "" ? "?" : lost, w0 / 1000,
		       w1 / 1000, ev ? all / ev : 0,
		       cell(run["watch_send_reset"]),
		       cell(run["watch_receive_reset"]),
		       cell(run["watch_destroy"]),
		       ev ? took["watch_holders"] / ev : 0,
		       ev ? cpu * 1e6 / ticks / ev : 0
	}' "$W/r0" "$W/r1" >>"$OUT"
done
echo >>"$OUT"
seen_note "$W/o3" >>"$OUT"

# ---- 4. memory per tracked socket --------------------------------------

log "watch 4/4: memory, $HELD connections held, $CHURN churned beside them"
# kmem_now: "SLAB_KB CG_BYTES": Slab from /proc/meminfo (all of the
# kernel's, others' work too), and the bytes in use in the kmalloc-cg-*
# caches of /proc/slabinfo, where the kernel puts allocations charged to
# a memory cgroup: BPF maps' (watch's entries and socket storage among
# them) but not the sockets themselves.
kmem_now() {
	awk '$1 == "Slab:" { slab = $2 }
		/^kmalloc-cg-/ { cg += $2 * $4 }
		END { print slab, cg }' /proc/meminfo /proc/slabinfo
}
# kmem: kmem_now once the second figure has settled (two readings 0.2 s
# apart within 16 kB, 5 s at most): storage a close frees after an RCU
# grace period is freed by then.  Then the other instances of watch.
kmem() {
	_prev=$(kmem_now) _n=0
	while [ "$_n" -lt 25 ]; do
		sleep 0.2
		_cur=$(kmem_now)
		_d=$((${_cur#* } - ${_prev#* }))
		[ "${_d#-}" -le 16384 ] && break
		_prev=$_cur
		_n=$((_n + 1))
	done
	echo "$_cur $(others)"
}
# storage: "sockets, those with socket storage, its bytes" in the
# namespace (ss -m: o, the socket's option memory, which holds it).
storage() {
	ip netns exec "$NS" ss -tmnH | awk '
		/skmem:/ { n++; if (match($0, /,o[0-9]+,/)) {
			o = substr($0, RSTART + 2, RLENGTH - 3)
			if (o > 0) { w++; s += o } } }
		END { print n + 0, w + 0, s + 0 }'
}
# hold_start: the holder in the namespace, HELD connections; HPID, and
# HELD as many as it could hold.  Commands go to fd 3, answers from 4.
hold_start() {
	rm -f "$W/hold.in" "$W/hold.out"
	mkfifo "$W/hold.in" "$W/hold.out" || fail "mkfifo"
	ip netns exec "$NS" "$PROG" hold "$HELD" <"$W/hold.in" >"$W/hold.out" &
	exec 3>"$W/hold.in" 4<"$W/hold.out"
	read -r word held HPID <&4
	[ "$word" = held ] || fail "the holder did not hold its connections"
	HELD=$held
}
hold_stop() {
	exec 3>&-
	wait "$HPID" || fail "the holder failed"
	exec 4<&-
	HPID=
}
# closing: the TCP sockets of the namespace neither established nor
# listening (orphans finishing their close).
closing() {
	ip netns exec "$NS" ss -tanH | awk '$1 != "ESTAB" && $1 != "LISTEN"' |
		wc -l | tr -d ' '
}
# drained_sockets: until the namespace has no TCP socket left (60 s at
# most); prints how many are still there.
drained_sockets() {
	_n=0
	while [ "$_n" -lt 120 ]; do
		_left=$(ip netns exec "$NS" ss -tanH | wc -l | tr -d ' ')
		[ "$_left" = 0 ] && break
		_n=$((_n + 1))
		sleep 0.5
	done
	echo "$_left"
}

# memory_round: without watch, then with it, K held, then churned; the
# readings k0 to k5, and what bpftool and ss said (m, st).
memory_round() {
	k0=$(kmem)
	hold_start
	k1=$(kmem)
	st0=$(storage)
	hold_stop
	watch_start "$W/m.out" "$W/m.err" --netns "$NETNS"
	[ -n "$(map_id watch_pending)" ] || fail "watch has no map watch_pending"
	k2=$(kmem)
	m2=$(maps_memory)
	hold_start
	k3=$(kmem)
	m3=$(maps_memory)
	st3=$(storage)
	echo "churn $CHURN" >&3
	read -r word _ _ churn_wall <&4
	[ "$word" = churned ] || fail "the holder did not churn"
	k4=$(kmem)
	m4=$(maps_memory)
	c4=$(closing)
	st4=$(storage)
	hold_stop
	left=$(drained_sockets)
	k5=$(kmem)
	watch_stop "$W/m.err"
	mem_events=$(events "$W/m.out")
}
# undisturbed: whether the other instances of watch were the same at
# every reading (the last word of each) from k0 to k4.
undisturbed() {
	[ "${k0##* }" = "${k1##* }" ] && [ "${k1##* }" = "${k2##* }" ] &&
		[ "${k2##* }" = "${k3##* }" ] && [ "${k3##* }" = "${k4##* }" ]
}
# Another instance that comes or goes moves the kernel's figures by its
# own memory: once more then.
try=1
while :; do
	memory_round
	undisturbed || [ "$try" -ge "$MEM_TRIES" ] && break
	log "another instance of watch came or went meanwhile: once more"
	try=$((try + 1))
done

awk -v k="$HELD" -v churn="$CHURN" -v k0="$k0" -v k1="$k1" -v k2="$k2" \
	-v k3="$k3" -v k4="$k4" -v k5="$k5" -v m2="$m2" -v m3="$m3" \
	-v m4="$m4" -v st0="$st0" -v st3="$st3" -v st4="$st4" \
	-v cw="$churn_wall" -v ev="$mem_events" -v c4="$c4" -v left="$left" \
	-v totals="$W/m.totals" '
function per_socket(st,    f) {
	split(st, f, " ")
	return f[2] ? sprintf("%d of %d sockets, %.0f B each", f[2], f[1],
			      f[3] / f[2]) : sprintf("none of %d sockets", f[1])
}
# "sockets with storage, of how many", of one reading of storage().
function stored(st,    f) {
	split(st, f, " ")
	return (f[2] + 0) " " (f[1] + 0)
}
# Slab (kB) and kmalloc-cg (bytes) of one reading, in bytes, s[] and
# c[]; the other instances of watch then, o[].
function reading(i, text,    f) {
	split(text, f, " ")
	s[i] = f[1] * 1024
	c[i] = f[2]
	o[i] = f[3]
}
# A share of watch, or what kept it from being one.
function share(bytes, still) {
	return still ? sprintf("**%.0f B**", bytes) : \
	       sprintf("%.0f B (other instances of watch came or went)", bytes)
}
BEGIN {
	reading(0, k0); reading(1, k1); reading(2, k2)
	reading(3, k3); reading(4, k4); reading(5, k5)
	held = o[0] == o[1] && o[1] == o[2] && o[2] == o[3]
	churned = held && o[3] == o[4]
	others = o[2] == "-" ? 0 : split(o[2], ids, ",")
	print "**4. Memory per tracked socket**: " k " connections held open" \
	      " (" 2 * k " sockets) in a network namespace of their own," \
	      " first without watch, then with it; then " churn \
	      " connections churned beside them (socket, connect, accept," \
	      " 64 bytes, two closes; " sprintf("%.0f", cw / 1000) " µs" \
	      " each), the same " k " still held. TIME-WAIT is off in the" \
	      " namespace (`net.ipv4.tcp_max_tw_buckets=0`): a million" \
	      " connections would otherwise keep up to its limit of sockets" \
	      " for a minute. watch keeps nothing for a healthy socket: its" \
	      " socket storage (`watch_pending`) only on a socket a reset" \
	      " came on, while a process held it. The kernel'"'"'s memory in" \
	      " two figures, each read once settled: its whole slab" \
	      " (`/proc/meminfo`: every other program'"'"'s work on the host" \
	      " moves it too), and the objects in use in the `kmalloc-cg-*`" \
	      " caches of `/proc/slabinfo`, where allocations charged to a" \
	      " memory cgroup go: a BPF map'"'"'s entries and socket storage," \
	      " and little else (not the sockets). Per held connection: the" \
	      " growth from holding them, with watch less without."
	print ""
	print "| per held connection | without watch | with watch, held | after the churn |"
	print "| --- | ---: | ---: | ---: |"
	printf "| slab, all of it | %.0f B | %.0f B | %.0f B |\n",
	       (s[1] - s[0]) / k, (s[3] - s[2]) / k, (s[4] - s[2]) / k
	printf "| slab: watch'"'"'s share (with less without) | | %.0f B | %.0f B |\n",
	       ((s[3] - s[2]) - (s[1] - s[0])) / k,
	       ((s[4] - s[2]) - (s[1] - s[0])) / k
	printf "| `kmalloc-cg-*` | %.0f B | %.0f B | %.0f B |\n",
	       (c[1] - c[0]) / k, (c[3] - c[2]) / k, (c[4] - c[2]) / k
	printf "| `kmalloc-cg-*`: watch'"'"'s share (with less without) | | %s | %s |\n",
	       share(((c[3] - c[2]) - (c[1] - c[0])) / k, held),
	       share(((c[4] - c[2]) - (c[1] - c[0])) / k, churned)
	printf "| socket storage (`ss -m`: o) | %s | %s | %s |\n",
	       per_socket(st0), per_socket(st3), per_socket(st4)
	printf "| watch'"'"'s maps, all of them (bpftool: bytes_memlock, summed) | | %.0f B (%+.0f B a connection) | %.0f B (%+.0f B) |\n",
	       m3, (m3 - m2) / k, m4, m4 - m3
	print ""
	growth = (c[4] - c[3]) / churn
	printf "The churn left %+.0f kB in `kmalloc-cg-*` (%+.2f B per" \
	       " churned connection; the slab as a whole moved by %+.0f kB)," \
	       " and watch'"'"'s maps %+.0f B. Right after the churn %d" \
	       " sockets of the namespace were still closing. Once the holder" \
	       " had exited and %s, `kmalloc-cg-*` stood %+.0f kB from where" \
	       " it was before it held anything. watch printed %d events: the" \
	       " resets of the churn'"'"'s last segments that found their" \
	       " connection gone, without TIME-WAIT. bpftool'"'"'s figure for" \
	       " watch'"'"'s maps is mostly its ring buffer'"'"'s, of a fixed" \
	       " size; its hashes hold the inodes of sockets a reset came" \
	       " on (`watch_wanted` only while a pass runs), none of a" \
	       " healthy one; `watch_pending`'"'"'s storage is not in" \
	       " it but in the option memory of the socket that carries it" \
	       " (the `o` of `ss -m`), freed with the socket.%s\n",
	       (c[4] - c[3]) / 1024, growth, (s[4] - s[3]) / 1024, m4 - m3,
	       c4, (left ? left " sockets were still there after a minute" : \
	       "no socket was left in the namespace"), (c[5] - c[2]) / 1024,
	       ev, (others > 0 ? sprintf(" %d other instance%s of watch ran" \
	       " on the host meanwhile: what %s for the sockets here shows" \
	       " without this one too.", others, (others > 1 ? "s" : ""),
	       (others > 1 ? "they keep" : "it keeps")) : "")
	print ""
	printf "%.0f %.2f %d %d %s %s %s %d\n", (c[4] - c[3]) / 1024, growth,
	       o[3] == o[4], churned, stored(st0), stored(st3),
	       stored(st4), m4 - m3 >totals
}' >>"$OUT"
read -r grown growth still same w0 _ w3 n3 w4 n4 _ <"$W/m.totals"
holds=$(awk -v g="$grown" -v m="$CG_GROWTH_MAX_KB" 'BEGIN { print g <= m }')
[ "$still" = 1 ] || holds=-
budget "kernel memory (\`kmalloc-cg-*\`) left by $CHURN connections churned beside $HELD held, with watch" \
	"≤ $CG_GROWTH_MAX_KB kB" "${grown} kB ($growth B a connection)" \
	"$holds" "another instance of watch started or stopped during the churn"
# None of the held sockets carries storage with watch; where some did
# without it too, or another instance came or went, it is not judged.
holds=1 why=
if [ "$w3" != 0 ] || [ "$w4" != 0 ]; then
	holds=0
	if [ "$w0" != 0 ]; then
		holds=- why="$w0 sockets carried option memory without watch"
	elif [ "$same" != 1 ]; then
		holds=- why="another instance of watch started or stopped meanwhile"
	fi
fi
budget "socket storage on held healthy sockets ($HELD connections, then $CHURN churned beside them), with watch" \
	"none" "with storage: $w3 of $n3 sockets held; $w4 of $n4 after the churn" \
	"$holds" "$why"

# ---- budgets -----------------------------------------------------------

{
	echo "| budget | limit | measured | verdict | fails the run |"
	echo "| --- | --- | --- | --- | --- |"
	cat "$W/budgets"
	echo
} >>"$OUT"
