// Package waterreport evaluates the surface water of a period from the
// store: every section against its target class (GB 3838-2002, 环办〔2011〕
// 22号), the share of class Ⅰ-Ⅲ and of 劣Ⅴ, river and basin status, the
// city water quality index CWQI (环办监测〔2017〕51号) with rankings of
// counties and sections and its change rate, drinking-water sources, and
// the change against a base period. The evaluation itself is
// internal/water's; this package gathers the data and lays out the report
// (JSON, a text table, an Excel workbook).
package waterreport

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
)

// Store is what a report reads.
type Store interface {
	Registry(ctx context.Context) (*model.Registry, error)
	WaterRegistry(ctx context.Context) (*model.WaterRegistry, error)
	WaterSamples(ctx context.Context, q store.WaterSampleQuery) ([]model.WaterSample, error)
}

// Options of a report.
type Options struct {
	// Compare selects the base period: "yoy" (the same period of the
	// previous year, 同比, the default: the CWQI change rate is defined
	// against it) or "prev" (the period just before, 环比).
	Compare string
}

// Report is a period's surface-water report.
type Report struct {
	Period   string          `json:"period"`
	From     time.Time       `json:"from"`
	To       time.Time       `json:"to"`
	Base     string          `json:"base"` // the period compared with
	Summary  Summary         `json:"summary"`
	Sections []Section       `json:"sections"`
	Rivers   []River         `json:"rivers"`
	Basins   []River         `json:"basins"` // by river basin (流域); Code is the basin's name
	CWQI     CWQI            `json:"cwqi"`
	Drinking []DrinkingPoint `json:"drinking"`
	// Notes are what the reader must know about the data (an empty
	// registry, stored items not evaluated), in Chinese; NotesEN the same
	// notes in English, in the same order.
	Notes   []string `json:"notes,omitempty"`
	NotesEN []string `json:"notes_en,omitempty"`
}

// note adds a note in both languages.
func (r *Report) note(zh, en string) {
	r.Notes = append(r.Notes, zh)
	r.NotesEN = append(r.NotesEN, en)
}

// Summary is the assessed (national and provincial) sections together.
type Summary struct {
	Sections   int      `json:"sections"`  // assessed sections
	Evaluated  int      `json:"evaluated"` // with data in the period
	ByClass    [6]int   `json:"by_class"`  // Ⅰ, Ⅱ, Ⅲ, Ⅳ, Ⅴ, 劣Ⅴ
	GoodShare  float64  `json:"good_share"`
	WorseV     float64  `json:"worse_v_share"`
	Meeting    int      `json:"meeting_target"`
	MeetShare  float64  `json:"meeting_share"`
	Status     string   `json:"status"`
	StatusEN   string   `json:"status_en"`
	BaseGood   *float64 `json:"base_good_share,omitempty"` // absent when the base period has no data
	BaseWorseV *float64 `json:"base_worse_v_share,omitempty"`
	Change     string   `json:"change,omitempty"` // vs the base period
}

// ItemValue is a section's period value of one item and its class.
type ItemValue struct {
	Item  string  `json:"item"`
	Value float64 `json:"value"`
	Class int     `json:"class,omitempty"` // 0 for items without classes
}

// Pollutant is a main pollutant with its exceedance multiple over the
// class Ⅲ limit (absent for pH and DO).
type Pollutant struct {
	Item     string   `json:"item"`
	Class    int      `json:"class"`
	Multiple *float64 `json:"multiple,omitempty"`
}

