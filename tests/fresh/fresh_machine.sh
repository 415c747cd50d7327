#!/bin/sh
# tests/fresh/fresh_machine.sh COMMANDS - the newcomer, on the fresh machine
# that tests/fresh/fresh.sh built and entered.  COMMANDS holds the README's
# first commands, one a line: the apt-get line(s) that need root, the
# clone (its <url-of-this-repository> stands for the tree under test),
# then make demo and make check.  In that order:
#
#   1. root runs the apt-get line(s): each must succeed;
#   2. a plain user runs the rest with nothing else installed: each make
#      must succeed or stop with the exact apt-get line to run as root;
#   3. root runs the rest in a clone of its own: each must succeed,
#      installing what it needs;
#   4. the user, in a new clone, runs the rest again: each must succeed,
#      skipping with a reason what needs root;
#   5. the packages: the user's make deb (ok, or the apt-get line, which
#      root then runs, and the user's make deb again), then root installs
#      and uses them (tests/fresh/installed.sh).
# Every package the user was told to install must now be installed.
#
# One line a command (who, the command, exit status, seconds, verdict)
# goes to stdout and to /fresh/results; each command's output to
# /fresh/logs.  Exits 1 when any command broke the README's promise.
COMMANDS=$1
NEWCOMER=newcomer
LOGS=/fresh/logs
RESULTS=/fresh/results
mkdir -p "$LOGS"
: >"$RESULTS"
failed=0 n=0 told=
ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER_PATH=/usr/local/bin:/usr/bin:/bin:/usr/games

report() { echo "$*"; echo "$*" >>"$RESULTS"; }

# run WHO EXPECT COMMAND: COMMAND as WHO (root or the newcomer), in the
# directory the previous command of WHO left, with the environment of a
# fresh login.  EXPECT is "ok" (must exit 0) or "ok-or-apt-line" (may
# stop instead, if it printed the apt-get line to run).
run() {
	who=$1 expect=$2 cmd=$3
	n=$((n + 1))
	log=$LOGS/$(printf '%02d' $n)-$who-$(printf '%s' "$cmd" |
		tr -cs 'a-zA-Z0-9' '-' | cut -c1-40).log
	if [ "$who" = root ]; then
		home=/root
		cmd=$(printf '%s' "$cmd" | sed 's|<url-of-this-repository>|/fresh/tcpshim.git|')
		set -- env -i HOME=/root USER=root LOGNAME=root PATH=$ROOT_PATH \
			SHELL=/bin/sh LANG=C.UTF-8
	else
		home=/home/$NEWCOMER
		cmd=$(printf '%s' "$cmd" | sed "s|<url-of-this-repository>|$home/tcpshim.git|")
		set -- runuser -u "$NEWCOMER" -- env -i HOME="$home" \
			USER=$NEWCOMER LOGNAME=$NEWCOMER PATH=$USER_PATH \
			SHELL=/bin/sh LANG=C.UTF-8
	fi
	cwd=$(cat "/fresh/cwd-$who" 2>/dev/null || echo "$home")
	packages=$(dpkg-query -W 2>/dev/null | wc -l)
	start=$(date +%s)
	timeout 1800 "$@" sh -c 'cd "$1" && eval "$2"; rc=$?; pwd >"$3"; exit $rc' \
		sh "$cwd" "$cmd" "/tmp/cwd-$who" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	cp "/tmp/cwd-$who" "/fresh/cwd-$who" 2>/dev/null
	added=$(($(dpkg-query -W 2>/dev/null | wc -l) - packages))
	line=$(grep -E '^ *apt-get install [a-z0-9][a-z0-9.+ -]*$' "$log" | tail -n 1 |
		sed 's/^ *//')
	verdict=ok
	if [ $rc != 0 ]; then
		if [ "$expect" = ok-or-apt-line ] && [ -n "$line" ]; then
			verdict="stopped, as promised, with: $line"
			told="$told ${line#apt-get install }"
		else
			verdict="FAILED (see $log)"
			failed=$((failed + 1))
		fi
	fi
	extra=
	[ $added = 0 ] || extra=", $added packages installed"
	report "[$who] $cmd: exit $rc, $secs s$extra: $verdict"
	if [ $rc != 0 ] && [ "$verdict" != "${verdict#FAILED}" ]; then
		tail -n 30 "$log" | sed 's/^/    | /'
	fi
}

# each WHO EXPECT: every command but the apt-get line(s), in order.
each() {
	while IFS= read -r cmd; do
		[ -z "$cmd" ] || run "$1" "$2" "$cmd"
	done </tmp/rest
}

grep -v '^apt-get ' "$COMMANDS" >/tmp/rest
grep '^apt-get ' "$COMMANDS" >/tmp/install
useradd -m -s /bin/bash "$NEWCOMER"
while IFS= read -r cmd; do
	run root ok "$cmd"
done </tmp/install

# The user's own copy of the repository to clone: git will not serve a
# repository owned by someone else.
cp -r /fresh/tcpshim.git "/home/$NEWCOMER/tcpshim.git"
chown -R "$NEWCOMER:" "/home/$NEWCOMER/tcpshim.git"

each "$NEWCOMER" ok-or-apt-line
each root ok
rm -rf "/home/$NEWCOMER/tcpshim" /fresh/cwd-$NEWCOMER
each "$NEWCOMER" ok

# 5. The packages, as the README's Install section has it: the user's
# make deb stops with the apt-get line for the packaging tools; root
# installs them; the user builds the packages; root installs them and
# uses them (tests/fresh/installed.sh).
line=
run "$NEWCOMER" ok-or-apt-line "make deb"
if [ -n "$line" ]; then
	run root ok "DEBIAN_FRONTEND=noninteractive ${line%% install *} install -y -qq --no-install-recommends ${line#apt-get install }"
	run "$NEWCOMER" ok "make deb"
fi
run root ok "sh tests/fresh/installed.sh /home/$NEWCOMER/tcpshim/build/deb"

# Without root, make demo ran demos 1, 2 and 6 and said why 3 to 5 and 7
# did not.
demo_log=$(ls "$LOGS"/*-"$NEWCOMER"-make-demo*.log 2>/dev/null | tail -n 1)
if [ -n "$demo_log" ]; then
	ran=$(grep -c '^=> ' "$demo_log")
	skipped=$(grep -c '^(skipped: ' "$demo_log")
	if [ "$ran" = 3 ] && [ "$skipped" = 4 ]; then
		report "[check] without root, make demo ran 3 demos and said why 4 were skipped"
	else
		report "[check] without root, make demo ran $ran demos and skipped $skipped with a reason, not 3 and 4"
		failed=$((failed + 1))
	fi
fi

# The lines the user was told to run named real packages, now installed.
for pkg in $told; do
	if ! dpkg-query -W -f '${Status}\n' "$pkg" 2>/dev/null | grep -q ' installed$'; then
		report "[check] the user was told to install $pkg, which is not an installed Debian package"
		failed=$((failed + 1))
	fi
done

if [ $failed = 0 ]; then
	report "every command did what the README promises"
	exit 0
fi
report "$failed commands broke the README's promise"
exit 1
