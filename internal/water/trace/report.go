package trace

import (
	"fmt"
	"strings"
	"time"
)

// Report is the result of a tracing query (溯源报告). Numbers are rounded
// for reading; a piece of evidence that could not be computed has
// Available false, zero numbers and a Reason, never a guess.
type Report struct {
	Section       string    `json:"section"`
	SectionName   string    `json:"section_name,omitempty"`
	Factor        string    `json:"factor"`
	OutfallFactor string    `json:"outfall_factor"`
	Trigger       string    `json:"trigger"` // "exceedance" or "jump"
	Time          time.Time `json:"time"`
	Limit         float64   `json:"limit,omitempty"` // target limit, mg/L
	Threshold     float64   `json:"threshold"`       // what counted as anomalous
	// Exceeds is whether the section went past the threshold in the
	// window: without it there is no event, and the ranking is only a
	// what-if (the candidates are still weighed, for whoever asks).
	Exceeds    bool      `json:"exceeds"`
	Baseline   float64   `json:"baseline"` // median outside the event
	Peak       float64   `json:"peak"`
	PeakTime   time.Time `json:"peak_time"`
	EventStart time.Time `json:"event_start"`
	EventEnd   time.Time `json:"event_end"`
	FlowM3s    float64   `json:"flow_m3s,omitempty"` // discharge at the peak
	// EventMassKg is the excess mass that passed the section during the
	// event: Σ Q·(C − baseline)·Δt.
	EventMassKg float64 `json:"event_mass_kg"`
	HorizonH    float64 `json:"horizon_h"`
	WindowH     float64 `json:"window_h"`
	Weights     Weights `json:"weights"`

	// Sections: the target first, then the upstream sections nearest
	// first, with the mass balance of the stretch above each.
	Sections []SectionEvidence `json:"sections"`
	// Candidates ranked by score (at most Query.MaxCandidates); all
	// outfalls within the horizon were weighed: CandidatesTotal.
	Candidates      []Candidate `json:"candidates"`
	CandidatesTotal int         `json:"candidates_total"`
	// NoData lists the outfalls within the horizon without any data for
	// the factor: they could not be assessed.
	NoData []string `json:"no_data,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// SectionEvidence is what an upstream section (or the target) shows.
type SectionEvidence struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	TravelH  float64  `json:"travel_time_h"`
	Down     string   `json:"down,omitempty"`     // next section downstream
	Upstream []string `json:"upstream,omitempty"` // sections bounding the stretch above
	// The section's series against the target's: best correlation and its
	// lag within the travel time ± tolerance.
	R     float64 `json:"r"`
	LagH  float64 `json:"lag_h"`
	Pairs int     `json:"pairs,omitempty"`
	// EventMassKg is the excess mass that passed this section in the
	// aligned event.
	Available   bool    `json:"available"`
	Reason      string  `json:"reason,omitempty"`
	EventMassKg float64 `json:"event_mass_kg"`
	// Mass balance of the stretch between the upstream sections and this
	// one: the increment and its share of the target's event mass.
	IncrementKnown  bool    `json:"increment_known"`
	IncrementReason string  `json:"increment_reason,omitempty"`
	IncrementKg     float64 `json:"increment_kg"`
	Share           float64 `json:"share"`
}

// Candidate is an upstream outfall with its evidence.
type Candidate struct {
	Rank       int      `json:"rank"`
	Outfall    string   `json:"outfall"`
	Name       string   `json:"name,omitempty"`
	Enterprise string   `json:"enterprise,omitempty"`
	Outlet     string   `json:"outlet,omitempty"`
	Device     string   `json:"device,omitempty"`
	Reach      string   `json:"reach"`
	Segment    string   `json:"segment"` // nearest section downstream
	Score      float64  `json:"score"`
	TravelH    float64  `json:"travel_time_h"`
	DistanceKm float64  `json:"distance_km"`
	Path       []string `json:"path"` // reaches down to the target's

	Time        TimeEvidence        `json:"travel_time"`
	Exceedance  ExceedanceEvidence  `json:"exceedance"`
	Correlation CorrelationEvidence `json:"correlation"`
	Load        LoadEvidence        `json:"load"`
	MassBalance MassBalanceEvidence `json:"mass_balance"`
	// Missing names the data the outfall lacks ("concentration", "flow",
	// "event data").
	Missing []string `json:"missing,omitempty"`

	noData bool
}

// TimeEvidence: travel-time plausibility. The lag range is the window in
// which a discharge must have happened to reach the section in the event.
type TimeEvidence struct {
	Score   float64   `json:"score"`
	LagMinH float64   `json:"lag_min_h"`
	LagMaxH float64   `json:"lag_max_h"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
}

