package waterimport

import (
	"bytes"
	"testing"

	"github.com/ecowatch/ecowatch/internal/water"
)

// FuzzReadLab: any input gives either samples that are all well-formed or
// an error and no samples, never a panic.
func FuzzReadLab(f *testing.F) {
	f.Add([]byte("section,time,item,value,below_dl\nWS01,2026-10-08 10:00,NH3-N,0.52,\nWS01,2026-10-08,TP,<0.01,\n"))
	f.Add([]byte("point,time,item,value\nWD01,2026-10-08T10:00:00+08:00,w20124,0.003\n"))
	f.Add([]byte("section,time,item,value\nWS01,2026-10-08,pH,15\n\"x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadLab(bytes.NewReader(data), "f.csv", nil)
		if err != nil {
			if got != nil {
				t.Fatal("samples returned with an error")
			}
			return
		}
		for _, s := range got {
			if s.Point == "" || s.Time.IsZero() || s.Item == "" {
				t.Fatalf("incomplete sample %+v", s)
			}
			if _, ok := water.LookupItem(s.Item); !ok {
				t.Fatalf("unknown item stored: %+v", s)
			}
			if d, err := water.ParseDec(s.Value); err != nil || d < 0 {
				t.Fatalf("bad value stored: %+v", s)
			}
		}
	})
}