// Section is one section's evaluation.
type Section struct {
	Code           string      `json:"code"`
	Name           string      `json:"name"`
	Level          string      `json:"level"`
	River          string      `json:"river"`
	RiverName      string      `json:"river_name"`
	County         string      `json:"county"`
	CountyName     string      `json:"county_name"`
	Body           string      `json:"body"`
	Automatic      bool        `json:"automatic"`
	Target         int         `json:"target"`
	TargetLabel    string      `json:"target_label"`
	Class          int         `json:"class"` // 0: no data
	Label          string      `json:"label"`
	Status         string      `json:"status,omitempty"`
	Meets          bool        `json:"meets_target"`
	Samples        int         `json:"samples"`
	Values         []ItemValue `json:"values"`
	MainPollutants []Pollutant `json:"main_pollutants"`
	Missing        []string    `json:"missing,omitempty"` // evaluation items without data
	CWQI           *float64    `json:"cwqi,omitempty"`
	Rank           int         `json:"cwqi_rank,omitempty"`
	BaseClass      int         `json:"base_class,omitempty"`
	BaseCWQI       *float64    `json:"base_cwqi,omitempty"`
	Change         string      `json:"change,omitempty"`
	ChangeRate     *float64    `json:"cwqi_change_rate,omitempty"` // percent; below 0 is better

	sample water.Sample
	has    bool
}

// River is a river's (or lake's) evaluation from its sections.
type River struct {
	Code           string     `json:"code"`
	Name           string     `json:"name"`
	Basin          string     `json:"basin,omitempty"`
	Sections       int        `json:"sections"`
	Method         string     `json:"method"` // "average" below 5 sections, "proportion" from 5
	Class          int        `json:"class,omitempty"`
	Status         string     `json:"status"`
	ByClass        [6]int     `json:"by_class"`
	GoodShare      float64    `json:"good_share"`
	MainPollutants []ItemRate `json:"main_pollutants"`
	BaseStatus     string     `json:"base_status,omitempty"`
	Change         string     `json:"change,omitempty"`

	status water.Status
}

// ItemRate is an item with the share of sections worse than class Ⅲ.
type ItemRate struct {
	Item string  `json:"item"`
	Rate float64 `json:"rate"`
}

// CWQI is the city's index and the rankings.
type CWQI struct {
	City       float64   `json:"city"`
	River      float64   `json:"river"`
	Lake       float64   `json:"lake"`
	NRiver     int       `json:"n_river"`
	NLake      int       `json:"n_lake"`
	Base       *float64  `json:"base,omitempty"`
	ChangeRate *float64  `json:"change_rate,omitempty"` // percent; below 0 is better
	Counties   []County  `json:"counties"`
	Sections   []Ranking `json:"sections"`
}

// County is a county's CWQI over its sections with data, ranked (1 =
// best, the lowest index).
type County struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Sections   int      `json:"sections"`
	CWQI       float64  `json:"cwqi"`
	Rank       int      `json:"rank"`
	Base       *float64 `json:"base,omitempty"`
	ChangeRate *float64 `json:"change_rate,omitempty"`
}

// Ranking is a section's place in the CWQI ranking.
type Ranking struct {
	Rank       int      `json:"rank"`
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	CWQI       float64  `json:"cwqi"`
	ChangeRate *float64 `json:"change_rate,omitempty"`
}

// DrinkingPoint is a drinking-water source's evaluation: class Ⅲ by table
// 1 plus the table 2 and 3 items.
type DrinkingPoint struct {
	Code       string      `json:"code"`
	Name       string      `json:"name"`
	County     string      `json:"county"`
	CountyName string      `json:"county_name"`
	Samples    int         `json:"samples"`
	Class      int         `json:"class"`
	Label      string      `json:"label"`
	MeetsIII   bool        `json:"meets_iii"`
	Pass       bool        `json:"pass"`
	Failed     []string    `json:"failed,omitempty"`     // table 2/3 items above their limit
	Unmeasured []string    `json:"unmeasured,omitempty"` // monitored items (registry) without data
	Values     []ItemValue `json:"values"`
	BasePass   *bool       `json:"base_pass,omitempty"`
}

func round(x float64, dp int) float64 {
	p := math.Pow(10, float64(dp))
	return math.Round(x*p) / p
}

func fptr(x float64) *float64 { return &x }

