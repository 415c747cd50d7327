#!/bin/sh
# bench.sh - `make bench`: what tcpshim costs a program, and whether the
# budgets hold.  Run from the repository root, after the build.
#
# 1. Wall clock: each workload of bench_work, natively and under each
#    preload, interleaved (native, tcpshim, ..., native, tcpshim, ...) for
#    BENCH_ROUNDS rounds of BENCH_SECONDS each.  Median, min and max per
#    configuration, and the ratio of medians against native.
# 2. Figures that do not depend on the clock, from bench_calls at N and
#    2N calls (the difference over N cancels start-up and set-up):
#    user-space instructions (callgrind, inside the loop, the calling
#    thread only but for send1, whose draining thread counts too) and
#    system calls (strace -c) added per call; resident memory per
#    tracked socket, and with RLIMIT_NOFILE raised.  Where make deb has
#    built the packages, the library in build/deb/libtcpshim1_*.deb
#    (Debian's build flags) is counted too, under the same budgets.
# 3. The budgets, each with its verdict.  A counted budget
#    (instructions, system calls, bytes per socket) that does not hold
#    makes the run fail (exit 1) once the report is out; a wall-clock one
#    never does.
# 4. Real servers, interleaved the same way: nginx under wrk and
#    redis-server under redis-benchmark (tests/bench/bench_servers.sh), with
#    their own budgets.
# 5. What `tcpshim watch` costs (tests/bench/bench_watch.sh), as root and
#    with a command built with watch (otherwise a SKIP line says why): the
#    BPF programs' run time per connection and per request, against
#    their CPU time; churn, ping-pong, getppid() and nginx with and
#    without watch, interleaved; one reset, end to end; the memory per
#    tracked socket, and whether it stays flat over a million
#    connections.  Its counted budgets join the others.
# 6. `tcpshim report` on a million events, every reset seen from both
#    ends (tests/bench/bench_report_cmd.sh): its time and its largest
#    resident set, as a table, --json and --html.
#
# Everything goes to build/bench/ and the report to build/bench.md.
# valgrind, strace and libkeepalive0 are installed with apt-get when
# running as root; otherwise their part is skipped and the line to run
# is printed.
#
# Knobs (environment): BENCH_ROUNDS (7), BENCH_SECONDS (0.3),
# BENCH_CALLS (N for the counted runs, 4000); the servers' and watch's
# parts have their own (BENCH_SERVER_*, BENCH_WATCH_*: see their heads).
set -u

B=build
T=$B/tests
W=$B/bench
REPORT=$B/bench.md
ROUNDS=${BENCH_ROUNDS:-7}
SECS=${BENCH_SECONDS:-0.3}
NCALLS=${BENCH_CALLS:-4000}
LIB=$(pwd)/$B/libtcpshim.so
# Both keepalive preloads get the same settings: four setsockopt calls on
# every new TCP socket.
KA_IDLE=60 KA_INTVL=10 KA_CNT=5
WORKLOADS="pingpong bulk fileclose churn manysock threads spawn"
# The counted modes of bench_calls: every wrapped data call, two shaped
# like programs (send1, udpmsg), close and churn.
CALLS="send sendto sendmsg write writev recv recvfrom recvmsg read readv"
CALLS="$CALLS send1 udpmsg close churn"
# Counted over every thread of the program, not only the first.
WHOLE="send1"

log() { printf '%s\n' "bench: $*" >&2; }

rm -rf "$W"
mkdir -p "$W" || exit 1
if [ ! -f "$LIB" ] || [ ! -x "$T/bench_work" ] || [ ! -x "$T/bench_calls" ]; then
	log "run it as make bench (the library and bench programs are not built)"
	exit 1
fi
# Measure a copy: a rebuild during the run cannot change what is measured.
cp "$LIB" "$W/libtcpshim.so" || exit 1
LIB=$(pwd)/$W/libtcpshim.so

# ---- tools -----------------------------------------------------------

keepalive_lib() {
	dpkg -L libkeepalive0 2>/dev/null | grep '/libkeepalive\.so\.0$' | head -n 1
}

