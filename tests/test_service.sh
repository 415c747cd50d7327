#!/bin/sh
# test_service.sh - tcpshim service and the shipped tcpshim-watch.service.
#
# Any user, on unit files under a --root of the test's own:
#   - the drop-in, exact: LD_PRELOAD after what the unit and its drop-ins
#     set, journal by default, the options' variables quoted, '%' doubled;
#     written with mode 644, shown by --print, taken away by --remove;
#   - the unit found as systemd finds it: /etc above /lib, an instance's
#     template, a masked unit, one that is not there;
#   - refused, nothing written: a static program, a setuid one;
#   - warned: RestrictAddressFamilies= without AF_NETLINK (and AF_UNIX
#     for the journal), a SystemCallFilter= that denies tcpshim's calls
#     (expanded by systemd-analyze), a file log under PrivateTmp= or
#     ProtectSystem=strict, a later drop-in that sets LD_PRELOAD;
#   - systemd-analyze verify --man=no on tcpshim-watch.service: no word
#     said; systemd-analyze security --offline=yes: its score.
# As root, in a mount namespace of the test's own:
#   - systemd-analyze verify on a sample unit with the drop-in written
#     into /etc/systemd/system;
#   - a preloaded program under a read-only root and a private /tmp, as
#     ProtectSystem=strict and PrivateTmp= make them, logs to the journal
#     socket all the same.
cd "$(dirname "$0")/.." || exit 1
B=${TCPSHIM_BUILD:-build}
CMD=$(pwd)/$B/tcpshim
LIB=$(pwd)/$B/libtcpshim.so

skip() { echo "SKIP test_service: $*"; exit 77; }
[ -z "${TCPSHIM_TEST_SANITIZER:-}" ] ||
	skip "it tests the command's file handling, the same in both builds"
[ -x "$CMD" ] || skip "$B/tcpshim is not built"

W=$(mktemp -d "${TMPDIR:-/tmp}/tcpshim-service.XXXXXX") || exit 1
[ -n "$W" ] && [ -d "$W" ] || exit 1
trap 'rm -rf "$W"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

R=$W/root
UNITS=$R/lib/systemd/system
mkdir -p "$UNITS" "$R/etc/systemd/system" "$R/usr/sbin"
cp /bin/true "$R/usr/sbin/webd"
cat >"$UNITS/web.service" <<'UNIT'
[Unit]
Description=a web server

[Service]
ExecStart=/usr/sbin/webd --port 80 \
	--workers 4
Environment="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2" MODE=1
UNIT

# run NAME ARGS...: tcpshim service's stdout, stderr and status in
# $W/NAME.out, .err, .rc.
run() {
	name=$1
	shift
	"$CMD" service "$@" >"$W/$name.out" 2>"$W/$name.err"
	echo $? >"$W/$name.rc"
}
# same FILE EXPECTED-FILE WHAT
same() {
	if cmp -s "$1" "$2"; then ok "$3"; else
		bad "$3:"; diff "$2" "$1" | sed 's/^/  | /'; fi
}

# ---- the drop-in ----
run print web --root "$R" --print --keepalive 60,10,5 --user-timeout 30000 \
	--log '/var/log/web/tcpshim-%p.log' --json
cat >"$W/print.want" <<WANT
# Written by tcpshim service: runs web.service under tcpshim, options --keepalive 60,10,5 --user-timeout 30000 --log /var/log/web/tcpshim-%p.log --json.
# Take it away with: tcpshim service web.service --remove
[Service]
Environment="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2:$LIB"
Environment="TCPSHIM_KEEPALIVE=60,10,5"
Environment="TCPSHIM_USER_TIMEOUT=30000"
Environment="TCPSHIM_LOG=/var/log/web/tcpshim-%%p.log"
Environment="TCPSHIM_FORMAT=json"
WANT
same "$W/print.out" "$W/print.want" "--print: LD_PRELOAD appended to jemalloc's, each option a variable, % doubled"
if [ "$(cat "$W/print.rc")" = 0 ] && [ ! -s "$W/print.err" ] &&
	[ ! -e "$R/etc/systemd/system/web.service.d" ]; then
	ok "--print: nothing said, nothing written"
else
	bad "--print: status $(cat "$W/print.rc"), said: $(cat "$W/print.err")"
fi

run write web --root "$R"
D=$R/etc/systemd/system/web.service.d/tcpshim.conf
printf '%s\n' "tcpshim service: wrote /etc/systemd/system/web.service.d/tcpshim.conf" \
	"Now run: systemctl daemon-reload && systemctl restart web.service" >"$W/write.want"
