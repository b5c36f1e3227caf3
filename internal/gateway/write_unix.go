//go:build unix

package gateway

import (
	"errors"
	"net"
	"syscall"
)

// rawWriter makes one non-blocking write attempt on a socket. The acker
// writes thousands of small replies per second: trying the socket
// directly costs one system call and never blocks the acker behind a
// device that does not read.
type rawWriter struct {
	rc syscall.RawConn
}

func newRawWriter(nc net.Conn) rawWriter {
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			return rawWriter{rc: rc}
		}
	}
	return rawWriter{}
}

// tryWrite writes what the socket takes now and reports how much; the
// caller queues the rest. Without a raw socket nothing is written.
func (w rawWriter) tryWrite(b []byte) (int, error) {
	if w.rc == nil {
		return 0, nil
	}
	var n int
	var werr error
	err := w.rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, err := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			if err != nil {
				if errors.Is(err, syscall.EINTR) {
					continue
				}
				if !errors.Is(err, syscall.EAGAIN) {
					werr = err
				}
				break
			}
			if m <= 0 {
				break
			}
		}
		return true // never wait for writability: the flusher does that
	})
	if err != nil {
		return n, err
	}
	return n, werr
}
