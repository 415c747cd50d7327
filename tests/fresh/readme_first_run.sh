#!/bin/sh
# readme_first_run.sh [README] - print the README's first commands: the
# lines of the first sh block under the heading "## First run" (README,
# or standard input).  check-fresh runs them on a fresh machine, and
# test_docs.sh checks that there are some: both read them through this
# one script, so they cannot disagree on which lines they are.
exec awk '
	/^## First run/ { section = 1; next }
	section && /^## / { exit }
	section && /^```sh$/ { block = 1; next }
	block && /^```$/ { exit }
	block { print }' "$@"
