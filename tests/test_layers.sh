#!/bin/sh
# test_layers.sh - the library's layout holds: each folder of shim/ is a
# layer, and a file includes headers of its own layer or a lower one only
# (the order is the Makefile's SHIM_LAYERS, lowest first; shim/cmd, the
# command, may use shim/core, and shim/bpf's headers: the records its
# kernel side writes; shim/bpf, that kernel side, includes only its own
# headers, the generated vmlinux.h and libbpf's <bpf/...>, and only
# watch*.c of shim/cmd includes the generated skeleton, watch.skel.h);
# every include names its folder; no
# file in shim/ is over 400 lines; no two files in shim/ share a name; and
# the table of real functions is written in shim/os/ only (os/real.h).
# Run from the repository root.
set -u

LAYERS="core os event api calls"
MAX_LINES=400
fail=0

rank() {
	r=0
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo "$r"; return; }
		r=$((r + 1))
	done
	echo -1
}

bad() {
	echo "FAIL test_layers: $*"
	fail=1
}

# The Makefile's order is the one checked here.
want=$(sed -n 's/^SHIM_LAYERS := //p' Makefile)
[ "$want" = "$LAYERS" ] || bad "Makefile SHIM_LAYERS is '$want', this test knows '$LAYERS'"

for f in shim/*/*.c shim/*/*.h; do
	dir=${f#shim/}
	dir=${dir%%/*}
	n=$(wc -l < "$f")
	[ "$n" -le "$MAX_LINES" ] || bad "$f has $n lines (at most $MAX_LINES)"
	if [ "$dir" = cmd ]; then
		mine=-2
	elif [ "$dir" = bpf ]; then
		mine=-3
	else
		mine=$(rank "$dir")
		[ "$mine" -ge 0 ] || { bad "$f: folder shim/$dir is no layer"; continue; }
	fi
	for inc in $(sed -n 's/^#include "\(.*\)"$/\1/p' "$f"); do
		[ "$inc" = tcpshim.h ] && [ "$mine" -ne -3 ] && continue
		# Generated into build/bpf/ at build time, never committed.
		[ "$inc" = vmlinux.h ] && [ "$mine" -eq -3 ] && continue
		case $f:$inc in
		shim/cmd/watch*.c:watch.skel.h) continue ;;
		esac
		case $inc in
		*/*) ;;
		*) bad "$f includes \"$inc\": name its folder"; continue ;;
		esac
		[ -f "shim/$inc" ] || { bad "$f includes \"$inc\", which is not in shim/"; continue; }
		theirs=${inc%%/*}
		if [ "$mine" -eq -2 ]; then
			[ "$theirs" = cmd ] || [ "$theirs" = core ] ||
				{ [ "$theirs" = bpf ] && [ "${inc%.h}" != "$inc" ]; } ||
				bad "$f (the command) includes \"$inc\": only shim/core, shim/cmd and shim/bpf's headers"
			continue
		fi
		if [ "$mine" -eq -3 ]; then
			[ "$theirs" = bpf ] && [ "${inc%.h}" != "$inc" ] ||
				bad "$f (the kernel side) includes \"$inc\": only shim/bpf's headers and vmlinux.h"
			continue
		fi
		r=$(rank "$theirs")
		if [ "$r" -lt 0 ] || [ "$r" -gt "$mine" ]; then
			bad "$f (layer $dir) includes \"$inc\" from a higher layer"
		fi
	done
done
# The table of real functions is bound in os/real.c and read-only
# elsewhere: outside shim/os/, no file assigns to real or an entry of it,
# copies over it, or names the writable table (or vfork's entry) to
# write it.
NAME='[A-Za-z_][A-Za-z0-9_]*'
NOT_MEMBER='(^|[^A-Za-z0-9_.>])'
ASSIGN='[[:space:]]*([-+*/%&|^]|<<|>>)?=([^=]|$)'
for f in shim/*/*.c shim/*/*.h; do
	case $f in shim/os/*) continue ;; esac
	hits=$(grep -nE "${NOT_MEMBER}real(\.$NAME)?$ASSIGN|${NOT_MEMBER}mem(cpy|move|set)[[:space:]]*\([[:space:]]*&?[[:space:]]*real\b|shim_real_table|${NOT_MEMBER}shim_real_vfork$ASSIGN" "$f") &&
		bad "$f writes the table of real functions outside shim/os/:" \
			"$hits"
done
# One name, one file: a reader (and a stack trace) never has to ask which.
dups=$(for f in shim/*/*.c shim/*/*.h; do echo "${f##*/}"; done | sort | uniq -d)
for d in $dups; do
	bad "two files in shim/ are named $d:" $(ls shim/*/"$d")
done
# Nothing may sit flat in shim/ but the version script.
for f in shim/*; do
	[ -d "$f" ] || [ "$f" = shim/libtcpshim.map ] ||
		bad "$f sits outside the layer folders"
done

# Under tests/, a file over 800 lines says why it is one file, on a
# comment line starting "Why one file:" in its first 40 lines.
TESTS_MAX_LINES=800
for f in $(find tests -name __pycache__ -prune -o -type f -print | sort); do
	n=$(wc -l < "$f")
	[ "$n" -gt "$TESTS_MAX_LINES" ] || continue
	head -n 40 "$f" | grep -q '^[ /*#]*Why one file:' ||
		bad "$f has $n lines (over $TESTS_MAX_LINES) and no \"Why one file:\" line at its top"
done

[ "$fail" -eq 0 ] && echo "PASS test_layers: $(ls shim/*/*.[ch] | wc -l) files in $(echo $LAYERS | wc -w) layers, shim/cmd and shim/bpf"
exit "$fail"
