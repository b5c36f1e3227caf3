package marksvc

import (
	"context"
	"fmt"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// cnHour is the HJ 212-2017 command of hourly data, the unit the rates
// count: one hourly value is due per device and hour.
const cnHour = "2061"

// Report is the effective transmission rates of a period, ranked at each
// level.
type Report struct {
	From        time.Time     `json:"from"`
	To          time.Time     `json:"to"`
	Threshold   float64       `json:"threshold"`
	Rules       string        `json:"rules"`
	Outlets     []marking.Row `json:"outlets"`
	Enterprises []marking.Row `json:"enterprises"`
	Counties    []marking.Row `json:"counties"`
	City        marking.Row   `json:"city"`
	// partial holds the outlets whose devices first reported inside the
	// period: their rate is shown, but they open no case for it.
	partial map[string]bool
}

// Rates counts every device of the caller's scope over [from, to): hours
// due from each device's first stored hourly value (the registry holds no
// commissioning date) and the marks, received and valid, summed per
// outlet, enterprise, county and the city, ranked.
func (s *Service) Rates(ctx context.Context, from, to time.Time, p auth.Principal) (Report, error) {
	// Nothing is due after the current hour.
	end := to
	if now := s.now().Truncate(time.Hour); to.After(now) {
		to = now
	}
	rep := Report{From: from, To: to, Threshold: s.threshold(), Rules: s.rules().Version, partial: map[string]bool{}}
	reg, err := s.St.Registry(ctx)
	if err != nil {
		return rep, err
	}
	sc := auth.ScopeOf(p)
	ents := map[string]model.Enterprise{}
	for _, e := range reg.Enterprises {
		ents[e.USCC] = e
	}
	counties := map[string]string{}
	for _, c := range reg.Counties {
		counties[c.Code] = c.Name
	}
	outlets := map[string]model.Outlet{}
	for _, o := range reg.Outlets {
		outlets[o.ID] = o
	}
	type placed struct {
		mn     string
		outlet model.Outlet
		ent    model.Enterprise
	}
	var devs []placed
	var mns []string
	for _, d := range reg.Devices {
		o, ok := outlets[d.Outlet]
		if !ok {
			continue
		}
		e := ents[o.Enterprise]
		if !sc.Sees(e.County, e.USCC) {
			continue
		}
		devs = append(devs, placed{d.MN, o, e})
		mns = append(mns, d.MN)
	}
	counts, whole, err := s.counts(ctx, mns, from, end, to)
	if err != nil {
		return rep, err
	}
	oc, ec, cc := map[string]marking.Count{}, map[string]marking.Count{}, map[string]marking.Count{}
	var city marking.Count
	for _, d := range devs {
		c := counts[d.mn]
		if !whole[d.mn] {
			rep.partial[d.outlet.ID] = true
		}
		if c.Due == 0 && c.Received == 0 {
			continue // nothing due: not ranked
		}
		oc[d.outlet.ID] = oc[d.outlet.ID].Add(c)
		ec[d.ent.USCC] = ec[d.ent.USCC].Add(c)
		cc[d.ent.County] = cc[d.ent.County].Add(c)
		city = city.Add(c)
	}
	th := s.threshold()
	for id, c := range oc {
		o := outlets[id]
		rep.Outlets = append(rep.Outlets, marking.Row{Key: id, Name: ents[o.Enterprise].Name + " " + o.Name, Count: c})
	}
	for id, c := range ec {
		rep.Enterprises = append(rep.Enterprises, marking.Row{Key: id, Name: ents[id].Name, Count: c})
	}
	for id, c := range cc {
		rep.Counties = append(rep.Counties, marking.Row{Key: id, Name: counties[id], Count: c})
	}
	rep.Outlets = marking.Rank(rep.Outlets, th)
	rep.Enterprises = marking.Rank(rep.Enterprises, th)
	rep.Counties = marking.Rank(rep.Counties, th)
	rep.City = marking.Row{Key: "city", Name: "全市", Count: city, Rank: 1, Below: city.Effective() < th}
	return rep, nil
}

// counts counts every device of mns over [from, end) up to the current
// hour `to`; whole[mn] is false when the device first reported inside the
// period. Days and months come from the per-day cache (ratecache.go);
// other periods are counted directly.
func (s *Service) counts(ctx context.Context, mns []string, from, end, to time.Time) (map[string]marking.Count, map[string]bool, error) {
	if aligned(from) && aligned(end) {
		return s.dayCounts(ctx, mns, from, end, to)
	}
	counts, whole := map[string]marking.Count{}, map[string]bool{}
	marks, err := s.St.Marks(ctx, store.MarkQuery{From: from, To: to, Limit: 100000})
	if err != nil {
		return nil, nil, err
	}
	byMN := map[string][]marking.Mark{}
	for _, m := range marks {
		byMN[m.MN] = append(byMN[m.MN], m)
	}
	for _, mn := range mns {
		first, err := s.St.Uploads(ctx, store.UploadQuery{MNs: []string{mn}, CN: cnHour, Limit: 1})
		if err != nil {
			return nil, nil, fmt.Errorf("first hourly data of %s: %w", mn, err)
		}
		if len(first) == 0 || !first[0].DataTime.Before(to) {
			continue
		}
		start := from
		whole[mn] = !first[0].DataTime.After(start)
		if !whole[mn] {
			start = first[0].DataTime.Truncate(time.Hour)
		}
		hours, err := s.hourlyData(ctx, mn, start, to)
		if err != nil {
			return nil, nil, err
		}
		counts[mn] = marking.CountDevice(s.rules(), mn, start, to, hours, byMN[mn])
	}
	return counts, whole, nil
}

// worstFlag is the first abnormal data flag of an upload's factors (0 when
// all are normal).
func worstFlag(vs []model.Value) byte {
	for _, v := range vs {
		if v.Field == "Flag" && v.Value != "" && marking.FlagEffect(v.Value[0]) != marking.EffectNone {
			return v.Value[0]
		}
	}
	return 0
}

// CheckRates opens a case for every outlet whose effective transmission
// rate over [from, to) is below the threshold, once per outlet and period
// (a store counter); it returns the cases opened.
func (s *Service) CheckRates(ctx context.Context, from, to time.Time) ([]cases.Case, error) {
	if s.Cases == nil {
		return nil, nil
	}
	rep, err := s.Rates(ctx, from, to, auth.Principal{User: "system:marking", Role: model.RoleMachine, Via: "marking"})
	if err != nil {
		return nil, err
	}
	reg, err := s.St.Registry(ctx)
	if err != nil {
		return nil, err
	}
	outlets := map[string]model.Outlet{}
	for _, o := range reg.Outlets {
		outlets[o.ID] = o
	}
	ents := map[string]model.Enterprise{}
	for _, e := range reg.Enterprises {
		ents[e.USCC] = e
	}
	var opened []cases.Case
	period := from.In(cst).Format("2006-01-02") + "/" + to.In(cst).Format("2006-01-02")
	for _, row := range rep.Outlets {
		if !row.Below || row.Count.Due == 0 || rep.partial[row.Key] {
			continue // a device that started reporting in the period is not judged on it
		}
		o := outlets[row.Key]
		e := ents[o.Enterprise]
		key := "rate:" + row.Key + ":" + period
		n, err := s.St.NextNumber(ctx, "marking:"+key)
		if err != nil {
			return opened, err
		}
		if n > 1 {
			continue
		}
		title := fmt.Sprintf("%s 传输有效率 %.2f%% 低于 %.0f%%（%s）", row.Name, 100*row.Count.Effective(), 100*rep.Threshold, period)
		c, err := s.Cases.Register(ctx, cases.Case{Source: cases.SourceOnline, Ref: key, Line: "air-industry", ProblemType: "transmission-rate",
			County: e.County, Enterprise: e.USCC, Severity: cases.SeverityGeneral, Title: title, Location: o.Name,
			// Both languages from the same facts; the outlet by its name.
			TitleEN:       fmt.Sprintf("%s: effective transmission rate %.2f%% below %.0f%% (%s)", row.Name, 100*row.Count.Effective(), 100*rep.Threshold, period),
			Description:   row.Count.Arithmetic("zh") + "；" + marking.Basis(s.rules().SourceName(marking.SrcRate, false)),
			DescriptionEN: row.Count.Arithmetic("en") + "; under " + s.rules().SourceName(marking.SrcRate, true)}, casesvc.AlertSystem)
		if err != nil {
			return opened, err
		}
		s.decide(ctx, marking.Decision{MN: "", Outlet: o.ID, Enterprise: e.USCC, County: e.County, Since: from, Until: to,
			Outcome: marking.OutcomeBelowRate, Rule: "rate-threshold", Case: c.ID})
		opened = append(opened, c)
	}
	return opened, nil
}

// RunDaily checks yesterday's rates now and after every midnight (China
// Standard Time) until stop closes.
func (s *Service) RunDaily(stop <-chan struct{}) {
	for {
		now := s.now().In(cst)
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, cst)
		if _, err := s.CheckRates(context.Background(), today.AddDate(0, 0, -1), today); err != nil {
			s.log().Warn("marking: daily rate check", "err", err)
		}
		// Count the rest of the month now, so that the first viewer of the
		// month's rates (the big screen, the monthly report) finds it
		// counted.
		month := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, cst)
		if _, err := s.Rates(context.Background(), month, month.AddDate(0, 1, 0), auth.Principal{User: "system:marking", Role: model.RoleMachine, Via: "marking"}); err != nil {
			s.log().Warn("marking: counting the month's rates", "err", err)
		}
		select {
		case <-stop:
			return
		case <-time.After(time.Until(today.AddDate(0, 0, 1).Add(5 * time.Minute))):
		}
	}
}
