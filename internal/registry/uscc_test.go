package registry

import "testing"

// Published unified social credit codes of well-known companies (from
// their business licences and annual reports) and the GB 32100-2015
// example. Each passes the check digit; the test would fail on a wrong
// alphabet, wrong weights or a wrong 31→0 rule.
var realUSCCs = []string{
	"91350100M000100Y43", // GB 32100-2015 example
	"91110108551385082Q", // Xiaomi
	"91440300708461136T", // Huawei Technologies
	"9144030071526726XG", // Tencent (Shenzhen)
	"91330100716105852F",
	"91110000802100433B",
	"91110000710925462X",
}

func TestCheckUSCCValid(t *testing.T) {
	for _, code := range realUSCCs {
		if err := CheckUSCC(code); err != nil {
			t.Errorf("CheckUSCC(%s) = %v, want nil", code, err)
		}
	}
	// A code whose weighted sum is divisible by 31: 31 - 0 = 31 is
	// written as 0 (GB 32100-2015 §5).
	if err := CheckUSCC("91371500MA3C0000T0"); err != nil {
		t.Errorf("31→0 case: %v", err)
	}
}

func TestCheckUSCCInvalid(t *testing.T) {
	tests := []struct {
		code, want string
	}{
		{"", "has 0 characters, want 18"},
		{"91350100M000100Y4", "has 17 characters, want 18"},
		{"91350100M000100Y433", "has 19 characters, want 18"},
		{"91350100M000100Y47", "check digit is 7, want 3"},
		{"91110108551385082R", "check digit is R, want Q"},
		{"91350100m000100Y43", `character 9 'm' must be uppercase`},
		{"91350100M0001O0Y43", `character 14 'O' is not allowed (GB 32100-2015 excludes I, O, Z, S, V)`},
		{"91350100M000100I43", `character 16 'I' is not allowed (GB 32100-2015 excludes I, O, Z, S, V)`},
		{"91350100M000-00Y43", `character 13 '-' is not allowed`},
		{"9135A100M000100Y43", `administrative division code (characters 3-8) "35A100" must be digits`},
		{"91350100M000100Y4３", "contains non-ASCII characters"},
		// Two transposed characters: the check digit catches it.
		{"91350100M001000Y43", "check digit is 3, want X"},
	}
	for _, tt := range tests {
		err := CheckUSCC(tt.code)
		if err == nil {
			t.Errorf("CheckUSCC(%q) = nil, want %q", tt.code, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("CheckUSCC(%q) = %q, want %q", tt.code, err, tt.want)
		}
	}
}

// The organization code embedded in the real codes satisfies GB 11714,
// which the demo city's synthetic codes rely on to look real.
func TestOrgCodeCheckChar(t *testing.T) {
	for _, code := range realUSCCs {
		org := code[8:17]
		if got := orgCodeCheckChar(org[:8]); got != org[8] {
			t.Errorf("orgCodeCheckChar(%s) = %c, want %c", org[:8], got, org[8])
		}
	}
}