same "$W/write.out" "$W/write.want" "written: where, and what to run next"
if [ -f "$D" ] && [ "$(stat -c %a "$D")" = 644 ] &&
	grep -qx 'Environment="TCPSHIM_LOG=journal"' "$D" &&
	grep -qx "Environment=\"LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2:$LIB\"" "$D"; then
	ok "the drop-in: mode 644, the journal by default"
else
	bad "the drop-in:"; sed 's/^/  | /' "$D"
fi
# Written again, it reads the unit without its own drop-in: the library
# is not added twice.
run again web --root "$R" --rate 10
if [ "$(grep -c "$LIB" "$D")" = 1 ] && grep -qx 'Environment="TCPSHIM_RATE=10"' "$D"; then
	ok "written again: replaced, the library once"
else
	bad "written again:"; sed 's/^/  | /' "$D"
fi

run remove web --root "$R" --remove
run remove2 web --root "$R" --remove
if [ ! -e "$D" ] && [ ! -e "$(dirname "$D")" ] && [ "$(cat "$W/remove.rc")" = 0 ] &&
	[ "$(head -n 1 "$W/remove.out")" = "tcpshim service: removed /etc/systemd/system/web.service.d/tcpshim.conf" ] &&
	[ "$(cat "$W/remove2.rc")" = 0 ] &&
	[ "$(cat "$W/remove2.out")" = "tcpshim service: web.service has no tcpshim drop-in (/etc/systemd/system/web.service.d/tcpshim.conf): nothing to remove" ]; then
	ok "--remove: the drop-in and its empty directory gone; again, nothing to remove"
else
	bad "--remove:"; cat "$W/remove.out" "$W/remove2.out" | sed 's/^/  | /'
fi

# ---- bad usage: status 2, one line, nothing written ----
run u0
run u1 --keepalive 60,10,5 web
run u2 web --root "$R" --keepalive 60,10
run u3 web --root "$R" --print --remove
run u4 web --root "$R" --bogus
if [ "$(cat "$W/u0.rc")$(cat "$W/u1.rc")$(cat "$W/u2.rc")$(cat "$W/u3.rc")$(cat "$W/u4.rc")" = 22222 ] &&
	grep -q '^usage: tcpshim service SERVICE' "$W/u0.err" &&
	[ "$(cat "$W/u1.err")" = "tcpshim: the service comes first: tcpshim service SERVICE [options] (see tcpshim service --help)" ] &&
	grep -q '^tcpshim: --keepalive "60,10" is not valid: expected ' "$W/u2.err" &&
	[ "$(cat "$W/u3.err")" = "tcpshim: --print and --remove together (see tcpshim service --help)" ] &&
	[ "$(cat "$W/u4.err")" = "tcpshim: unknown option '--bogus' (see tcpshim service --help)" ] &&
	[ ! -e "$R/etc/systemd/system/web.service.d" ]; then
	ok "bad usage: status 2 and one line each, the library's words for a bad value"
else
	bad "bad usage:"; cat "$W"/u[0-4].err | sed 's/^/  | /'
fi

# A link in the image that leads out of it: nothing made or written
# outside; a --root that is not there.
mkdir -p "$W/outside"
ln -s "$W/outside" "$R/etc/systemd/system/web.service.d"
run escape web --root "$R"
rm "$R/etc/systemd/system/web.service.d"
run noroot web --root "$W/nowhere"
if [ "$(cat "$W/escape.rc")" = 1 ] && [ -z "$(ls -A "$W/outside")" ] &&
	[ "$(cat "$W/escape.err")" = "tcpshim service: $R/etc/systemd/system/web.service.d/tcpshim.conf leads out of $R (a symbolic link): not written" ] &&
	[ "$(cat "$W/noroot.rc")" = 2 ] &&
	[ "$(cat "$W/noroot.err")" = "tcpshim: --root $W/nowhere: not a directory (see tcpshim service --help)" ]; then
	ok "--root: a link out of the image refused, nothing written outside; a missing root refused"
else
	bad "--root:"; cat "$W/escape.err" "$W/noroot.err" | sed 's/^/  | /'; ls -A "$W/outside"
fi

