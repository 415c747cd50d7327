#!/usr/bin/env python3
"""truth.py - tcpshim's log held against the kernel's own record.

    truth.py NAME TRACE ROLE:PORT[,ROLE:PORT...] LOG...

TRACE is the text of a tracefs instance in which tcp:tcp_send_reset and
tcp:tcp_receive_reset were enabled while the program ran; LOG are the
JSON Lines tcpshim wrote for it.  ROLE:PORT says which sockets are the
program's: "server:8080" (its local port is 8080) or "client:8080" (its
peer's port is 8080), or several of them ("server:80,client:8080" for a
proxy).

A connection is its pair of addresses, local and peer.  The kernel reset
it if a socket of it sent a RST (tcp_send_reset with a state) or
received one (tcp_receive_reset).  Each such connection must have
exactly one event of the right kind, and each event a kernel reset
behind it, with a cause that fits the kernel's reason:

    rst_sent unread_data           TCP_ABORT_ON_CLOSE
    rst_sent linger0|policy|abort  TCP_STATE, or TCP_ABORT_ON_CLOSE when
                                   data was unread too (the kernel checks
                                   that first)
    rst_sent killed                TCP_STATE or NOT_SPECIFIED (a reset
                                   made from outside the process)
    rst_sent injected              TCP_STATE (a TCPSHIM_INJECT rule)
    halfopen keepalive_timeout     TCP_KEEPALIVE_TIMEOUT
    rst_received (any cause)       tcp_receive_reset

Resets the process cannot see are counted apart, never as missing: one
an orphaned socket sends after the program closed (TCP_ABORT_ON_DATA),
answers to segments for no socket (NO_SOCKET, TIME-WAIT), and a
listener's answers to segments that belong to no connection.

Where the trace records each task's process (record-tgid), a reset for
unread data must be logged by the process whose close sent it.

The tracepoints see every network namespace and name none: a reset of
another namespace on the same ports (a refused connect there whose
ephemeral port is the server's port here) is taken for the program's.
Cases run one at a time; another user's namespace can still add one
(docs/limits.md).

Prints one line of counts, and a line per disagreement; exits 1 when
any event is missing, false, duplicated or inconsistent.  With
TRUTH_LIMIT=missing,shared in the environment, missing events, or one
reset logged by each of two processes holding the socket, are limits the
docs/limits.md names: counted and shown, not a failure (false ones still are;
and more than 2 % of the resets logged by both holders is).
"""
import json
import os
import re
import sys

# The task that ran the tracepoint, and its process where the instance
# records it (options/record-tgid): "comm-TID (TGID) [CPU] ...".
TASK = re.compile(r"^\s*.*?-(\d+)\s+\(\s*(\d+)\)\s+\[")
SEND = re.compile(r"tcp_send_reset: .*?src=(\S+) dest=(\S+) state=(\S+) reason=(\S+)")
RECV = re.compile(
    r"tcp_receive_reset: family=(\S+) sport=(\d+) dport=(\d+) saddr=(\S+) "
    r"daddr=(\S+) saddrv6=(\S+) daddrv6=(\S+) sock_cookie=([0-9a-fx]+)")
AFTER_CLOSE = {"TCP_ABORT_ON_DATA"}
NO_SOCKET = {"NO_SOCKET", "TCP_TIMEWAIT_SOCKET"}
FITS = {
    ("rst_sent", "unread_data"): {"TCP_ABORT_ON_CLOSE"},
    ("rst_sent", "linger0"): {"TCP_STATE", "TCP_ABORT_ON_CLOSE"},
    ("rst_sent", "policy"): {"TCP_STATE", "TCP_ABORT_ON_CLOSE"},
    ("rst_sent", "abort"): {"TCP_STATE", "TCP_ABORT_ON_CLOSE"},
    ("rst_sent", "killed"): {"TCP_STATE", "NOT_SPECIFIED"},
    ("rst_sent", "injected"): {"TCP_STATE"},
    ("halfopen", "keepalive_timeout"): {"TCP_KEEPALIVE_TIMEOUT"},
}


def senders_unknown(text):
    """Sends traced without the process (no options/record-tgid)."""
    return any(SEND.search(line) and not TASK.match(line)
               for line in text.splitlines())


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])


def mine(local, peer, targets):
    """Is the socket with these addresses the program's?"""
    return any((port_of(local) if role == "server" else port_of(peer)) == port
               for role, port in targets)


class Conn:
    def __init__(self):
        self.sent = []        # reasons of resets its sockets sent
        self.senders = set()  # processes whose close sent them
        self.received = 0     # resets its sockets received
        self.events = []      # (event, cause) logged


def read_trace(text, targets, conns, apart):
    for line in text.splitlines():
        m = SEND.search(line)
        if m:
            local, peer, state, reason = m.groups()
            if not mine(local, peer, targets):
                continue
            if reason in AFTER_CLOSE or reason in NO_SOCKET or state == "UNKNOWN":
                apart[reason] = apart.get(reason, 0) + 1
                continue
            if state == "TCP_LISTEN":
                key = "answers from a listener"
                apart[key] = apart.get(key, 0) + 1
                continue
            c = conns.setdefault((local, peer), Conn())
            c.sent.append(reason)
            task = TASK.match(line)
            if task and reason == "TCP_ABORT_ON_CLOSE":
                c.senders.add(int(task.group(2)))
            continue
        m = RECV.search(line)
        if m:
            family, sport, dport, sa, da, sa6, da6, _ = m.groups()
            if family == "AF_INET":
                local, peer = f"{sa}:{sport}", f"{da}:{dport}"
            else:
                local, peer = f"[{sa6}]:{sport}", f"[{da6}]:{dport}"
            if mine(local, peer, targets):
                conns.setdefault((local, peer), Conn()).received += 1


