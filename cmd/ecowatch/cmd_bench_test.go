package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{{"bench"}, {"bench", "nope"}, {"bench", "ingest", "--devices", "0"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, nil, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)", args, code)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--help"}, nil, &out, &errb); code != 0 || !strings.Contains(out.String()+errb.String(), "ingest") {
		t.Errorf("bench --help: exit %d, %q", code, out.String()+errb.String())
	}
}
