package water

import "math/bits"

// Status is the qualitative water-quality status (水质状况) of a section,
// river or basin (环办〔2011〕22号, 二 评价方法).
type Status uint8

// Statuses, best first.
const (
	StatusNone      Status = iota
	StatusExcellent        // 优: class Ⅰ-Ⅱ
	StatusGood             // 良好: class Ⅲ
	StatusLight            // 轻度污染: class Ⅳ
	StatusModerate         // 中度污染: class Ⅴ
	StatusHeavy            // 重度污染: 劣Ⅴ
)

var statusNames = [...]string{"", "优", "良好", "轻度污染", "中度污染", "重度污染"}
var statusEnglish = [...]string{"none", "excellent", "good", "lightly polluted", "moderately polluted", "heavily polluted"}

// String returns the Chinese name.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return ""
}

// English returns the English name.
func (s Status) English() string {
	if int(s) < len(statusEnglish) {
		return statusEnglish[s]
	}
	return ""
}

// SectionStatus maps a section class to its status.
func SectionStatus(c Class) Status {
	switch c {
	case ClassI, ClassII:
		return StatusExcellent
	case ClassIII:
		return StatusGood
	case ClassIV:
		return StatusLight
	case ClassV:
		return StatusModerate
	case ClassWorseV:
		return StatusHeavy
	}
	return StatusNone
}

// Tally counts section classes.
type Tally struct {
	Total   int
	ByClass [7]int // index = Class; ByClass[0] is unclassified, not in Total
}

// Add counts one section.
func (t *Tally) Add(c Class) {
	if c == ClassNone || int(c) >= len(t.ByClass) {
		t.ByClass[0]++
		return
	}
	t.ByClass[c]++
	t.Total++
}

// Good returns the number of class Ⅰ-Ⅲ sections.
func (t *Tally) Good() int { return t.ByClass[1] + t.ByClass[2] + t.ByClass[3] }

// GoodShare returns the share of class Ⅰ-Ⅲ sections in percent (水质优良比例).
func (t *Tally) GoodShare() float64 { return pct(t.Good(), t.Total) }

// WorseVShare returns the share of 劣Ⅴ sections in percent.
func (t *Tally) WorseVShare() float64 { return pct(t.ByClass[ClassWorseV], t.Total) }

func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}

// Status applies the section-class proportion method (断面水质类别比例法):
//
//	Ⅰ-Ⅲ ≥ 90%                      优
//	75% ≤ Ⅰ-Ⅲ < 90%                良好
//	Ⅰ-Ⅲ < 75%, 劣Ⅴ < 20%           轻度污染
//	Ⅰ-Ⅲ < 75%, 20% ≤ 劣Ⅴ < 40%     中度污染
//	Ⅰ-Ⅲ < 75%, 劣Ⅴ ≥ 40%           重度污染
//
// The thresholds are compared on the counts in integers, exactly.
func (t *Tally) Status() Status {
	n := t.Total
	if n == 0 {
		return StatusNone
	}
	g, d := t.Good(), t.ByClass[ClassWorseV]
	switch {
	case 100*g >= 90*n:
		return StatusExcellent
	case 100*g >= 75*n:
		return StatusGood
	case 100*d < 20*n:
		return StatusLight
	case 100*d < 40*n:
		return StatusModerate
	}
	return StatusHeavy
}

// RiverMethod says how a river's status was found.
type RiverMethod uint8

// River methods.
const (
	ByAverage    RiverMethod = iota + 1 // fewer than 5 sections: mean concentrations
	ByProportion                        // 5 sections or more: class proportions
)

func (m RiverMethod) String() string {
	switch m {
	case ByAverage:
		return "average"
	case ByProportion:
		return "proportion"
	}
	return ""
}

// RiverResult is the evaluation of a river, lake group or basin (水系).
type RiverResult struct {
	Method RiverMethod
	Status Status
	// Tally of the sections' own classes (always filled).
	Tally Tally
	// Mean is the classification of the mean concentrations (ByAverage only).
	Mean Result
	// MainPollutants by section exceedance rate (断面超标率), at most 3.
	MainPollutants []ItemRate
}

// ItemRate is an item and the share of sections (percent) where it is worse
// than class Ⅲ.
type ItemRate struct {
	Item Item
	Rate float64
}

// EvaluateRiver evaluates a river or basin from its sections' period
// values (环办〔2011〕22号, 二 评价方法): with fewer than 5 sections, each item
// is averaged over the sections (pH through [H+]) and the means are
// classified by the single-factor method; with 5 or more the section-class
// proportion method applies. The method says "5个(含5个)以上" as we know it;
// a secondary page (Shenzhen EEB) says "大于5个", which leaves 5 undefined,
// so 5 uses the proportion method. Sections are classified with o.
func EvaluateRiver(sections []Sample, o Options) RiverResult {
	var out RiverResult
	var r Result
	var exceed [NumItems]int
	for i := range sections {
		Classify(&sections[i], o, &r)
		out.Tally.Add(r.Class)
		for m := uint64(r.Evaluated); m != 0; m &= m - 1 {
			it := Item(bits.TrailingZeros64(m))
			if r.Items[it] > ClassIII {
				exceed[it]++
			}
		}
	}
	out.MainPollutants = topRates(exceed[:], len(sections))
	if len(sections) < 5 {
		out.Method = ByAverage
		if len(sections) == 0 {
			return out
		}
		mean := MeanSample(sections)
		Classify(&mean, o, &out.Mean)
		out.Status = SectionStatus(out.Mean.Class)
		return out
	}
	out.Method = ByProportion
	out.Status = out.Tally.Status()
	return out
}

