package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name, want, got string
		has             []string
	}{
		{"changed line", "a\nb\nc\n", "a\nB\nc\n", []string{"first difference at line 2", "- b", "+ B", "  a"}},
		{"got longer", "a\n", "a\nb\n", []string{"first difference at line 2", "+ b"}},
		{"got shorter", "a\nb\n", "a\n", []string{"first difference at line 2", "- b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Diff([]byte(tt.want), []byte(tt.got))
			for _, h := range tt.has {
				if !strings.Contains(d, h) {
					t.Errorf("Diff lacks %q:\n%s", h, d)
				}
			}
		})
	}
}

// recorder stands for the test Check reports to.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestCheck: equal output passes, a different one fails without touching
// the file, and -update rewrites the file (creating its directory).
func TestCheck(t *testing.T) {
	defer func(u bool) { *update = u }(*update)
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")

	*update = true
	Check(t, path, []byte("one\n"))
	if b, err := os.ReadFile(path); err != nil || string(b) != "one\n" {
		t.Fatalf("-update wrote %q, %v", b, err)
	}

	*update = false
	r := &recorder{TB: t}
	Check(r, path, []byte("one\n"))
	if len(r.errors) != 0 {
		t.Errorf("equal output failed: %v", r.errors)
	}
	Check(r, path, []byte("two\n"))
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "- one") || !strings.Contains(r.errors[0], "+ two") {
		t.Errorf("different output: %v, want one failure showing the lines", r.errors)
	}
	if b, _ := os.ReadFile(path); string(b) != "one\n" {
		t.Errorf("a failed comparison changed the file to %q", b)
	}
}
