#!/bin/sh
# test_docs.sh - README.md, CONTRIBUTING.md and docs/*.md name only what
# is there: every `make TARGET` is a target of the Makefile (with the
# fragments it includes); every `tcpshim SUBCOMMAND` and every --option
# of the command is one it has; every TCPSHIM_ name is in the library's
# source; every relative link leads to a file (and an #anchor to one of
# its headings).  The README stays under 250 lines, and its "## First run"
# block is the one check-fresh runs; CONTRIBUTING.md's map of shim/
# names every file there; debian/changelog's version is the tree's.  Each failure names the file and line.
# Run from the repository root; KEEP=1 keeps the working files (their
# folder is printed).
set -u

README_MAX=250
fail=0
checked=0

bad() {
	echo "FAIL test_docs: $*"
	fail=1
}

if [ ! -f Makefile ] || [ ! -f README.md ] || [ ! -d shim ]; then
	echo "FAIL test_docs: run it from the repository root"
	exit 1
fi
DOCS="README.md CONTRIBUTING.md"
for f in docs/*.md; do
	[ -f "$f" ] && DOCS="$DOCS $f"
done
tmp=$(mktemp -d) || exit 1
if [ -n "${KEEP:-}" ]; then
	echo "$tmp" >&2
else
	trap 'rm -rf "$tmp"' EXIT
fi
TAB=$(printf '\t')

# make on its own, not as a part of the make that runs this test.
make_alone() {
	MAKEFLAGS='' MAKELEVEL='' make "$@"
}

# The slug a heading gets as a link's #anchor (GitHub's rule: lower case,
# punctuation dropped, spaces to hyphens, a repeated one numbered).
SLUG='
function slug(h,   n) {
	sub(/^#+[ \t]*/, "", h); sub(/[ \t]*#*[ \t]*$/, "", h)
	h = tolower(h)
	gsub(/[^a-z0-9 _-]/, "", h)
	gsub(/ /, "-", h)
	n = seen[FILENAME, h]++
	return n ? h "-" n : h
}'

# What the Markdown holds, one record a line, each with file:line:
#   code  WHERE TEXT     a line of a fenced block, or an inline code span
#                        (one that runs over lines is joined with spaces)
#   link  WHERE TARGET   a link's target, outside code
awk '
FNR == 1 { fence = 0; span = 0 }
/^[ \t]*(```|~~~)/ { fence = !fence; span = 0; next }
fence { printf "code\t%s:%d\t%s\n", FILENAME, FNR, $0; next }
/^[ \t]*$/ { span = 0; next }
{
	line = $0; prose = ""
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (c == "`") {
			for (n = 1; substr(line, i + n, 1) == "`"; n++)
				;
			if (!span) {
				span = n; code = ""; at = FNR
			} else if (n == span) {
				printf "code\t%s:%d\t%s\n", FILENAME, at, code
				span = 0
			} else {
				code = code substr(line, i, n)
			}
			i += n - 1
			continue
		}
		if (span)
			code = code c
		else
			prose = prose c
	}
	if (span)
		code = code " "
	while (match(prose, /\]\([^)]*\)/)) {
		printf "link\t%s:%d\t%s\n", FILENAME, FNR,
			substr(prose, RSTART + 2, RLENGTH - 3)
		prose = substr(prose, RSTART + RLENGTH)
	}
}' $DOCS >"$tmp/records"

# --- 1. make targets -------------------------------------------------------
# The Makefile's own database (make -qp) holds every explicit target, those
# of the fragments it includes among them, wherever they are.  A name not
# listed there (a file a pattern rule makes) counts when make knows how to
# make it (make -q exits 2 only for a target it has no rule for).
make_alone -qp 2>/dev/null | awk '
	/^# Not a target/ { skip = 1; next }
	/^[A-Za-z0-9][^$#\/\t=:%]*:([^=]|$)/ && !skip {
		split($0, t, ":"); print t[1] }
	{ skip = 0 }' | sort -u >"$tmp/targets"
[ -s "$tmp/targets" ] || bad "make -qp listed no target in the Makefile"

