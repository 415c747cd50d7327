#!/bin/sh
# deb.sh - make check-deb: the Debian packages as a user gets them.
#
#   1. make deb twice, in build/deb and build/deb-again (two copies of
#      the tree at two paths): every .deb byte for byte the same;
#   2. lintian on the build: no error and no warning (its informational
#      tags are printed);
#   3. each package's files and fields: the library in the multiarch
#      directory with its SONAME, symbols and shlibs; the header, .so
#      link, pkg-config file and section 3 pages in -dev; the command,
#      section 1 pages and the unit in tcpshim, which depends on this
#      very libtcpshim1; the version the tree's;
#   4. Debian's build flags in the binaries: fortified calls, BIND_NOW,
#      RELRO, a stack protector.
# Without dpkg-buildpackage, debhelper or lintian: as root they are
# installed, otherwise the apt-get line is printed and the test is
# skipped (make deb says the same).
cd "$(dirname "$0")/.." || exit 1
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

if ! command -v lintian >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends lintian >/dev/null || exit 1
	else
		echo "SKIP check-deb: lintian missing; run as root: apt-get install lintian"
		exit 77
	fi
fi
out=$(DEB_DIR=build/deb sh debian/make-deb.sh 2>&1) || {
	echo "$out"
	# Only the tools' line (tests/deps.sh) is a skip; a failed build fails.
	case $out in "tcpshim: missing packages; run as root:"*)
		echo "SKIP check-deb: the packaging tools are missing"; exit 77 ;;
	esac
	exit 1
}
DEB_DIR=build/deb-again sh debian/make-deb.sh >/dev/null 2>&1 ||
	{ bad "the second make deb failed: see build/deb-again/build.log"; exit 1; }

VERSION=$(dpkg-parsechangelog -S Version)
TREE=$(sed -n 's/^#define TCPSHIM_VERSION "\(.*\)"/\1/p' include/tcpshim.h)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# 1. Reproducible.
n=0
for f in build/deb/*.deb; do
	n=$((n + 1))
	cmp -s "$f" "build/deb-again/${f##*/}" || bad "${f##*/} differs between the two builds"
done
if [ $n != 5 ]; then
	bad "$n packages built, not 5 (two, their debug symbols, and -dev)"
elif [ $fail = 0 ]; then
	ok "reproducible: the $n packages of two builds in two directories are byte for byte the same"
fi

# 2. lintian: errors and warnings fail; the rest is shown.
lintian --display-info build/deb/tcpshim_"${VERSION}"_"$ARCH".changes >build/deb/lintian.txt 2>&1
lrc=$?
if [ $lrc != 0 ] || grep -q '^[EW]: ' build/deb/lintian.txt; then
	[ $lrc = 0 ] || bad "lintian exited with $lrc"
	bad "lintian:"; grep '^[EW]: ' build/deb/lintian.txt | sed 's/^/  | /'
else
	ok "lintian: no error, no warning ($(grep -c '^[IP]: ' build/deb/lintian.txt) informational tags)"
	grep '^[IP]: ' build/deb/lintian.txt | sed 's/^/  | /'
fi

# 3. Contents and fields.
[ "$VERSION" = "$TREE" ] && ok "version $VERSION: debian/changelog and include/tcpshim.h agree" ||
	bad "debian/changelog says $VERSION, include/tcpshim.h $TREE"
files() { dpkg-deb -c "build/deb/$1_${VERSION}_$ARCH.deb" | awk '{ print $6 }' |
	grep -v '/$' | grep -v '^./usr/share/doc/'; }
want() {
	got=$(files "$1" | sort | tr '\n' ' ')
	[ "$got" = "$2" ] && ok "$1: $got" || bad "$1 holds: $got; not: $2"
}
want libtcpshim1 "./usr/lib/$MA/libtcpshim.so.1 ./usr/lib/$MA/libtcpshim.so.1.0.0 "
want libtcpshim-dev "./usr/include/tcpshim.h ./usr/lib/$MA/libtcpshim.so ./usr/lib/$MA/pkgconfig/tcpshim.pc ./usr/share/man/man3/tcp_abort.3.gz ./usr/share/man/man3/tcp_keepalive.3.gz ./usr/share/man/man3/tcp_on_event.3.gz ./usr/share/man/man3/tcp_peer_status.3.gz ./usr/share/man/man3/tcp_user_timeout.3.gz ./usr/share/man/man3/tcpshim.3.gz "
want tcpshim "./lib/systemd/system/tcpshim-watch.service ./usr/bin/tcpshim ./usr/share/man/man1/tcpshim-watch.1.gz ./usr/share/man/man1/tcpshim.1.gz "
X=build/deb/x
rm -rf "$X"
mkdir -p "$X"
for p in libtcpshim1 libtcpshim-dev tcpshim; do
	dpkg-deb -R "build/deb/${p}_${VERSION}_$ARCH.deb" "$X/$p"
done
LIBF=$X/libtcpshim1/usr/lib/$MA/libtcpshim.so.1.0.0
soname=$(readelf -d "$LIBF" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libtcpshim.so.1 ] && ok "SONAME libtcpshim.so.1" || bad "SONAME '$soname'"
[ "$(cat "$X/libtcpshim1/DEBIAN/shlibs")" = "libtcpshim 1 libtcpshim1 (>= $VERSION)" ] &&
	ok "shlibs: libtcpshim 1 libtcpshim1 (>= $VERSION)" ||
	bad "shlibs: $(cat "$X/libtcpshim1/DEBIAN/shlibs")"
exported=$(nm -D --defined-only "$LIBF" | awk '{ print $3 }' | sort | tr '\n' ' ')
listed=$(sed -n 's/^ \([^@]*\)@Base .*/\1/p' "$X/libtcpshim1/DEBIAN/symbols" | sort | tr '\n' ' ')
[ -n "$listed" ] && [ "$exported" = "$listed" ] &&
	ok "symbols: the $(echo $listed | wc -w) exported names, each listed" ||
	bad "symbols file lists: $listed; the library exports: $exported"
dep=$(dpkg-deb -f "build/deb/tcpshim_${VERSION}_$ARCH.deb" Depends)
case $dep in
"libtcpshim1 (= $VERSION),"*) ok "tcpshim depends on libtcpshim1 (= $VERSION)" ;;
*) bad "tcpshim depends on: $dep" ;;
esac
[ "$(dpkg-deb -f "build/deb/libtcpshim-dev_${VERSION}_$ARCH.deb" Depends)" = "libtcpshim1 (= $VERSION)" ] &&
	ok "libtcpshim-dev depends on libtcpshim1 (= $VERSION)" || bad "libtcpshim-dev's Depends"
