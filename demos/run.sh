#!/bin/sh
# make demo: the four RST demos, one after another.
DEMOS=$(cd "$(dirname "$0")" && pwd)
cat <<'TXT'
tcpshim: the four classic TCP resets, live (TCP/IP Illustrated, vol. 1,
ch. 13).  Each demo shows the segments on the wire (tcpdump, absolute
sequence numbers), what the program saw, and what tcpshim logged.
TXT
status=0
for demo in "$DEMOS"/0[1-4]-*.sh; do
	sh "$demo" || status=1
done
exit $status
