// goresets.go - the static Go server and client of demos/07-watch.sh.
// Built with CGO_ENABLED=0, the program has no dynamic loader: no
// LD_PRELOAD library ever runs inside it, which is why the demo watches
// it with tcpshim watch.  One program under two names (the build makes
// goclient a link to goserver): the name it runs by picks its role, and
// is the command name (comm) the kernel, and so watch, reports for it.
//
//	goserver ADDR
//	    listens on ADDR and answers each line it reads with the same
//	    line, except "abort": that connection it closes abortively,
//	    SetLinger(0) and then Close, and the kernel sends a RST.
//	goclient ADDR STEP...
//	    connects to ADDR, then takes each STEP in turn: a line to send,
//	    whose answer it reads, or wait:FILE, to stay idle until FILE
//	    exists.  It stops at the first error, with exit status 1.
//
// Each prints, one line at a time, its pid, the descriptor of each
// connection (the fd watch names) and every error as Go reports it.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var name = filepath.Base(os.Args[0])

func say(format string, args ...interface{}) {
	fmt.Printf("%s[%d]: %s\n", name, os.Getpid(), fmt.Sprintf(format, args...))
}

// fdOf is the descriptor under a connection: -1 if it cannot be read.
func fdOf(c *net.TCPConn) int {
	fd := -1
	raw, err := c.SyscallConn()
	if err == nil {
		raw.Control(func(f uintptr) { fd = int(f) })
	}
	return fd
}

func serve(c *net.TCPConn) {
	fd := fdOf(c)
	say("accepted %s on fd %d", c.RemoteAddr(), fd)
	in := bufio.NewReader(c)
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			say("fd %d: %v", fd, err)
			c.Close()
			return
		}
		if strings.TrimSpace(line) == "abort" {
			say("fd %d: asked to abort: SetLinger(0), then Close", fd)
			c.SetLinger(0)
			c.Close()
			return
		}
		if _, err := c.Write([]byte(line)); err != nil {
			say("fd %d: %v", fd, err)
			c.Close()
			return
		}
	}
}

func server(addr string) int {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		say("%v", err)
		return 1
	}
	say("listening on %s", l.Addr())
	for {
		c, err := l.(*net.TCPListener).AcceptTCP()
		if err != nil {
			say("%v", err)
			return 1
		}
		go serve(c)
	}
}

// idle waits until path exists (a minute at most), and until the
// connection has been silent for at least two seconds: what makes the
// next send the first "after a long silence", as a crashed and restarted
// peer is found out in real life.
func idle(path string, since time.Time) bool {
	say("idle; waiting for the word (%s)", filepath.Base(path))
	for i := 0; i < 3000; i++ {
		if _, err := os.Stat(path); err == nil {
			time.Sleep(time.Until(since.Add(2 * time.Second)))
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	say("no word came")
	return false
}

func client(addr string, steps []string) int {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		say("%v", err)
		return 1
	}
	c := conn.(*net.TCPConn)
	defer c.Close()
	say("connected %s -> %s on fd %d", c.LocalAddr(), c.RemoteAddr(), fdOf(c))
	in := bufio.NewReader(c)
	last := time.Now()
	for _, step := range steps {
		if path := strings.TrimPrefix(step, "wait:"); path != step {
			if !idle(path, last) {
				return 1
			}
			continue
		}
		if _, err := c.Write([]byte(step + "\n")); err != nil {
			say("sent %q: %v", step, err)
			return 1
		}
		// Bounded, so that an answer that never comes cannot hang the
		// demo: Go reports "i/o timeout".
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		answer, err := in.ReadString('\n')
		if err != nil {
			say("sent %q, then read: %v", step, err)
			return 1
		}
		last = time.Now()
		say("sent %q, read %q", step, strings.TrimSpace(answer))
	}
	return 0
}

func main() {
	switch {
	case name == "goserver" && len(os.Args) == 2:
		os.Exit(server(os.Args[1]))
	case name == "goclient" && len(os.Args) >= 2:
		os.Exit(client(os.Args[1], os.Args[2:]))
	}
	fmt.Fprintln(os.Stderr, "usage: goserver ADDR | goclient ADDR [LINE | wait:FILE]...")
	os.Exit(2)
}
