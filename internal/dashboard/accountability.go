package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/accountability/accountsvc"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
)

// County accountability: the stored assessment, ecological
// compensation and trigger firings of a period, heavy-pollution warnings,
// overdue soil duties and governance projects. The page only reads what
// is stored: computing is the city's act (POST on the API or the CLI's
// `ecowatch account assess|compensate|triggers`), never a side effect of
// viewing.

// accessAccount is internal/api's ScopeAccountRead: the city sees every
// county, a county its own rows; enterprises and the public are refused.
const accessAccount = auth.ScopeAccountRead

// accountStore is what the page reads (store.Store implements it).
type accountStore interface {
	Assessment(ctx context.Context, p chinatime.Period) (acc.Assessment, error)
	Settlement(ctx context.Context, p chinatime.Period) (acc.Settlement, error)
	Firings(ctx context.Context, p chinatime.Period) ([]store.StoredFiring, error)
	Warnings(ctx context.Context) ([]acc.Warning, error)
	SoilUnits(ctx context.Context) ([]acc.SoilUnit, error)
	Duties(ctx context.Context, year int) ([]acc.Duty, error)
	Projects(ctx context.Context) ([]acc.Project, error)
	AccountConfig(ctx context.Context) (store.AccountConfig, error)
}

type accountData struct {
	Period     string // canonical, e.g. 2026-Q3 (the ?period= value)
	PeriodName string // 2026年第三季度 / 2026-Q3
	Prev, Next string
	City       bool // all counties in scope: the CLI/API hint is for them
	// Assessment and Settlement are nil when none is stored for the
	// period; rows outside the caller's scope are dropped, the ranks are
	// those among all counties.
	Assessment *acc.Assessment
	// SchemeName is the assessment scheme's title in the page's language.
	SchemeName string
	Indicators []string // the assessment's rule names, in order
	Settlement *acc.Settlement
	Firings    []firingRow
	Warnings   []warningRow
	Overdue    []dutyRow
	Projects   []projectRow
	Bulletin   string // links to the API
	XLSX       string
	// Ended: the period is over and can be assessed; CanRun: and the
	// caller may compute it (the city, account:write), from the page
	// through the API's own endpoints (static/account.js).
	Ended, CanRun bool
	// Formulas are the compensation formula versions stored, oldest
	// first; CanAddFormula: the caller may add one (the city with
	// account:write, through POST /api/v1/accountability/formulas).
	Formulas      []formulaRow
	CanAddFormula bool
}

type formulaRow struct {
	acc.Formula
	To      string // the end day, "" while in force
	Weights string // e.g. PM2.5 60%、PM10 15%…
	Name    string // the title in the page's language (officialName)
}

// officialName is a document's title in lang: on an English page the
// English title the compensation formula data gives it (the Shandong
// measures' established English name, acc.ShandongFormulas), or the
// Chinese marked "(recorded in Chinese only)" for a local document that
// has none (a city's own scheme).
func officialName(zh, lang string) string {
	if lang != langEN || zh == "" {
		return zh
	}
	for _, f := range acc.ShandongFormulas() {
		if f.Title == zh && f.TitleEN != "" {
			return f.TitleEN
		}
	}
	return zh + " " + tr(lang, "acc.reason.zhonly")
}

// formulaPollutantNames are the factor names of the formula's pollutants.
var formulaPollutantNames = map[acc.Pollutant]string{acc.PolPM25: "PM2.5", acc.PolPM10: "PM10", acc.PolSO2: "SO2", acc.PolNO2: "NO2"}

type firingRow struct {
	store.StoredFiring
	CountyName string
	StepName   string
	// ReasonText is the reason in the page's language; Untranslated: a
	// firing stored by an older binary in words the engine cannot read
	// back, shown in Chinese on the English page with a mark.
	ReasonText   string
	Untranslated bool
}

type warningRow struct {
	acc.Warning
	LevelName string
	Colour    string // the warning's signal colour
	Area      string
	InForce   bool
}

type dutyRow struct {
	acc.Duty
	UnitName   string
	CountyName string
	KindName   string
}

type projectRow struct {
	acc.Project
	CountyName string
	Percent    float64 // progress over target, 0-100
	Done       bool
}

