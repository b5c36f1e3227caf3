package waterfile

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestClassifierLines(t *testing.T) {
	var out bytes.Buffer
	c := &Classifier{Out: bufio.NewWriter(&out)}
	in := `{"id": "S1", "type": "river", "items": {"pH": 7.2, "DO": 5.1, "CODMn": 4.3, "NH3-N": 0.52, "TP": 0.11}}

{"id": "S2", "type": "river", "items": {"DO": "five"}}
`
	if err := c.Run(context.Background(), strings.NewReader(in), "s.jsonl"); err != nil {
		t.Fatal(err)
	}
	c.Out.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if c.Lines != 2 || c.Bad != 1 || len(lines) != 2 {
		t.Fatalf("lines %d bad %d, output:\n%s", c.Lines, c.Bad, out.String())
	}
	if !strings.Contains(lines[0], `"class":3`) || !strings.Contains(lines[0], `"id":"S1"`) {
		t.Errorf("S1: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"line":3`) || !strings.Contains(lines[1], "DO") {
		t.Errorf("the malformed line's error must name its line and field: %s", lines[1])
	}
}
