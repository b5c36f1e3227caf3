package water

import "testing"

// FuzzParseDec: parsing never panics, and what parses formats back to a
// string that parses to the same value.
func FuzzParseDec(f *testing.F) {
	for _, s := range []string{"0", "0.52", "-1.5", "1e-5", "0.0000000015", "9e9", ".", "1..2", "+.5e+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDec(s)
		if err != nil {
			return
		}
		back, err := ParseDec(d.String())
		if err != nil || back != d {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, d, d.String(), back, err)
		}
		// Classification of any non-negative value is total.
		if d >= 0 {
			for it := Item(0); int(it) < NumItems; it++ {
				c := ItemClass(it, d, River)
				if it.Classified() != (c != ClassNone) {
					t.Fatalf("%s %s: class %v", it, d, c)
				}
			}
		}
	})
}