// Build computes the report of period p.
func Build(ctx context.Context, st Store, p chinatime.Period, o Options) (*Report, error) {
	if !p.Valid() {
		return nil, fmt.Errorf("water report: %+v is not a period", p)
	}
	reg, err := st.Registry(ctx)
	if err != nil {
		return nil, fmt.Errorf("water report: %w", err)
	}
	w, err := st.WaterRegistry(ctx)
	if err != nil {
		return nil, fmt.Errorf("water report: %w", err)
	}
	base := p.LastYear()
	if o.Compare == "prev" {
		base = p.Previous()
	} else if o.Compare != "" && o.Compare != "yoy" {
		return nil, fmt.Errorf("water report: compare %q: want yoy or prev", o.Compare)
	}
	cur, err := evaluate(ctx, st, reg, w, p)
	if err != nil {
		return nil, err
	}
	old, err := evaluate(ctx, st, reg, w, base)
	if err != nil {
		return nil, err
	}
	compare(cur, old)
	cur.Base = base.String()
	return cur, nil
}

// evaluate computes one period without comparison.
func evaluate(ctx context.Context, st Store, reg *model.Registry, w *model.WaterRegistry, p chinatime.Period) (*Report, error) {
	r := &Report{Period: p.String(), From: p.Start().UTC(), To: p.End().UTC(),
		Sections: []Section{}, Rivers: []River{}, Basins: []River{}, Drinking: []DrinkingPoint{}}
	points := make([]string, 0, len(w.Sections)+len(w.Sources))
	for _, s := range w.Sections {
		points = append(points, s.Code)
	}
	for _, s := range w.Sources {
		points = append(points, s.Code)
	}
	if len(points) == 0 {
		r.note("水质点位登记中没有断面或水源地", "the water registry has no sections or sources")
		return r, nil
	}
	samples, err := st.WaterSamples(ctx, store.WaterSampleQuery{Points: points, From: p.Start(), To: p.End()})
	if err != nil {
		return nil, fmt.Errorf("water report: %w", err)
	}
	period, counts := periodSamples(samples, p, r)
	countyName := map[string]string{}
	for _, c := range reg.Counties {
		countyName[c.Code] = c.Name
	}
	riverOf := map[string]model.River{}
	for _, rv := range w.Rivers {
		riverOf[rv.Code] = rv
	}
	opts := water.Options{Rounding: water.RoundAssessment}
	for _, ws := range w.Sections {
		s := Section{Code: ws.Code, Name: ws.Name, Level: ws.Level, River: ws.River, RiverName: riverOf[ws.River].Name,
			County: ws.County, CountyName: countyName[ws.County], Body: ws.Body, Automatic: ws.Automatic,
			Target: ws.Target, TargetLabel: water.Class(ws.Target).Label(), Values: []ItemValue{}, MainPollutants: []Pollutant{}}
		s.sample, s.has = period[ws.Code]
		s.Samples = counts[ws.Code]
		s.sample.Body = waterreg.BodyOf(ws.Body)
		if s.has {
			var res water.Result
			water.Classify(&s.sample, opts, &res)
			s.Class, s.Label = int(res.Class), res.Class.Label()
			if res.Class != water.ClassNone {
				s.Status = water.SectionStatus(res.Class).String()
				s.Meets = water.Meets(res.Class, water.Class(ws.Target))
			}
			s.Values = itemValues(&s.sample, &res)
			for _, mp := range res.MainPollutants(nil) {
				pp := Pollutant{Item: mp.Item.String(), Class: int(mp.Class)}
				if mp.HasMultiple {
					pp.Multiple = fptr(mp.Multiple.Float64())
				}
				s.MainPollutants = append(s.MainPollutants, pp)
			}
			s.Missing = res.Missing.Names()
			if ix := water.Index(&s.sample); ix.Evaluated != 0 {
				s.CWQI = fptr(round(ix.Value, 4))
			}
		}
		r.Sections = append(r.Sections, s)
	}
	summarize(r)
	rivers(r, w)
	cwqi(r, reg)
	drinking(r, w, period, counts, countyName)
	return r, nil
}

