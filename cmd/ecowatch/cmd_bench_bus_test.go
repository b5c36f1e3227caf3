package main

import (
	"bytes"
	"context"
	"testing"
)

func TestBenchBusUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "bus", "--devices", "0", "--db", "postgres://x@127.0.0.1/x"},
		{"bench", "bus", "--writers", "0", "--db", "postgres://x@127.0.0.1/x"},
		{"bench", "bus", "--db", "sqlite"},
		{"bench", "bus", "extra", "--db", "postgres://x@127.0.0.1/x"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, nil, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage): %s", args, code, errb.String())
		}
	}
}
