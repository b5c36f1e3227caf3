package auth

import (
	"slices"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Scopes named by the API's route table (internal/api). A route whose
// scope is not in this table is allowed to the city role only: new routes
// fail closed until someone grants their scope here.
const (
	ScopePublic         = "public" // anyone, even anonymous
	ScopeSelf           = "self"   // any authenticated user (me, logout, inbox)
	ScopeRegistry       = "registry:read"
	ScopeData           = "data:read"
	ScopeRaw            = "raw:read"
	ScopeQuarantine     = "raw:quarantine" // frames of unknown devices: city only
	ScopeMetrics        = "metrics:read"
	ScopeRawUnredacted  = "raw:unredacted"
	ScopeCasesRead      = "cases:read"
	ScopeCasesWrite     = "cases:write"
	ScopePetitionsRead  = "petitions:read"
	ScopePetitionsReply = "petitions:reply"
	ScopePatrols        = "patrols:write"
	ScopeUsersAdmin     = "users:admin"
	ScopeAudit          = "audit:read"
	// The emission-rights ledger's routes (internal/api/rights.go) filter
	// rows themselves: an enterprise its own account, a county its
	// reservoir.
	ScopeRightsRead  = "rights:read"
	ScopeRightsWrite = "rights:write"
	// County accountability (internal/api/accountability.go): counties
	// read their own rows; only the city computes and issues.
	ScopeAccountRead  = "account:read"
	ScopeAccountWrite = "account:write"
	// The command-centre big screen (dashboard /screen): city-wide figures
	// of every work line, for the city and display accounts.
	ScopeScreen = "screen:read"
)

// roleScopes is the role → scope table. Rows outside the principal's county
// or enterprise are filtered by Scope, on top of this table.
var roleScopes = map[string][]string{
	model.RoleCity: nil, // everything (see Allowed)
	model.RoleCounty: {ScopeSelf, ScopeRegistry, ScopeData, ScopeRaw, ScopeCasesRead, ScopeCasesWrite,
		ScopePetitionsRead, ScopePetitionsReply, ScopePatrols, ScopeRightsRead, ScopeRightsWrite, ScopeAccountRead},
	model.RoleEnterprise: {ScopeSelf, ScopeRegistry, ScopeData, ScopeRaw, ScopeCasesRead, ScopeCasesWrite, ScopeRightsRead, ScopeRightsWrite},
	// Machines read monitoring data and metrics city-wide and may register
	// cases (alert rules); they hold no evidence-export right.
	// A machine token also drives a wall display of the big screen.
	model.RoleMachine: {ScopeSelf, ScopeRegistry, ScopeData, ScopeRaw, ScopeMetrics, ScopeCasesRead, ScopeCasesWrite, ScopeScreen},
	model.RolePublic:  {},
	// A wall display reads the big screen and nothing else.
	model.RoleDisplay: {ScopeScreen},
}

// Allowed reports whether p may use a route of scope. Anonymous callers
// get ScopePublic only.
func Allowed(p Principal, scope string) bool {
	if scope == ScopePublic {
		// A wall display's session opens the big screen only, not even
		// what anyone may read.
		return p.Role != model.RoleDisplay
	}
	if !p.Authenticated() {
		return false
	}
	if p.Role == model.RoleCity {
		return true
	}
	return slices.Contains(roleScopes[p.Role], scope)
}

// Scope is the row-level scope of a principal: which county's or
// enterprise's rows it may see. All is true for the city and machines.
type Scope struct {
	All        bool
	County     string
	Enterprise string
}

// ScopeOf returns p's row scope. Anonymous and public callers see no rows
// through the scoped listings.
func ScopeOf(p Principal) Scope {
	switch p.Role {
	case model.RoleCity, model.RoleMachine:
		return Scope{All: true}
	case model.RoleDisplay:
		// The big screen's city-wide figures (its only scope).
		return Scope{All: true}
	case model.RoleCounty:
		return Scope{County: p.County}
	case model.RoleEnterprise:
		return Scope{Enterprise: p.Enterprise}
	}
	return Scope{County: "\x00none", Enterprise: "\x00none"}
}

// Sees reports whether the scope covers a row of the given county and
// enterprise (either may be empty when the row has none).
func (s Scope) Sees(county, enterprise string) bool {
	switch {
	case s.All:
		return true
	case s.Enterprise != "":
		return enterprise != "" && enterprise == s.Enterprise
	case s.County != "":
		return county != "" && county == s.County
	}
	return false
}

// Narrow sets a listing's county or enterprise filter to the scope (an
// enterprise sees its own rows, a county its county's; All leaves the
// filters as asked) and reports false when the scope sees no rows at all.
func (s Scope) Narrow(county, enterprise *string) bool {
	switch {
	case s.All:
	case s.Enterprise != "":
		*enterprise = s.Enterprise
	case s.County != "":
		*county = s.County
	default:
		return false
	}
	return true
}