# ---- finding the unit ----
mkdir -p "$R/etc/systemd/system/web.service.d"
printf '[Service]\nEnvironment=LD_PRELOAD=/opt/a.so\n' >"$R/etc/systemd/system/web.service.d/50-alloc.conf"
printf '[Service]\nEnvironment=LD_PRELOAD=/opt/z.so\n' >"$R/etc/systemd/system/web.service.d/zz-late.conf"
run order web --root "$R" --print
if grep -qx "Environment=\"LD_PRELOAD=/opt/a.so:$LIB\"" "$W/order.out" &&
	grep -q "zz-late.conf, read after tcpshim's drop-in, sets LD_PRELOAD and replaces tcpshim's" "$W/order.err"; then
	ok "drop-ins in order: an earlier LD_PRELOAD kept, a later one warned about"
else
	bad "drop-ins in order:"; cat "$W/order.out" "$W/order.err" | sed 's/^/  | /'
fi
rm -r "$R/etc/systemd/system/web.service.d"
sed 's|libjemalloc.so.2|libtcmalloc_minimal.so.4|' "$UNITS/web.service" >"$R/etc/systemd/system/web.service"
sed 's|^ExecStart=.*|ExecStart=/usr/sbin/webd %i|; /--workers/d; s|LD_PRELOAD=[^"]*|LD_PRELOAD=/opt/%i/a.so|' \
	"$UNITS/web.service" >"$UNITS/getty@.service"
mkdir -p "$R/etc/systemd/system/ssh.service.d"
printf '[Service]\nEnvironment=LD_PRELOAD=/opt/ssh.so\n' >"$R/etc/systemd/system/ssh.service.d/override.conf"
sed 's|^Environment=.*||' "$UNITS/web.service" >"$UNITS/ssh.service"
ln -s ssh.service "$UNITS/sshd.service"
ln -s /dev/null "$R/etc/systemd/system/masked.service"
run etc web.service --root "$R" --print
run inst getty@tty1 --root "$R" --print
run alias sshd --root "$R" --print
run masked masked --root "$R"
run none nosuch --root "$R"
run badname 'a/b' --root "$R"
if grep -qx "Environment=\"LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4:$LIB\"" "$W/etc.out" &&
	grep -q '^# Written by tcpshim service: runs getty@tty1.service under tcpshim.$' "$W/inst.out" &&
	grep -qx "Environment=\"LD_PRELOAD=/opt/%i/a.so:$LIB\"" "$W/inst.out" &&
	grep -qx "Environment=\"LD_PRELOAD=/opt/ssh.so:$LIB\"" "$W/alias.out" &&
	[ "$(cat "$W/badname.err")" = "tcpshim service: 'a/b' is not a service name (as nginx or nginx.service)" ] &&
	[ "$(cat "$W/masked.err")" = "tcpshim service: masked.service is masked (/etc/systemd/system/masked.service links to /dev/null)" ] &&
	[ "$(cat "$W/none.err")" = "tcpshim service: no unit nosuch.service in $R/etc/systemd/system, /lib/systemd/system or the other unit paths" ] &&
	[ "$(cat "$W/masked.rc")$(cat "$W/none.rc")$(cat "$W/badname.rc")" = 111 ]; then
	ok "found: /etc above /lib, an instance through its template (its %i kept), an alias's drop-ins; masked, missing and bad names refused"
else
	bad "finding units:"; cat "$W"/etc.out "$W"/inst.out "$W"/alias.out "$W"/masked.err "$W"/none.err "$W"/badname.err | sed 's/^/  | /'
fi
rm "$R/etc/systemd/system/web.service"

# ---- refused ----
printf 'int main(void) { return 0; }\n' >"$W/static.c"
if ${CC:-cc} -static -o "$R/usr/sbin/staticd" "$W/static.c" 2>/dev/null; then
	sed 's|/usr/sbin/webd|staticd|' "$UNITS/web.service" >"$UNITS/static.service"
	run static static --root "$R"
	if [ "$(cat "$W/static.rc")" = 1 ] && [ ! -e "$R/etc/systemd/system/static.service.d" ] &&
		[ "$(cat "$W/static.err")" = "tcpshim service: refusing static.service: its program /usr/sbin/staticd is statically linked: no dynamic loader runs for it to read LD_PRELOAD (tcpshim watch sees its resets); nothing written" ]; then
		ok "a static program (found on systemd's PATH) refused, nothing written"
	else
		bad "static program:"; sed 's/^/  | /' "$W/static.err"
	fi
else
	echo "SKIP a static program: cc -static cannot link here (Debian package libc6-dev)"
