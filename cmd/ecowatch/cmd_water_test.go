package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/golden"
)

// TestWaterClassifyGolden runs "ecowatch water classify" through run() and
// compares stdout, stderr and the exit status with golden files.
func TestWaterClassifyGolden(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string // file under testdata/water fed to stdin
	}{
		{"basic", nil, "basic.jsonl"},
		{"basic_assessment", []string{"--rounding", "assessment"}, "basic.jsonl"},
		{"basic_items21", []string{"--items", "21", "--rounding", "none"}, "basic.jsonl"},
		{"malformed", nil, "malformed.jsonl"},
		{"notype_required", nil, "notype.jsonl"},
		{"notype_default_lake", []string{"--type", "lake", "--rounding", "assessment"}, "notype.jsonl"},
		{"files", []string{"testdata/water/notype.jsonl", "-", "testdata/water/second.jsonl"}, "basic.jsonl"},
		{"bad_rounding", []string{"--rounding", "weekly"}, ""},
		{"bad_items", []string{"--items", "9"}, ""},
		{"bad_type_flag", []string{"--type", "sea"}, ""},
		{"missing_file", []string{"testdata/water/nope.jsonl"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdin []byte
			if tt.stdin != "" {
				var err error
				if stdin, err = os.ReadFile(filepath.Join("testdata/water", tt.stdin)); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"water", "classify"}, tt.args...), bytes.NewReader(stdin), &stdout, &stderr)
			got := fmt.Sprintf("exit %d\n-- stdout --\n%s-- stderr --\n%s", code, stdout.String(), stderr.String())
			path := filepath.Join("testdata/water", tt.name+".golden")
			golden.CheckString(t, path, got)
		})
	}
}

// TestWaterClassifyOutputs checks the key facts directly, so that a wrong
// golden file cannot hide a regression.
func TestWaterClassifyOutputs(t *testing.T) {
	in := `{"id": "S1", "type": "river", "items": {"pH": 7.2, "DO": 5.1, "CODMn": 4.3, "NH3-N": 0.52, "TP": 0.11}}
{"id": "x", "type": "river", "items": {"w21003": 2.3, "总磷": 0.32, "DO": 6, "pH": 7, "XYZ": 1}}
{"id": "y", "type": "river", "items": {"pH": 7.2,}}
`
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"water", "classify"}, strings.NewReader(in), &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one malformed line)", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines, want 3:\n%s", len(lines), stdout.String())
	}
	for i, want := range [][]string{
		{`"id":"S1"`, `"class":3`, `"label":"Ⅲ"`, `"items":{"pH":1,"DO":3,"CODMn":3,"NH3-N":3,"TP":3}`, `"main_pollutants":[]`, `"missing":[]`, `"unknown":[]`},
		{`"class":6`, `"label":"劣Ⅴ"`, `"main_pollutants":[{"item":"NH3-N","class":6,"multiple":1.3},{"item":"TP","class":5,"multiple":0.6}]`, `"missing":["CODMn"]`, `"unknown":["XYZ"]`},
		{`"line":3`, `"error":"invalid JSON`},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %s:\n%s", i+1, w, lines[i])
			}
		}
	}
	if !strings.Contains(stderr.String(), "1 of 3 lines malformed") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestWaterUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"water"}, 2},
		{[]string{"water", "bogus"}, 2},
		{[]string{"water", "--help"}, 0},
		{[]string{"water", "classify", "--help"}, 0},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr); code != tt.code {
			t.Errorf("%v: exit %d, want %d (stderr %s)", tt.args, code, tt.code, stderr.String())
		}
	}
}
