#!/usr/bin/env python3
"""live_target.py - the Python target for tcpshim ls|abort|keepalive: the
same line protocol as tests/programs/prog_live.c, on Python's socket
module."""
import errno
import socket
import sys


def endpoint(addr):
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def main():
    socks = {}
    listener = None
    print("pid", __import__("os").getpid(), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], words[1:]
        try:
            if cmd == "quit":
                break
            if cmd == "listen":
                listener = socket.socket(family(args[0]), socket.SOCK_STREAM)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((args[0], 0))
                listener.listen(16)
                out = f"listening {listener.getsockname()[1]} {listener.fileno()}"
            elif cmd == "accept":
                s, peer = listener.accept()
                socks[s.fileno()] = s
                out = f"accepted {s.fileno()} {endpoint(peer)}"
            elif cmd == "connect":
                s = socket.create_connection((args[0], int(args[1])))
                socks[s.fileno()] = s
                out = f"connected {s.fileno()} {endpoint(s.getsockname())}"
            elif cmd == "recv":
                out = f"recv {args[0]} ok {len(socks[int(args[0])].recv(1))}"
            elif cmd == "send":
                socks[int(args[0])].send(b"x")
                out = f"send {args[0]} ok"
            else:
                out = "what? " + line.strip()
        except OSError as e:
            name = errno.errorcode.get(e.errno, "E?")
            out = f"{cmd} {args[0]} {name}" if args else f"{cmd} {name}"
        print(out, flush=True)


main()
