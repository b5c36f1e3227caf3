package dashboard

import (
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
)

// offer is one action the case page offers: allowed from the case's state
// (cases.Allowed) and permitted to the user's role (cases.Permitted),
// with the fields its form needs. The API checks it all again; the page
// only avoids offering what would be refused.
type offer struct {
	Action    cases.ActionKind
	To        cases.State
	Reason    bool // reason required (reject, return, reopen, extensions)
	Assignees bool
	Evidence  bool
	Due       bool
}

// offered are the actions the case page has forms for, in the order of
// the work: registration, escalation, rule-review flags and the
// petitioner's rating are taken elsewhere (intake, the ladder timer, the
// petitions page).
var offered = map[cases.ActionKind]offer{
	cases.ActAccept:           {},
	cases.ActReject:           {Reason: true},
	cases.ActAssign:           {Assignees: true},
	cases.ActStart:            {},
	cases.ActSubmit:           {Evidence: true},
	cases.ActVerify:           {},
	cases.ActClose:            {},
	cases.ActReturn:           {Reason: true},
	cases.ActReopen:           {Reason: true},
	cases.ActRequestExtension: {Reason: true, Due: true},
	cases.ActApproveExtension: {},
	cases.ActDenyExtension:    {Reason: true},
}

// caseRole maps a user's role to the case machine's; the demo's open mode
// acts as the city (as the API's open mode does).
func caseRole(p *page) (cases.Actor, bool) {
	if p.open {
		return cases.Actor{Role: cases.RoleCity}, true
	}
	switch p.User.Role {
	case model.RoleCity:
		return cases.Actor{ID: p.User.User, Role: cases.RoleCity}, true
	case model.RoleCounty:
		return cases.Actor{ID: p.User.User, Role: cases.RoleCounty, County: p.User.County}, true
	case model.RoleEnterprise:
		return cases.Actor{ID: p.User.User, Role: cases.RoleEnterprise, Enterprise: p.User.Enterprise}, true
	}
	return cases.Actor{}, false
}

// caseOffers lists the actions the page offers on c to the caller.
func caseOffers(c cases.Case, p *page) []offer {
	who, ok := caseRole(p)
	if !ok || !p.Can("cases:write") || !cases.InScope(who, c) {
		return nil
	}
	var out []offer
	for _, m := range cases.Allowed(c.State) {
		o, ok := offered[m.Action]
		if !ok || !cases.Permitted(who.Role, m.Action) {
			continue
		}
		// An extension is requested once and then decided: offer the
		// decision only while a request is pending, the request only
		// while none is.
		pending := c.Extension != nil
		switch m.Action {
		case cases.ActRequestExtension:
			if pending {
				continue
			}
		case cases.ActApproveExtension, cases.ActDenyExtension:
			if !pending {
				continue
			}
		}
		o.Action, o.To = m.Action, m.To
		out = append(out, o)
	}
	return out
}
