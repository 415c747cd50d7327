#!/bin/sh
# make deb: the Debian packages libtcpshim1, libtcpshim-dev and tcpshim,
# built with dpkg-buildpackage -us -uc -b in a copy of the tree.
#
#   DEB_DIR=DIR   where (default build/deb): the copy is DIR/tcpshim-VERSION,
#                 the packages DIR/*.deb, the build's output DIR/build.log
#
# Without the build dependencies: as root, installs them with apt-get;
# otherwise prints the apt-get line to run and exits 1 (tests/deps.sh).
set -eu
DIR=${DEB_DIR:-build/deb}

say() { printf 'make deb: %s\n' "$*"; }

# The packaging tools and Build-Depends: installed as root, or the
# apt-get line to run (as make check says it).
sh tests/deps.sh deb || exit 1

VERSION=$(dpkg-parsechangelog -S Version)
COPY=$DIR/tcpshim-$VERSION
rm -rf "$DIR"
mkdir -p "$COPY"
# The files of the tree (tracked, and new ones not ignored), or, outside
# a git checkout, everything but build/.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -C "$COPY" -xf -
else
	tar --exclude=./build -cf - . | tar -C "$COPY" -xf -
fi

# Every file dated as the release (debian/changelog), as dpkg-deb dates
# what the build makes: the packages do not depend on when the tree was
# checked out.
find "$COPY" -exec touch -h -d "@$(dpkg-parsechangelog -S Timestamp)" {} +

say "building $VERSION in $COPY (output in $DIR/build.log)"
if ! (cd "$COPY" && dpkg-buildpackage -us -uc -b) >"$DIR/build.log" 2>&1; then
	tail -n 30 "$DIR/build.log" >&2
	say "dpkg-buildpackage failed; see $DIR/build.log" >&2
	exit 1
fi
rm -rf "$COPY"
say "built:"
for f in "$DIR"/*.deb; do
	printf '  %s\n' "$f"
done
say "install with: apt-get install $(for f in "$DIR"/*.deb; do
	case $f in *-dbgsym_*) ;; *) printf './%s ' "$f" ;; esac; done)"