fi
# Setuid, run as another user (User=): the loader will not preload.
cp /bin/true "$R/usr/sbin/suidd"
chmod 4755 "$R/usr/sbin/suidd"
sed 's|/usr/sbin/webd|/usr/sbin/suidd|' "$UNITS/web.service" >"$UNITS/suid.service"
printf 'User=daemon\n' >>"$UNITS/suid.service"
run suid suid --root "$R"
if [ "$(cat "$W/suid.rc")" = 1 ] &&
	[ "$(cat "$W/suid.err")" = "tcpshim service: refusing suid.service: its program /usr/sbin/suidd is setuid: the loader ignores LD_PRELOAD when a program changes its user; nothing written" ]; then
	ok "a setuid program refused"
else
	bad "setuid program:"; sed 's/^/  | /' "$W/suid.err"
fi

# Under NoNewPrivileges= the setuid bit grants nothing: preloaded.
printf 'NoNewPrivileges=yes\n' >>"$UNITS/suid.service"
run suidnnp suid --root "$R" --print
[ "$(cat "$W/suidnnp.rc")" = 0 ] && ok "the same under NoNewPrivileges=: taken" ||
	bad "setuid under NoNewPrivileges=: $(cat "$W/suidnnp.err")"

# A comment between continued lines is skipped, as systemd skips it.
printf '[Service]\nExecStart=/usr/sbin/webd\nEnvironment=A=1 \\\n# LD_PRELOAD=/x.so\n  B=2\n' >"$UNITS/cont.service"
run cont cont --root "$R" --print
grep -qx "Environment=\"LD_PRELOAD=$LIB\"" "$W/cont.out" &&
	ok "a comment inside a continued line is no setting" ||
	bad "continued line: $(cat "$W/cont.out")"

# ---- warnings ----
cat >"$UNITS/boxed.service" <<'UNIT'
[Service]
ExecStart=/usr/sbin/webd
RestrictAddressFamilies=AF_INET AF_INET6
PrivateTmp=yes
ProtectSystem=strict
ReadWritePaths=/var/lib/boxed
UNIT
run boxed boxed --root "$R" --print --log /var/log/boxed.log
cat >"$W/boxed.want" <<'WANT'
tcpshim service: warning: boxed.service: RestrictAddressFamilies= leaves out AF_NETLINK: tcpshim cannot ask the kernel (sock_diag) whether a close sent its reset, so such resets are logged unconfirmed
tcpshim service: warning: boxed.service: the log /var/log/boxed.log is read-only for it (ProtectSystem=, ReadOnlyPaths=); add its directory to ReadWritePaths= or LogsDirectory=, or log to the journal
WANT
same "$W/boxed.err" "$W/boxed.want" "warned: no AF_NETLINK; a file log that ProtectSystem=strict makes read-only"
run boxedj boxed --root "$R" --print
run boxedt boxed --root "$R" --print --log /tmp/boxed.log
run boxedw boxed --root "$R" --print --log /var/lib/boxed/t.log
if grep -q 'leaves out AF_UNIX: the journal cannot be reached' "$W/boxedj.err" &&
	grep -q 'PrivateTmp= gives it a /tmp of its own: the log /tmp/boxed.log is there' "$W/boxedt.err" &&
	! grep -q 'read-only' "$W/boxedt.err" "$W/boxedw.err"; then
	ok "warned: the journal without AF_UNIX, a log in the private /tmp; ReadWritePaths= honoured"