def wildcard(addr):
    return addr.startswith("0.0.0.0:") or addr.startswith("[::]:")


def key_of(local, peer, conns):
    """After a refused connect the kernel forgets the local address: the
    event says 0.0.0.0:PORT; the connection with that port is meant."""
    if local and wildcard(local):
        port = local.rsplit(":", 1)[1]
        for k in conns:
            if k[1] == peer and k[0] and k[0].rsplit(":", 1)[1] == port:
                return k
    return (local, peer)


def read_logs(paths, conns, problems):
    n = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    problems.append(f"not JSON in {path}: {line.strip()}")
                    continue
                if "event" not in ev or ev["event"] == "close":
                    continue
                n += 1
                key = key_of(ev.get("local"), ev.get("peer"), conns)
                conns.setdefault(key, Conn()).events.append(
                    (ev["event"], ev.get("cause"), ev.get("pid")))
    return n


def judge(conns, problems):
    count = {"resets": 0, "missing": 0, "false": 0, "duplicated": 0,
             "inconsistent": 0, "shared": 0, "elsewhere": 0}
    for (local, peer), c in sorted(conns.items(), key=lambda kv: str(kv[0])):
        reset = bool(c.sent or c.received)
        count["resets"] += reset
        where = f"{local} -> {peer}"
        if reset and not c.events:
            count["missing"] += 1
            problems.append(f"missing: {where}: kernel sent {c.sent} "
                            f"received {c.received}, nothing logged")
            continue
        # Two connections one after the other on the same four addresses
        # (a client's port taken again by the next process): as many
        # kernel resets as events, each its own.
        if len(c.events) > 1 and len(c.sent) + c.received < len(c.events):
            pids = [e[2] for e in c.events]
            # Two holders of one socket, closing at the same instant,
            # each find it gone after their close.
            kind = "shared" if len(set(pids)) == len(pids) else "duplicated"
            count[kind] += 1
            problems.append(f"{kind}: {where}: {c.events}")
        # A close that reset for unread data ran in the process that
        # closed last: that process, and no other, logs it.
        if (c.senders and len(c.events) == 1 and
                c.events[0][:2] == ("rst_sent", "unread_data") and
                c.events[0][2] not in c.senders):
            count["elsewhere"] += 1
            problems.append(f"elsewhere: {where}: logged by pid "
                            f"{c.events[0][2]}, sent by {sorted(c.senders)}")
        for event, cause, _ in c.events[:1]:
            if event == "rst_received":
                ok_kernel, fits = c.received > 0, c.received > 0
            elif event == "halfopen" and cause == "user_timeout":
                ok_kernel, fits = True, True   # no RST need leave
            else:
                want = FITS.get((event, cause), set())
                ok_kernel = bool(c.sent)
                fits = any(r in want for r in c.sent)
            if not ok_kernel:
                count["false"] += 1
                problems.append(f"false: {where}: logged {event} {cause}, "
                                f"kernel sent {c.sent} received {c.received}")
            elif not fits:
                count["inconsistent"] += 1
                problems.append(f"inconsistent: {where}: logged {event} "
                                f"{cause}, kernel reasons {c.sent}")
    return count


def main(argv):
    if len(argv) < 4:
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    name, trace, target, logs = argv[0], argv[1], argv[2], argv[3:]
    targets = [(t.split(":")[0], int(t.split(":")[1]))
               for t in target.split(",")]
    conns, apart, problems = {}, {}, []
    with open(trace, encoding="utf-8", errors="replace") as f:
        trace_text = f.read()
    read_trace(trace_text, targets, conns, apart)
    logged = read_logs(logs, conns, problems)
    count = judge(conns, problems)
    extra = "".join(f", {n} {r} (not the process's to see)"
                    for r, n in sorted(apart.items()))
    shared = (f", logged by both holders {count['shared']}"
              if count["shared"] else "")
    print(f"{name}: kernel resets {count['resets']}, events {logged}, "
          f"missing {count['missing']}, false {count['false']}, "
          f"duplicated {count['duplicated']}{shared}, "
          f"inconsistent {count['inconsistent']}, by another process "
          f"{count['elsewhere']}{extra}")
    for p in problems[:20]:
        print(f"  {p}")
    bad = (count["false"] + count["duplicated"] + count["inconsistent"] +
           count["elsewhere"])
    limits = os.environ.get("TRUTH_LIMIT", "").split(",")
    for kind in ("missing", "shared"):
        if not count[kind]:
            continue
        # Two holders closing at one instant is rare (up to 1 % of a
        # handoff's resets on a busy machine): more than 2 % (at least 1)
        # means the holders do not see each other.
        bound = max(1, count["resets"] // 50) if kind == "shared" else None
        if kind in limits and (bound is None or count[kind] <= bound):
            print(f"  ({count[kind]} {kind}: a limit, docs/limits.md)")
        else:
            bad += count[kind]
    if senders_unknown(trace_text):
        print("  (the trace does not name each reset's process: "
              "the sending process was not checked)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
