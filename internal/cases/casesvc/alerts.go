package casesvc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/store"
)

// AlertBridge turns the alert engine's outcomes into the closed loop
// (issue 5, part 5): a first firing notifies the enterprise's inbox for a
// self-check (自查); a persisting problem opens a case for the county's
// enforcement staff, as the system, with the episode's key as its Ref.
// The engine emits OpenCase once per episode; the bridge also remembers
// the key in a store counter, so a restarted engine that emits it again
// opens no second case.
type AlertBridge struct {
	Svc    *Service
	Engine *alerts.Engine
	// Where gives the county and enterprise of a device (for the offline
	// rule, whose outcomes name a device, not a series).
	Where func(mn string) (county, enterprise string)
}

// Handle acts on outcomes; it returns the cases it opened.
func (b *AlertBridge) Handle(ctx context.Context, outs []alerts.Outcome) ([]cases.Case, error) {
	var opened []cases.Case
	for _, o := range outs {
		var mn, county, ent, what string
		if o.Series == alerts.NoSeries {
			mn = b.Engine.MN(o.Device)
			if b.Where != nil {
				county, ent = b.Where(mn)
			}
			what = fmt.Sprintf("%s: device %s", o.Rule, mn)
		} else {
			k := b.Engine.Key(o.Series)
			mn, county, ent = k.MN, k.County, k.Enterprise
			what = fmt.Sprintf("%s: %s %s-%s (%s) at device %s: %g against %g", o.Rule, k.Period, k.Factor, k.Field, k.Outlet, mn, o.Value, o.Threshold)
		}
		at := time.Unix(o.At, 0)
		switch o.Kind {
		case alerts.NotifySelfCheck:
			recip := "county:" + county
			if ent != "" {
				recip = "enterprise:" + ent
			}
			if err := b.Svc.St.Notify(ctx, store.Notification{Recipient: recip, At: at, Kind: "alert.self-check", Message: "please check: " + what}); err != nil {
				return opened, err
			}
		case alerts.OpenCase:
			if county == "" {
				return opened, fmt.Errorf("alert %s: device %s has no county: cannot route a case", o.Key(), mn)
			}
			n, err := b.Svc.St.NextNumber(ctx, "alert:"+o.Key())
			if err != nil {
				return opened, err
			}
			if n > 1 {
				continue // this episode's case exists
			}
			c, err := b.Svc.Register(ctx, cases.Case{
				Source: cases.Source(o.Rule.CaseSource()), Ref: o.Key(), Line: alertLine(b, o), ProblemType: o.Rule.String(),
				County: county, Enterprise: ent, Severity: cases.SeverityMajor,
				Title: "在线监测告警 " + what, Description: what}, System)
			if err != nil {
				return opened, fmt.Errorf("alert %s: %w", o.Key(), err)
			}
			opened = append(opened, c)
		}
	}
	return opened, nil
}

// alertLine files a case under the water line for water factors (w…) and
// under industrial air otherwise (air factors, sub-meters, offline).
func alertLine(b *AlertBridge, o alerts.Outcome) string {
	if o.Series != alerts.NoSeries && strings.HasPrefix(b.Engine.Key(o.Series).Factor, "w") {
		return "water"
	}
	return "air-industry"
}