else
	bad "warnings:"; cat "$W"/boxedj.err "$W"/boxedt.err "$W"/boxedw.err | sed 's/^/  | /'
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	printf '[Service]\nExecStart=/usr/sbin/webd\nSystemCallFilter=@system-service\n' >"$UNITS/svc.service"
	printf '[Service]\nExecStart=/usr/sbin/webd\nSystemCallFilter=@system-service\nSystemCallFilter=~@network-io\nSystemCallErrorNumber=EPERM\n' >"$UNITS/nonet.service"
	printf '[Service]\nExecStart=/usr/sbin/webd\nSystemCallFilter=read write\n' >"$UNITS/tiny.service"
	run svc svc --root "$R" --print
	run nonet nonet --root "$R" --print
	run tiny tiny --root "$R" --print
	if [ ! -s "$W/svc.err" ] &&
		grep -q 'SystemCallFilter= denies system calls tcpshim makes (getsockopt setsockopt getsockname getpeername socket connect sendto recvfrom sendmsg shutdown): the service would see them fail$' "$W/nonet.err" &&
		grep -q 'SystemCallFilter= denies system calls tcpshim makes (.*getdents64.*): the service would be killed at the first one$' "$W/tiny.err"; then
		ok "SystemCallFilter=: @system-service passes; ~@network-io and an allow list of two warned, with the calls"
	else
		bad "SystemCallFilter=:"; cat "$W"/svc.err "$W"/nonet.err "$W"/tiny.err | sed 's/^/  | /'
	fi
	# The shipped unit, as make install writes it, running this command.
	mkdir -p "$W/unit"
	sed "s|^ExecStart=[^ ]*|ExecStart=$CMD|" shim/cmd/tcpshim-watch.service.in >"$W/unit/tcpshim-watch.service"
	out=$(systemd-analyze verify --man=no "$W/unit/tcpshim-watch.service" 2>&1)
	if [ $? = 0 ] && [ -z "$out" ]; then
		ok "tcpshim-watch.service: systemd-analyze verify --man=no says nothing"
	else
		bad "tcpshim-watch.service: systemd-analyze verify: $out"
	fi
	score=$(systemd-analyze security --offline=yes "$W/unit/tcpshim-watch.service" 2>&1 |
		sed -n 's/.*Overall exposure level for tcpshim-watch.service: //p')
	case $score in
	[0-2].[0-9]*) ok "tcpshim-watch.service: systemd-analyze security --offline=yes: $score" ;;
	*) bad "tcpshim-watch.service: systemd-analyze security --offline=yes: '$score', not below 3" ;;
	esac
else
	echo "SKIP SystemCallFilter= and systemd-analyze verify: systemd-analyze missing (Debian package systemd)"
fi

# ---- root: systemd's own unit paths, and a read-only root ----
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "SKIP the drop-in in /etc/systemd/system, logging under a read-only root: needs root (a mount namespace)"
elif ! command -v python3 >/dev/null; then
	echo "SKIP logging under a read-only root: python3 missing (Debian package python3)"
else
	export CMD LIB W
	unshare -m sh -u <<'SH' || fail=1
	fail=0
	mount --make-rprivate /
	if command -v systemd-analyze >/dev/null 2>&1 && [ -d /etc/systemd/system ]; then
		mount -t tmpfs tmpfs /etc/systemd/system
		printf '[Unit]\nDescription=sample\n[Service]\nExecStart=%s\nPrivateTmp=yes\nProtectSystem=strict\n' \
			/bin/true >/etc/systemd/system/sample.service
		"$CMD" service sample --keepalive 60,10,5 --user-timeout 20000 >/dev/null 2>"$W/sample.err"
		out=$(systemd-analyze verify --man=no sample.service 2>&1)
		if [ $? = 0 ] && [ -z "$out" ] && [ ! -s "$W/sample.err" ] &&
			[ -f /etc/systemd/system/sample.service.d/tcpshim.conf ]; then
			echo "ok   a drop-in written in /etc/systemd/system: systemd-analyze verify says nothing"
		else
			echo "FAIL the drop-in in /etc/systemd/system: $out $(cat "$W/sample.err")"; fail=1
		fi
	fi
	# The journal's socket, received here; then / read-only and /tmp
	# private, as the unit's sandbox makes them.
	mount -t tmpfs tmpfs /run
	mkdir -p /run/systemd/journal
	python3 - >/run/ro.out 2>/run/ro.err <<'PY' &
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
open("/run/ready", "w").close()
s.settimeout(20)
d = s.recv(65536).decode()
print("TCPSHIM_CAUSE=refused" in d.split("\n"))
PY
	n=0
	until [ -e /run/ready ]; do n=$((n + 1)); [ $n -lt 600 ] || break; sleep 0.05; done
	# The library where the private /tmp cannot hide it (the tree may be
	# under /tmp), as a package has it under /usr.
	cp "$LIB" /run/libtcpshim.so
	cd /
	mount -o remount,bind,ro /
	mount -t tmpfs tmpfs /tmp
	TCPSHIM_LOG=journal LD_PRELOAD=/run/libtcpshim.so python3 -c '
import socket
s = socket.socket()
try:
    s.connect(("127.0.0.1", 1))
except OSError:
    pass' 2>/run/prog.err
	wait
	if [ "$(cat /run/ro.out)" = True ] && [ ! -s /run/prog.err ] &&
		! touch /probe 2>/dev/null; then
		echo "ok   under a read-only root and a private /tmp, the event reaches the journal, nothing said"
	else
		echo "FAIL read-only root: $(cat /run/ro.out /run/ro.err /run/prog.err)"; fail=1
	fi
	exit $fail
SH
fi
exit $fail
