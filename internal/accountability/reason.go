package accountability

import (
	"fmt"
	"regexp"
	"strconv"
)

// why is what made a trigger rule fire, in figures; text writes it in
// Chinese or English, so the two always say the same thing.
type why struct {
	Predicate Predicate
	Indicator Indicator
	Value     float64
	Target    float64
	Rank      int // on Indicator (on AirIndex for BottomBoth)
	Rank2     int // on AirIndexChange, BottomBoth only
	N         int // "among the last N"
}

// text is the reason in English when en, else in Chinese (the wording
// stored since the first firings: ParseReason reads it back).
func (w why) text(en bool) string {
	info := indicatorInfo[w.Indicator]
	val := func(v float64) string { return fmtVal(w.Indicator, v) }
	withUnit := func(v float64) string { return val(v) + info.unit }
	switch w.Predicate {
	case BottomBoth:
		if en {
			return fmt.Sprintf("air quality index ranked %d and its improvement ranked %d, both among the last %d", w.Rank, w.Rank2, w.N)
		}
		return fmt.Sprintf("综合指数排名第%d、改善幅度排名第%d,均列后%d位", w.Rank, w.Rank2, w.N)
	case Bottom:
		if en {
			return fmt.Sprintf("%s ranked %d, among the last %d", info.en, w.Rank, w.N)
		}
		return fmt.Sprintf("%s排名第%d,列后%d位", info.zh, w.Rank, w.N)
	case Deteriorated:
		if en {
			return fmt.Sprintf("%s %s, worse than a year before", info.en, withUnit(w.Value))
		}
		return fmt.Sprintf("%s为%s,同比恶化", info.zh, val(w.Value))
	case TargetMissed:
		if en {
			return fmt.Sprintf("%s %s, target %s not met", info.en, withUnit(w.Value), withUnit(w.Target))
		}
		return fmt.Sprintf("%s为%s,未完成目标%s", info.zh, val(w.Value), val(w.Target))
	}
	return ""
}

// The Chinese reasons why.text writes, read back by ParseReason.
var (
	reBottomBoth   = regexp.MustCompile(`^综合指数排名第(\d+)、改善幅度排名第(\d+),均列后(\d+)位$`)
	reBottom       = regexp.MustCompile(`^(.+)排名第(\d+),列后(\d+)位$`)
	reDeteriorated = regexp.MustCompile(`^(.+)为(-?[0-9.]+),同比恶化$`)
	reTargetMissed = regexp.MustCompile(`^(.+)为(-?[0-9.]+),未完成目标(-?[0-9.]+)$`)
)

// parseReason reads a Chinese reason written by why.text back into its
// figures; false for any other text.
func parseReason(zh string) (why, bool) {
	ind := func(name string) (Indicator, bool) {
		for i, info := range indicatorInfo {
			if info.zh == name {
				return i, true
			}
		}
		return "", false
	}
	num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	atoi := func(s string) int { v, _ := strconv.Atoi(s); return v }
	if m := reBottomBoth.FindStringSubmatch(zh); m != nil {
		return why{Predicate: BottomBoth, Rank: atoi(m[1]), Rank2: atoi(m[2]), N: atoi(m[3])}, true
	}
	if m := reBottom.FindStringSubmatch(zh); m != nil {
		if i, ok := ind(m[1]); ok {
			return why{Predicate: Bottom, Indicator: i, Rank: atoi(m[2]), N: atoi(m[3])}, true
		}
	}
	if m := reDeteriorated.FindStringSubmatch(zh); m != nil {
		if i, ok := ind(m[1]); ok {
			return why{Predicate: Deteriorated, Indicator: i, Value: num(m[2])}, true
		}
	}
	if m := reTargetMissed.FindStringSubmatch(zh); m != nil {
		if i, ok := ind(m[1]); ok {
			return why{Predicate: TargetMissed, Indicator: i, Value: num(m[2]), Target: num(m[3])}, true
		}
	}
	return why{}, false
}

// EnglishReason is the English of a Chinese reason as Evaluate writes it
// (for firings stored before ReasonEN was); "" when zh is not one.
func EnglishReason(zh string) string {
	w, ok := parseReason(zh)
	if !ok {
		return ""
	}
	return w.text(true)
}

// ReasonIn is the firing's reason in lang ("en" or Chinese). An English
// reason missing from a firing stored before ReasonEN existed is derived
// from the Chinese; when that cannot be read, the Chinese is returned and
// translated is false, so the caller can mark it.
func (f Firing) ReasonIn(lang string) (reason string, translated bool) {
	if lang != "en" {
		return f.Reason, true
	}
	if f.ReasonEN != "" {
		return f.ReasonEN, true
	}
	if en := EnglishReason(f.Reason); en != "" {
		return en, true
	}
	return f.Reason, f.Reason == ""
}
