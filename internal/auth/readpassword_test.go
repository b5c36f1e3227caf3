package auth

import (
	"strings"
	"testing"
)

func TestReadPassword(t *testing.T) {
	for _, c := range []struct {
		name      string
		fromStdin bool
		in        string
		want      string
		generated bool
		err       bool
	}{
		{"first line", true, "s3cret pass\nsecond\n", "s3cret pass", false, false},
		{"CR LF", true, "s3cret\r\n", "s3cret", false, false},
		{"no line end", true, "s3cret", "s3cret", false, false},
		{"empty stdin", true, "", "", false, true},
		{"generated", false, "ignored\n", "", true, false},
	} {
		pw, generated, err := ReadPassword(c.fromStdin, strings.NewReader(c.in))
		if (err != nil) != c.err || generated != c.generated {
			t.Errorf("%s: %q, generated %v, %v", c.name, pw, generated, err)
			continue
		}
		switch {
		case c.generated && len(pw) != 20:
			t.Errorf("%s: generated %q, want 20 characters", c.name, pw)
		case !c.generated && pw != c.want:
			t.Errorf("%s: %q, want %q", c.name, pw, c.want)
		}
	}
}
