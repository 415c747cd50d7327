# demos/need.sh - the Debian packages the demos need.  As root, what is
# missing is installed with apt-get; otherwise the exact apt-get line is
# printed.  A failed install always says why.  Sourced by demos/lib.sh
# and demos/run.sh.

# missing CMD:PACKAGE...: the packages whose command is not found, once
# each, on one line.  For a package with no command (a library's -dev),
# CMD is the absolute path of a file it installs.
missing() {
	out=
	for pair in "$@"; do
		case $pair in
		/*) [ -e "${pair%%:*}" ] && continue ;;
		*) PATH="$PATH:/usr/sbin:/sbin" command -v "${pair%%:*}" \
			>/dev/null 2>&1 && continue ;;
		esac
		case " $out " in
		*" ${pair#*:} "*) ;;
		*) out="$out ${pair#*:}" ;;
		esac
	done
	echo ${out# }
}

# apt_install PACKAGE...: install quietly; on failure print the end of
# what apt-get said.  Tries again after apt-get update, since a fresh
# machine may have no package lists yet.
apt_install() {
	log=$(mktemp)
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1 ||
		{ apt-get update -q && apt-get install -y -q \
			--no-install-recommends "$@"; } >"$log" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		echo "demo: apt-get install $* failed (exit $rc):" >&2
		tail -n 8 "$log" | sed 's/^/    /' >&2
	fi
	rm -f "$log"
	return $rc
}

# need CMD:PACKAGE...: returns 0 when every command is there (after
# installing what was missing, as root), 1 otherwise, having said why.
need() {
	pkgs=$(missing "$@")
	[ -n "$pkgs" ] || return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "demo: missing Debian packages; as root, run:" >&2
		echo "  apt-get install $pkgs" >&2
		return 1
	fi
	echo "(installing: $pkgs)"
	apt_install $pkgs || return 1
	pkgs=$(missing "$@")
	[ -z "$pkgs" ] && return 0
	echo "demo: apt-get reported success, but still missing: $pkgs" >&2
	return 1
}
