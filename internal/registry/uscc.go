package registry

import (
	"fmt"
	"strings"
)

// The unified social credit code (统一社会信用代码) of GB 32100-2015 has 18
// characters:
//
//	1     registration authority (登记管理部门代码), e.g. 9 market regulation
//	2     entity category (机构类别代码), e.g. 1 enterprise
//	3-8   administrative division code (登记管理机关行政区划码), 6 digits
//	9-17  entity identifier (主体标识码), the organization code of GB 11714
//	18    check digit (校验码)
//
// All characters come from a 31-character alphabet: the digits and the
// capital letters without I, O, Z, S and V (GB 32100-2015 §4.2, table 1),
// where each character has the value of its position (0-30).
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the weights W_i = 3^(i-1) mod 31 of positions 1-17
// (GB 32100-2015 §5, formula 1).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue returns the value of c in the GB 32100 alphabet, or -1.
func usccValue(c byte) int {
	return strings.IndexByte(usccAlphabet, c)
}

// USCCCheckChar computes the check character (position 18) of a unified
// social credit code from its first 17 characters: C18 = 31 - (Σ Ci·Wi mod
// 31), where a result of 31 is written as 0 (GB 32100-2015 §5).
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("need 17 characters, got %d", len(first17))
	}
	sum := 0
	for i := range 17 {
		v := usccValue(first17[i])
		if v < 0 {
			return 0, fmt.Errorf("character %d %q is not in the GB 32100-2015 alphabet", i+1, first17[i])
		}
		sum += v * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return usccAlphabet[c], nil
}

// CheckUSCC reports why s is not a valid unified social credit code, or
// nil. It checks the length, the alphabet, that the administrative
// division code is numeric and the check digit. It does not check the
// registration authority and category codes against their tables, nor the
// GB 11714 check digit of the embedded organization code: those tables
// change and a false rejection costs more than a missed typo, which the
// check digit catches anyway.
func CheckUSCC(s string) error {
	if n := len([]rune(s)); n != 18 {
		return fmt.Errorf("has %d characters, want 18", n)
	}
	if len(s) != 18 {
		return fmt.Errorf("contains non-ASCII characters")
	}
	for i := range 18 {
		c := s[i]
		if usccValue(c) >= 0 {
			continue
		}
		switch {
		case c >= 'a' && c <= 'z':
			return fmt.Errorf("character %d %q must be uppercase", i+1, c)
		case c == 'I' || c == 'O' || c == 'Z' || c == 'S' || c == 'V':
			return fmt.Errorf("character %d %q is not allowed (GB 32100-2015 excludes I, O, Z, S, V)", i+1, c)
		default:
			return fmt.Errorf("character %d %q is not allowed", i+1, c)
		}
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("administrative division code (characters 3-8) %q must be digits", s[2:8])
		}
	}
	want, err := USCCCheckChar(s[:17])
	if err != nil {
		return err
	}
	if s[17] != want {
		return fmt.Errorf("check digit is %c, want %c", s[17], want)
	}
	return nil
}

// orgCodeCheckChar computes the check character of a 9-character
// organization code (GB 11714-1997 §5): weights 3 7 9 10 5 8 4 2 over the
// first 8 characters (digits as themselves, letters A-Z as 10-35),
// C9 = 11 - (sum mod 11), written X for 10 and 0 for 11. It is used to
// make the demo city's synthetic codes realistic throughout.
func orgCodeCheckChar(first8 string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 8 {
		c := first8[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}
