// live_target.go - the Go target for tcpshim ls|abort|keepalive: the line
// protocol of tests/programs/prog_live.c, on Go's net package, built
// statically (CGO_ENABLED=0), so that no preload can reach it.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

var names = map[syscall.Errno]string{
	syscall.ECONNRESET: "ECONNRESET",
	syscall.ETIMEDOUT:  "ETIMEDOUT",
	syscall.EPIPE:      "EPIPE",
	syscall.ENOTCONN:   "ENOTCONN",
}

func errName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		if n, ok := names[e]; ok {
			return n
		}
	}
	return "E?"
}

func fdOf(c syscall.Conn) int {
	raw, _ := c.SyscallConn()
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

func endpoint(a net.Addr) string {
	t := a.(*net.TCPAddr)
	return net.JoinHostPort(t.IP.String(), fmt.Sprint(t.Port))
}

func main() {
	conns := map[string]*net.TCPConn{}
	var listener *net.TCPListener
	fmt.Println("pid", os.Getpid())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		w := strings.Fields(in.Text())
		if len(w) == 0 {
			continue
		}
		out := "what? " + in.Text()
		switch {
		case w[0] == "quit":
			return
		case w[0] == "listen" && len(w) == 2:
			l, err := net.Listen("tcp", net.JoinHostPort(w[1], "0"))
			if err != nil {
				out = "listen " + errName(err)
				break
			}
			listener = l.(*net.TCPListener)
			out = fmt.Sprintf("listening %d %d",
				listener.Addr().(*net.TCPAddr).Port, fdOf(listener))
		case w[0] == "accept":
			c, err := listener.AcceptTCP()
			if err != nil {
				out = "accept " + errName(err)
				break
			}
			fd := fdOf(c)
			conns[fmt.Sprint(fd)] = c
			out = fmt.Sprintf("accepted %d %s", fd, endpoint(c.RemoteAddr()))
		case w[0] == "connect" && len(w) == 3:
			c, err := net.Dial("tcp", net.JoinHostPort(w[1], w[2]))
			if err != nil {
				out = "connect " + errName(err)
				break
			}
			t := c.(*net.TCPConn)
			fd := fdOf(t)
			conns[fmt.Sprint(fd)] = t
			out = fmt.Sprintf("connected %d %s", fd, endpoint(t.LocalAddr()))
		case w[0] == "recv" && len(w) == 2 && conns[w[1]] != nil:
			b := make([]byte, 1)
			n, err := conns[w[1]].Read(b)
			if err != nil && n == 0 {
				if err.Error() == "EOF" {
					out = fmt.Sprintf("recv %s ok 0", w[1])
				} else {
					out = fmt.Sprintf("recv %s %s", w[1], errName(err))
				}
			} else {
				out = fmt.Sprintf("recv %s ok %d", w[1], n)
			}
		case w[0] == "send" && len(w) == 2 && conns[w[1]] != nil:
			if _, err := conns[w[1]].Write([]byte("x")); err != nil {
				out = fmt.Sprintf("send %s %s", w[1], errName(err))
			} else {
				out = fmt.Sprintf("send %s ok", w[1])
			}
		}
		fmt.Println(out)
	}
}