// accountabilityPage: /accountability?period=2026Q3 (also 2026, 2026-07,
// 2026H1; default the last ended quarter).
func (h *Handler) accountabilityPage(w http.ResponseWriter, r *http.Request, p *page) error {
	as := h.st
	ctx := r.Context()
	now := h.cfg.Now()
	per := chinatime.PeriodOf(chinatime.Quarter, now).Previous() // the last quarter that has ended
	if v := r.URL.Query().Get("period"); v != "" {
		var err error
		if per, err = chinatime.ParsePeriod(v); err != nil {
			return errStatus(http.StatusBadRequest)
		}
	}
	reg, err := h.st.Registry(ctx)
	if err != nil {
		return err
	}
	names := countyNames(reg, p.Lang)
	sees := func(county string) bool { return p.Scope.Sees(county, "") }
	q := url.QueryEscape(per.String())
	d := &accountData{Period: per.String(), PeriodName: per.String(), Prev: per.Previous().String(), Next: per.Next().String(),
		City: p.Scope.All, Bulletin: "/api/v1/accountability/bulletin?period=" + q, XLSX: "/api/v1/accountability/assessment?period=" + q + "&format=xlsx"}
	if p.En() {
		d.XLSX += "&lang=en" // the workbook and the circular in the page's language
		d.Bulletin += "&lang=en"
	}
	if !p.En() {
		d.PeriodName = per.Chinese()
	}
	d.Ended = !now.Before(per.End())
	// In the demo's open mode an anonymous visitor sees the city's page
	// but the API would refuse its writes: the button needs a user.
	d.CanRun = d.Ended && p.Scope.All && p.Can(auth.ScopeAccountWrite) && (h.cfg.Auth == nil || p.User.Authenticated())

	switch a, err := as.Assessment(ctx, per); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		// Ranks stay those among all counties: a county sees where it
		// stands, not a ranking of one.
		a.Counties = slices.DeleteFunc(a.Counties, func(c acc.CountyScore) bool { return !sees(c.County) })
		for _, ru := range a.Rules {
			d.Indicators = append(d.Indicators, p.T("acc.ind."+string(ru.Indicator)))
		}
		d.Assessment = &a
		d.SchemeName = a.Title
		if p.En() && a.TitleEN != "" {
			d.SchemeName = a.TitleEN
		} else {
			d.SchemeName = officialName(a.Title, p.Lang)
		}
	}
	switch s, err := as.Settlement(ctx, per); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		if !p.Scope.All {
			// The totals are the county's own, as the API's.
			s.Lines = slices.DeleteFunc(s.Lines, func(l acc.CompLine) bool { return !sees(l.County) })
			s.Receivable, s.Payable = 0, 0
			for _, l := range s.Lines {
				s.Receivable += l.Receivable
				s.Payable += l.Payable
			}
		}
		d.Settlement = &s
	}
	fs, err := as.Firings(ctx, per)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if !sees(f.County) {
			continue
		}
		step := f.Step.Chinese()
		if p.En() {
			step = f.Step.String()
		}
		reason, ok := f.ReasonIn(p.Lang)
		d.Firings = append(d.Firings, firingRow{StoredFiring: f, CountyName: names[f.County], StepName: step, ReasonText: reason, Untranslated: !ok})
	}
	if d.Warnings, err = h.currentWarnings(ctx, as, p, names, now); err != nil {
		return err
	}
	if d.Overdue, err = overdueDuties(ctx, as, p, names, now); err != nil {
		return err
	}
	ps, err := as.Projects(ctx)
	if err != nil {
		return err
	}
	for _, pr := range ps {
		if sees(pr.County) {
			d.Projects = append(d.Projects, projectRow{Project: pr, CountyName: names[pr.County], Percent: pr.Ratio() * 100, Done: pr.Done(now)})
		}
	}
	cfg, err := as.AccountConfig(ctx)
	if err != nil {
		return err
	}
	slices.SortStableFunc(cfg.Formulas, func(a, b acc.Formula) int { return a.From.Compare(b.From) })
	for _, f := range cfg.Formulas {
		r := formulaRow{Formula: f, Name: officialName(f.Title, p.Lang)}
		if p.En() && f.TitleEN != "" {
			r.Name = f.TitleEN
		}
		if !f.To.IsZero() {
			r.To = f.To.AddDate(0, 0, -1).In(cst).Format(time.DateOnly) // the last day in force
		}
		ws := make([]string, len(f.Weights))
		for i, w := range f.Weights {
			ws[i] = formulaPollutantNames[w.Pollutant] + " " + strconv.FormatFloat(float64(w.Permille)/10, 'f', -1, 64) + "%"
		}
		r.Weights = strings.Join(ws, p.T("list.sep"))
		d.Formulas = append(d.Formulas, r)
	}
	d.CanAddFormula = p.Scope.All && p.Can(auth.ScopeAccountWrite) && (h.cfg.Auth == nil || p.User.Authenticated())
	p.Nav, p.Title, p.Data = "accountability", p.T("acc.title"), d
	return h.render(w, http.StatusOK, "accountability", p)
}

