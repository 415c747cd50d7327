"""report_expect.py - what tests/test_report.sh expects of tcpshim
report's rows (its --json output), and the logs it crafts from real ones.

  joined ROWS SERVER_LOG CLIENT_LOG ADDR PORT [kernel]
      the rows of report_pair.py's unread, linger0, abort and refused
      (server at ADDR:PORT):
      the first three joined (server sent, client received), refused
      one-sided, or joined with watch's no_listener when "kernel" is
      given (every end then has both layers); verdicts word for word
  one_sided ROWS CLIENT_LOG PORT
      the same four from the client's log alone: each one-sided
  shift LOG SECONDS [CAUSE]
      LOG with every event's time (or only CAUSE's) moved, on stdout
  reuse SERVER_LOG CLIENT_LOG VARIANT
      a log of two connections on one address pair 60 s apart, made
      from the linger0 pair, on stdout.  VARIANT: both; first_missing
      (the first's receiver not logged); late_second_missing (the
      second's receiver not logged, the first's 2 min late: the byte
      counts tell which sender); ambiguous (the same, with equal byte
      counts: nothing pairs)
  reuse_check ROWS SERVER_LOG CLIENT_LOG VARIANT
      the rows of such a log, pairs as the VARIANT must give them
  same ROWS_A ROWS_B [HOST]
      the same causes and verdicts, numbers (and " on HOST") aside
Exits 1 with what differs.
"""
import datetime
import json
import re
import sys

CASES = ["unread", "linger0", "abort", "refused"]
SENT = {"unread": "unread_data", "linger0": "linger0", "abort": "abort"}
SAID = {
    "unread": "closed with 12 bytes unread: its kernel reset the connection",
    "linger0": "closed with SO_LINGER {1, 0}: its kernel reset the connection",
    "abort": "aborted the connection (tcp_abort): a reset left at once",
}


def fail(msg, rows=None):
    print("FAIL " + msg)
    for r in rows or []:
        print("  | " + json.dumps(r))
    sys.exit(1)


