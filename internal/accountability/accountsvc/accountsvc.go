// Package accountsvc runs county accountability on the store:
// it gathers the inputs of internal/accountability (air statistics from
// internal/air/airreport, given values and targets, governance projects and
// the versioned schemes, formulas and rules from the store), runs the pure
// core, persists what it computed and opens cases for trigger firings
// through internal/casesvc. A refusal of the core (no scheme or formula
// version for the period, a missing value or target, an overlapping
// warning) is returned as is, with nothing written.
package accountsvc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/model"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// Store is what the service reads and writes.
type Store interface {
	airreport.Store
	waterreport.Store
	store.AccountabilityStore
}

// Service is accountability on a store.
type Service struct {
	St Store
	// Cases opens the cases of trigger firings; nil: firings are recorded
	// and no case is opened.
	Cases *casesvc.Service
	Now   func() time.Time
	// Issuer names the bureau in bulletins (default 生态环境局);
	// IssuerEN in English ones (default Ecology and Environment Bureau,
	// the ministry's own English for 生态环境).
	Issuer, IssuerEN string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// airEvaluated refuses a period the air quality is not evaluated on (a
// half-year: airreport.Kinds).
func airEvaluated(p chinatime.Period) error {
	if !slices.Contains(airreport.Kinds, p.Kind) {
		return &acc.Error{What: "period", Key: p.String(), Reason: "air statistics are evaluated by month, quarter or year"}
	}
	return nil
}

// Names returns county code → name from the registry.
func (s *Service) Names(ctx context.Context) (map[string]string, error) {
	reg, err := s.St.Registry(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(reg.Counties))
	for _, c := range reg.Counties {
		m[c.Code] = c.Name
	}
	return m, nil
}

func pollutant(e *airreport.Entity, name string) (airreport.Pollutant, bool) {
	for _, p := range e.Pollutants {
		if p.Name == name {
			return p, true
		}
	}
	return airreport.Pollutant{}, false
}

// airValues are the air indicators of each county for p, from the stored
// air data, and why a county has none (incomplete data, no index).
func (s *Service) airValues(ctx context.Context, p chinatime.Period) (map[string]map[acc.Indicator]float64, map[string]string, error) {
	if err := airEvaluated(p); err != nil {
		return nil, nil, err
	}
	rep, err := airreport.Build(ctx, s.St, airreport.Options{Period: p})
	if err != nil {
		return nil, nil, fmt.Errorf("air statistics %s: %w", p, err)
	}
	out := map[string]map[acc.Indicator]float64{}
	why := map[string]string{}
	for i := range rep.Counties {
		e := &rep.Counties[i]
		pm, _ := pollutant(e, "PM2.5")
		// The same conditions as accountability.AirIndicators: nothing is
		// taken from incomplete statistics (GB 3095 table 4).
		switch {
		case !pm.Complete || pm.Mean < 0:
			why[e.Code] = "PM2.5 data incomplete for the period"
		case e.Index == nil || e.Change == nil || e.Change.Index == nil:
			why[e.Code] = "comprehensive index not available for both years"
		case e.Days == 0:
			why[e.Code] = "no daily AQI: no good-day ratio"
		default:
			out[e.Code] = map[acc.Indicator]float64{
				acc.PM25:           float64(pm.Mean) / air.Scale,
				acc.GoodDays:       e.GoodRatio,
				acc.AirIndex:       e.Index.Sum,
				acc.AirIndexChange: *e.Change.Index,
			}
		}
	}
	return out, why, nil
}

// Inputs gathers the values and targets of p: air indicators from the
// stored air data, given values from the store (they win over computed
// ones: a correction is given), governance completion from the projects.
func (s *Service) Inputs(ctx context.Context, p chinatime.Period) ([]acc.CountyValues, []acc.Target, error) {
	vs, ts, _, err := s.inputs(ctx, p)
	return vs, ts, err
}

// inputs is Inputs with the reasons counties have no air values.
func (s *Service) inputs(ctx context.Context, p chinatime.Period) (_ []acc.CountyValues, _ []acc.Target, why map[string]string, err error) {
	defer func() {
		if err != nil {
			why = nil
		}
	}()
	names, err := s.Names(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	vals := map[string]map[acc.Indicator]float64{}
	add := func(county string, ind acc.Indicator, v float64) {
		if vals[county] == nil {
			vals[county] = map[acc.Indicator]float64{}
		}
		vals[county][ind] = v
	}
	// Only what the period's scheme scores is computed (all of it when no
	// scheme is found: Inputs shows what there is).
	cfg, err := s.St.AccountConfig(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	sc, scErr := acc.SchemeFor(cfg.Schemes, p)
	if scErr != nil || needsAir(sc) {
		av, w, err := s.airValues(ctx, p)
		if err != nil && !errors.Is(err, acc.ErrRefused) {
			return nil, nil, nil, err
		}
		why = w
		for c, m := range av {
			for ind, v := range m {
				add(c, ind, v)
			}
		}
	}
	if scErr != nil || needsWater(sc) {
		wv, err := s.waterValues(ctx, p)
		if err != nil {
			return nil, nil, nil, err
		}
		for c, m := range wv {
			for ind, v := range m {
				add(c, ind, v)
			}
		}
	}
	projects, err := s.St.Projects(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	for c, v := range acc.Completion(projects, p) {
		add(c, acc.Governance, v)
	}
	given, err := s.St.CountyValues(ctx, p)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, g := range given {
		for ind, v := range g.Values {
			add(g.County, ind, v)
		}
	}
	codes := make([]string, 0, len(vals))
	for c := range vals {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	out := make([]acc.CountyValues, 0, len(codes))
	for _, c := range codes {
		out = append(out, acc.CountyValues{County: c, Name: names[c], Values: vals[c]})
	}
	targets, err := s.St.Targets(ctx, p)
	if err != nil {
		return nil, nil, nil, err
	}
	return out, targets, why, nil
}

// notOver refuses a period that has not ended at now: its statistics
// would be partial, and a score from them a guess.
func (s *Service) notOver(p chinatime.Period) error {
	if now := s.now(); now.Before(p.End()) {
		return &acc.Error{What: "period", Key: p.String(), Reason: "not over yet (ends " + p.End().Format("2006-01-02 15:04") + " CST)"}
	}
	return nil
}

// Assess computes, stores and returns the assessment of p. A county of the
// registry without data is refused by the core (every county must be
// assessed), with the air statistics' reason when that is why.
func (s *Service) Assess(ctx context.Context, p chinatime.Period) (acc.Assessment, error) {
	if err := s.notOver(p); err != nil {
		return acc.Assessment{}, err
	}
	cfg, err := s.St.AccountConfig(ctx)
	if err != nil {
		return acc.Assessment{}, err
	}
	if _, err := acc.SchemeFor(cfg.Schemes, p); err != nil {
		return acc.Assessment{}, err
	}
	values, targets, why, err := s.inputs(ctx, p)
	if err != nil {
		return acc.Assessment{}, err
	}
	names, err := s.Names(ctx)
	if err != nil {
		return acc.Assessment{}, err
	}
	// Counties of the registry with no value at all still have to be
	// assessed: they are given empty so that the core refuses, naming them.
	have := map[string]bool{}
	for _, v := range values {
		have[v.County] = true
	}
	for code, name := range names {
		if !have[code] {
			values = append(values, acc.CountyValues{County: code, Name: name, Values: map[acc.Indicator]float64{}})
		}
	}
	slices.SortFunc(values, func(a, b acc.CountyValues) int { return strings.Compare(a.County, b.County) })
	// The counties' English names, for the English titles of the cases
	// the assessment's firings open.
	reg, err := s.St.Registry(ctx)
	if err != nil {
		return acc.Assessment{}, err
	}
	for i := range values {
		for _, c := range reg.Counties {
			if c.Code == values[i].County {
				values[i].NameEN = c.NameEN
			}
		}
	}
	a, err := acc.Assess(cfg.Schemes, p, values, targets)
	if err != nil {
		var ae *acc.Error
		if errors.As(err, &ae) && why[ae.Key] != "" {
			return acc.Assessment{}, fmt.Errorf("%w (air statistics: %s)", err, why[ae.Key])
		}
		return acc.Assessment{}, err
	}
	if err := s.St.SaveAssessment(ctx, a, s.now()); err != nil {
		return acc.Assessment{}, err
	}
	return a, nil
}

func needsWater(sc acc.Scheme) bool {
	for _, r := range sc.Rules {
		if r.Indicator == acc.WaterCompliance || r.Indicator == acc.CWQI {
			return true
		}
	}
	return false
}

// waterValues are each county's section compliance (% of its sections
// with data that meet their target class) and CWQI for p, from the stored
// water samples (internal/water/waterreport). A county without an evaluated
// section gets neither: the core then refuses it rather than assume.
func (s *Service) waterValues(ctx context.Context, p chinatime.Period) (map[string]map[acc.Indicator]float64, error) {
	if !slices.Contains(waterreport.Kinds, p.Kind) {
		return nil, &acc.Error{What: "period", Key: p.String(), Reason: "water is evaluated by month, quarter or year"}
	}
	rep, err := waterreport.Build(ctx, s.St, p, waterreport.Options{})
	if err != nil {
		return nil, fmt.Errorf("water report %s: %w", p, err)
	}
	out := map[string]map[acc.Indicator]float64{}
	evaluated, meeting := map[string]int{}, map[string]int{}
	for _, sec := range rep.Sections {
		if sec.Class == 0 || sec.Target == 0 || sec.County == "" {
			continue
		}
		evaluated[sec.County]++
		if sec.Meets {
			meeting[sec.County]++
		}
	}
	for c, n := range evaluated {
		out[c] = map[acc.Indicator]float64{acc.WaterCompliance: math.Round(float64(meeting[c])*1000/float64(n)) / 10}
	}
	for _, c := range rep.CWQI.Counties {
		if c.Sections == 0 {
			continue
		}
		if out[c.Code] == nil {
			out[c.Code] = map[acc.Indicator]float64{}
		}
		out[c.Code][acc.CWQI] = c.CWQI
	}
	return out, nil
}

func needsAir(sc acc.Scheme) bool {
	for _, r := range sc.Rules {
		switch r.Indicator {
		case acc.PM25, acc.GoodDays, acc.AirIndex, acc.AirIndexChange:
			return true
		}
	}
	return false
}

// Assessment returns the stored assessment of p, computing it first when
// none is stored.
func (s *Service) Assessment(ctx context.Context, p chinatime.Period) (acc.Assessment, error) {
	a, err := s.St.Assessment(ctx, p)
	if errors.Is(err, store.ErrNotFound) {
		return s.Assess(ctx, p)
	}
	return a, err
}

// compValues are a county's period means of the formula's pollutants and
// its good-day ratio.
func compValues(e *airreport.Entity) acc.AirValues {
	v := acc.AirValues{Conc: map[acc.Pollutant]float64{}}
	for name, pol := range map[string]acc.Pollutant{"PM2.5": acc.PolPM25, "PM10": acc.PolPM10, "SO2": acc.PolSO2, "NO2": acc.PolNO2} {
		if p, ok := pollutant(e, name); ok && p.Complete && p.Mean >= 0 {
			v.Conc[pol] = float64(p.Mean) / air.Scale
		}
	}
	if e.Days > 0 {
		g := e.GoodRatio
		v.GoodDays = &g
	}
	return v
}

// Compensate computes, stores and returns the compensation settlement of p
// from the stored air data of p and of the same period last year.
func (s *Service) Compensate(ctx context.Context, p chinatime.Period) (acc.Settlement, error) {
	if err := s.notOver(p); err != nil {
		return acc.Settlement{}, err
	}
	cfg, err := s.St.AccountConfig(ctx)
	if err != nil {
		return acc.Settlement{}, err
	}
	if _, err := acc.FormulaFor(cfg.Formulas, p); err != nil {
		return acc.Settlement{}, err
	}
	if err := airEvaluated(p); err != nil {
		return acc.Settlement{}, err
	}
	// With the previous year: its good-day ratio on the same basis (同口径).
	cur, err := airreport.Build(ctx, s.St, airreport.Options{Period: p})
	if err != nil {
		return acc.Settlement{}, fmt.Errorf("air statistics %s: %w", p, err)
	}
	last, err := airreport.Build(ctx, s.St, airreport.Options{Period: p.LastYear(), NoPrevious: true})
	if err != nil {
		return acc.Settlement{}, fmt.Errorf("air statistics %s: %w", p.LastYear(), err)
	}
	lastBy := map[string]*airreport.Entity{}
	for i := range last.Counties {
		lastBy[last.Counties[i].Code] = &last.Counties[i]
	}
	var in []acc.CompInput
	for i := range cur.Counties {
		e := &cur.Counties[i]
		ci := acc.CompInput{County: e.Code, Name: e.Name, Current: compValues(e)}
		if l, ok := lastBy[e.Code]; ok {
			ci.LastYear = compValues(l)
			// The amount uses last year's good-day ratio on the same basis
			// as this period (同口径: its days under this period's rules);
			// the ratio by date (按日期) is carried beside it. No provincial
			// text found says which; the same basis compares like with like.
			if sb := e.PreviousSameBasis; sb != nil && sb.Days > 0 && ci.LastYear.GoodDays != nil {
				byDate, same := *ci.LastYear.GoodDays, sb.GoodRatio
				ci.LastYear.GoodDaysByDate, ci.LastYear.GoodDays = &byDate, &same
			}
		} else {
			ci.LastYear = acc.AirValues{Conc: map[acc.Pollutant]float64{}}
		}
		in = append(in, ci)
	}
	st, err := acc.Compensate(cfg.Formulas, p, in)
	if err != nil {
		return acc.Settlement{}, err
	}
	if err := s.St.SaveSettlement(ctx, st, s.now()); err != nil {
		return acc.Settlement{}, err
	}
	return st, nil
}

// Triggers evaluates the stored trigger rules on p's assessment (computed
// if not stored), records the firings (a re-run keeps the first ones) and,
// when open is set, opens a case for each firing without one. Opening is
// idempotent: a firing's case is recorded on it, and a store counter per
// firing guards against two runs at once.
func (s *Service) Triggers(ctx context.Context, p chinatime.Period, open bool) ([]store.StoredFiring, error) {
	cfg, err := s.St.AccountConfig(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Assessment(ctx, p)
	if err != nil {
		return nil, err
	}
	prev, err := s.St.Firings(ctx, p.Previous())
	if err != nil {
		return nil, err
	}
	prior := map[string]map[string]acc.Step{}
	for _, f := range prev {
		if prior[f.Rule] == nil {
			prior[f.Rule] = map[string]acc.Step{}
		}
		prior[f.Rule][f.County] = max(prior[f.Rule][f.County], f.Step)
	}
	fs, err := acc.Evaluate(cfg.Rules, a, prior, s.now())
	if err != nil {
		return nil, err
	}
	stored, err := s.St.RecordFirings(ctx, p, fs)
	if err != nil {
		return nil, err
	}
	if !open || s.Cases == nil {
		return stored, nil
	}
	for i := range stored {
		f := &stored[i]
		if f.CaseID != "" {
			continue
		}
		id, err := s.openCase(ctx, f)
		if err != nil {
			return stored, err
		}
		f.CaseID = id
	}
	return stored, nil
}

func (s *Service) openCase(ctx context.Context, f *store.StoredFiring) (string, error) {
	// The core's Ref names rule and period; the case ID it proposes names
	// the county too, and is what makes the firing unique.
	c, opened, err := s.openOnce(ctx, f.Case)
	if err != nil || !opened {
		return "", err
	}
	if err := s.St.SetFiringCase(ctx, f.Rule, f.Period, f.County, c.ID); err != nil {
		return "", err
	}
	// The bureau that issued the summons accepts its own case with the
	// report deadline of the firing (30 days, 山东省环境保护约谈办法), so
	// the closed loop's overdue and escalation clocks run on it. A failure
	// leaves the case registered (the deadline can be set by hand) and is
	// returned.
	if !f.ReportDue.IsZero() && f.ReportDue.After(s.now()) {
		if _, _, err := s.Cases.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActAccept, Due: f.ReportDue}, bureau); err != nil {
			return c.ID, fmt.Errorf("accept the case of firing %s/%s: %w", f.Rule, f.County, err)
		}
	}
	return c.ID, nil
}

// bureau is the city bureau acting through an accountability run: it
// accepts the cases its own summons open.
var bureau = auth.Principal{User: "system:accountability", Role: model.RoleCity, Via: "accountability"}

// openOnce registers c as the system unless a case was already opened for
// its proposed (deterministic) ID: a store counter per ID is the record,
// so two runs at once, or a run after a crash, never open a second case.
// The case's Ref is the proposed ID.
func (s *Service) openOnce(ctx context.Context, c cases.Case) (cases.Case, bool, error) {
	ref := c.ID
	n, err := s.Cases.St.NextNumber(ctx, "accountability:"+ref)
	if err != nil {
		return c, false, err
	}
	if n > 1 {
		return c, false, nil
	}
	c.Ref = ref
	opened, err := s.Cases.Register(ctx, c, casesvc.System)
	if err != nil {
		return c, false, fmt.Errorf("open case for %s: %w", ref, err)
	}
	return opened, true, nil
}

// SoilCases opens a case for each of year's soil duties overdue at now
// (the core's Reminders give it), once per duty; it returns the cases
// opened by this call.
func (s *Service) SoilCases(ctx context.Context, year int) ([]cases.Case, error) {
	if s.Cases == nil {
		return nil, errors.New("soil cases: cases are not configured")
	}
	rows, err := s.SoilDuties(ctx, year)
	if err != nil {
		return nil, err
	}
	ds := make([]acc.Duty, len(rows))
	for i, r := range rows {
		ds[i] = r.Duty
	}
	var out []cases.Case
	for _, r := range acc.Reminders(ds, s.now(), ReminderLead) {
		if r.Case == nil {
			continue
		}
		c, opened, err := s.openOnce(ctx, *r.Case)
		if err != nil {
			return out, err
		}
		if opened {
			out = append(out, c)
		}
	}
	return out, nil
}

// Bulletin renders the bulletin of p in lang from the stored assessment
// (computed if not stored), the period's firings and its settlement when
// stored.
func (s *Service) Bulletin(ctx context.Context, p chinatime.Period, number string, lang workbook.Lang) (string, error) {
	a, err := s.Assessment(ctx, p)
	if err != nil {
		return "", err
	}
	fs, err := s.St.Firings(ctx, p)
	if err != nil {
		return "", err
	}
	in := acc.BulletinInput{Issuer: s.Issuer, Number: number, Assessment: a, Lang: string(lang)}
	if in.Issuer == "" {
		in.Issuer = "生态环境局"
	}
	if lang == workbook.English {
		in.Issuer = s.IssuerEN
		if in.Issuer == "" {
			in.Issuer = "Ecology and Environment Bureau"
		}
	}
	for _, f := range fs {
		in.Firings = append(in.Firings, f.Firing)
	}
	if st, err := s.St.Settlement(ctx, p); err == nil {
		in.Settlement = &st
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if in.Names, err = s.Names(ctx); err != nil {
		return "", err
	}
	if lang == workbook.English {
		// The counties' English names where the registry has them.
		reg, err := s.St.Registry(ctx)
		if err != nil {
			return "", err
		}
		for _, c := range reg.Counties {
			if c.NameEN != "" {
				in.Names[c.Code] = c.NameEN
			}
		}
	}
	return acc.Bulletin(in), nil
}

// DutyRow is a soil duty with its status at the service's now.
type DutyRow struct {
	acc.Duty
	Status acc.DutyStatus `json:"status"`
}

// ReminderLead is how many days before its due day a duty is "due soon".
const ReminderLead = 30

// SoilDuties returns year's duties of the stored units: the stored ones
// (with their completion) and, for units without stored duties that
// year, those the rules derive (stored, so that completion can be
// recorded on them).
func (s *Service) SoilDuties(ctx context.Context, year int) ([]DutyRow, error) {
	stored, err := s.St.Duties(ctx, year)
	if err != nil {
		return nil, err
	}
	units, err := s.St.SoilUnits(ctx)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, d := range stored {
		has[d.Unit] = true
	}
	var derived []acc.Duty
	for _, u := range units {
		if has[u.ID] {
			continue
		}
		ds, err := acc.Duties(u, year, acc.DefaultSoilRules())
		if err != nil {
			return nil, err
		}
		derived = append(derived, ds...)
	}
	if len(derived) > 0 {
		if err := s.St.PutDuties(ctx, derived); err != nil {
			return nil, err
		}
		if stored, err = s.St.Duties(ctx, year); err != nil {
			return nil, err
		}
	}
	now := s.now()
	out := make([]DutyRow, len(stored))
	for i, d := range stored {
		out[i] = DutyRow{Duty: d, Status: d.Status(now, ReminderLead)}
	}
	return out, nil
}

// ProjectRow is a governance project with its completion ratio.
type ProjectRow struct {
	acc.Project
	Ratio float64 `json:"ratio"` // progress over target, 0..1
	Done  bool    `json:"done"`  // accepted complete by now
}

// Projects lists the governance projects.
func (s *Service) Projects(ctx context.Context) ([]ProjectRow, error) {
	ps, err := s.St.Projects(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]ProjectRow, len(ps))
	for i, p := range ps {
		out[i] = ProjectRow{Project: p, Ratio: p.Ratio(), Done: p.Done(now)}
	}
	return out, nil
}
