#!/bin/sh
# bench_servers.sh - the part of make bench a user would run: real
# servers under load, natively, under tcpshim with no settings, and under
# tcpshim with the keepalive policy and a JSON log, taking turns round
# after round.  nginx (one worker) under wrk, and redis-server under
# redis-benchmark; the server on one CPU, the load on the other, where
# there are two.  Only the server is preloaded.
#
#   sh tests/bench/bench_servers.sh LIB OUT.md
#
# LIB is the library to preload; the markdown section goes to OUT.md.
# Knobs: BENCH_SERVER_ROUNDS (5), BENCH_SERVER_SECONDS (3).  Programs
# that are missing are installed with apt-get as root, or the line to
# run is printed and their part skipped.
#
# Another part of make bench takes its own turns with these servers
# (bench_watch.sh: each round with and without tcpshim watch) through
# three more knobs: BENCH_SERVERS (nginx redis) names the servers,
# BENCH_SERVER_CONFIGS (native shim shimka) the configurations, and
# BENCH_SERVER_RAW=1 appends the runs to OUT as they are, one line each
# ("server configuration req/s p99_ms"), instead of the report.
set -u
LIB=$1
OUT=$2
ROUNDS=${BENCH_SERVER_ROUNDS:-5}
SECS=${BENCH_SERVER_SECONDS:-3}
SERVERS=${BENCH_SERVERS:-nginx redis}
RAW=${BENCH_SERVER_RAW:-0}
W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-bench-servers.XXXXXX")
chmod 755 "$W"
SERVER_PID=
trap '[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null; rm -rf "$W"' EXIT
PATH="$PATH:/usr/sbin:/sbin"
CONFIGS=${BENCH_SERVER_CONFIGS:-native shim shimka}

log() { printf '%s\n' "bench: $*" >&2; }

need=""
for pair in nginx:nginx wrk:wrk redis-server:redis-server \
	redis-benchmark:redis-tools python3:python3; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || need="$need ${pair#*:}"
done
if [ -n "$need" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	log "installing:$need"
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $need; } >"$W/apt.log" 2>&1 || true
	need=""
	for pair in nginx:nginx wrk:wrk redis-server:redis-server \
		redis-benchmark:redis-tools python3:python3; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || need="$need ${pair#*:}"
	done
fi
if [ -n "$need" ] && [ "$RAW" = 1 ]; then
	log "servers not measured: missing$need (as root: apt-get install$need)"
	exit 0
elif [ -n "$need" ]; then
	{
		echo "### Real servers"
		echo
		echo "Not measured: missing$need (as root: apt-get install$need)."
	} >"$OUT"
	exit 0
fi

# Pinned where there are two CPUs: the server on 0, its load on 1.
SRV= CLI=
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SRV="taskset -c 0" CLI="taskset -c 1"
fi

cfg_env() {
	case $1 in
	native) echo "env -u LD_PRELOAD" ;;
	shim) echo "env LD_PRELOAD=$LIB" ;;
	shimka) echo "env LD_PRELOAD=$LIB TCPSHIM_KEEPALIVE=60,10,5" \
		"TCPSHIM_FORMAT=json TCPSHIM_LOG=$W/events-%p.json" ;;
	esac
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Until something accepts on port (10 s at most).
wait_port() {
	python3 -c '
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$1"
}

stop_server() {
	kill -"$1" "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# ms VALUE: wrk's latency (850.00us, 1.23ms, 1.01s) in milliseconds.
ms() {
	echo "$1" | awk '/us$/ { printf "%.3f", $0 / 1000; next }
		/ms$/ { printf "%.3f", $0 + 0; next }
		/s$/ { printf "%.3f", $0 * 1000; next }'
}

P=$(free_port)
mkdir -p "$W/html" "$W/temp"
head -c 4096 /dev/zero | tr '\0' 'a' >"$W/html/index.html"
cat >"$W/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user nobody nogroup;")
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $W/temp/body;
    proxy_temp_path $W/temp/proxy;
    fastcgi_temp_path $W/temp/fastcgi;
    uwsgi_temp_path $W/temp/uwsgi;
    scgi_temp_path $W/temp/scgi;
    server { listen 127.0.0.1:$P; root $W/html; }
}
CONF

# nginx CONFIG: one wrk run; "rps p99_ms" into the samples.
nginx_round() {
	$SRV $(cfg_env "$1") nginx -p "$W" -c "$W/nginx.conf" \
		>"$W/nginx.out" 2>&1 &
	SERVER_PID=$!
	wait_port "$P" || { log "nginx did not start: $(cat "$W/nginx.out")"; return 1; }
	$CLI wrk -t1 -c50 -d"${SECS}s" --latency "http://127.0.0.1:$P/" \
		>"$W/wrk.out" 2>&1
	stop_server QUIT
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$W/wrk.out")
	p99=$(awk '$1 == "99%" { print $2 }' "$W/wrk.out")
	[ -n "$rps" ] && [ -n "$p99" ] || { log "wrk: $(cat "$W/wrk.out")"; return 1; }
	echo "nginx $1 $rps $(ms "$p99")" >>"$W/samples"
}