// ExceedanceEvidence: the outfall's hours above its own limit against the
// section's anomalous hours, aligned at the lag.
type ExceedanceEvidence struct {
	Available    bool    `json:"available"`
	Reason       string  `json:"reason,omitempty"`
	Score        float64 `json:"score"`
	Limit        float64 `json:"limit,omitempty"`
	Hours        int     `json:"hours"`         // outfall hours above its limit in the window
	SectionHours int     `json:"section_hours"` // section anomalous hours
	Overlap      int     `json:"overlap"`       // both, aligned
	Jaccard      float64 `json:"jaccard"`
}

// CorrelationEvidence: the best Pearson correlation between the outfall's
// load (or concentration without flow) and the section's series at a lag
// within the travel time ± tolerance.
type CorrelationEvidence struct {
	Available bool    `json:"available"`
	Reason    string  `json:"reason,omitempty"`
	Score     float64 `json:"score"`
	R         float64 `json:"r"`
	LagH      float64 `json:"lag_h"`
	Pairs     int     `json:"pairs"`
	OnLoad    bool    `json:"on_load"`
}

// LoadEvidence: the outfall's excess mass discharged in the aligned event
// (Σ (Q·C − baseline)·Δt) and its share of the target's event mass.
type LoadEvidence struct {
	Available   bool    `json:"available"`
	Reason      string  `json:"reason,omitempty"`
	Score       float64 `json:"score"`
	EventMassKg float64 `json:"event_mass_kg"`
	Share       float64 `json:"share"`
}

// MassBalanceEvidence: the increment of event mass over the stretch that
// holds the outfall (between Upstream sections and Segment).
type MassBalanceEvidence struct {
	Available   bool     `json:"available"`
	Reason      string   `json:"reason,omitempty"`
	Score       float64  `json:"score"`
	Segment     string   `json:"segment"`
	Upstream    []string `json:"upstream,omitempty"`
	IncrementKg float64  `json:"increment_kg"`
	Share       float64  `json:"share"`
}

const textTime = "2006-01-02 15:04"

// Text renders the report for reading: Chinese first, then English.
func (r *Report) Text() string {
	var b strings.Builder
	r.text(&b, true)
	b.WriteString("\n")
	r.text(&b, false)
	return b.String()
}