func topRates(exceed []int, n int) []ItemRate {
	var out []ItemRate
	if n == 0 {
		return nil
	}
	for i, c := range exceed {
		if c == 0 {
			continue
		}
		ir := ItemRate{Item: Item(i), Rate: pct(c, n)}
		j := len(out)
		out = append(out, ir)
		for j > 0 && exceed[out[j-1].Item] < c {
			out[j] = out[j-1]
			j--
		}
		out[j] = ir
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// MeanSample averages samples item by item (pH through [H+]); an item counts
// only in the samples that have it. The water body is the first sample's.
func MeanSample(samples []Sample) Sample {
	var out Sample
	if len(samples) == 0 {
		return out
	}
	out.Body = samples[0].Body
	var union ItemSet
	for i := range samples {
		union |= samples[i].has
	}
	vs := make([]Value, 0, len(samples))
	for m := uint64(union); m != 0; m &= m - 1 {
		it := Item(bits.TrailingZeros64(m))
		vs = vs[:0]
		for i := range samples {
			if v, ok := samples[i].Get(it); ok {
				vs = append(vs, Value{V: v})
			}
		}
		if mv, ok := Mean(it, vs); ok {
			_ = out.Set(it, mv)
		}
	}
	return out
}

// Change is the change between two periods (变化程度).
type Change int8

// Changes.
const (
	MuchWorse  Change = -2 // 明显变差
	Worse      Change = -1 // 有所变差
	NoChange   Change = 0  // 无明显变化
	Better     Change = 1  // 有所好转
	MuchBetter Change = 2  // 明显好转
)

// String returns the Chinese wording.
func (c Change) String() string {
	switch c {
	case MuchWorse:
		return "明显变差"
	case Worse:
		return "有所变差"
	case NoChange:
		return "无明显变化"
	case Better:
		return "有所好转"
	case MuchBetter:
		return "明显好转"
	}
	return ""
}

// English returns the English wording.
func (c Change) English() string {
	switch c {
	case MuchWorse:
		return "significantly worse"
	case Worse:
		return "worse"
	case NoChange:
		return "no obvious change"
	case Better:
		return "better"
	case MuchBetter:
		return "significantly better"
	}
	return ""
}

func stepChange(steps int) Change {
	switch {
	case steps >= 2:
		return MuchBetter
	case steps == 1:
		return Better
	case steps == 0:
		return NoChange
	case steps == -1:
		return Worse
	}
	return MuchWorse
}

// ClassChange compares a section's class in two periods: same class, no
// obvious change; one class, better or worse; two or more, significantly
// (2011 method, as recorded in our notes from memory). 劣Ⅴ counts as one
// class below Ⅴ. Unclassified periods give NoChange and false.
func ClassChange(before, after Class) (Change, bool) {
	if before == ClassNone || after == ClassNone {
		return NoChange, false
	}
	return stepChange(int(before) - int(after)), true
}

// StatusChange compares two statuses grade by grade, like ClassChange.
func StatusChange(before, after Status) (Change, bool) {
	if before == StatusNone || after == StatusNone {
		return NoChange, false
	}
	return stepChange(int(before) - int(after)), true
}

// TallyChange applies the combined-proportion method to two periods of a
// river or basin: ΔG = G2 - G1 (Ⅰ-Ⅲ percentage points), ΔD = D2 - D1 (劣Ⅴ
// points); ΔG - ΔD > 0 is better; |ΔG - ΔD| ≤ 10 no obvious change, ≤ 20
// better/worse, > 20 significantly. Computed exactly on the counts.
func TallyChange(before, after Tally) (Change, bool) {
	n1, n2 := int64(before.Total), int64(after.Total)
	if n1 == 0 || n2 == 0 {
		return NoChange, false
	}
	g1, d1 := int64(before.Good()), int64(before.ByClass[ClassWorseV])
	g2, d2 := int64(after.Good()), int64(after.ByClass[ClassWorseV])
	// ΔG - ΔD = 100 * ((g2-d2)*n1 - (g1-d1)*n2) / (n1*n2) percentage points.
	num := 100 * ((g2-d2)*n1 - (g1-d1)*n2)
	den := n1 * n2
	abs := num
	if abs < 0 {
		abs = -abs
	}
	var mag int
	switch {
	case abs <= 10*den:
		mag = 0
	case abs <= 20*den:
		mag = 1
	default:
		mag = 2
	}
	if num < 0 {
		mag = -mag
	}
	return stepChange(mag), true
}

// RiverChange compares two evaluations of a river. With the proportion
// method in both periods both the status grades and ΔG-ΔD are evaluated and
// the larger change is reported: the 2011 method gives both without a
// priority (a gap noted in 环境监测管理与技术 2016(6)); taking the larger
// one never hides a change. Otherwise the status grades are compared.
func RiverChange(before, after RiverResult) (Change, bool) {
	sc, ok := StatusChange(before.Status, after.Status)
	if !ok {
		return NoChange, false
	}
	if before.Method == ByProportion && after.Method == ByProportion {
		tc, ok := TallyChange(before.Tally, after.Tally)
		if ok && abs8(tc) > abs8(sc) {
			return tc, true
		}
	}
	return sc, true
}

func abs8(c Change) int8 {
	if c < 0 {
		return -int8(c)
	}
	return int8(c)
}