// periodSamples turns stored samples into each point's period sample:
// monthly means of each item, then the mean of the monthly means
// (环办〔2011〕22号; pH through [H+], below the detection limit as half
// of it: water.Mean).
func periodSamples(samples []model.WaterSample, p chinatime.Period, r *Report) (map[string]water.Sample, map[string]int) {
	type key struct{ point, item string }
	readings := map[key][]water.Reading{}
	counts := map[string]int{}
	unknown := map[string]bool{}
	for _, x := range samples {
		it, ok := water.LookupItem(x.Item)
		if !ok {
			unknown[x.Item] = true
			continue
		}
		v, err := water.ParseDec(x.Value)
		if err != nil {
			continue
		}
		k := key{x.Point, it.String()}
		readings[k] = append(readings[k], water.Reading{Time: x.Time.In(cst), Value: water.Value{V: v, BelowDL: x.BelowDL}})
		counts[x.Point]++
	}
	names := make([]string, 0, len(unknown))
	for name := range unknown {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r.note(fmt.Sprintf("已存的监测项目“%s”不在 GB 3838-2002 的项目中，未参与评价", name), fmt.Sprintf("stored item %q is unknown: not evaluated", name))
	}
	out := map[string]water.Sample{}
	first, last := months(p)
	for k, rs := range readings {
		it, _ := water.LookupItem(k.item)
		m, ok := water.PeriodMean(it, water.MonthlyMeans(it, rs), first, last)
		if !ok {
			continue
		}
		s := out[k.point]
		_ = s.Set(it, m)
		out[k.point] = s
	}
	return out, counts
}

func itemValues(s *water.Sample, res *water.Result) []ItemValue {
	out := []ItemValue{}
	for _, it := range s.Items().Items() {
		// The value as assessed: rounded with the item's assessment decimals.
		out = append(out, ItemValue{Item: it.String(), Value: res.Values[it].Float64(), Class: int(res.Items[it])})
	}
	return out
}

func assessed(s *Section) bool {
	return s.Level == model.SectionNational || s.Level == model.SectionProvincial
}

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return round(float64(n)*100/float64(total), 1)
}

func summarize(r *Report) {
	var t water.Tally
	sm := &r.Summary
	for i := range r.Sections {
		s := &r.Sections[i]
		if !assessed(s) {
			continue
		}
		sm.Sections++
		if s.Class == 0 {
			continue
		}
		sm.Evaluated++
		t.Add(water.Class(s.Class))
		sm.ByClass[s.Class-1]++
		if s.Meets {
			sm.Meeting++
		}
	}
	sm.GoodShare = round(t.GoodShare(), 1)
	sm.WorseV = round(t.WorseVShare(), 1)
	sm.MeetShare = share(sm.Meeting, sm.Evaluated)
	if sm.Evaluated > 0 {
		sm.Status, sm.StatusEN = t.Status().String(), t.Status().English()
	}
}

func rivers(r *Report, w *model.WaterRegistry) {
	basinOf := map[string]string{}
	var basins []string
	for _, rv := range w.Rivers {
		if rv.Basin != "" && !slices.Contains(basins, rv.Basin) {
			basins = append(basins, rv.Basin)
		}
		basinOf[rv.Code] = rv.Basin
		out, ok := evaluateGroup(r, rv.Code, rv.Name, rv.Basin, func(s *Section) bool { return s.River == rv.Code })
		if ok {
			r.Rivers = append(r.Rivers, out)
		}
	}
	for _, b := range basins {
		out, ok := evaluateGroup(r, b, b, b, func(s *Section) bool { return basinOf[s.River] == b })
		if ok {
			r.Basins = append(r.Basins, out)
		}
	}
}

