package water

import "math/bits"

// DrinkingResult is the evaluation of a centralized drinking-water source
// (集中式生活饮用水地表水源地).
type DrinkingResult struct {
	Section Result // Table 1 classification
	// MeetsIII is true when the Table 1 class is Ⅲ or better: sources must
	// meet class Ⅲ (GB 3838-2002 §3, class Ⅲ covers 二级保护区).
	MeetsIII bool
	Checked  ItemSet // Table 2 and 3 items present
	Failed   ItemSet // Table 2 and 3 items above their limit
	Pass     bool    // MeetsIII and nothing Failed
}

// EvaluateDrinking evaluates a drinking-water source: class Ⅲ by Table 1
// plus pass or fail of each Table 2 (supplementary) and Table 3 (specific)
// item against its single limit (GB 3838-2002 §4.3, tables 2 and 3). Table 2
// and 3 items never change the class. Values of Table 2/3 items are rounded
// only with RoundHourly (no assessment decimals are defined for them).
func EvaluateDrinking(s *Sample, o Options) DrinkingResult {
	var d DrinkingResult
	Classify(s, o, &d.Section)
	d.MeetsIII = Meets(d.Section.Class, ClassIII)
	d.Checked = s.has & SetTable23
	for m := uint64(d.Checked); m != 0; m &= m - 1 {
		it := Item(bits.TrailingZeros64(m))
		v := roundFor(it, s.values[it], o.Rounding)
		if l, _ := it.Limit(0, s.Body); v > l {
			d.Failed = d.Failed.With(it)
		}
	}
	d.Pass = d.MeetsIII && d.Failed == 0
	return d
}
