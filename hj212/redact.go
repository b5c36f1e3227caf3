package hj212

import (
	"bytes"
	"strings"
)

// RedactPasswords returns raw with the value of every PW field (the
// access password, HJ 212-2017 §6.3.2 table 3) and NewPW item (CN 1072,
// set password) replaced by '*'. The length stays, so LLLL and byte
// offsets still line up; the CRC no longer matches. A frame's password is
// the device's credential: whoever reads it can send data as the device,
// so every listing of frames (API, pages) shows them through this.
func RedactPasswords(raw []byte) ([]byte, bool) {
	var out []byte
	for i := 0; i+3 <= len(raw); i++ {
		if raw[i] != 'P' || raw[i+1] != 'W' || raw[i+2] != '=' {
			continue
		}
		atField := i == 0 || i == 6 || strings.IndexByte(";&,", raw[i-1]) >= 0 ||
			i >= 3 && string(raw[i-3:i]) == "New"
		if !atField {
			continue
		}
		j := i + 3
		for j < len(raw) && strings.IndexByte(";,&\r\n", raw[j]) < 0 {
			j++
		}
		if j == i+3 {
			continue // empty password: nothing to hide
		}
		if out == nil {
			out = bytes.Clone(raw)
		}
		for k := i + 3; k < j; k++ {
			out[k] = '*'
		}
		i = j - 1
	}
	if out == nil {
		return raw, false
	}
	return out, true
}
