"""bench_report_log.py - a log for make bench's part on tcpshim report:
N two-ended resets (2N events, JSON Lines, on stdout) between clients of
254 x 254 addresses and one server, each client port used many times
over, a reset every millisecond; the receiver logs 0.4 ms after the
sender; the causes cycle through unread_data, linger0 and abort.

  python3 bench_report_log.py N
"""
import sys

CAUSES = ["unread_data", "linger0", "abort"]
CALLS = {"unread_data": "close", "linger0": "close", "abort": "tcp_abort"}


def stamp(us):
    s, us = divmod(us, 1000000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return "2026-12-06T%02d:%02d:%02d.%06dZ" % (h % 24, m, s, us)


def main(n):
    out = sys.stdout
    line = ('{"time":"%s","pid":%d,"fd":%d,"conn":%d,"cookie":%d,'
            '"event":"%s","cause":"%s","call":"%s","errno":%s,'
            '"local":"%s","peer":"%s","bytes_sent":%d,"bytes_received":%d}\n')
    for i in range(n):
        cause = CAUSES[i % 3]
        client = "10.0.%d.%d:%d" % (i // 254 % 254 + 1, i % 254 + 1,
                                     32768 + i % 28000)
        server = "10.1.0.1:443"
        t = i * 1000
        out.write(line % (stamp(t), 1000, 5, i, 2 * i + 1, "rst_sent", cause,
                          CALLS[cause], "null", server, client, 40, 12))
        out.write(line % (stamp(t + 400), 2000 + i % 100, 7, i, 2 * i + 2,
                          "rst_received", "peer_reset", "recv",
                          '"ECONNRESET"', client, server, 12, 40))


main(int(sys.argv[1]))