need=""
command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
command -v strace >/dev/null 2>&1 || need="$need strace"
[ -n "$(keepalive_lib)" ] || need="$need libkeepalive0"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing:$need"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get update -qq &&
		  apt-get install -y -qq --no-install-recommends $need; } \
			>"$W/apt.log" 2>&1 ||
			log "apt-get install$need failed (see $W/apt.log); going on without"
	else
		log "not root: going on without$need; to include it, run as root:"
		log "  apt-get install$need"
	fi
fi
KALIB=$(keepalive_lib)
HAVE_VALGRIND=0 HAVE_STRACE=0
command -v valgrind >/dev/null 2>&1 && HAVE_VALGRIND=1
command -v strace >/dev/null 2>&1 && HAVE_STRACE=1

# shiminj: two TCPSHIM_INJECT rules armed on every connection, never
# reached: what a test run under --inject pays per call.
INJ_RULES="reset:after_sent=1000000000000000;reset:after_received=1000000000000000"
CONFIGS="native shim shimka shiminj"
[ -n "$KALIB" ] && CONFIGS="$CONFIGS libka"

# ---- configurations --------------------------------------------------

# The words that run a program in configuration $1: an env command that
# first drops whatever preload and settings the caller had.  The tools
# (strace, valgrind) run it as their program, so only the program under
# test is preloaded; env's own start-up cancels out in the differences.
cfg_env() {
	clean="env -u LD_PRELOAD -u TCPSHIM_LOG -u TCPSHIM_FORMAT"
	clean="$clean -u TCPSHIM_KEEPALIVE -u TCPSHIM_USER_TIMEOUT"
	clean="$clean -u TCPSHIM_CLOSE -u TCPSHIM_EVENTS -u TCPSHIM_INJECT"
	clean="$clean -u KEEPALIVE -u KEEPIDLE -u KEEPINTVL -u KEEPCNT"
	case $1 in
	native) echo "$clean" ;;
	shim) echo "$clean LD_PRELOAD=$LIB" ;;
	shimka) echo "$clean LD_PRELOAD=$LIB" \
		"TCPSHIM_KEEPALIVE=$KA_IDLE,$KA_INTVL,$KA_CNT" \
		"TCPSHIM_FORMAT=json TCPSHIM_LOG=$(pwd)/$W/events-%p.json" ;;
	shiminj) echo "$clean LD_PRELOAD=$LIB TCPSHIM_INJECT=$INJ_RULES" ;;
	shimdeb) echo "$clean LD_PRELOAD=$DEBLIB" ;;
	libka) echo "$clean LD_PRELOAD=$KALIB KEEPIDLE=$KA_IDLE" \
		"KEEPINTVL=$KA_INTVL KEEPCNT=$KA_CNT" ;;
	esac
}

# The preload a configuration should show: bench_calls says.
expect_loaded() {
	case $1 in
	shim|shimka|shiminj|shimdeb) echo "tcpshim loaded" ;;
	*) echo "tcpshim not loaded" ;;
	esac
}

# ---- 1. wall clock ---------------------------------------------------

start=$(date +%s)
# Other work on the machine shows in the spread of the wall-clock runs.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
ncfg=$(echo $CONFIGS | wc -w)
log "wall clock: $(echo $WORKLOADS | wc -w) workloads x $ncfg configurations x $ROUNDS rounds x ${SECS}s"
: >"$W/samples"
for w in $WORKLOADS; do
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		for c in $CONFIGS; do
			v=$($(cfg_env $c) "$T/bench_work" "$w" "$SECS" "$W" \
				2>>"$W/stderr-$c") || {
				log "$w under $c failed:"
				tail -n 5 "$W/stderr-$c" >&2
				exit 1
			}
			echo "$w $c $v" >>"$W/samples"
		done
		r=$((r + 1))
	done
	log "  $w done"
done

# ---- 1b. a reset storm -----------------------------------------------