# The words of code that run a command, after the command's name: the
# name at the start, or after $, sudo, env, a variable assignment, &&, ||,
# ;, | or (.  Prints: WHERE<TAB>NAME<TAB>WORD WORD ... up to a comment or
# the end of the command.
awk -F '\t' -v OFS='\t' '
$1 != "code" { next }
{
	n = split($3, w, /[ \t]+/); cmdpos = 1
	for (i = 1; i <= n; i++) {
		x = w[i]
		if (x == "")
			continue
		if (cmdpos && (x == "make" || x == "tcpshim" || x ~ /\/tcpshim$/)) {
			args = ""
			for (j = i + 1; j <= n; j++) {
				if (w[j] ~ /^(#|&&|\|\||;|\||\))/)
					break
				args = args (args == "" ? "" : " ") w[j]
				if (w[j] ~ /;$/)
					break
			}
			print $2, (x == "make" ? "make" : "tcpshim"), args
		}
		cmdpos = x == "$" || x == "sudo" || x == "env" || x == "&&" ||
			 x == "||" || x == "|" || x ~ /[;(]$/ ||
			 (cmdpos && x ~ /^[A-Za-z_][A-Za-z0-9_]*=/)
	}
}' "$tmp/records" >"$tmp/commands"

while IFS="$TAB" read -r where name args; do
	[ "$name" = make ] || continue
	set -f
	set -- $args
	set +f
	for word in "$@"; do
		case $word in
		-*|*=*) continue ;;
		esac
		checked=$((checked + 1))
		grep -qxF -- "$word" "$tmp/targets" && continue
		make_alone -q -- "$word" </dev/null >/dev/null 2>&1
		[ $? -ne 2 ] && continue
		bad "$where: make $word: no such target in the Makefile"
	done
done <"$tmp/commands"

# --- 2. tcpshim subcommands and options -----------------------------------
# The truth is the built command when there is one (its usage, and each
# subcommand's --help); without a build, the manual page man/tcpshim.1,
# whose options are taken for every subcommand alike.
if [ -x build/tcpshim ]; then
	truth=build/tcpshim
	build/tcpshim --help >"$tmp/help" 2>&1
	sed -n 's/^[a-z: ]*tcpshim \([a-z][a-z|]*\) .*/\1/p' "$tmp/help" |
		tr '|' '\n' | sort -u >"$tmp/subs"
	grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help" | sort -u >"$tmp/opts.main"
	while read -r sub; do
		{ build/tcpshim "$sub" --help </dev/null 2>&1 |
			grep -o -- '--[a-z][a-z0-9-]*'
		  echo --help; } | sort -u >"$tmp/opts.$sub"
	done <"$tmp/subs"
else
	truth=man/tcpshim.1
	sed -n 's/^\.B tcpshim \([a-z][a-z]*\)$/\1/p' man/tcpshim.1 |
		sort -u >"$tmp/subs"
	sed 's/\\-/-/g' man/tcpshim.1 | grep -o -- '--[a-z][a-z0-9-]*' |
		sort -u >"$tmp/opts.main"
	while read -r sub; do
		cp "$tmp/opts.main" "$tmp/opts.$sub"
	done <"$tmp/subs"
fi
[ -s "$tmp/subs" ] || bad "$truth names no subcommand"
cat "$tmp"/opts.* | sort -u >"$tmp/opts.all"

# opt_ok WHERE SET WORD: each --option in WORD is one of the set's (main:
# the command's own, all: any subcommand's too, else a subcommand's).
opt_ok() {
	case $2 in
	main|all) what=tcpshim ;;
	*) what="tcpshim $2" ;;
	esac
	for o in $(printf '%s\n' "$3" | grep -o -- '--[a-z][a-z0-9-]*'); do
		checked=$((checked + 1))
		grep -qxF -- "$o" "$tmp/opts.$2" ||
			bad "$1: $what $o: no such option in $truth"
	done
}

while IFS="$TAB" read -r where name args; do
	[ "$name" = tcpshim ] || continue
	set -f
	set -- $args
	set +f
	opts=main
	case ${1:-} in
	''|-*|\[*) ;;
	*)
		sub=$(printf '%s' "$1" | sed 's/[:,.)]*$//')
		for s in $(printf '%s' "$sub" | tr '|' ' '); do
			checked=$((checked + 1))
			if grep -qxF -- "$s" "$tmp/subs"; then
				opts=$s
			else
				bad "$where: tcpshim $s: no such subcommand in $truth"
			fi
		done
		shift
		;;
	esac
	for word in "$@"; do
		[ "$word" = -- ] && break
		case $word in
		*--*) opt_ok "$where" "$opts" "$word" ;;
		esac
	done
done <"$tmp/commands"
# A code span that is only an option (`--json`, `--inject RULE`) names
# one of the command's.
awk -F '\t' -v OFS='\t' '$1 == "code" && $3 ~ /^--[a-z]/ {
	split($3, w, /[ \t=]/); print $2, w[1] }' "$tmp/records" >"$tmp/alone"
while IFS="$TAB" read -r where opt; do
	opt_ok "$where" all "$opt"
done <"$tmp/alone"

