# tracefs.sh - the kernel's own record of TCP resets: a private tracefs
# instance with tcp:tcp_send_reset and tcp:tcp_receive_reset, for the
# scripts that hold what they saw against it.  Sourced from the
# repository root (the scripts cd there first):
#     . tests/lib/tracefs.sh
# TRACE is the instance's path once made, MOUNTED the tracefs mounted
# for it (where the system had none): the caller's EXIT trap calls
# tracefs_remove.

TRACE=
MOUNTED=

# tracefs_instance NAME DIR: make instance NAME, with room (16 MiB) for
# a run's every reset and whatever else the host does, in the system's
# tracefs, or in one mounted on DIR (made here) where there is none.
# Status 1 where neither works, TRACE_WHY saying why.
tracefs_instance() {
	TRACE_WHY=
	_troot=
	for _t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[ -r "$_t/events/tcp/tcp_send_reset/format" ] && { _troot=$_t; break; }
	done
	if [ -z "$_troot" ]; then
		mkdir -p "$2"
		mount -t tracefs nodev "$2" 2>/dev/null && MOUNTED=$2 _troot=$2
		[ -r "$_troot/events/tcp/tcp_send_reset/format" ] || {
			TRACE_WHY="no tracefs with tcp:tcp_send_reset here"
			return 1
		}
	fi
	mkdir "$_troot/instances/$1" 2>/dev/null || {
		TRACE_WHY="cannot make a tracefs instance"
		return 1
	}
	TRACE=$_troot/instances/$1
	echo 16384 >"$TRACE/buffer_size_kb" 2>/dev/null
}

# tracefs_events 0|1: both tracepoints off or on in TRACE; status 1 if
# one could not be, TRACE_EVENT naming the first.
tracefs_events() {
	_tst=0
	for _te in tcp_send_reset tcp_receive_reset; do
		echo "$1" >"$TRACE/events/tcp/$_te/enable" && continue
		[ $_tst = 1 ] || TRACE_EVENT=$_te
		_tst=1
	done
	return $_tst
}

# tracefs_on: an empty trace, and the tracepoints on (tracefs_events).
tracefs_on() {
	: >"$TRACE/trace"
	tracefs_events 1
}

# tracefs_off FILE: the tracepoints off, and what they recorded to FILE.
tracefs_off() {
	tracefs_events 0
	cat "$TRACE/trace" >"$1"
}

# tracefs_overrun: how many records the instance's buffers lost, since
# the trace was last emptied: a trace that lost any cannot be the count.
tracefs_overrun() {
	cat "$TRACE"/per_cpu/cpu*/stats 2>/dev/null |
		awk '/^overrun:/ { n += $2 } END { print n + 0 }'
}

# tracefs_remove: for the caller's EXIT trap: the tracepoints off, the
# instance removed, and the tracefs mounted for it unmounted.
tracefs_remove() {
	if [ -n "$TRACE" ]; then
		tracefs_events 0 2>/dev/null
		rmdir "$TRACE" 2>/dev/null
	fi
	[ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null
}
