#!/bin/sh
# Run every test program and script given; print one summary line.
# A scripted test exits 0 (pass), 77 (skipped: it says why) or other (fail).
# Each one's output is shown as it comes.
# Skips announced by Check suites ("SKIP name: reason") are counted too.
passed=0 failed=0 skipped=0 failures=""
log=$(mktemp)
for t in "$@"; do
	case "$t" in
	*/run.sh|*/deps.sh|*/bench.sh) continue ;;
	*.sh) run=sh ;;
	*) run= ;;
	esac
	# Shown as it comes, so a test that hangs shows where.
	echo "== $t"
	{ $run "$t" 2>&1; echo $? >"$log.rc"; } | tee "$log"
	rc=$(cat "$log.rc")
	n=$(grep -c '^SKIP ' "$log")
	skipped=$((skipped + n))
	if [ "$rc" = 0 ]; then passed=$((passed + 1));
	elif [ "$rc" = 77 ]; then
		# A skipped script that said "SKIP ..." is counted once.
		[ "$n" = 0 ] && skipped=$((skipped + 1))
	else failed=$((failed + 1)); failures="$failures $t"; fi
done
rm -f "$log" "$log.rc"
echo
[ -n "$failures" ] && echo "failed:$failures"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
