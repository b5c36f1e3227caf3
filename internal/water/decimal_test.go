package water

import (
	"errors"
	"strconv"
	"testing"
)

func TestParseDec(t *testing.T) {
	tests := []struct {
		in   string
		want Dec
		err  error
	}{
		{"0", 0, nil},
		{"7", 7 * unit, nil},
		{"0.52", 520_000_000, nil},
		{"-1.5", -1_500_000_000, nil},
		{"+2", 2 * unit, nil},
		{".5", 500_000_000, nil},
		{"5.", 5 * unit, nil},
		{"0.00005", 50_000, nil},
		{"1e-5", 10_000, nil},
		{"1.5E+2", 150 * unit, nil},
		{"0.000000001", 1, nil},
		{"0.0000000005", 0, nil},        // half to even at the 9th decimal
		{"0.0000000015", 2, nil},        // half to even: up
		{"0.00000000150000001", 2, nil}, // above half
		{"123456789.123456789", 123456789123456789, nil},
		{"10000000000", 0, ErrRange},
		{"", 0, ErrSyntax},
		{"abc", 0, ErrSyntax},
		{"1..2", 0, ErrSyntax},
		{"--1", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{"1e", 0, ErrSyntax},
		{"0x10", 0, ErrSyntax},
		{"1/3", 0, ErrSyntax},
		{"NaN", 0, ErrSyntax},
	}
	for _, tt := range tests {
		got, err := ParseDec(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseDec(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDec(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestDecExactSum(t *testing.T) {
	// The reason for Dec: in float64, 0.1+0.2 > 0.3 and 0.3 is a limit.
	if mustDec("0.1")+mustDec("0.2") != mustDec("0.3") {
		t.Fatal("0.1 + 0.2 != 0.3")
	}
	for _, f := range []float64{0.1, 0.2, 0.3, 0.15, 0.00005, 1.005, 7.5, 40000, 0.025} {
		d, err := DecFromFloat(f)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustDec(strconv.FormatFloat(f, 'g', -1, 64)); d != want {
			t.Errorf("DecFromFloat(%v) = %s, want %s", f, d, want)
		}
	}
	if _, err := DecFromFloat(1e12); !errors.Is(err, ErrRange) {
		t.Errorf("DecFromFloat(1e12) error = %v", err)
	}
}

func TestDecString(t *testing.T) {
	for _, s := range []string{"0", "7", "0.52", "-1.5", "0.00005", "40000", "0.000000001", "123.4"} {
		if got := mustDec(s).String(); got != s {
			t.Errorf("String(%s) = %s", s, got)
		}
	}
}

// TestRound covers 四舍六入五成双 at the edges, including the vectors of
// sm1lewc/Journey.SurfaceWater's tests of the 2020 rules.
func TestRound(t *testing.T) {
	tests := []struct {
		in   string
		dp   int
		want string
		keep string // RoundKeep result
	}{
		{"0.0034", 3, "0.003", "0.003"},
		{"0.0035", 3, "0.004", "0.004"},  // 5 after odd 3: up
		{"0.0045", 3, "0.004", "0.004"},  // 5 after even 4: down
		{"0.00451", 3, "0.005", "0.005"}, // more than half
		{"0.00005", 3, "0", "0.00005"},   // trace keeps a significant digit
		{"0.0000045", 5, "0", "0.000004"},
		{"0.0000055", 5, "0.00001", "0.00001"},
		{"2.5", 0, "2", "2"},
		{"3.5", 0, "4", "4"},
		{"9.5", 0, "10", "10"},
		{"8.5", 0, "8", "8"},
		{"-2.5", 0, "-2", "-2"},
		{"1.005", 2, "1", "1"},
		{"1.015", 2, "1.02", "1.02"},
		{"1.005000001", 2, "1.01", "1.01"},
		{"0.2005", 3, "0.2", "0.2"},
		{"0.2015", 3, "0.202", "0.202"},
		{"7.45", 1, "7.4", "7.4"},
		{"7.55", 1, "7.6", "7.6"},
		{"0", 2, "0", "0"},
		{"12.3456", 9, "12.3456", "12.3456"},
	}
	for _, tt := range tests {
		d := mustDec(tt.in)
		if got := d.Round(tt.dp).String(); got != tt.want {
			t.Errorf("Round(%s, %d) = %s, want %s", tt.in, tt.dp, got, tt.want)
		}
		if got := d.RoundKeep(tt.dp).String(); got != tt.keep {
			t.Errorf("RoundKeep(%s, %d) = %s, want %s", tt.in, tt.dp, got, tt.keep)
		}
	}
}
