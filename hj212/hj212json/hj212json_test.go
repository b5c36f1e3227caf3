package hj212json

import (
	"context"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/hj212"
)

func TestRoundTrip(t *testing.T) {
	in := hj212.AppendFrame(nil, []byte("QN=20250312090203000;ST=22;CN=2051;PW=123456;MN=AIR0001;Flag=5;CP=&&DataTime=20250312090000;a34004-Avg=35.2,a34004-Flag=N&&"))
	var f hj212.Frame
	if err := hj212.Decode(in, &f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
		t.Fatal(err)
	}
	line := AppendFrame(nil, &f)
	if !strings.Contains(string(line), `"CP":{"DataTime":"20250312090000","a34004-Avg":"35.2","a34004-Flag":"N"}`) {
		t.Fatalf("CP not in the order sent: %s", line)
	}
	m, err := ParseMessage(line)
	if err != nil {
		t.Fatal(err)
	}
	if out := m.AppendFrame(nil); string(out) != string(in) {
		t.Errorf("round trip:\n%s\n%s", in, out)
	}
	if _, err := ParseMessage([]byte(`{"CN":"2051","Flag":"x"}`)); err == nil || !strings.Contains(err.Error(), "Flag") {
		t.Errorf("a bad Flag must be named: %v", err)
	}
	var got []int
	err = Lines(context.Background(), strings.NewReader("a\r\n\n  \nb"), func(n int, line []byte, err error) error {
		got = append(got, n)
		return err
	})
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != 4 {
		t.Errorf("Lines numbered %v (%v), want [1 4]", got, err)
	}
}
