#!/bin/sh
# test_map.sh - tests/README.md is the map of tests/: it names every file
# under tests/ by its path from there, in backquotes (`unit/unit_tally.c`,
# `run.sh`), and every path into a folder of tests/ that it names is
# there.  Run from the repository root.
set -u
set -f
cd "$(dirname "$0")/.." || exit 1
MAP=tests/README.md
fail=0

bad() {
	echo "FAIL test_map: $*"
	fail=1
}

files=$(mktemp) || exit 1
trap 'rm -f "$files"' EXIT
# Python's byte-code caches are no file of the tree.
find tests -name __pycache__ -prune -o -type f -print |
	sed 's|^tests/||' | sort >"$files"
while IFS= read -r f; do
	grep -qF "\`$f\`" "$MAP" || bad "tests/$f is not named in $MAP (as \`$f\`)"
done <"$files"

# The other way: a name like `real/truth.py` that starts with a folder of
# tests/ is a file (or, ending in /, a folder) that is there.
for p in $(grep -o '`[^` ]*/[^` ]*`' "$MAP" | tr -d '`' | sort -u); do
	case $p in /*|*'*'*) continue ;; esac
	[ -d "tests/${p%%/*}" ] || continue
	[ -e "tests/$p" ] || bad "$MAP names $p, which is not in tests/"
done
[ "$fail" -eq 0 ] && echo "PASS test_map: $(wc -l <"$files") files under tests/, each named in $MAP"
exit "$fail"