// evaluateGroup evaluates the sections of a river or basin (环办〔2011〕
// 22号 二: the mean below 5 sections, class proportions from 5); ok is
// false when the group has no sections at all.
func evaluateGroup(r *Report, code, name, basin string, in func(*Section) bool) (River, bool) {
	var samples []water.Sample
	n := 0
	for i := range r.Sections {
		s := &r.Sections[i]
		if !in(s) {
			continue
		}
		n++
		if s.has && s.Class != 0 {
			samples = append(samples, s.sample)
		}
	}
	if n == 0 {
		return River{}, false
	}
	out := River{Code: code, Name: name, Basin: basin, Sections: len(samples), MainPollutants: []ItemRate{}}
	if len(samples) == 0 {
		out.Status = "no data"
		return out, true
	}
	res := water.EvaluateRiver(samples, water.Options{Rounding: water.RoundAssessment})
	out.Method = map[water.RiverMethod]string{water.ByAverage: "average", water.ByProportion: "proportion"}[res.Method]
	if res.Method == water.ByAverage {
		out.Class = int(res.Mean.Class)
	}
	out.Status, out.status = res.Status.String(), res.Status
	for c := 1; c <= 6; c++ {
		out.ByClass[c-1] = res.Tally.ByClass[c]
	}
	out.GoodShare = round(res.Tally.GoodShare(), 1)
	for _, ir := range res.MainPollutants {
		out.MainPollutants = append(out.MainPollutants, ItemRate{Item: ir.Item.String(), Rate: round(ir.Rate, 1)})
	}
	return out, true
}

func cwqi(r *Report, reg *model.Registry) {
	var rivers, lakes []water.Sample
	byCounty := map[string][2][]water.Sample{}
	for i := range r.Sections {
		s := &r.Sections[i]
		if s.CWQI == nil {
			continue
		}
		lake := s.sample.Body == water.Lake
		c := byCounty[s.County]
		if lake {
			c[1] = append(c[1], s.sample)
		} else {
			c[0] = append(c[0], s.sample)
		}
		byCounty[s.County] = c
		if !assessed(s) {
			continue
		}
		if lake {
			lakes = append(lakes, s.sample)
		} else {
			rivers = append(rivers, s.sample)
		}
	}
	ci := water.CityCWQI(rivers, lakes)
	r.CWQI = CWQI{City: round(ci.Value, 4), River: round(ci.River.Value, 4), Lake: round(ci.Lake.Value, 4),
		NRiver: ci.NRiver, NLake: ci.NLake, Counties: []County{}, Sections: []Ranking{}}
	for _, c := range reg.Counties {
		v, ok := byCounty[c.Code]
		if !ok {
			continue
		}
		x := water.CityCWQI(v[0], v[1])
		r.CWQI.Counties = append(r.CWQI.Counties, County{Code: c.Code, Name: c.Name, Sections: x.NRiver + x.NLake, CWQI: round(x.Value, 4)})
	}
	// Lower is better; ties share a rank, in code order.
	sort.SliceStable(r.CWQI.Counties, func(i, j int) bool { return r.CWQI.Counties[i].CWQI < r.CWQI.Counties[j].CWQI })
	for i := range r.CWQI.Counties {
		r.CWQI.Counties[i].Rank = i + 1
		if i > 0 && r.CWQI.Counties[i].CWQI == r.CWQI.Counties[i-1].CWQI {
			r.CWQI.Counties[i].Rank = r.CWQI.Counties[i-1].Rank
		}
	}
	for i := range r.Sections {
		if s := &r.Sections[i]; s.CWQI != nil {
			r.CWQI.Sections = append(r.CWQI.Sections, Ranking{Code: s.Code, Name: s.Name, CWQI: *s.CWQI})
		}
	}
	sort.SliceStable(r.CWQI.Sections, func(i, j int) bool { return r.CWQI.Sections[i].CWQI < r.CWQI.Sections[j].CWQI })
	rank := map[string]int{}
	for i := range r.CWQI.Sections {
		r.CWQI.Sections[i].Rank = i + 1
		if i > 0 && r.CWQI.Sections[i].CWQI == r.CWQI.Sections[i-1].CWQI {
			r.CWQI.Sections[i].Rank = r.CWQI.Sections[i-1].Rank
		}
		rank[r.CWQI.Sections[i].Code] = r.CWQI.Sections[i].Rank
	}
	for i := range r.Sections {
		r.Sections[i].Rank = rank[r.Sections[i].Code]
	}
}

