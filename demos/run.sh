#!/bin/sh
# make demo: the RST demos, one after another.  What they need is
# installed (as root) or named in one apt-get line before any of them
# starts.
DEMOS=$(cd "$(dirname "$0")" && pwd)
. "$DEMOS/need.sh"
needs=$(for demo in "$DEMOS"/0[1-7]-*.sh; do
	DEMO_LIST_NEEDS=1 sh "$demo" || exit 1
done) || exit 1
need $needs || exit 1
cat <<'TXT'
tcpshim: the four classic TCP resets, live (TCP/IP Illustrated, vol. 1,
ch. 13), then a dead peer's connection cleared from a running server,
a client's retry loop tested with resets injected on purpose, and a
static Go server and client, which no preload reaches, seen from the
kernel by tcpshim watch.  Each demo shows the segments on the wire
(tcpdump, absolute sequence numbers), what the program saw, and what
tcpshim logged.
TXT
status=0
for demo in "$DEMOS"/0[1-7]-*.sh; do
	sh "$demo" || status=1
done
exit $status
