package stacktest

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"
)

// nextPort is where FreePort looks next: below Linux's ephemeral range
// (32768+), so that a client polling a port before its server listens is
// never given that very port as its own (a TCP self-connect).
var nextPort atomic.Int32

// FreePort returns a loopback port nothing listens on now, for a process a
// test starts.
func FreePort(t testing.TB) int {
	t.Helper()
	nextPort.CompareAndSwap(0, 23000)
	for range 2000 {
		port := int(nextPort.Add(1))
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free port from 23000")
	return 0
}
