package registry

import (
	"bytes"
	"errors"
	"testing"
)

func TestPrintProblems(t *testing.T) {
	other := errors.New("disk on fire")
	for _, c := range []struct {
		name      string
		err       error
		want, out string
	}{
		{"one", ErrorList{{File: "r.yaml", Line: 3, Field: "uscc", Msg: "bad"}}, "1 problem in p; not valid", "r.yaml:3: uscc: bad\n"},
		{"two", ErrorList{{Msg: "a"}, {Msg: "b"}}, "2 problems in p; not valid", "a\nb\n"},
		{"not a list", other, "disk on fire", ""},
	} {
		var w bytes.Buffer
		err := PrintProblems(&w, c.err, "p", "not valid")
		if err == nil || err.Error() != c.want || w.String() != c.out {
			t.Errorf("%s: %v, printed %q", c.name, err, w.String())
		}
	}
	if got := Counts(DemoCity(1)); got == "" || got[0] < '1' || got[0] > '9' {
		t.Errorf("Counts of the demo city: %q", got)
	}
}
