# watch.sh - what the scripted tests of `tcpshim watch` share.  Sourced
# from the repository root (the scripts cd there first):
#     . tests/lib/watch.sh
# It sets B (the build folder, TCPSHIM_BUILD or build) and TCPSHIM (the
# command, by its absolute path).  The functions report through the
# caller's own skip and fail, which print the caller's SKIP or FAIL line
# and exit.

B=${TCPSHIM_BUILD:-build}
TCPSHIM=$(pwd)/$B/tcpshim

# watch_require WHY [PROGRAM...]: fail unless the command and each test
# PROGRAM are built; skip, saying so, unless we are root (WHY: what for),
# the command was built with eBPF, and python3 and ip are there.
watch_require() {
	_wwhy=$1
	shift
	[ -x "$TCPSHIM" ] || fail "$TCPSHIM not built (make)"
	for _wp in "$@"; do
		[ -x "$_wp" ] || fail "$_wp not built (make check-build)"
	done
	[ "$(id -u)" = 0 ] || skip "needs root ($_wwhy)"
	# (--duration 0 is refused at once by a command built with eBPF.)
	"$TCPSHIM" watch --duration 0 2>&1 | grep -q 'built without eBPF' &&
		skip "tcpshim built without eBPF: apt-get install clang libbpf-dev bpftool && make"
	command -v python3 >/dev/null || skip "python3 missing (Debian package python3)"
	command -v ip >/dev/null || skip "ip missing (Debian package iproute2)"
}

# netns_inode NAME: the inode of network namespace NAME, as watch
# --netns takes it and its events' netns field gives it.
netns_inode() { stat -L -c %i "/run/netns/$1"; }

# watch_scratch TAG: NS, the name for the test's network namespace,
# tcpshim-TAG-PID, and W, a new scratch folder tcpshim-TAG.XXXXXX under
# TMPDIR (/tmp); watch_cleanup removes both.
watch_scratch() {
	NS=tcpshim-$1-$$
	W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-$1.XXXXXX")
}

# watch_netns NAME: make network namespace NAME with lo up (skip where
# none can be made); NETNS is its inode.
watch_netns() {
	ip netns add "$1" 2>/dev/null || skip "cannot make a network namespace here"
	ip -n "$1" link set lo up || fail "lo in $1"
	NETNS=$(netns_inode "$1")
}

# watch_start OUT ERR [ARG...]: tcpshim watch ARG... in the background,
# its events to OUT and its own lines to ERR; WPID is its pid.  Returns
# once it says it is ready (30 s at most), failing if it ends first.
watch_start() {
	_wout=$1 _werr=$2
	shift 2
	"$TCPSHIM" watch "$@" >"$_wout" 2>"$_werr" &
	WPID=$!
	# ERR is made by the child: it may not be there yet.
	watch_until "$_werr" 'tcpshim watch: ready' 300 "$_werr" ||
		fail "no ready line: $(cat "$_werr")"
}

# watch_until FILE PATTERN TENTHS ERR: until FILE has a line matching
# PATTERN (grep), polled every tenth of a second; status 1 once TENTHS
# polls went by.  Fails if the watch of WPID (its own lines in ERR) ends
# meanwhile.
watch_until() {
	_wn=0
	until grep -q -- "$2" "$1" 2>/dev/null; do
		_wn=$((_wn + 1))
		[ $_wn -lt "$3" ] || return 1
		kill -0 "$WPID" 2>/dev/null || fail "watch ended: $(cat "$4")"
		sleep 0.1
	done
}

# watch_stop ERR: end the watch of WPID with SIGINT, as a user would; it
# must exit 0 (ERR, its own lines, are shown if not).  WPID is emptied.
watch_stop() {
	kill -INT "$WPID"
	wait "$WPID"
	_ws=$?
	WPID=
	[ $_ws = 0 ] || fail "watch exit status $_ws on SIGINT: $(cat "$1")"
}

# watch_none_lost ERR: watch's last line (in ERR) counts no lost record.
watch_none_lost() {
	grep -q ', 0 lost' "$1" || fail "records lost: $(cat "$1")"
}

# watch_cleanup [PID...]: for the caller's EXIT trap: kill each PID
# still running, wait for every child, delete the network namespace NS
# and the folder W.
watch_cleanup() {
	for _wp in "$@"; do kill "$_wp" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$W"
}
