#!/bin/sh
# tests/fresh/installed.sh DEB_DIR - the packages make deb built, as an
# administrator uses them, on the fresh machine (run as root by
# fresh_machine.sh from the newcomer's clone):
#
#   1. apt-get install ./libtcpshim1_*.deb ./libtcpshim-dev_*.deb
#      ./tcpshim_*.deb, their dependencies resolved by apt;
#   2. tcpshim -- curl logs the refused connect;
#   3. a C program built with pkg-config --cflags --libs tcpshim calls
#      tcp_abort: its peer sees ECONNRESET, the log says rst_sent abort;
#   4. man tcpshim, tcpshim-watch and tcp_abort open;
#   5. systemd-analyze verify --man=no says nothing of the installed
#      tcpshim-watch.service, nor of a sample unit with the drop-in
#      tcpshim service wrote (systemd installed for it, if missing);
#   6. dpkg --purge leaves no file of theirs behind: every path dpkg -L
#      listed is gone, and no file named *tcpshim* is left outside the
#      clones of the tree.
# One line a check; exits 1 if any failed.
DEBS=$(cd "${1:?usage: installed.sh DEB_DIR}" && pwd) || exit 1
W=$(mktemp -d)
fail=0
ok() { echo "ok   installed: $*"; }
bad() { echo "FAIL installed: $*"; fail=1; }
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin

set -- "$DEBS"/libtcpshim1_*.deb "$DEBS"/libtcpshim-dev_*.deb "$DEBS"/tcpshim_*.deb
if apt-get install -y -qq --no-install-recommends "$@" >"$W/apt.log" 2>&1; then
	ok "apt-get install ./libtcpshim1 ./libtcpshim-dev ./tcpshim"
else
	tail -n 20 "$W/apt.log"; bad "apt-get install of the packages failed"; exit 1
fi
dpkg -L libtcpshim1 libtcpshim-dev tcpshim >"$W/files"

# 2. A refused connect, from a program nobody here wrote.
tcpshim --log "$W/curl.log" -- curl -s http://127.0.0.1:1/ >/dev/null 2>&1
if grep -q ' rst_received cause=refused call=[a-z][a-z]* errno=ECONNREFUSED ' "$W/curl.log"; then
	ok "tcpshim -- curl logged the refused connect"
else
	bad "tcpshim -- curl: log: $(cat "$W/curl.log" 2>&1)"
fi

# 3. Linked with -ltcpshim through pkg-config.
cat >"$W/abort.c" <<'C'
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <tcpshim.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s;
	char buf[8];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0)
		return 2;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    (s = accept(l, NULL, NULL)) < 0)
		return 2;
	if (tcp_abort(c) != 0)
		return 3;
	if (recv(s, buf, sizeof(buf), 0) < 0 && errno == ECONNRESET) {
		puts("peer: ECONNRESET");
		return 0;
	}
	return 4;
}
C
if cc -o "$W/abort" "$W/abort.c" $(pkg-config --cflags --libs tcpshim) 2>"$W/cc.err"; then
	out=$(TCPSHIM_LOG="$W/abort.log" "$W/abort")
	if [ "$out" = "peer: ECONNRESET" ] && grep -q ' rst_sent cause=abort ' "$W/abort.log"; then
		ok "a C program built with pkg-config --cflags --libs tcpshim: tcp_abort reset, logged"
	else
		bad "tcp_abort program: '$out', log: $(cat "$W/abort.log" 2>&1)"
	fi
else
	bad "cc with pkg-config --cflags --libs tcpshim: $(cat "$W/cc.err")"
fi

# 4. The manual pages.
for page in tcpshim tcpshim-watch "3 tcp_abort" "3 tcp_keepalive"; do
	# shellcheck disable=SC2086
	if [ "$(MANPAGER=cat man $page 2>/dev/null | grep -c .)" -gt 10 ]; then
		ok "man $page"
	else
		bad "man $page does not open"
	fi
done

# 5. The units, as systemd would read them.
if ! command -v systemd-analyze >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends systemd >"$W/apt-systemd.log" 2>&1 ||
		tail -n 5 "$W/apt-systemd.log"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify --man=no tcpshim-watch.service 2>&1)
	[ $? = 0 ] && [ -z "$out" ] && ok "systemd-analyze verify tcpshim-watch.service: nothing said" ||
		bad "systemd-analyze verify tcpshim-watch.service: $out"
	printf '[Unit]\nDescription=a sample service\n[Service]\nExecStart=/usr/bin/curl -s http://127.0.0.1:1/\n' \
		>/etc/systemd/system/tcpshim-sample.service
	tcpshim service tcpshim-sample --keepalive 60,10,5 --user-timeout 20000 >"$W/service.out" 2>&1
	out=$(systemd-analyze verify --man=no tcpshim-sample.service 2>&1)
	if [ $? = 0 ] && [ -z "$out" ] && grep -q "^Environment=\"LD_PRELOAD=/usr/lib/.*/libtcpshim.so.1\"$" \
		/etc/systemd/system/tcpshim-sample.service.d/tcpshim.conf; then
		ok "tcpshim service's drop-in: systemd-analyze verify says nothing"
	else
		bad "the drop-in: $out $(cat "$W/service.out")"
	fi
	tcpshim service tcpshim-sample --remove >/dev/null
	rm -f /etc/systemd/system/tcpshim-sample.service
else
	bad "systemd-analyze is missing, and systemd could not be installed"
fi

# 6. Purged, nothing of theirs is left.
dpkg --purge tcpshim libtcpshim-dev libtcpshim1 >"$W/purge.log" 2>&1 ||
	{ cat "$W/purge.log"; bad "dpkg --purge failed"; }
left=
while IFS= read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$W/files"
# (man-db's cache of the pages man formatted above is man-db's, which
# it expires on its own.)
found=$(find / -xdev -name '*tcpshim*' -not -path '/proc/*' -not -path "$W/*" \
	-not -path '/fresh/*' -not -path '/home/*' -not -path '/root/tcpshim*' \
	-not -path '/tmp/*' -not -path '/var/cache/man/*' 2>/dev/null)
if [ -z "$left$found" ]; then
	ok "dpkg --purge: none of the $(grep -c . "$W/files") paths dpkg -L listed, nor any *tcpshim* file, is left"
else
	bad "dpkg --purge left:$left $found"
fi
rm -rf "$W"
exit $fail
