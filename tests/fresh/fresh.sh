#!/bin/sh
# make check-fresh: what a newcomer sees.  Bootstraps a fresh Debian 12
# root with debootstrap, from the mirror the host's apt already uses;
# mounts what a real machine has (proc, sys, tracefs, dev, devpts, shm,
# run); enters it with pivot_root, in mount and pid namespaces of its
# own; and there runs the commands of the README's "First run" section
# (tests/fresh/fresh_machine.sh says in which order, as whom, and what each
# must do).  Prints each command, its exit status and its time; exits 1
# when any of them broke the README's promise.
#
#   FRESH_VARIANT=default|minbase   debootstrap's variant (default: default)
#   FRESH_DIR=DIR                   where the root is built (default:
#                                   build/fresh-VARIANT); the logs stay in
#                                   DIR/logs, the root itself is removed
#   FRESH_KEEP=1                    keep the root too
#
# The root sees the committed tree (HEAD), cloned as a newcomer would.
# Everything it mounts or starts lives in its own namespaces, so it is
# gone when the run ends, interrupted or not.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VARIANT=${FRESH_VARIANT:-default}
DIR=${FRESH_DIR:-$SRC/build/fresh-$VARIANT}
ROOT=$DIR/root
SUITE=bookworm

say() { printf 'check-fresh: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

case $VARIANT in
default|minbase) ;;
*) die "FRESH_VARIANT=$VARIANT: use default or minbase" ;;
esac

# mirror SUITE: the first Debian mirror the host's apt uses for SUITE,
# from one-line (sources.list) or deb822 (.sources) entries.
mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v suite="$1" '{
			line = $0; gsub(/\[[^]]*\]/, "", line)
			if (split(line, f, " ") >= 3 && f[1] == "deb" && f[3] == suite)
				{ print f[2]; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$1" '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "")
				{ split(uris, u, " "); print u[1]; found = 1 }
			types = suites = uris = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); if (found) exit; next }
		{ key = $1; sub(/:$/, "", key); $1 = ""; sub(/^ /, "")
		  if (key == "Types") types = $0
		  else if (key == "Suites") suites = $0
		  else if (key == "URIs") uris = $0 }
		END { if (!found) flush() }' "$f"
	done | head -n 1
}

# The part that runs in the new namespaces: build the root, mount, enter.
if [ "${1:-}" = --inside ]; then
	rm -rf --one-file-system "$ROOT"
	mkdir -p "$ROOT"
	say "debootstrap $SUITE ($VARIANT variant) from $MIRROR"
	start=$(date +%s)
	if [ "$VARIANT" = minbase ]; then set -- --variant=minbase; else set --; fi
	debootstrap "$@" "$SUITE" "$ROOT" "$MIRROR" >"$DIR/logs/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$DIR/logs/debootstrap.log" >&2; die "debootstrap failed"; }
	say "debootstrap: $(($(date +%s) - start)) s"
	# The sources a freshly installed Debian 12 has: the release, its
	# updates and its security archive, from the host's mirrors.
	{
		echo "deb $MIRROR $SUITE main"
		echo "deb $MIRROR $SUITE-updates main"
		[ -z "$SECURITY" ] || echo "deb $SECURITY $SUITE-security main"
	} >"$ROOT/etc/apt/sources.list"
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
	echo fresh >"$ROOT/etc/hostname"
	hostname fresh 2>/dev/null || true
	# The committed tree, as a repository to clone, and the script that
	# plays the newcomer.
	mkdir -p "$ROOT/fresh"
	git clone -q --bare "$SRC" "$ROOT/fresh/tcpshim.git"
	cp "$SRC/tests/fresh/fresh_machine.sh" "$DIR/commands" "$ROOT/fresh/"
	# What a real machine has mounted.
	mount --bind "$ROOT" "$ROOT"
	mount -t proc proc "$ROOT/proc"
	mount -t sysfs sysfs "$ROOT/sys"
	mount -t tracefs tracefs "$ROOT/sys/kernel/tracing" 2>/dev/null ||
		say "(no tracefs: $ROOT/sys/kernel/tracing could not be mounted)"
	mount -t devtmpfs devtmpfs "$ROOT/dev"
	mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,gid=5,mode=620 devpts "$ROOT/dev/pts"
	mount -t tmpfs -o mode=1777 tmpfs "$ROOT/dev/shm"
	mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
	mkdir -p "$ROOT/run/lock" "$ROOT/oldroot"
	cd "$ROOT"
	pivot_root . oldroot
	exec chroot . /bin/sh -c 'umount -l /oldroot && rmdir /oldroot &&
		cd / && exec /bin/sh /fresh/fresh_machine.sh /fresh/commands'
fi

if [ "$(id -u)" != 0 ]; then
	echo "SKIP check-fresh: it needs root (debootstrap, mounts, pivot_root)"
	exit 0
fi
for pair in debootstrap:debootstrap git:git unshare:util-linux; do
	PATH="$PATH:/usr/sbin:/sbin" command -v "${pair%%:*}" >/dev/null && continue
	say "installing ${pair#*:}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${pair#*:}" >/dev/null ||
		die "apt-get install ${pair#*:} failed"
done
MIRROR=$(mirror "$SUITE")
SECURITY=$(mirror "$SUITE-security")
[ -n "$MIRROR" ] || die "no Debian mirror for $SUITE in the host's apt sources"
export MIRROR SECURITY SRC VARIANT DIR ROOT

# The README's first commands, as the committed tree has them: the first
# sh block after the heading "## First run" (readme_first_run.sh, which
# test_docs.sh reads them with too).
git -C "$SRC" diff --quiet HEAD 2>/dev/null ||
	say "(uncommitted changes are not in the root: it clones HEAD)"
rm -rf "$DIR/logs"
mkdir -p "$DIR/logs"
git -C "$SRC" show HEAD:README.md |
	sh "$SRC/tests/fresh/readme_first_run.sh" >"$DIR/commands"
[ -s "$DIR/commands" ] || die "README.md has no sh block under \"## First run\""
say "the README's first commands:"
sed 's/^/    /' "$DIR/commands"

# unshare ignores SIGINT and SIGTERM, and so does the namespace's first
# process: on either, kill unshare, and --kill-child takes the whole
# namespace with it.
PATH="$PATH:/usr/sbin:/sbin" unshare --mount --pid --uts --fork --kill-child \
	--mount-proc sh "$0" --inside &
ns=$!
trap 'kill -KILL $ns 2>/dev/null; say "interrupted"; interrupted=1' INT TERM HUP
interrupted= rc=0
wait $ns || rc=$?
# wait returns early for a trapped signal: then once more, for the end.
[ -z "$interrupted" ] || { wait $ns 2>/dev/null || true; rc=130; }
trap - INT TERM HUP
# The namespaces are gone, and with them every mount: only files remain.
if grep -q " $ROOT" /proc/self/mounts; then
	die "something is still mounted under $ROOT; not removing it"
fi
[ -f "$ROOT/fresh/results" ] && cp "$ROOT/fresh/results" "$DIR/logs/results"
[ -d "$ROOT/fresh/logs" ] && cp -r "$ROOT/fresh/logs/." "$DIR/logs/"
[ "${FRESH_KEEP:-}" = 1 ] || rm -rf --one-file-system "$ROOT"
say "logs: $DIR/logs"
exit $rc