func (r *Report) text(b *strings.Builder, zh bool) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	pick := func(c, e string) string {
		if zh {
			return c
		}
		return e
	}
	name := r.Section
	if r.SectionName != "" {
		name += " " + r.SectionName
	}
	p("%s %s %s\n", pick("污染溯源报告 断面", "Pollution tracing report, section"), name, r.Factor)
	trig := pick("超标", "exceedance")
	if r.Trigger == "jump" {
		trig = pick("异常跳变", "jump")
	}
	p("%s: %s %s, %s %s, %s %s %s\n",
		pick("触发", "Trigger"), trig, r.Time.Format(textTime),
		pick("阈值", "threshold"), num(r.Threshold),
		pick("峰值", "peak"), num(r.Peak), r.PeakTime.Format(textTime))
	p("%s %s, %s %s – %s, %s %s kg",
		pick("背景", "baseline"), num(r.Baseline),
		pick("事件", "event"), r.EventStart.Format(textTime), r.EventEnd.Format(textTime),
		pick("超出背景的通量", "excess mass"), num(r.EventMassKg))
	if r.FlowM3s > 0 {
		p(", %s %s m³/s", pick("流量", "discharge"), num(r.FlowM3s))
	}
	p("\n%s %s h; %s %d, %s %d\n",
		pick("回溯时限", "Horizon"), num(r.HorizonH),
		pick("上游排口", "upstream outfalls"), r.CandidatesTotal,
		pick("无数据", "without data"), len(r.NoData))
	if len(r.NoData) > 0 {
		p("  %s: %s\n", pick("无数据、未能评估的排口", "not assessed for lack of data"), strings.Join(r.NoData, ", "))
	}
	for _, n := range r.Notes {
		c, e, _ := strings.Cut(n, " / ")
		p("  %s\n", pick(c, e))
	}
	if len(r.Sections) > 1 {
		p("%s:\n", pick("断面质量平衡", "Section mass balance"))
		for _, s := range r.Sections {
			p("  %s", s.ID)
			if s.Down != "" {
				p(" (%s %s h, %s %s)", pick("至目标断面", "to the target"), num(s.TravelH), pick("下游断面", "next section down"), s.Down)
			}
			if s.Available {
				p(": %s %s kg", pick("事件通量", "event mass"), num(s.EventMassKg))
				if s.Down != "" {
					p(", r=%s %s %s h", num(s.R), pick("滞后", "lag"), num(s.LagH))
				}
			} else {
				p(": %s", half(s.Reason, zh))
			}
			if s.IncrementKnown {
				up := pick("上游", "upstream") // no section above within the horizon
				if len(s.Upstream) > 0 {
					up = strings.Join(s.Upstream, "+")
				}
				p("; %s %s→%s %s kg (%s%%)", pick("区间增量", "increment"), up, s.ID, num(s.IncrementKg), num(100*s.Share))
			}
			p("\n")
		}
	}
	for _, c := range r.Candidates {
		p("#%d %s", c.Rank, c.Outfall)
		if c.Name != "" {
			p(" %s", c.Name)
		}
		var ids []string
		for _, x := range []struct{ k, v string }{{pick("企业", "enterprise"), c.Enterprise}, {pick("排口", "outlet"), c.Outlet}, {pick("设备", "device"), c.Device}} {
			if x.v != "" {
				ids = append(ids, x.k+" "+x.v)
			}
		}
		if len(ids) > 0 {
			p(" (%s)", strings.Join(ids, ", "))
		}
		p(" %s %s\n", pick("得分", "score"), num(c.Score))
		p("  %s %s h, %s km, %s %s; %s %s – %s\n",
			pick("传播时间", "travel time"), num(c.TravelH), num(c.DistanceKm),
			pick("路径", "path"), strings.Join(c.Path, "→"),
			pick("应排放于", "discharge expected"), c.Time.From.Format(textTime), c.Time.To.Format(textTime))
		if x := c.Exceedance; x.Available {
			p("  %s %d h (%s %s), %s %d h, %s %d h, Jaccard %s\n",
				pick("排口超标", "outfall above its limit"), x.Hours, pick("限值", "limit"), num(x.Limit),
				pick("断面异常", "section anomalous"), x.SectionHours, pick("重叠", "overlap"), x.Overlap, num(x.Jaccard))
		} else {
			p("  %s: %s\n", pick("超标重叠", "exceedance overlap"), half(x.Reason, zh))
		}
		if x := c.Correlation; x.Available {
			on := pick("浓度", "concentration")
			if x.OnLoad {
				on = pick("负荷", "load")
			}
			p("  %s (%s) r=%s, %s %s h, n=%d\n", pick("滞后相关", "lagged correlation"), on, num(x.R), pick("滞后", "lag"), num(x.LagH), x.Pairs)
		} else {
			p("  %s: %s\n", pick("滞后相关", "lagged correlation"), half(x.Reason, zh))
		}
		if x := c.Load; x.Available {
			p("  %s %s kg, %s %s%%\n", pick("事件排放量", "event discharge"), num(x.EventMassKg), pick("占断面通量", "of the section's excess"), num(100*x.Share))
		} else {
			p("  %s: %s\n", pick("负荷", "load"), half(x.Reason, zh))
		}
		if x := c.MassBalance; x.Available {
			p("  %s %s: %s kg (%s%%)\n", pick("质量平衡 区间", "mass balance, stretch above"), x.Segment, num(x.IncrementKg), num(100*x.Share))
		} else {
			p("  %s: %s\n", pick("质量平衡", "mass balance"), half(x.Reason, zh))
		}
	}
}

// half picks the Chinese or English half of a "中文 / English" reason.
func half(s string, zh bool) string {
	c, e, ok := strings.Cut(s, " / ")
	if !ok {
		return s
	}
	if zh {
		return c
	}
	return e
}

func num(x float64) string { return fmt.Sprintf("%.4g", x) }