# --- 3. TCPSHIM_ names ----------------------------------------------------
# Each is in the library's source (shim/, include/): a variable, or a
# journal field, which the source writes as "TCPSHIM_" then its name, or
# names to journal_str(), journal_num() or journal_addr().
fields=$(grep -rlE '"TCPSHIM_"|journal_(str|num|addr)\(' shim include 2>/dev/null)
grep -noE 'TCPSHIM_[A-Z0-9][A-Z0-9_]*' $DOCS | sort -s -t: -k3,3 -u >"$tmp/names"
while IFS=: read -r file line name; do
	checked=$((checked + 1))
	grep -rqw -- "$name" shim include </dev/null && continue
	[ -n "$fields" ] && grep -qF "\"${name#TCPSHIM_}\"" $fields && continue
	bad "$file:$line: $name is nowhere in shim/ or include/"
done <"$tmp/names"

# --- 4. relative links ----------------------------------------------------
awk -F '\t' -v OFS='\t' '$1 == "link" { print $2, $3 }' "$tmp/records" \
	>"$tmp/links"
while IFS="$TAB" read -r where target; do
	case $target in
	*://*|mailto:*) continue ;;
	esac
	checked=$((checked + 1))
	file=${where%:*}
	path=${target%%#*}
	anchor=
	case $target in
	*'#'*) anchor=${target#*#} ;;
	esac
	if [ -z "$path" ]; then
		dest=$file
	else
		dest=$(dirname "$file")/$path
		dest=${dest#./}
	fi
	if [ ! -e "$dest" ]; then
		bad "$where: link to $target: no file $dest"
		continue
	fi
	[ -n "$anchor" ] || continue
	case $dest in
	*.md) ;;
	*) continue ;;
	esac
	awk "$SLUG"'
		/^[ \t]*(```|~~~)/ { fence = !fence; next }
		!fence && /^#+ / { print slug($0) }' "$dest" | grep -qxF -- "$anchor" ||
		bad "$where: link to $target: no heading #$anchor in $dest"
done <"$tmp/links"

# --- 5. the README's length -----------------------------------------------
lines=$(wc -l <README.md)
[ "$lines" -lt "$README_MAX" ] ||
	bad "README.md: $lines lines, at most $((README_MAX - 1)): move the detail to docs/"

# --- 6. the README's first commands ---------------------------------------
# Read by the script check-fresh reads them with, wherever it lies, and
# check-fresh's script (as the Makefile runs it) must use it.
first=$(find tests -name readme_first_run.sh | head -n 1)
if [ -z "$first" ]; then
	bad "tests/: no readme_first_run.sh"
else
	commands=$(sh "$first" README.md | grep -c .)
	[ "$commands" -gt 0 ] ||
		bad "README.md: no sh block under \"## First run\" ($first finds none)"
	fresh=$(make_alone -n -s check-fresh 2>/dev/null |
		sed -n 's/^sh \([^ ]*\.sh\).*/\1/p' | head -n 1)
	if [ -z "$fresh" ] || [ ! -f "$fresh" ]; then
		bad "make check-fresh runs no script this test can find"
	elif ! grep -q readme_first_run.sh "$fresh"; then
		bad "$fresh reads the README's first commands without $first"
	fi
fi

# CONTRIBUTING.md's map of shim/ names every file of each folder, in that
# folder's row (a file's name without .c; a header alone with its .h).
for dir in shim/*/; do
	dir=${dir%/}
	row=$(grep -m 1 "^| \`$dir/\` |" CONTRIBUTING.md)
	if [ -z "$row" ]; then
		bad "CONTRIBUTING.md: the map of shim/ has no row for $dir/"
		continue
	fi
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		name=${f##*/}
		case $f in
		*.h) [ -f "${f%.h}.c" ] && continue ;;
		*) name=${name%.c} ;;
		esac
		checked=$((checked + 1))
		case $row in
		*"\`$name\`"* | *"\`$name.h\`"*) ;;
		*) bad "CONTRIBUTING.md: the map's row for $dir/ does not name $name ($f)" ;;
		esac
	done
done

# The packages' version (debian/changelog's first line) is the tree's.
tree=$(sed -n 's/^#define TCPSHIM_VERSION "\(.*\)"/\1/p' include/tcpshim.h)
deb=$(sed -n '1s/^tcpshim (\([^)]*\)).*/\1/p' debian/changelog)
[ -n "$tree" ] && [ "$tree" = "$deb" ] ||
	bad "debian/changelog:1: version '$deb', but include/tcpshim.h says '$tree'"

[ "$fail" -eq 0 ] && echo "PASS test_docs: $(echo $DOCS | wc -w) files," \
	"$checked names and links checked (against the Makefile," \
	"$truth and shim/), README.md $lines lines, $commands first commands"
exit "$fail"
