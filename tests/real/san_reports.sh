#!/bin/sh
# make check-real SANITIZE=...: what the sanitizers reported from inside
# the real programs.  Every program the suites start with the sanitized
# library writes its reports to $TCPSHIM_SAN_REPORTS/report.EXE.PID
# (ASAN_OPTIONS and friends: log_path, log_exe_name).  Any report fails
# the run, except a leak none of whose stack frames is in libtcpshim.so:
# that memory is the host program's own (python3 keeps its interned
# objects to the end, nginx its pools), and is counted, by program, not
# judged.  A leak with a frame in libtcpshim.so is the library's, and
# fails.
#
# Exits 0 when nothing of the library's was reported, 77 when there is
# nothing to read (no SANITIZE), 1 otherwise.
dir=${TCPSHIM_SAN_REPORTS:-}
if [ -z "${TCPSHIM_TEST_SANITIZER:-}" ] || [ -z "$dir" ]; then
	echo "SKIP sanitizer reports: only make check-real SANITIZE=... writes them"
	exit 77
fi
[ -d "$dir" ] || { echo "FAIL sanitizer reports: no directory $dir"; exit 1; }

fail=0
host=
nocheck=
nfiles=0
for f in "$dir"/report.*; do
	[ -e "$f" ] || continue
	nfiles=$((nfiles + 1))
	# report.EXE.PID: the program's name.
	exe=${f##*/report.}
	exe=${exe%.*}
	verdict=$(awk '
		# A leak block runs from its "Direct/Indirect leak of" line
		# to the blank line after its stack.
		/^(Direct|Indirect) leak of/ { inleak = 1; ours = 0; block = ""; }
		inleak {
			block = block $0 "\n"
			if ($0 ~ /libtcpshim/) ours = 1
			if ($0 ~ /^$/) {
				if (ours) { printf "%s", block; bad = 1 }
				else host++
				inleak = 0
			}
			next
		}
		# The leak check itself failed (its tracer thread crashed in
		# the JVM): nothing was checked for leaks, nothing reported.
		/LeakSanitizer has encountered a fatal error/ { nocheck = 1; next }
		/ERROR: (AddressSanitizer|ThreadSanitizer|LeakSanitizer)/ &&
		    !/detected memory leaks/ { other = 1 }
		/WARNING: ThreadSanitizer|runtime error:/ { other = 1 }
		END {
			if (inleak && ours) { printf "%s", block; bad = 1 }
			else if (inleak) host++
			if (other) print "OTHER"
			else if (bad) print "OURS"
			else if (nocheck && host == 0) print "NOCHECK"
			else print "HOST " host + 0
		}' "$f")
	case $verdict in
	NOCHECK)
		nocheck="$nocheck $exe"
		;;
	"HOST "*)
		host="$host $exe:${verdict#HOST }"
		;;
	*)
		echo "FAIL sanitizer report from $exe ($f):"
		sed 's/^/  /' "$f" | head -n 60
		fail=1
		;;
	esac
done

if [ -n "$nocheck" ]; then
	echo "NOTE sanitizer reports: LeakSanitizer could not check for leaks" \
		"in: $(echo "$nocheck" | tr ' ' '\n' | grep . | sort | uniq -c |
			awk 'NF { printf "%s%s (%d processes)", sep, $2, $1; sep = ", " }')" \
		"(its tracer crashed; the other checks ran)"
fi
if [ $fail = 0 ]; then
	if [ -n "$host" ]; then
		# exe:count pairs, added up per program.
		said=$(echo "$host" | tr ' ' '\n' | sort | awk -F: 'NF == 2 {
			if (!($1 in n)) order[++k] = $1
			n[$1] += $2; p[$1]++ } END {
			for (i = 1; i <= k; i++) {
				e = order[i]
				printf "%s%s (%d leaks in %d processes)",
					sep, e, n[e], p[e]
				sep = ", "
			} }')
		echo "PASS sanitizer reports: ${TCPSHIM_TEST_SANITIZER}: none from" \
			"the library; host programs' own leaks, not judged: $said"
	else
		echo "PASS sanitizer reports: ${TCPSHIM_TEST_SANITIZER}: none" \
			"($nfiles report files)"
	fi
fi
exit $fail