# Refused connects as fast as they go, one RST each: natively; under
# tcpshim with no log (what seeing and classifying them costs); with a
# file log that writes every one; and with that log at TCPSHIM_RATE=100,
# the journal's and syslog's default, where all but 100 a second are
# only counted.
STORM_CONFIGS="native stormoff stormfile stormrate"
storm_env() {
	case $1 in
	native) cfg_env native ;;
	stormoff) echo "$(cfg_env shim) TCPSHIM_LOG=off" ;;
	stormfile) echo "$(cfg_env shim) TCPSHIM_LOG=$(pwd)/$W/storm-%p.log" ;;
	stormrate) echo "$(cfg_env shim) TCPSHIM_LOG=$(pwd)/$W/storm-%p.log" \
		"TCPSHIM_RATE=100" ;;
	esac
}
log "storm: $(echo $STORM_CONFIGS | wc -w) configurations x $ROUNDS rounds x ${SECS}s"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for c in $STORM_CONFIGS; do
		v=$($(storm_env $c) "$T/bench_work" storm "$SECS" "$W" \
			2>>"$W/stderr-storm") || {
			log "storm under $c failed:"
			tail -n 5 "$W/stderr-storm" >&2
			exit 1
		}
		echo "storm $c $v" >>"$W/samples"
	done
	r=$((r + 1))
done
rm -f "$W"/storm-*.log

# ---- 2. counted figures ----------------------------------------------

# key value lines for the report.
: >"$W/results"
put() { echo "$1 $2" >>"$W/results"; }

# Up to two counted runs at a time: their counts do not depend on load.
running=0
spawn_job() {
	"$@" &
	running=$((running + 1))
	if [ "$running" -ge 2 ]; then
		wait
		running=0
	fi
}

# callgrind MODE CONFIG N: Ir inside bench_calls' loop_* functions, in
# the program's first thread (in all its threads for a mode in WHOLE).
callgrind_run() {
	out="$W/cg.$1.$2.$3"
	valgrind --tool=callgrind --trace-children=yes --separate-threads=yes \
		--toggle-collect='loop_*' \
		--callgrind-out-file="$(pwd)/$out.%p" \
		$(cfg_env $2) "$T/bench_calls" "$1" "$3" \
		>"$out.stdout" 2>"$out.stderr" || return 1
	[ "$(cat "$out.stdout")" = "$(expect_loaded $2)" ] || return 1
	threads="$out.*-01"
	case " $WHOLE " in *" $1 "*) threads="$out.*-[0-9]*" ;; esac
	sed -n 's/^totals: *\([0-9]*\).*/\1/p' $threads |
		awk '{ s += $1 } END { if (NR) print s }' >"$out.ir"
}

# callgrind_start CONFIG: Ir of one start and exit of /bin/true.
callgrind_start() {
	out="$W/cg.start.$1"
	valgrind --tool=callgrind --trace-children=yes --separate-threads=yes \
		--callgrind-out-file="$(pwd)/$out.%p" \
		$(cfg_env $1) /bin/true >"$out.stdout" 2>"$out.stderr" || return 1
	sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out".*-01 >"$out.ir"
}

# strace_start CONFIG: the strace -c summary of /bin/true.
strace_start() {
	strace -f -c -U name,calls -o "$W/st.start.$1.txt" \
		$(cfg_env $1) /bin/true >/dev/null 2>&1
}

# strace MODE CONFIG N: the strace -c summary.
strace_run() {
	out="$W/st.$1.$2.$3"
	strace -f -c -U name,calls -o "$out.txt" \
		$(cfg_env $2) "$T/bench_calls" "$1" "$3" \
		>"$out.stdout" 2>"$out.stderr" || return 1
	[ "$(cat "$out.stdout")" = "$(expect_loaded $2)" ]
}

