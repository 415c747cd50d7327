#!/bin/sh
# peerhost.sh - two test hosts in network namespaces, and a peer that can
# crash silently and come back: what a half-open connection needs.
#
#   peerhost.sh up TAG        create hosts tcpshim-TAG-c (the client) and
#                             tcpshim-TAG-p (the peer)
#   peerhost.sh crash TAG     the peer vanishes: its link goes down first, so
#                             no FIN and no RST leave, then its namespace and
#                             every socket in it are destroyed (within about
#                             a second: see below)
#   peerhost.sh restart TAG   the peer comes back with the same addresses
#                             and an empty TCP stack
#   peerhost.sh down TAG      remove both hosts (safe to repeat)
#   peerhost.sh client TAG CMD...  /  peerhost.sh peer TAG CMD...
#                             run CMD on that host
#
# Addresses exist only inside these namespaces: the client is 198.18.0.1
# and fd00:7c9::1, the peer 198.18.0.2 and fd00:7c9::2 (RFC 2544 and
# unique-local ranges), on a bridge in the client's namespace.  The client
# knows the peer's MAC address permanently, so while the peer is gone its
# packets are lost without a word: no ARP failure, no ICMP error.
set -eu

CLIENT_MAC=02:7c:00:00:00:01 PEER_MAC=02:7c:00:00:00:02
CLIENT4=198.18.0.1 PEER4=198.18.0.2
CLIENT6=fd00:7c9::1 PEER6=fd00:7c9::2

usage() {
	echo "usage: peerhost.sh up|crash|restart|down TAG | client|peer TAG CMD..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1 tag=$2
shift 2
C=tcpshim-$tag-c
P=tcpshim-$tag-p

in_c() { ip netns exec "$C" "$@"; }
in_p() { ip netns exec "$P" "$@"; }

peer_up() {
	ip netns add "$P"
	in_p ip link set lo up
	ip link add tsb-"$tag" netns "$C" type veth peer name eth0 netns "$P"
	in_c ip link set tsb-"$tag" master br0 up
	in_p ip link set eth0 address "$PEER_MAC"
	in_p ip addr add "$PEER4/24" dev eth0
	in_p ip addr add "$PEER6/64" dev eth0 nodad
	in_p ip link set eth0 up
}

case $cmd in
up)
	ip netns add "$C"
	in_c ip link set lo up
	# A fixed address: a bridge otherwise takes its lowest port's, and
	# changes it when the peer's port goes away.
	in_c ip link add br0 address "$CLIENT_MAC" type bridge
	# A second port that leads nowhere keeps the bridge's carrier up
	# while the peer is gone: the client's packets still leave, into
	# nothing, where a capture can see them.
	in_c ip link add tsk0 type veth peer name tsk1
	in_c ip link set tsk0 master br0 up
	in_c ip link set tsk1 up
	in_c ip addr add "$CLIENT4/24" dev br0
	in_c ip addr add "$CLIENT6/64" dev br0 nodad
	in_c ip link set br0 up
	in_c ip neigh add "$PEER4" lladdr "$PEER_MAC" dev br0 nud permanent
	in_c ip -6 neigh add "$PEER6" lladdr "$PEER_MAC" dev br0 nud permanent
	peer_up
	;;
crash)
	in_p ip link set eth0 down
	# A killed process's connection is closed as at any exit: with
	# nothing unread it is left to the kernel to send its FIN, retried
	# for minutes, and the socket keeps the namespace alive meanwhile.
	# A single retry ends it within a second, silently (no RST), as if
	# it had vanished with the host.
	in_p sh -c "echo 1 >/proc/sys/net/ipv4/tcp_orphan_retries"
	# The host is gone, and its processes with it: a process left in the
	# namespace would keep the namespace, and its sockets, alive.
	for pid in $(ip netns pids "$P"); do kill -9 "$pid" 2>/dev/null || true; done
	ip netns del "$P"
	;;
restart)
	# Namespaces are torn down asynchronously: wait (5 s at most) until
	# the crashed peer's end of the link is gone from the client.
	n=0
	while in_c ip link show tsb-"$tag" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -le 100 ] || { echo "peerhost.sh: old link still there" >&2; exit 1; }
		sleep 0.05
	done
	peer_up
	;;
down)
	for ns in "$P" "$C"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	;;
client)
	exec ip netns exec "$C" "$@"
	;;
peer)
	exec ip netns exec "$P" "$@"
	;;
*)
	usage
	;;
esac
