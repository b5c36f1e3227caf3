package rights

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzVerifyForgery changes one field of one entry of the scenario, rewrites
// the chain as a forger would, and runs Verify: it must never panic, and
// whatever it accepts must pass the full audit (Replay runs Check).
func FuzzVerifyForgery(f *testing.F) {
	base := scenario(f).entries
	f.Add(uint16(9), uint8(0), int64(1), "")
	f.Add(uint16(2), uint8(5), int64(0), `{"no":"x"}`)
	f.Add(uint16(30), uint8(3), int64(-5), "sys:retired")
	f.Fuzz(func(t *testing.T, idx uint16, field uint8, v int64, s string) {
		es := clone(base)
		e := &es[int(idx)%len(es)]
		switch field % 10 {
		case 0:
			e.Amount += v
		case 1:
			e.Start += v
		case 2:
			e.From = Account(s)
		case 3:
			e.To = Account(s)
		case 4:
			e.Op = s
		case 5:
			e.Detail = s
		case 6:
			e.Status = s
		case 7:
			e.Time = e.Time.Add(time.Duration(v) * time.Microsecond)
		case 8:
			e.Asset = s
		case 9:
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], uint64(v))
			e.Key = s + string(b[:1])
		}
		rehash(es)
		if st, err := Replay(es); err == nil {
			if err := st.Check(); err != nil {
				t.Fatalf("accepted a ledger that fails the audit: %v", err)
			}
		}
	})
}
