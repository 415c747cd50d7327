"""report_pair.py - both ends of the resets tcpshim report joins: a
server and a client, each run under its own tcpshim with its own log.

  report_pair.py server ADDR PORT      prints "ready", then serves until
                                       its stdin closes
  report_pair.py client ADDR PORT CASE...

For each CASE the client connects, sends "CASE\\n" and, for unread, 12
more bytes, then waits in recv() for what the server does:
  unread   the server reads the line only and closes: its kernel resets
           (the 12 bytes were never read)
  linger0  the server sets SO_LINGER {1, 0} and closes
  abort    the server calls tcp_abort() (found in the preloaded library)
  refused  the client connects to PORT + 1, where nothing listens
The client prints one "CASE: what recv or connect came to" line each.
"""
import ctypes
import fcntl
import os
import select
import socket
import struct
import sys
import termios


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def line_of(conn):
    """The case line, read a byte at a time: what follows stays unread."""
    got = b""
    while not got.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            return None
        got += b
    return got.decode().strip()


def unread_bytes(conn):
    return struct.unpack("i", fcntl.ioctl(conn.fileno(), termios.FIONREAD,
                                          b"\0\0\0\0"))[0]


def serve(conn):
    case = line_of(conn)
    if case == "unread":
        # Closed only once the 12 bytes are in its queue, unread.
        while unread_bytes(conn) < 12:
            select.select([conn], [], [], 1)
        conn.close()
    elif case == "linger0":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        conn.close()
    elif case == "abort":
        abort = ctypes.CDLL(None).tcp_abort
        abort.argtypes = [ctypes.c_int]
        if abort(conn.fileno()) != 0:
            print("tcp_abort failed", ctypes.get_errno(), flush=True)
        conn.detach()
    else:
        conn.close()


def server(addr, port):
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    print("ready", flush=True)
    while True:
        r, _, _ = select.select([ls, sys.stdin], [], [])
        if sys.stdin in r and not os.read(sys.stdin.fileno(), 1):
            return
        if ls in r:
            conn, _ = ls.accept()
            serve(conn)


def client(addr, port, cases):
    for case in cases:
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        try:
            s.connect((addr, port + 1 if case == "refused" else port))
            s.sendall(case.encode() + b"\n" +
                      (b"x" * 12 if case == "unread" else b""))
            got = s.recv(100)
            print("%s: recv returned %r" % (case, got), flush=True)
        except OSError as e:
            print("%s: %s" % (case, e.__class__.__name__), flush=True)
        s.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
