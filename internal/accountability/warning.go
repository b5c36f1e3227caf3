package accountability

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// WarnLevel is a heavy-pollution weather warning level (重污染天气预警),
// mildest first.
type WarnLevel int

// Warning levels.
const (
	Yellow WarnLevel = iota + 1 // 黄色
	Orange                      // 橙色
	Red                         // 红色
)

func (l WarnLevel) String() string {
	switch l {
	case Yellow:
		return "yellow"
	case Orange:
		return "orange"
	case Red:
		return "red"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// Chinese is e.g. 橙色预警.
func (l WarnLevel) Chinese() string {
	return map[WarnLevel]string{Yellow: "黄色预警", Orange: "橙色预警", Red: "红色预警"}[l]
}

// English is the level's English name.
func (l WarnLevel) English() string {
	return map[WarnLevel]string{Yellow: "yellow warning", Orange: "orange warning", Red: "red warning"}[l]
}

// seriesNames name the data a breach was found in, Chinese and English.
var seriesNames = map[string][2]string{"electricity": {"用电监控", "electricity"}, "online": {"在线监测", "online monitoring"}}

// measureNames are the measures' names, Chinese and English.
var measureNames = map[MeasureKind][2]string{
	MeasureNone: {"自主减排", "voluntary reduction"}, MeasureStop: {"停产", "stop"},
	MeasureLimit: {"限产", "limit"}, MeasureStagger: {"错峰生产", "staggered"},
}

// Chinese is the measure's Chinese name (the code when unknown).
func (m MeasureKind) Chinese() string {
	if n, ok := measureNames[m]; ok {
		return n[0]
	}
	return string(m)
}

// English is the measure's English name (the code when unknown).
func (m MeasureKind) English() string {
	if n, ok := measureNames[m]; ok {
		return n[1]
	}
	return string(m)
}

// Warning is one issued warning, in force over [Start, End) in the listed
// counties (none: the whole city). A change of level is issued as a new
// warning after ending the current one. It maps to pollution_warnings.
type Warning struct {
	ID       string    `json:"id"`
	Level    WarnLevel `json:"level"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Counties []string  `json:"counties,omitempty"`
}

func (w Warning) covers(county string) bool {
	return len(w.Counties) == 0 || slices.Contains(w.Counties, county)
}

func (w Warning) sharesArea(o Warning) bool {
	if len(w.Counties) == 0 || len(o.Counties) == 0 {
		return true
	}
	for _, c := range w.Counties {
		if slices.Contains(o.Counties, c) {
			return true
		}
	}
	return false
}

// AddWarning validates w and returns the list with it appended. A warning
// whose time overlaps another on a shared county is refused, naming the
// other one: which level applies would otherwise be a guess.
func AddWarning(list []Warning, w Warning) ([]Warning, error) {
	switch {
	case w.ID == "":
		return list, refuse("warning", "", "id required")
	case w.Level < Yellow || w.Level > Red:
		return list, refuse("warning", w.ID, "level must be yellow, orange or red")
	case w.Start.IsZero() || !w.End.After(w.Start):
		return list, refuse("warning", w.ID, "end must be after start")
	}
	for _, o := range list {
		if o.ID == w.ID {
			return list, refuse("warning", w.ID, "duplicate id")
		}
		if w.Start.Before(o.End) && o.Start.Before(w.End) && w.sharesArea(o) {
			return list, refuse("warning", w.ID, "overlaps %s (%s %s–%s); end it before issuing another",
				o.ID, o.Level, o.Start.In(chinatime.Zone).Format("2006-01-02 15:04"), o.End.In(chinatime.Zone).Format("2006-01-02 15:04"))
		}
	}
	return append(slices.Clone(list), w), nil
}

// Grade is an enterprise's performance grade (绩效分级) in the emergency
// reduction list.
type Grade string

// Grades.
const (
	GradeA      Grade = "A"
	GradeB      Grade = "B"
	GradeC      Grade = "C"
	GradeD      Grade = "D"
	GradeExempt Grade = "exempt" // 保障类 / 豁免
)

// MeasureKind is what an enterprise must do at a warning level.
type MeasureKind string

// Measures.
const (
	MeasureNone    MeasureKind = "none"    // 自主减排
	MeasureStop    MeasureKind = "stop"    // 停产
	MeasureLimit   MeasureKind = "limit"   // 限产: at most LoadPermille of the normal load
	MeasureStagger MeasureKind = "stagger" // 错峰: stopped in Windows
)

// Measure is one level's measure.
type Measure struct {
	Kind         MeasureKind        `json:"kind" yaml:"kind"`
	LoadPermille int                `json:"load_permille,omitempty" yaml:"load_permille,omitempty"`
	Windows      []alerts.DayWindow `json:"windows,omitempty" yaml:"windows,omitempty"`
}

// ReductionEntry is an enterprise's line in the emergency reduction list
// (应急减排清单); it maps to reduction_entries with Measures as children.
type ReductionEntry struct {
	Enterprise string                `json:"enterprise"`
	County     string                `json:"county"`
	Grade      Grade                 `json:"grade"`
	Measures   map[WarnLevel]Measure `json:"measures"`
	// NormalKW is the production power at normal load (from the electricity
	// baseline); NormalRate the normal emission rate (online data, e.g.
	// kg/h). Limits are shares of these.
	NormalKW   float64 `json:"normal_kw"`
	NormalRate float64 `json:"normal_rate,omitempty"`
	// StopKW: production is off below this (standby load).
	StopKW float64 `json:"stop_kw"`
}

// Validate refuses an entry whose measures are not usable in a check.
func (e ReductionEntry) Validate() error {
	if e.Enterprise == "" || e.County == "" {
		return refuse("reduction entry", e.Enterprise, "enterprise and county required")
	}
	if !slices.Contains([]Grade{GradeA, GradeB, GradeC, GradeD, GradeExempt}, e.Grade) {
		return refuse("reduction entry", e.Enterprise, "grade must be A, B, C, D or exempt")
	}
	if e.Grade == GradeExempt && len(e.Measures) == 0 {
		return nil // 保障类: no measures at any level
	}
	for _, l := range []WarnLevel{Yellow, Orange, Red} {
		m, ok := e.Measures[l]
		if !ok {
			return refuse("reduction entry", e.Enterprise, "no measure for the %s level", l)
		}
		switch m.Kind {
		case MeasureNone, MeasureStop:
		case MeasureLimit:
			if m.LoadPermille <= 0 || m.LoadPermille >= 1000 || e.NormalKW <= 0 {
				return refuse("reduction entry", e.Enterprise, "%s: a limit needs a share in (0, 1000)‰ and a normal load", l)
			}
		case MeasureStagger:
			if len(m.Windows) == 0 {
				return refuse("reduction entry", e.Enterprise, "%s: staggering needs windows", l)
			}
		default:
			return refuse("reduction entry", e.Enterprise, "%s: unknown measure %q", l, m.Kind)
		}
	}
	return nil
}

// Sample is one value of a series at a time.
type Sample struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
}

// Breach is a run of consecutive non-compliant samples of one series during
// one warning. It maps to warning_breaches and opens a case.
type Breach struct {
	Warning    string      `json:"warning"`
	Enterprise string      `json:"enterprise"`
	County     string      `json:"county"`
	Series     string      `json:"series"` // "electricity" or "online"
	Measure    MeasureKind `json:"measure"`
	From       time.Time   `json:"from"` // first breaching sample
	To         time.Time   `json:"to"`   // last breaching sample
	Samples    int         `json:"samples"`
	Max        float64     `json:"max"`
	Allowed    float64     `json:"allowed"`
}

// Case is the case a breach opens (ready for ActRegister).
func (b Breach) Case(level WarnLevel) cases.Case {
	src := cases.SourceElectric
	if b.Series == "online" {
		src = cases.SourceOnline
	}
	return cases.Case{
		ID:          fmt.Sprintf("warn-%s-%s-%s-%s", b.Warning, b.Enterprise, b.Series, b.From.In(chinatime.Zone).Format("20060102T1504")),
		Source:      src,
		Ref:         "warning:" + b.Warning,
		Line:        "air-industry",
		ProblemType: "emergency-measure-breach",
		County:      b.County,
		Enterprise:  b.Enterprise,
		Severity:    cases.SeverityMajor,
		Title:       fmt.Sprintf("%s期间未落实应急减排措施（%s）", level.Chinese(), b.Measure.Chinese()),
		TitleEN:     fmt.Sprintf("Emergency reduction measure not carried out during the %s (%s)", level.English(), b.Measure.English()),
		Description: fmt.Sprintf("%s %s至%s：%d个样本，最大值 %.1f，高于允许值 %.1f", seriesNames[b.Series][0],
			b.From.In(chinatime.Zone).Format("01-02 15:04"), b.To.In(chinatime.Zone).Format("01-02 15:04"), b.Samples, b.Max, b.Allowed),
		DescriptionEN: fmt.Sprintf("%s %s–%s: %d samples, max %.1f above the allowed %.1f", seriesNames[b.Series][1],
			b.From.In(chinatime.Zone).Format("01-02 15:04"), b.To.In(chinatime.Zone).Format("01-02 15:04"), b.Samples, b.Max, b.Allowed),
		Policy: cases.PolicyDefault,
	}
}

// inWindows reports whether t (CST) falls in one of the day windows;
// a window with Start > End crosses midnight (alerts.DayWindow).
func inWindows(t time.Time, ws []alerts.DayWindow) bool {
	lt := t.In(chinatime.Zone)
	m := lt.Hour()*60 + lt.Minute()
	for _, w := range ws {
		if w.Start <= w.End && m >= w.Start && m < w.End || w.Start > w.End && (m >= w.Start || m < w.End) {
			return true
		}
	}
	return false
}

// CheckCompliance checks an enterprise during a warning: electricity is its
// production power (kW), online its emission rate (same unit as
// NormalRate; nil when not monitored). Samples outside the warning, and
// for staggering outside its windows, are ignored. A sample breaches when
// above the allowed value: electricity StopKW for stop and stagger,
// LoadPermille × NormalKW for limit; online LoadPermille × NormalRate for
// limit and a tenth of NormalRate for stop and stagger (our tolerance for
// shutdown residue), and no online check when NormalRate is zero.
// Consecutive breaching samples make one Breach.
func CheckCompliance(w Warning, e ReductionEntry, electricity, online []Sample) ([]Breach, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if !w.covers(e.County) {
		return nil, nil
	}
	m, ok := e.Measures[w.Level]
	if !ok || m.Kind == MeasureNone {
		return nil, nil
	}
	allowed := func(series string) (float64, bool) {
		switch {
		case series == "electricity" && m.Kind == MeasureLimit:
			return e.NormalKW * float64(m.LoadPermille) / 1000, true
		case series == "electricity":
			return e.StopKW, true
		case e.NormalRate <= 0:
			return 0, false
		case m.Kind == MeasureLimit:
			return e.NormalRate * float64(m.LoadPermille) / 1000, true
		}
		// stop or stagger: emissions should be at most a tenth of normal
		// (start-up and shutdown residue); our tolerance, to be configured.
		return e.NormalRate / 10, true
	}
	var out []Breach
	for _, s := range []struct {
		name string
		ss   []Sample
	}{{"electricity", electricity}, {"online", online}} {
		lim, ok := allowed(s.name)
		if !ok {
			continue
		}
		ss := slices.Clone(s.ss)
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].At.Before(ss[j].At) })
		var cur *Breach
		for _, x := range ss {
			if x.At.Before(w.Start) || !x.At.Before(w.End) {
				continue
			}
			if m.Kind == MeasureStagger && !inWindows(x.At, m.Windows) {
				if cur != nil {
					out, cur = append(out, *cur), nil
				}
				continue
			}
			if x.Value <= lim {
				if cur != nil {
					out, cur = append(out, *cur), nil
				}
				continue
			}
			if cur == nil {
				cur = &Breach{Warning: w.ID, Enterprise: e.Enterprise, County: e.County, Series: s.name,
					Measure: m.Kind, From: x.At, Allowed: lim}
			}
			cur.To = x.At
			cur.Samples++
			cur.Max = max(cur.Max, x.Value)
		}
		if cur != nil {
			out = append(out, *cur)
		}
	}
	return out, nil
}

// Schedules turns a standing staggering measure into alerts.Schedule rows
// for the alerts engine's restricted-window rule (错峰生产/加油/施工), so
// one engine watches both the standing schedules and a warning's
// staggering: class is the MeterGroup class the enterprise belongs to.
func Schedules(class, kind string, from, to time.Time, m Measure) ([]alerts.Schedule, error) {
	if m.Kind != MeasureStagger && m.Kind != MeasureStop {
		return nil, refuse("schedule", class, "only stop and stagger measures restrict windows")
	}
	return []alerts.Schedule{{Class: class, Kind: kind, From: from, To: to, Windows: slices.Clone(m.Windows)}}, nil
}
