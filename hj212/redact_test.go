package hj212

import (
	"bytes"
	"testing"
)

func TestRedactPasswords(t *testing.T) {
	tests := []struct {
		in, want string
		redacted bool
	}{
		{"##0101QN=1;ST=31;CN=2051;PW=123456;MN=A;CP=&&a=1&&ABCD\r\n", "##0101QN=1;ST=31;CN=2051;PW=******;MN=A;CP=&&a=1&&ABCD\r\n", true},
		{"##0020PW=abc;MN=A;CP=&&&&ABCD", "##0020PW=***;MN=A;CP=&&&&ABCD", true},                             // PW first (field order shuffled)
		{"##0030ST=32;CN=1072;CP=&&NewPW=654321&&ABCD", "##0030ST=32;CN=1072;CP=&&NewPW=******&&ABCD", true}, // set-password command
		{"##0030QN=1;PW=;MN=A;CP=&&&&ABCD", "##0030QN=1;PW=;MN=A;CP=&&&&ABCD", false},                        // empty PW
		{"##0030QN=1;MN=A;CP=&&xPW=1&&ABCD", "##0030QN=1;MN=A;CP=&&xPW=1&&ABCD", false},                      // not a PW field
		{"##0030QN=1;PW=12\xff34", "##0030QN=1;PW=*****", true},                                              // truncated frame, odd bytes
		{"", "", false},
	}
	for _, tc := range tests {
		in := []byte(tc.in)
		keep := bytes.Clone(in)
		got, red := RedactPasswords(in)
		if string(got) != tc.want || red != tc.redacted {
			t.Errorf("redact(%q) = %q, %v; want %q, %v", tc.in, got, red, tc.want, tc.redacted)
		}
		if !bytes.Equal(in, keep) {
			t.Errorf("redact(%q) modified its input", tc.in)
		}
	}
}