def load(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def events(log):
    return [e for e in load(log) if "event" in e]


def who(pid, fd, comm):
    if comm:
        return re.escape("%s (pid %d, fd %d)" % (comm, pid, fd))
    return re.escape("pid %d (fd %d)" % (pid, fd))


def host_of(rows_end):
    return (" on " + rows_end) if rows_end else ""


def joined(rows, slog, clog, addr, port, kernel):
    s = events(slog)
    c = events(clog)
    if len(s) != 3 or len(c) != 4:
        fail("the logs hold %d server and %d client events, not 3 and 4"
             % (len(s), len(c)), s + c)
    if len(rows) != 4:
        fail("%d rows, not 4" % len(rows), rows)
    # In the cases' order (rows are by time: another host's clock may
    # put them otherwise).
    order = ["unread_data", "linger0", "abort", "refused", "no_listener"]
    rows = sorted(rows, key=lambda r: order.index(r["cause"].split("/")[0])
                  if r["cause"].split("/")[0] in order else 9)
    comm = "python3" if kernel else None
    for case, row, se, ce in zip(CASES, rows, s + [None], c):
        if case == "refused":
            cause = "no_listener/refused" if kernel else "refused"
            said = ("the connection request of %s%s to %s:%d was "
                    "refused: nothing listened there \\(ECONNREFUSED\\)"
                    % (who(ce["pid"], ce["fd"], comm),
                       host_of(row["ends"][-1]["host"]), re.escape(addr),
                       port + 1))
            if kernel:
                said = ("nothing listened on %s:%d%s: its kernel answered "
                        "the connection request with a reset; %s%s saw "
                        "ECONNREFUSED in connect ([0-9.]+ ms later|at once)" % (
                            re.escape(addr), port + 1,
                            host_of(row["ends"][0]["host"]),
                            who(ce["pid"], ce["fd"], comm),
                            host_of(row["ends"][-1]["host"])))
        else:
            cause = SENT[case] + "/peer_reset"
            said = "%s%s %s; %s%s saw ECONNRESET in recv ([0-9.]+ ms later|at once)" % (
                who(se["pid"], se["fd"], comm),
                host_of(row["ends"][0]["host"]), re.escape(SAID[case]),
                who(ce["pid"], ce["fd"], comm),
                host_of(row["ends"][-1]["host"]))
        if row["cause"] != cause or not re.fullmatch(said, row["verdict"]):
            fail("%s: cause %r, verdict %r; expected %r, /%s/" % (
                case, row["cause"], row["verdict"], cause, said), [row])
        ends = row["ends"]
        if len(ends) != (1 if case == "refused" and not kernel else 2):
            fail("%s: %d ends" % (case, len(ends)), [row])
        layers = ["preload", "kernel"] if kernel else ["preload"]
        for e in ends:
            want = layers if e["role"] == "received" or case != "refused" \
                else ["kernel"]
            if e["layers"] != want:
                fail("%s: layers %r, expected %r" % (case, e["layers"], want),
                     [row])
        if case != "refused" and (ends[0]["cookie"] != se["cookie"] or
                                  ends[1]["cookie"] != ce["cookie"]):
            fail("%s: the ends' cookies are not the logs'" % case, [row])
    print("ok   %d rows: unread_data, linger0 and abort joined to peer_reset%s"
          % (len(rows), ", refused to no_listener, both layers each"
             if kernel else "; refused one-sided"))


def one_sided(rows, clog, port):
    c = events(clog)
    if len(rows) != 4 or any(len(r["ends"]) != 1 for r in rows):
        fail("expected 4 one-sided rows", rows)
    for case, row, ce in zip(CASES, rows, c):
        if case == "refused":
            continue
        said = ("%s saw ECONNRESET in recv: the peer reset the connection; "
                "the sender's end is not in these logs"
                % who(ce["pid"], ce["fd"], None))
        if row["cause"] != "peer_reset" or not re.fullmatch(said, row["verdict"]):
            fail("%s: %r" % (case, row["verdict"]), [row])
    print("ok   the client's log alone: 4 one-sided rows")


def moved(t, seconds):
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    d += datetime.timedelta(seconds=seconds)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def shift(log, seconds, cause=None):
    for e in load(log):
        if "time" in e and (cause is None or e.get("cause") == cause):
            e["time"] = moved(e["time"], seconds)
        print(json.dumps(e))


def reuse_pair(slog, clog):
    s = [e for e in events(slog) if e["cause"] == "linger0"][0]
    c = [e for e in events(clog) if e["cause"] == "peer_reset"][1]
    return s, c


def reuse(slog, clog, variant):
    s, c = reuse_pair(slog, clog)
    # The second connection: the same address pair a minute later, other
    # descriptors and cookies, and (but for "ambiguous") other byte counts.
    more = 0 if variant == "ambiguous" else 5
    s2 = dict(s, time=moved(s["time"], 60), conn=s["conn"] + 100,
              cookie=s["cookie"] + 1000, fd=s["fd"] + 10,
              bytes_received=s["bytes_received"] + more)
    c2 = dict(c, time=moved(c["time"], 60), conn=c["conn"] + 100,
              cookie=c["cookie"] + 1000, fd=c["fd"] + 10,
              bytes_sent=c["bytes_sent"] + more)
    if variant in ("late_second_missing", "ambiguous"):
        c = dict(c, time=moved(c["time"], 120))
        c2 = None
    if variant == "first_missing":
        c = None
    for e in (s, c, s2, c2):
        if e is not None:
            print(json.dumps(e))


# What each variant must give: the rows' (sender, receiver) cookies.
def reuse_check(rows, slog, clog, variant):
    s, c = reuse_pair(slog, clog)
    a, b = (s["cookie"], c["cookie"]), (s["cookie"] + 1000, c["cookie"] + 1000)
    want = {
        "both": [a, b],
        "late_second_missing": [a, (b[0], None)],
        "ambiguous": [(a[0], None), (b[0], None), (None, a[1])],
        "first_missing": [(a[0], None), b],
    }[variant]
    got = []
    for r in rows:
        sent = [e["cookie"] for e in r["ends"] if e["role"] == "sent"]
        recv = [e["cookie"] for e in r["ends"] if e["role"] == "received"]
        got.append((sent[0] if sent else None, recv[0] if recv else None))
    if sorted(got, key=str) != sorted(want, key=str):
        fail("reuse %s: pairs %r, expected %r" % (variant, got, want), rows)
    print("ok   one address pair twice in a minute (%s): %s" % (
        variant, ", ".join("joined" if x and y else "one-sided"
                           for x, y in want)))


def same(a, b, host=None):
    def norm(rows):
        return [(r["cause"], re.sub(r"[0-9.]+", "N", r["verdict"].replace(
            " on " + host, "") if host else r["verdict"])) for r in rows]
    if norm(a) != norm(b):
        fail("the rows differ:\n  %r\n  %r" % (norm(a), norm(b)))
    print("ok   the journal's rows: the same %d causes and verdicts" % len(a))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "joined":
        joined(load(args[0]), args[1], args[2], args[3], int(args[4]),
               len(args) > 5 and args[5] == "kernel")
    elif cmd == "one_sided":
        one_sided(load(args[0]), args[1], int(args[2]))
    elif cmd == "shift":
        shift(args[0], float(args[1]), args[2] if len(args) > 2 else None)
    elif cmd == "reuse":
        reuse(args[0], args[1], args[2])
    elif cmd == "reuse_check":
        reuse_check(load(args[0]), args[1], args[2], args[3])
    elif cmd == "same":
        same(load(args[0]), load(args[1]), args[2] if len(args) > 2 else None)
    else:
        sys.exit("unknown: " + cmd)