func drinking(r *Report, w *model.WaterRegistry, period map[string]water.Sample, counts map[string]int, countyName map[string]string) {
	for _, src := range w.Sources {
		d := DrinkingPoint{Code: src.Code, Name: src.Name, County: src.County, CountyName: countyName[src.County],
			Samples: counts[src.Code], Values: []ItemValue{}}
		s, ok := period[src.Code]
		if ok {
			s.Body = waterreg.BodyOf(src.Body)
			res := water.EvaluateDrinking(&s, water.Options{Rounding: water.RoundAssessment})
			d.Class, d.Label = int(res.Section.Class), res.Section.Class.Label()
			d.MeetsIII, d.Pass = res.MeetsIII, res.Pass
			d.Failed = res.Failed.Names()
			d.Values = itemValues(&s, &res.Section)
		}
		for _, name := range src.Items {
			if it, ok2 := water.LookupItem(name); ok2 && !s.Items().Has(it) {
				d.Unmeasured = append(d.Unmeasured, it.String())
			}
		}
		r.Drinking = append(r.Drinking, d)
	}
}

func compareGroups(cur, base []River) {
	for i := range cur {
		for j := range base {
			if base[j].Code == cur[i].Code && base[j].Sections > 0 && cur[i].Sections > 0 {
				cur[i].BaseStatus = base[j].Status
				if ch, ok := water.StatusChange(base[j].status, cur[i].status); ok {
					cur[i].Change = ch.String()
				}
			}
		}
	}
}

// compare fills the changes of cur against the base period's report.
func compare(cur, base *Report) {
	var tc, tb water.Tally
	for i := range cur.Sections {
		s := &cur.Sections[i]
		b := &base.Sections[i] // same registry, same order
		if assessed(s) {
			if s.Class != 0 {
				tc.Add(water.Class(s.Class))
			}
			if b.Class != 0 {
				tb.Add(water.Class(b.Class))
			}
		}
		s.BaseClass, s.BaseCWQI = b.Class, b.CWQI
		if ch, ok := water.ClassChange(water.Class(b.Class), water.Class(s.Class)); ok && s.Class != 0 && b.Class != 0 {
			s.Change = ch.String()
		}
		if s.CWQI != nil && b.CWQI != nil {
			if cr, ok := water.ChangeRate(*s.CWQI, *b.CWQI); ok {
				s.ChangeRate = fptr(round(cr, 2))
			}
		}
	}
	if base.Summary.Evaluated > 0 {
		cur.Summary.BaseGood, cur.Summary.BaseWorseV = fptr(base.Summary.GoodShare), fptr(base.Summary.WorseV)
	}
	if tc.Total > 0 && tb.Total > 0 {
		if ch, ok := water.TallyChange(tb, tc); ok {
			cur.Summary.Change = ch.String()
		}
	}
	compareGroups(cur.Rivers, base.Rivers)
	compareGroups(cur.Basins, base.Basins)
	if base.CWQI.NRiver+base.CWQI.NLake > 0 {
		cur.CWQI.Base = fptr(base.CWQI.City)
		if cr, ok := water.ChangeRate(cur.CWQI.City, base.CWQI.City); ok && cur.CWQI.NRiver+cur.CWQI.NLake > 0 {
			cur.CWQI.ChangeRate = fptr(round(cr, 2))
		}
	}
	for i := range cur.CWQI.Counties {
		for _, b := range base.CWQI.Counties {
			if b.Code == cur.CWQI.Counties[i].Code {
				cur.CWQI.Counties[i].Base = fptr(b.CWQI)
				if cr, ok := water.ChangeRate(cur.CWQI.Counties[i].CWQI, b.CWQI); ok {
					cur.CWQI.Counties[i].ChangeRate = fptr(round(cr, 2))
				}
			}
		}
	}
	for i := range cur.CWQI.Sections {
		for _, s := range cur.Sections {
			if s.Code == cur.CWQI.Sections[i].Code {
				cur.CWQI.Sections[i].ChangeRate = s.ChangeRate
			}
		}
	}
	for i := range cur.Drinking {
		if base.Drinking[i].Samples > 0 {
			p := base.Drinking[i].Pass
			cur.Drinking[i].BasePass = &p
		}
	}
}