# The packaged library, where make deb has built it (Debian's build
# flags: fortify, stack protector, bindnow): its instructions are
# counted too, and held to the same budget.
COUNTED=$CONFIGS
DEB=$(ls build/deb/libtcpshim1_*.deb 2>/dev/null | head -n 1)
if [ -n "$DEB" ] && dpkg-deb -x "$DEB" "$W/deb" 2>/dev/null; then
	DEBLIB=$(find "$W/deb" -name libtcpshim.so.1 | head -n 1)
	[ -z "$DEBLIB" ] || { COUNTED="$CONFIGS shimdeb"; put deb "${DEB#build/deb/}"; }
else
	put skip.deb "no package in build/deb (make deb builds it)"
fi

N2=$((NCALLS * 2))
if [ "$HAVE_VALGRIND" = 1 ]; then
	log "callgrind: $CALLS at $NCALLS and $N2 calls"
	for m in $CALLS; do
		for c in $COUNTED; do
			spawn_job callgrind_run "$m" "$c" "$NCALLS"
			spawn_job callgrind_run "$m" "$c" "$N2"
		done
	done
	for c in $COUNTED; do
		spawn_job callgrind_start "$c"
	done
	wait
	running=0
	for c in $COUNTED; do
		a=$(cat "$W/cg.start.$c.ir" 2>/dev/null)
		[ -n "$a" ] && put "ir.start.$c" "$a"
	done
	for m in $CALLS; do
		for c in $COUNTED; do
			a=$(cat "$W/cg.$m.$c.$NCALLS.ir" 2>/dev/null)
			b=$(cat "$W/cg.$m.$c.$N2.ir" 2>/dev/null)
			if [ -n "$a" ] && [ -n "$b" ]; then
				put "ir.$m.$c" "$(awk -v a="$a" -v b="$b" -v n="$NCALLS" \
					'BEGIN { printf "%.1f", (b - a) / n }')"
			else
				log "callgrind $m under $c failed; see $W/cg.$m.$c.*"
			fi
		done
	done
else
	put skip.ir "valgrind not installed (apt-get install valgrind)"
fi

# calls FILE: "name count" per system call, and "total count".
calls() {
	awk 'NF == 2 && $2 ~ /^[0-9]+$/ { print $1, $2 }' "$1"
}

if [ "$HAVE_STRACE" = 1 ]; then
	log "strace: $CALLS at $NCALLS and $N2 calls"
	for m in $CALLS; do
		for c in $CONFIGS; do
			spawn_job strace_run "$m" "$c" "$NCALLS"
			spawn_job strace_run "$m" "$c" "$N2"
		done
	done
	for c in $CONFIGS; do
		spawn_job strace_start "$c"
	done
	wait
	running=0
	for c in $CONFIGS; do
		[ -s "$W/st.start.$c.txt" ] && [ -s "$W/st.start.native.txt" ] &&
			put "sys.start.$c" "$(($(calls "$W/st.start.$c.txt" | sed -n 's/^total //p') - \
				$(calls "$W/st.start.native.txt" | sed -n 's/^total //p')))"
	done
	for m in $CALLS; do
		for c in $CONFIGS; do
			for n in $NCALLS $N2; do
				[ -s "$W/st.$m.$c.$n.txt" ] &&
					[ "$(cat "$W/st.$m.$c.$n.stdout")" = "$(expect_loaded $c)" ] ||
					{ log "strace $m under $c failed; see $W/st.$m.$c.*"; continue 2; }
				calls "$W/st.$m.$c.$n.txt" >"$W/st.$m.$c.$n.calls"
			done
			# Per call: each system call's count at 2N minus at N,
			# over N, less the same for native.
			awk -v n="$NCALLS" -v key="$m.$c" '
				FNR == 1 { f++ }
				{ count[f, $1] = $2; names[$1] = 1 }
				END {
					extra = ""
					for (s in names) {
						d = count[4, s] - count[3, s]
						d = (d - (count[2, s] - count[1, s])) / n
						if (s == "total")
							total = d
						else if (d != 0)
							extra = extra sprintf("%s%+g %s",
								extra == "" ? "" : ", ", d, s)
					}
					printf "sys.%s %g\n", key, total
					if (extra != "")
						printf "sysx.%s %s\n", key, extra
				}' "$W/st.$m.native.$NCALLS.calls" "$W/st.$m.native.$N2.calls" \
				"$W/st.$m.$c.$NCALLS.calls" "$W/st.$m.$c.$N2.calls" \
				>>"$W/results"
		done
	done
