#!/usr/bin/env python3
"""truth_peers.py - the python3 programs of tests/real/real_truth.sh.

    truth_peers.py MODE PORT N [ARG...]

Servers listen on 127.0.0.1:PORT, print "ready", and serve N
connections, one after another:

    send        send 4 KB, then read until the end or a reset
    reset       read a byte, reset (SO_LINGER {1, 0})
    echo        send back what comes, until the end or a reset
    fin-reset   read a byte, shut down (FIN), read a byte, reset
    read-once   read what has come, close (while the client streams)
    hi-ok       read "hi", send "ok", read until the end or a reset
    forking     ForkingTCPServer: the child reads a byte and closes
    handoff HOW an acceptor passes each connection to a worker with
                SCM_RIGHTS and closes its copy; the worker reads a byte
                and closes.  HOW is exec (a worker it starts with exec)
                or fork (a worker forked before any connection)
    inetd LIB LOG  fork, exec a service on descriptors 0 and 1, preloaded
                with LIB and logging to LOG: it reads a byte and closes
                both

    worker FD   the worker handoff execs: takes N connections from the
                Unix socket FD (given in place of PORT)
    fdholder SOCK LIB LOG  connect N times to its own listener, send 2
                bytes, and store each accepted connection in the
                s6-fdholderd listening at SOCK with s6-fdholder-store
                (preloaded with LIB, logging to LOG); close its copy and
                have the daemon drop it (s6-fdholder-delete), so that the
                daemon's close is the last, with the bytes unread

Clients make N connections to PORT, one after another:

    client SIZE [shut]  send SIZE bytes (then shut down), read until the
                end or a reset
    stream      send 1 MB in 1 KB writes, until a reset
"""
import os
import socket
import socketserver
import struct
import subprocess
import sys

LINGER0 = struct.pack("ii", 1, 0)


def listener(port):
    lfd = socket.socket()
    lfd.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lfd.bind(("127.0.0.1", port))
    lfd.listen(64)
    print("ready", flush=True)
    return lfd


def drain(conn, echo=False):
    """Read (and send back, with echo) until the end or a reset."""
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            if echo:
                conn.sendall(data)
    except OSError:
        pass


def send(conn, _):
    conn.sendall(b"x" * 4096)
    drain(conn)


def reset(conn, _):
    conn.recv(1)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)


def echo(conn, _):
    drain(conn, echo=True)


def fin_reset(conn, _):
    conn.recv(1)
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)


def read_once(conn, _):
    conn.recv(65536)


def hi_ok(conn, _):
    conn.recv(2)
    conn.sendall(b"ok")
    drain(conn)


def inetd(conn, args):
    lib, log = args
    env = dict(os.environ, LD_PRELOAD=lib, TCPSHIM_LOG=log,
               TCPSHIM_FORMAT="json")
    pid = os.fork()
    if pid == 0:
        os.dup2(conn.fileno(), 0)
        os.dup2(conn.fileno(), 1)
        os.execve(sys.executable, [sys.executable, "-c",
                  "import os; os.read(0, 1); os.close(0); os.close(1)"], env)
    conn.close()    # as inetd does: the service holds it alone
    os.waitpid(pid, 0)


SERVERS = {"send": send, "reset": reset, "echo": echo,
           "fin-reset": fin_reset, "read-once": read_once, "hi-ok": hi_ok,
           "inetd": inetd}


def serve(mode, port, n, args):
    lfd = listener(port)
    for _ in range(n):
        conn, _ = lfd.accept()
        SERVERS[mode](conn, args)
        conn.close()


def forking(port, n):
    class One(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(1)

    class Server(socketserver.ForkingTCPServer):
        allow_reuse_address = True

    with Server(("127.0.0.1", port), One) as srv:
        print("ready", flush=True)
        for _ in range(n):
            srv.handle_request()
        srv.collect_children(blocking=True)


def worker(sock, n):
    """Take connections from sock until it ends: read a byte, close."""
    for _ in range(n):
        _, fds, _, _ = socket.recv_fds(sock, 1, 1)
        if not fds:
            return
        conn = socket.socket(fileno=fds[0])
        conn.recv(1)
        conn.close()


def handoff(port, n, how):
    ours, theirs = socket.socketpair()
    if how == "fork":
        pid = os.fork()
        if pid == 0:
            ours.close()
            worker(theirs, n)
            os._exit(0)
        proc = None
    else:
        proc = subprocess.Popen([sys.executable, __file__, "worker",
                                 str(theirs.fileno()), str(n)],
                                pass_fds=[theirs.fileno()])
    theirs.close()
    lfd = listener(port)
    for _ in range(n):
        conn, _ = lfd.accept()
        socket.send_fds(ours, [b"c"], [conn.fileno()])
        conn.close()
    ours.close()
    if proc is None:
        os.waitpid(pid, 0)
    else:
        proc.wait()


def fdholder(port, n, args):
    sock, lib, log = args
    env = dict(os.environ, LD_PRELOAD=lib, TCPSHIM_LOG=log,
               TCPSHIM_FORMAT="json")
    lfd = socket.socket()
    lfd.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lfd.bind(("127.0.0.1", port))
    lfd.listen(1)
    for i in range(n):
        peer = socket.create_connection(("127.0.0.1", port))
        peer.sendall(b"xy")
        conn, _ = lfd.accept()
        subprocess.run(["s6-fdholder-store", sock, f"tcp:{i}"], stdin=conn,
                       env=env, check=True)
        conn.close()
        subprocess.run(["s6-fdholder-delete", sock, f"tcp:{i}"], env=env,
                       check=True)
        drain(peer)
        peer.close()


def client(port, n, size, shut):
    for _ in range(n):
        conn = socket.create_connection(("127.0.0.1", port))
        try:
            conn.sendall(b"x" * size)
            if shut:
                conn.shutdown(socket.SHUT_WR)
            drain(conn)
        except OSError:
            pass
        conn.close()


def stream(port, n):
    for _ in range(n):
        conn = socket.create_connection(("127.0.0.1", port))
        try:
            for _ in range(1024):
                conn.sendall(b"x" * 1024)
        except OSError:
            pass
        conn.close()


def main(argv):
    mode, port, n, args = argv[0], int(argv[1]), int(argv[2]), argv[3:]
    if mode in SERVERS:
        serve(mode, port, n, args)
    elif mode == "forking":
        forking(port, n)
    elif mode == "handoff":
        handoff(port, n, args[0])
    elif mode == "fdholder":
        fdholder(port, n, args)
    elif mode == "worker":
        worker(socket.socket(fileno=port), n)
    elif mode == "client":
        client(port, n, int(args[0]), args[1:] == ["shut"])
    elif mode == "stream":
        stream(port, n)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
