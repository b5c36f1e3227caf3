package auth

import (
	"testing"

	"github.com/ecowatch/ecowatch/internal/model"
)

// TestScopeNarrow: a listing's filters become the caller's own county or
// enterprise; the city keeps what it asked for; a caller without rows gets
// none.
func TestScopeNarrow(t *testing.T) {
	tests := []struct {
		name               string
		p                  Principal
		ok                 bool
		county, enterprise string
	}{
		{"city keeps its filter", Principal{Role: model.RoleCity}, true, "371502", ""},
		{"county", Principal{Role: model.RoleCounty, County: "371521"}, true, "371521", ""},
		{"enterprise", Principal{Role: model.RoleEnterprise, Enterprise: "E1"}, true, "371502", "E1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			county, enterprise := "371502", "" // as the caller asked
			ok := ScopeOf(tt.p).Narrow(&county, &enterprise)
			if ok != tt.ok || (ok && (county != tt.county || enterprise != tt.enterprise)) {
				t.Errorf("Narrow = %v, county %q enterprise %q; want %v, %q %q", ok, county, enterprise, tt.ok, tt.county, tt.enterprise)
			}
		})
	}
	// A scope of no county and no enterprise sees no rows.
	c, e := "", ""
	if (Scope{}).Narrow(&c, &e) {
		t.Error("the empty scope narrowed instead of refusing")
	}
}
