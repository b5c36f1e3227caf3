// Package golden compares a test's output with a file kept in the
// package's testdata and, when the tests run with -update, rewrites the
// file from the output instead. Every package's golden files follow the
// one convention:
//
//	go test ./internal/air -run TestX -update   # rewrite
//	git diff testdata                           # review what changed
//
// It is imported by tests only.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output (review with git diff)")

// Updating reports whether this run rewrites the golden files (-update),
// for a test that has to do something else then (skip a second source
// of the same output, for example).
func Updating() bool { return *update }

// Check compares got with the file at path (relative to the package's
// directory, e.g. "testdata/report.golden"). With -update it writes got
// there instead, creating the directories, and passes.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (run go test -run '%s' -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -run '%s' -update and review git diff):\n%s", path, t.Name(), Diff(want, got))
	}
}

// CheckString is Check for text.
func CheckString(t testing.TB, path, got string) {
	t.Helper()
	Check(t, path, []byte(got))
}

// Diff describes where got first departs from want: the line number, a
// few lines of context on each side, and the sizes. It is meant to be
// read in a test failure, not applied.
func Diff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	i := 0
	for i < len(wl) && i < len(gl) && bytes.Equal(wl[i], gl[i]) {
		i++
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "first difference at line %d (want %d lines, %d bytes; got %d lines, %d bytes)\n", i+1, len(wl), len(want), len(gl), len(got))
	const context = 3
	from := max(0, i-context)
	for j := from; j < i; j++ {
		fmt.Fprintf(&b, "  %s\n", wl[j])
	}
	for j := i; j < min(len(wl), i+context); j++ {
		fmt.Fprintf(&b, "- %s\n", wl[j])
	}
	for j := i; j < min(len(gl), i+context); j++ {
		fmt.Fprintf(&b, "+ %s\n", gl[j])
	}
	return b.String()
}
