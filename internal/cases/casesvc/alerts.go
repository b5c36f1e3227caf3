package casesvc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/factors"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// DefaultEpisodeGap is AlertBridge.Gap when it is 0.
const DefaultEpisodeGap = 24 * time.Hour

// AlertBridge turns the alert engine's outcomes into the closed loop: a
// first firing notifies the enterprise's inbox for a self-check (自查); a
// persisting problem opens a case for the county's enforcement staff, as
// the system.
//
// One case per outlet and episode: while an outlet's case is open and its
// latest finding is at most Gap old, a further factor of the same outlet
// firing the same rule (SO₂ after NOₓ, say) is added to that case as a
// finding, and its title names the worst one; after a longer quiet gap,
// or once the case is closed, the next firing opens a new case. The
// engine emits OpenCase once per series and episode; the bridge also
// remembers the outcome's key in a store counter, so a restarted engine
// that emits it again neither opens nor extends anything.
type AlertBridge struct {
	Svc    *Service
	Engine *alerts.Engine
	// Where gives the county and enterprise of a device (for the offline
	// rule, whose outcomes name a device, not a series).
	Where func(mn string) (county, enterprise string)
	// Names gives the registry's names of an enterprise and an outlet for
	// case titles; nil leaves the codes.
	Names func(enterprise, outlet string) (enterpriseName, outletName string)
	// Gap is the quiet time that ends an episode (DefaultEpisodeGap if 0).
	Gap time.Duration
}

// AlertSystem is the principal the alert rules act as.
var AlertSystem = auth.Principal{User: "system:alerts", Role: model.RoleMachine, Via: "alerts"}

func (b *AlertBridge) gap() time.Duration {
	if b.Gap > 0 {
		return b.Gap
	}
	return DefaultEpisodeGap
}

// facts describes an outcome: the outlet (or device) and the finding.
func (b *AlertBridge) facts(o alerts.Outcome) (county string, f cases.AlertFacts) {
	at := time.Unix(o.At, 0).UTC()
	var ent, outlet string
	if o.Series == alerts.NoSeries {
		f.MN = b.Engine.MN(o.Device)
		if b.Where != nil {
			county, ent = b.Where(f.MN)
		}
		f.Findings = []cases.Finding{{At: at, Rule: o.Rule.String(), Value: o.Value, Limit: o.Threshold}}
	} else {
		k := b.Engine.Key(o.Series)
		f.MN, county, ent, outlet = k.MN, k.County, k.Enterprise, k.Outlet
		f.Findings = []cases.Finding{{At: at, Rule: o.Rule.String(), Factor: k.Factor, Field: k.Field, Period: k.Period,
			Value: o.Value, Limit: o.Threshold, Unit: factors.Unit(k.Factor)}}
	}
	f.Enterprise, f.Outlet = ent, outlet
	if b.Names != nil {
		f.EnterpriseName, f.OutletName = b.Names(ent, outlet)
	}
	return county, f
}

// Handle acts on outcomes; it returns the cases it opened or extended.
func (b *AlertBridge) Handle(ctx context.Context, outs []alerts.Outcome) ([]cases.Case, error) {
	var opened []cases.Case
	for _, o := range outs {
		county, f := b.facts(o)
		switch o.Kind {
		case alerts.NotifySelfCheck:
			recip := "county:" + county
			if f.Enterprise != "" {
				recip = "enterprise:" + f.Enterprise
			}
			// 自查通知 self-check notice, in both languages like the
			// case it may become.
			msg := "请自查：" + cases.AlertTitle(&f, "zh")
			msgEN := "Please check: " + cases.AlertTitle(&f, "en")
			if err := b.Svc.St.Notify(ctx, store.Notification{Recipient: recip, At: f.Findings[0].At, Kind: "alert.self-check", Message: msg, MessageEN: msgEN}); err != nil {
				return opened, err
			}
		case alerts.OpenCase:
			if county == "" {
				return opened, fmt.Errorf("alert %s: device %s has no county: cannot route a case", o.Key(), f.MN)
			}
			n, err := b.Svc.St.NextNumber(ctx, "alert:"+o.Key())
			if err != nil {
				return opened, err
			}
			if n > 1 {
				continue // this outcome was handled before
			}
			c, err := b.extendOrOpen(ctx, o, county, f)
			if err != nil {
				return opened, fmt.Errorf("alert %s: %w", o.Key(), err)
			}
			opened = append(opened, c)
		}
	}
	return opened, nil
}

// place names what an episode is about: the outlet for a series (all its
// factors), the device for the offline rule.
func place(f cases.AlertFacts) string {
	if f.Outlet != "" {
		return f.Outlet
	}
	return f.MN
}

// extendOrOpen adds the finding to the open case of the outlet's current
// episode of the same rule, or opens a new case.
func (b *AlertBridge) extendOrOpen(ctx context.Context, o alerts.Outcome, county string, f cases.AlertFacts) (cases.Case, error) {
	fd := f.Findings[0]
	q := store.CaseQuery{Source: cases.Source(o.Rule.CaseSource()), States: openStates(), Limit: 200}
	if f.Enterprise != "" {
		q.Enterprise = f.Enterprise
	} else {
		q.County = county
	}
	cur, err := b.Svc.St.Cases(ctx, q)
	if err != nil {
		return cases.Case{}, err
	}
	for _, c := range cur { // newest first
		if c.Alert == nil || c.ProblemType != o.Rule.String() || place(*c.Alert) != place(f) {
			continue
		}
		if last := c.Alert.LastAt(); fd.At.Sub(last) > b.gap() {
			break // the outlet's latest episode is over
		}
		n, _, err := b.Svc.Act(ctx, c.ID, c.Seq, cases.Action{Kind: cases.ActAddFinding, Finding: &fd}, AlertSystem)
		return n, err
	}
	return b.Svc.Register(ctx, cases.Case{
		Source: cases.Source(o.Rule.CaseSource()), Ref: o.Key(), Line: alertLine(b, o), ProblemType: o.Rule.String(),
		County: county, Enterprise: f.Enterprise, Severity: cases.SeverityMajor, Location: f.OutletName,
		Title: cases.AlertTitle(&f, "zh"), Alert: &f}, AlertSystem)
}

func openStates() []cases.State {
	var out []cases.State
	for _, s := range cases.States() {
		if s.Open() {
			out = append(out, s)
		}
	}
	return out
}

// alertLine files a case under the water line for water factors (w…) and
// under industrial air otherwise (air factors, sub-meters, offline).
func alertLine(b *AlertBridge, o alerts.Outcome) string {
	if o.Series != alerts.NoSeries && strings.HasPrefix(b.Engine.Key(o.Series).Factor, "w") {
		return "water"
	}
	return "air-industry"
}