// warnColours are the signal colours the warning levels are named after
// (黄色/橙色/红色预警).
var warnColours = map[acc.WarnLevel]string{acc.Yellow: "#FFFF00", acc.Orange: "#FF7E00", acc.Red: "#FF0000"}

// currentWarnings are the warnings in force or announced (not yet ended)
// that cover a county in the caller's scope, by start.
func (h *Handler) currentWarnings(ctx context.Context, as accountStore, p *page, names map[string]string, now time.Time) ([]warningRow, error) {
	ws, err := as.Warnings(ctx)
	if err != nil {
		return nil, err
	}
	var out []warningRow
	for _, w := range ws {
		if !w.End.After(now) {
			continue
		}
		area := p.T("acc.citywide")
		if len(w.Counties) > 0 {
			if !slices.ContainsFunc(w.Counties, func(c string) bool { return p.Scope.Sees(c, "") }) {
				continue
			}
			ns := make([]string, len(w.Counties))
			for i, c := range w.Counties {
				ns[i] = names[c]
				if ns[i] == "" {
					ns[i] = c
				}
			}
			area = strings.Join(ns, "、")
		}
		lv := w.Level.Chinese()
		if p.En() {
			lv = w.Level.String()
		}
		out = append(out, warningRow{Warning: w, LevelName: lv, Colour: warnColours[w.Level], Area: area, InForce: !now.Before(w.Start)})
	}
	slices.SortFunc(out, func(a, b warningRow) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// overdueDuties are the soil key units' duties of this and last year that
// are past their due day and not done. Units without stored duties for a
// year get the duties the default rules derive, in memory only: a page
// view writes nothing (the API's soil listing stores them).
func overdueDuties(ctx context.Context, as accountStore, p *page, names map[string]string, now time.Time) ([]dutyRow, error) {
	units, err := as.SoilUnits(ctx)
	if err != nil {
		return nil, err
	}
	unitName := map[string]string{}
	for _, u := range units {
		unitName[u.ID] = u.Name
	}
	year := now.In(cst).Year()
	var out []dutyRow
	for _, y := range []int{year - 1, year} {
		ds, err := as.Duties(ctx, y)
		if err != nil {
			return nil, err
		}
		has := map[string]bool{}
		for _, d := range ds {
			has[d.Unit] = true
		}
		for _, u := range units {
			if has[u.ID] {
				continue
			}
			derived, err := acc.Duties(u, y, acc.DefaultSoilRules())
			if err != nil {
				return nil, err
			}
			ds = append(ds, derived...)
		}
		for _, d := range ds {
			if !p.Scope.Sees(d.County, d.Enterprise) || d.Status(now, accountsvc.ReminderLead) != acc.StatusOverdue {
				continue
			}
			kind := p.T("acc.duty." + string(d.Kind))
			out = append(out, dutyRow{Duty: d, UnitName: unitName[d.Unit], CountyName: names[d.County], KindName: kind})
		}
	}
	slices.SortStableFunc(out, func(a, b dutyRow) int { return a.Due.Compare(b.Due) })
	return out, nil
}

// wholeYuan formats whole yuan with thousands separators (12,345,678).
func wholeYuan(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