else
	put skip.sys "strace not installed (apt-get install strace)"
fi

# mem CONFIG NOFILE N [FD]: anonymous resident KiB with N tracked
# sockets, under RLIMIT_NOFILE NOFILE (soft and hard).  The least of
# three runs: a stray page (the stack, stdio) only ever adds.
mem() {
	for i in 1 2 3; do
		(ulimit -n "$2" 2>/dev/null || exit 1
		 exec $(cfg_env $1) "$T/bench_calls" mem "$3" ${4:-}) |
			sed -n 2p
	done | sort -n | head -n 1
}

log "memory"
hard=$(ulimit -Hn)
# As root, RLIMIT_NOFILE may go up to what the kernel allows; in a
# container without CAP_SYS_RESOURCE, only up to the hard limit.
high=$hard
if [ -r /proc/sys/fs/nr_open ]; then
	nr_open=$(cat /proc/sys/fs/nr_open)
	(ulimit -n "$nr_open") 2>/dev/null && high=$nr_open
fi
low=1024
[ "$hard" -lt "$low" ] && low=$hard
# N and 2N sockets, within the hard limit.
nmem=8000
[ $((2 * nmem)) -gt $((hard - 64)) ] && nmem=$(((hard - 64) / 2))
for c in native shim; do
	put "mem.$c.0" "$(mem $c "$hard" 0)"
	put "mem.$c.n" "$(mem $c "$hard" "$nmem")"
	put "mem.$c.2n" "$(mem $c "$hard" $((2 * nmem)))"
	put "mem.$c.lowlimit" "$(mem $c "$low" 16)"
	put "mem.$c.highlimit" "$(mem $c "$high" 16)"
	put "mem.$c.highfd" "$(mem $c "$high" 0 $((high - 1)))"
done
put mem.n "$nmem"
put mem.low "$low"
put mem.high "$high"

# Healthy workloads log nothing: anything logged means a workload is not
# what it claims.
events=0
for c in $CONFIGS; do
	[ -f "$W/stderr-$c" ] || continue
	e=$(grep -cv '^bench_work:' "$W/stderr-$c")
	events=$((events + e))
done
e=$(cat "$W"/events-*.json 2>/dev/null | wc -l)
put events $((events + e))

# ---- 3. report -------------------------------------------------------

put elapsed $(($(date +%s) - start))
put load "$load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)
put machine "$(nproc) x ${cpu:-unknown CPU}, Linux $(uname -r)"
put rounds "$ROUNDS"
put secs "$SECS"
put ncalls "$NCALLS"
put configs "$CONFIGS"
put nofile "$(ulimit -n)"

rm -f "$W/over"
awk -v over="$W/over" -f tests/bench/bench_report.awk "$W/results" "$W/samples" \
	>"$REPORT" || exit 1

# ---- 4. real servers -------------------------------------------------

sh tests/bench/bench_servers.sh "$LIB" "$W/servers.md" || exit 1
cat "$W/servers.md" >>"$REPORT"

# ---- 5. tcpshim watch ------------------------------------------------

sh tests/bench/bench_watch.sh "$W/watch.md" "$W/over" || exit 1
cat "$W/watch.md" >>"$REPORT"

# ---- 6. tcpshim report -----------------------------------------------

sh tests/bench/bench_report_cmd.sh "$W/report.md" "$W/over" || exit 1
cat "$W/report.md" >>"$REPORT"
echo "Reproduce with \`make bench\` ($(($(date +%s) - start)) s for this run)." >>"$REPORT"
cat "$REPORT"
echo
log "report written to $REPORT"
if [ -s "$W/over" ]; then
	log "FAILED: counted budgets that do not hold:"
	sed 's/^/bench:   /' "$W/over" >&2
	exit 1
fi