# redis CONFIG: one redis-benchmark run of SET and GET; "rps p99_ms" of
# each into the samples.
redis_round() {
	$SRV $(cfg_env "$1") redis-server --port "$P" --save '' \
		--appendonly no --bind 127.0.0.1 >"$W/redis.out" 2>&1 &
	SERVER_PID=$!
	wait_port "$P" || { log "redis-server did not start: $(cat "$W/redis.out")"; return 1; }
	$CLI redis-benchmark -p "$P" -c 50 -n $((SECS * 40000)) -t set,get \
		--csv >"$W/redis.csv" 2>"$W/redis.err"
	stop_server TERM
	# "test","rps","avg","min","p50","p95","p99","max"
	awk -F'"' -v c="$1" '$2 == "SET" || $2 == "GET" {
		print "redis-" tolower($2), c, $4, $14 }' "$W/redis.csv" \
		>>"$W/samples"
	grep -q '^redis-set' "$W/samples" || { log "redis-benchmark: $(cat "$W/redis.err")"; return 1; }
}

: >"$W/samples"
[ "$RAW" = 1 ] ||
	log "real servers: nginx under wrk, redis-server under redis-benchmark, $ROUNDS rounds x ${SECS}s per configuration"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		for s in $SERVERS; do
			${s}_round "$c" || exit 1
		done
	done
	r=$((r + 1))
done
if [ "$RAW" = 1 ]; then
	cat "$W/samples" >>"$OUT"
	exit 0
fi
cp "$W/samples" "${OUT%.md}.samples"
awk -v rounds="$ROUNDS" -v secs="$SECS" -v pinned="${SRV:+yes}" '
function sort(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}
function median(a, n) {
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1 SUBSEP $2
	n[k]++
	rps[k, n[k]] = $3
	p99[k, n[k]] = $4
	if (!($1 in seen)) { seen[$1] = 1; order[++nw] = $1 }
}
END {
	title["nginx"] = "nginx, 4 kB page, wrk -t1 -c50"
	title["redis-set"] = "redis-server, SET, redis-benchmark -c 50"
	title["redis-get"] = "redis-server, GET, redis-benchmark -c 50"
	print "### Real servers"
	print ""
	printf "Each server natively, under tcpshim, and under tcpshim with" \
	       " TCPSHIM_KEEPALIVE=60,10,5 and a JSON log, in turn, %d rounds" \
	       " of %d s; only the server is preloaded%s. Median (min–max)" \
	       " of the rounds; × is over native'"'"'s median.\n\n", rounds,
	       secs, pinned == "yes" ? ", on CPU 0, its load on CPU 1" : ""
	print "| server | native req/s | tcpshim | × | tcpshim, keepalive + JSON log | × | p99 ms: native | tcpshim | tcpshim, keepalive + JSON log |"
	print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (w = 1; w <= nw; w++) {
		s = order[w]
		line = "| " title[s] " |"
		plat = ""
		for (ci = 1; ci <= 3; ci++) {
			c = ci == 1 ? "native" : ci == 2 ? "shim" : "shimka"
			k = s SUBSEP c
			m = n[k]
			for (i = 1; i <= m; i++) { a[i] = rps[k, i]; b[i] = p99[k, i] }
			sort(a, m); sort(b, m)
			med[c] = median(a, m); lo[c] = a[1]; hi[c] = a[m]
			pmed[c] = median(b, m); plo[c] = b[1]; phi[c] = b[m]
			line = line sprintf(" %.0f (%.0f–%.0f) |", med[c], lo[c], hi[c])
			if (c != "native")
				line = line sprintf(" %.3f |", med[c] / med["native"])
			plat = plat sprintf(" %.3f (%.3f–%.3f) |", pmed[c], plo[c], phi[c])
		}
		print line plat
		# Budgets: throughput >= 0.99 of native; p99 within the
		# spread of native'"'"'s own rounds.
		spread = (hi["native"] - lo["native"]) / 2 / med["native"]
		for (ci = 2; ci <= 3; ci++) {
			c = ci == 2 ? "shim" : "shimka"
			x = med[c] / med["native"]
			if (x >= 0.99)
				v = "holds"
			else if (1 - x <= spread)
				v = sprintf("**inconclusive**: %.1f%% short, within native'"'"'s own ±%.1f%%", (1 - x) * 100, spread * 100)
			else
				v = sprintf("**over** (%.1f%% short; native'"'"'s spread ±%.1f%%): wall clock, reported", (1 - x) * 100, spread * 100)
			budget[++nb] = sprintf("| %s, %s: throughput over native | ≥ 0.99 | %.3f | %s | no: wall clock |", title[s], c == "shim" ? "tcpshim" : "tcpshim, keepalive + JSON log", x, v)
			pv = pmed[c] <= phi["native"] ? "holds" : sprintf("**over** (%.3f ms over): wall clock, reported", pmed[c] - phi["native"])
			budget[++nb] = sprintf("| %s, %s: p99 latency | within native'"'"'s rounds, %.3f–%.3f ms | %.3f ms | %s | no: wall clock |", title[s], c == "shim" ? "tcpshim" : "tcpshim, keepalive + JSON log", plo["native"], phi["native"], pmed[c], pv)
		}
	}
	print ""
	print "| budget | limit | measured | verdict | fails the run |"
	print "| --- | --- | --- | --- | --- |"
	for (i = 1; i <= nb; i++)
		print budget[i]
	print ""
}' "$W/samples" >"$OUT"
