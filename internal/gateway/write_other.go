//go:build !unix

package gateway

import "net"

// rawWriter is the portable fallback: every write goes through the flush
// goroutine with its write deadline.
type rawWriter struct{}

func newRawWriter(net.Conn) rawWriter { return rawWriter{} }

func (rawWriter) tryWrite([]byte) (int, error) { return 0, nil }