# The command preloads the packaged library's path, and names it.
strings "$X/tcpshim/usr/bin/tcpshim" | grep -qx "/usr/lib/$MA/libtcpshim.so.1" &&
	ok "the command preloads /usr/lib/$MA/libtcpshim.so.1" ||
	bad "the command does not name /usr/lib/$MA/libtcpshim.so.1"
grep -qx 'ExecStart=/usr/bin/tcpshim watch --log journal --events all,summary' \
	"$X/tcpshim/lib/systemd/system/tcpshim-watch.service" &&
	ok "tcpshim-watch.service runs /usr/bin/tcpshim watch" || bad "the unit's ExecStart"
# Shipped disabled: nothing started, and enabled again only on an
# upgrade where the administrator had enabled it.
P=$X/tcpshim/DEBIAN/postinst
if [ ! -f "$P" ]; then
	bad "tcpshim has no postinst (dh_installsystemd did not run)"
elif grep -q 'deb-systemd-invoke start' "$P" || { grep -q 'deb-systemd-helper enable' "$P" &&
	! grep -B 2 'deb-systemd-helper enable' "$P" | grep -q was-enabled; }; then
	bad "postinst enables or starts tcpshim-watch.service"
else
	ok "tcpshim-watch.service shipped disabled: postinst neither enables nor starts it"
fi

# 4. Debian's hardening flags, as built.
for f in "$LIBF" "$X/tcpshim/usr/bin/tcpshim"; do
	d=$(readelf -d "$f")
	s=$(readelf -sW --dyn-syms "$f")
	l=$(readelf -lW "$f")
	if echo "$d" | grep -q 'BIND_NOW\|Flags:.*NOW' && echo "$l" | grep -q GNU_RELRO &&
		echo "$s" | grep -q '__stack_chk_fail' && echo "$s" | grep -q '_chk@'; then
		ok "${f##*/}: BIND_NOW, RELRO, stack protector, fortified calls"
	else
		bad "${f##*/}: hardening missing"
	fi
done
rm -rf "$X" build/deb-again
exit $fail
