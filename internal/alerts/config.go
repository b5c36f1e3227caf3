package alerts

import (
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Rule names an alert rule.
type Rule uint8

// Rules. Series rules keep their state per series, RuleOffline per device.
const (
	RuleExceedance         Rule = iota + 1 // hourly (or daily) mean over the outlet's limit
	RuleFlagOveruse                        // M and C flags over a share of the values in a window
	RuleFlatLine                           // the same value for N intervals
	RuleStep                               // implausible jump between consecutive values
	RulePinned                             // values pinned just under the limit
	RuleTreatmentOff                       // treatment equipment off while production runs
	RuleTreatmentUnderload                 // treatment equipment under-loaded while production runs
	RuleRestricted                         // production inside a restricted window
	RuleOffline                            // device silent for too long
	RuleNearDetection                      // values long at the analyser's detection limit (sign 20)
	RuleNarrowBand                         // values long within 2 % of the measuring range (sign 22)
	numRules
)

func (r Rule) String() string {
	switch r {
	case RuleExceedance:
		return "exceedance"
	case RuleFlagOveruse:
		return "flag-overuse"
	case RuleFlatLine:
		return "flat-line"
	case RuleStep:
		return "step"
	case RulePinned:
		return "pinned"
	case RuleTreatmentOff:
		return "treatment-off"
	case RuleTreatmentUnderload:
		return "treatment-underload"
	case RuleRestricted:
		return "restricted"
	case RuleOffline:
		return "offline"
	case RuleNearDetection:
		return "near-detection-limit"
	case RuleNarrowBand:
		return "narrow-band"
	}
	return "unknown"
}

// CaseSource is the cases.Source of a case a rule opens: electricity
// sub-meter rules give "electricity-alert", the others "online-alert".
func (r Rule) CaseSource() string {
	switch r {
	case RuleTreatmentOff, RuleTreatmentUnderload, RuleRestricted:
		return "electricity-alert"
	}
	return "online-alert"
}

// Timing is how a rule deduplicates, cools down and escalates.
//
// A rule that starts firing opens an episode and emits NotifySelfCheck
// (the enterprise is asked to check itself). While it fires it emits
// nothing more. When it has fired for Persist since the episode started,
// or for PersistCount consecutive observations (for exceedance: hours),
// it emits OpenCase once per episode (the county's enforcement staff get a
// case). When the condition clears the episode ends; if it fires again
// within CoolDown of that end, the old episode resumes (same start, no new
// notice, no second case), so a flapping condition is one problem, not
// many. A zero Persist or PersistCount disables that criterion.
type Timing struct {
	CoolDown     time.Duration `json:"cool_down" yaml:"cool_down"`
	Persist      time.Duration `json:"persist" yaml:"persist"`
	PersistCount int           `json:"persist_count" yaml:"persist_count"`
}

// Run is how long the condition of a screening rule (signs 20 and 22)
// must hold before the rule fires: a run of consecutive valid values that
// has lasted Duration, with at least MinCount values (a single value
// never makes a run). A zero Duration disables the rule.
type Run struct {
	Duration time.Duration `json:"duration" yaml:"duration"`
	MinCount int           `json:"min_count" yaml:"min_count"`
}

// Config holds the thresholds of every rule. Thresholds that no standard
// fixes are our defaults (DefaultConfig), to be set by the bureau.
type Config struct {
	Exceedance Timing `json:"exceedance" yaml:"exceedance"`

	Offline struct {
		After time.Duration `json:"after" yaml:"after"` // silent longer than this
		Timing
	} `json:"offline" yaml:"offline"`

	FlagOveruse struct {
		Window   time.Duration `json:"window" yaml:"window"`
		Share    float64       `json:"share" yaml:"share"`         // fires when M+C values exceed this share
		MinCount int           `json:"min_count" yaml:"min_count"` // values needed in the window to judge
		Timing
	} `json:"flag_overuse" yaml:"flag_overuse"`

	FlatLine struct {
		N          int  `json:"n" yaml:"n"`                     // equal consecutive values that fire
		IgnoreZero bool `json:"ignore_zero" yaml:"ignore_zero"` // zeros (below detection, stopped) are not suspicious
		Timing
	} `json:"flat_line" yaml:"flat_line"`

	Step struct {
		// Factor times the series' upper limit is the largest plausible jump
		// between consecutive values; SeriesSpec.MaxStep overrides it.
		Factor float64 `json:"factor" yaml:"factor"`
		Timing
	} `json:"step" yaml:"step"`

	Pinned struct {
		Band     float64       `json:"band" yaml:"band"`   // values in [limit×(1-Band), limit] are "just under"
		Share    float64       `json:"share" yaml:"share"` // fires when at least this share of valid values is just under
		Window   time.Duration `json:"window" yaml:"window"`
		MinCount int           `json:"min_count" yaml:"min_count"`
		Timing
	} `json:"pinned" yaml:"pinned"`

	// NearDetection screens for sign 20 of the list of falsification
	// signs (marking.Signs): data long hovering around the analyser's
	// detection limit. A valid value is "at the detection limit" when it is
	// at most Factor × the limit (values at or below it included: analysers
	// report those as the limit, half of it or 0); the rule fires once the
	// values have all been so for Duration (and at least MinCount of them).
	// Only series whose analyser has a detection limit are screened.
	NearDetection struct {
		Factor float64 `json:"factor" yaml:"factor"`
		Run
		Timing
	} `json:"near_detection" yaml:"near_detection"`

	// NarrowBand screens for sign 22: data long varying within 2 % of the
	// measuring range. It fires once the values of Duration (at least
	// MinCount) all lie within a band of Share × (range top − range
	// bottom). Only series whose analyser has a range and a detection
	// limit (a concentration analyser) are screened: pH, oxygen and flow
	// run in narrow bands by nature.
	NarrowBand struct {
		Share float64 `json:"share" yaml:"share"`
		Run
		Timing
	} `json:"narrow_band" yaml:"narrow_band"`

	Electric struct {
		MaxAge     time.Duration `json:"max_age" yaml:"max_age"` // older meter readings are not used
		Off        Timing        `json:"off" yaml:"off"`
		Underload  Timing        `json:"underload" yaml:"underload"`
		Restricted Timing        `json:"restricted" yaml:"restricted"`
	} `json:"electric" yaml:"electric"`

	// Buckets is the resolution of the share windows: a window is a ring of
	// this many buckets, so shares move in steps of Window/Buckets.
	Buckets int `json:"buckets" yaml:"buckets"`

	// EmitResolved adds a Resolved outcome when an episode ends.
	EmitResolved bool `json:"emit_resolved" yaml:"emit_resolved"`

	// CaseGap is the quiet time that ends an outlet's episode for the
	// closed loop: another factor of the outlet firing within it extends
	// the open case of the episode instead of opening one more (0: 24 h).
	CaseGap time.Duration `json:"case_gap" yaml:"case_gap"`
}

// DefaultConfig returns our default thresholds. None of them is set by a
// standard; they follow the practice of provincial platforms (a notice
// first, a case when the problem persists) and are meant to be tuned.
func DefaultConfig() Config {
	var c Config
	c.Exceedance = Timing{CoolDown: 6 * time.Hour, PersistCount: 3} // 3 consecutive hours over the limit: a case
	c.Offline.After = 2 * time.Hour
	c.Offline.Timing = Timing{CoolDown: time.Hour, Persist: 24 * time.Hour}
	c.FlagOveruse.Window = 7 * 24 * time.Hour
	c.FlagOveruse.Share = 0.10
	c.FlagOveruse.MinCount = 24
	c.FlagOveruse.Timing = Timing{CoolDown: 24 * time.Hour, Persist: 3 * 24 * time.Hour}
	c.FlatLine.N = 12
	c.FlatLine.IgnoreZero = true
	c.FlatLine.Timing = Timing{CoolDown: 12 * time.Hour, Persist: 24 * time.Hour}
	c.Step.Factor = 2
	c.Step.Timing = Timing{CoolDown: 24 * time.Hour, PersistCount: 3}
	c.Pinned.Band = 0.10
	c.Pinned.Share = 0.80
	c.Pinned.Window = 3 * 24 * time.Hour
	c.Pinned.MinCount = 24
	c.Pinned.Timing = Timing{CoolDown: 24 * time.Hour, Persist: 3 * 24 * time.Hour}
	// Signs 20 and 22: the list says "长期" (for long) without a figure.
	// Three days at the detection limit and a week within 2 % of the
	// range for the notice, three more days for a case: on the demo's
	// simulated plants (steadier than real ones) a day within 2 % sent
	// 2,327 notices in 14 days to 510 devices, a week 176 in 21 days
	// (README, Data marking and transmission rates).
	c.NearDetection.Factor = 1.5
	c.NearDetection.Duration = 3 * 24 * time.Hour
	c.NearDetection.MinCount = 48
	c.NearDetection.Timing = Timing{CoolDown: 24 * time.Hour, Persist: 3 * 24 * time.Hour}
	c.NarrowBand.Share = 0.02
	c.NarrowBand.Duration = 7 * 24 * time.Hour
	c.NarrowBand.MinCount = 120
	c.NarrowBand.Timing = Timing{CoolDown: 24 * time.Hour, Persist: 3 * 24 * time.Hour}
	c.Electric.MaxAge = 30 * time.Minute
	c.Electric.Off = Timing{CoolDown: time.Hour, Persist: 2 * time.Hour}
	c.Electric.Underload = Timing{CoolDown: time.Hour, Persist: 4 * time.Hour}
	c.Electric.Restricted = Timing{CoolDown: time.Hour, Persist: 2 * time.Hour}
	c.Buckets = 24
	c.CaseGap = 24 * time.Hour
	return c
}

// Periods of a series besides model.PeriodHour and model.PeriodDay.
const (
	PeriodMinute   = "minute"   // CN 2051
	PeriodRealtime = "realtime" // CN 2011
)

// SeriesKey identifies a series: one field of one factor of one device,
// at one period. Field is the HJ 212 field: Avg for the measured hourly or
// daily mean, ZsAvg for the converted one (折算), Rtd for real-time, Pt for
// the active power of an electricity sub-meter.
type SeriesKey struct {
	MN         string `json:"mn"`
	Outlet     string `json:"outlet,omitempty"`
	Enterprise string `json:"enterprise,omitempty"`
	County     string `json:"county,omitempty"`
	Factor     string `json:"factor"`
	Field      string `json:"field"`
	Period     string `json:"period"`
}

// SeriesSpec configures one series.
type SeriesSpec struct {
	Key SeriesKey
	// Limits of the outlet (model.Outlet.Limits); the one whose pollutant
	// is the factor, whose kind fits the field (converted for Zs fields)
	// and whose period is the series' applies.
	Limits []model.Limit
	// Interval is the expected time between values; zero takes it from the
	// period (hour 3600 s, day 86400 s, minute 600 s, realtime 30 s).
	Interval time.Duration
	// MaxStep, when positive, is the largest plausible jump between
	// consecutive values (instead of Step.Factor × limit).
	MaxStep float64
	// Analyser is the device's analyser of the factor (registry), whose
	// detection limit and measuring range the rules of signs 20 and 22
	// need; nil: the series is not screened for them.
	Analyser *model.DeviceFactor
}

// MeterGroup is an enterprise's electricity sub-meters (分表计电): the
// production equipment and the treatment (pollution control) equipment
// whose power is metered, each a series (Field Pt).
type MeterGroup struct {
	Enterprise string
	County     string
	// Class selects the restricted-window schedules (e.g. "steel-B",
	// "filling-station", "construction-site").
	Class          string
	Production     []SeriesID
	ProductionOnKW float64 // production runs when a production meter reads at least this
	Treatment      []TreatmentMeter
}

// TreatmentMeter is one treatment equipment meter: off below OffKW,
// under-loaded below MinKW (typically a share of its rated power).
type TreatmentMeter struct {
	Series SeriesID
	OffKW  float64
	MinKW  float64
}

// Schedule restricts production for a class of enterprises over a date
// range: staggered production (错峰生产), staggered refuelling for filling
// stations (错峰加油/卸油), staggered construction (错峰施工). From and To are
// days in China Standard Time, both included. Windows are the restricted
// times of each day; none means the whole day.
type Schedule struct {
	Class   string
	Kind    string // "production", "refuelling", "construction": for display
	From    time.Time
	To      time.Time
	Windows []DayWindow
}

// DayWindow is a time of day in China Standard Time, in minutes after
// midnight: [Start, End). Start > End crosses midnight (22:00-06:00); the
// part after midnight is judged by the date of that next day, so a night
// window on a schedule's last day ends at midnight.
type DayWindow struct {
	Start int `json:"start" yaml:"start"`
	End   int `json:"end" yaml:"end"`
}
