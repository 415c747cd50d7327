// watch_go.go - a static Go server and client (CGO_ENABLED=0: no loader,
// no preload) for test_watch_programs.sh.  The server listens on
// 127.0.0.1:PORT and starts itself again as the client, a process of its
// own; the client connects and sends "hi", the server answers "ok", and
// the client closes with SO_LINGER {1, 0} (SetLinger(0)): the server's
// read then fails with ECONNRESET.  Each process prints, for its
// connection, the raw descriptor (through SyscallConn) and SO_COOKIE:
//
//	role=ROLE pid=PID fd=FD cookie=COOKIE
//
// then waits for the file HOLD to exist before it exits.
//
//	watch_go server PORT HOLD
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

const soCookie = 57 // SO_COOKIE; the syscall package has no name for it

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "watch_go[%d]: %s: %v\n", os.Getpid(), what, err)
	os.Exit(1)
}

// say prints the line the script holds watch's owner to.
func say(role string, c *net.TCPConn) {
	raw, err := c.SyscallConn()
	if err != nil {
		fail("SyscallConn", err)
	}
	fd, cookie := -1, uint64(0)
	var serr syscall.Errno
	err = raw.Control(func(f uintptr) {
		fd = int(f)
		size := uint32(unsafe.Sizeof(cookie))
		_, _, serr = syscall.Syscall6(syscall.SYS_GETSOCKOPT, f,
			syscall.SOL_SOCKET, soCookie,
			uintptr(unsafe.Pointer(&cookie)),
			uintptr(unsafe.Pointer(&size)), 0)
	})
	if err == nil && serr != 0 {
		err = serr
	}
	if err != nil {
		fail("SO_COOKIE", err)
	}
	fmt.Printf("role=%s pid=%d fd=%d cookie=%d\n", role, os.Getpid(), fd, cookie)
}

// hold waits, bounded, for the script's word that watch has seen the case.
func hold(path string) {
	for i := 0; i < 1500; i++ {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func client(addr, holdPath string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fail("dial", err)
	}
	tc := c.(*net.TCPConn)
	say("client", tc)
	buf := make([]byte, 2)
	if _, err := tc.Write([]byte("hi")); err != nil {
		fail("write", err)
	}
	if _, err := io.ReadFull(tc, buf); err != nil {
		fail("read", err)
	}
	if err := tc.SetLinger(0); err != nil {
		fail("SetLinger", err)
	}
	if err := tc.Close(); err != nil {
		fail("close", err)
	}
	hold(holdPath)
}

func server(port, holdPath string) {
	addr := "127.0.0.1:" + port
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fail("listen", err)
	}
	self, err := os.Executable()
	if err != nil {
		fail("os.Executable", err)
	}
	cl := exec.Command(self, "client", addr, holdPath)
	cl.Stdout, cl.Stderr = os.Stdout, os.Stderr
	if err := cl.Start(); err != nil {
		fail("starting the client", err)
	}
	c, err := l.(*net.TCPListener).AcceptTCP()
	if err != nil {
		fail("accept", err)
	}
	say("server", c)
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil {
		fail("read", err)
	}
	if _, err := c.Write([]byte("ok")); err != nil {
		fail("write", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(buf); !errors.Is(err, syscall.ECONNRESET) {
		fail("read after the client's close: want ECONNRESET", err)
	}
	hold(holdPath)
	if err := cl.Wait(); err != nil {
		fail("the client", err)
	}
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: watch_go server PORT HOLD")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2], os.Args[3])
	case "client":
		client(os.Args[2], os.Args[3])
	default:
		os.Exit(2)
	}
}
