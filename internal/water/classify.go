package water

import (
	"fmt"
	"math"
	"math/bits"
)

// Class is a GB 3838-2002 water quality class: 1..5 for Ⅰ..Ⅴ, 6 for 劣Ⅴ
// (worse than Ⅴ), 0 for "not classified".
type Class uint8

// Classes.
const (
	ClassNone Class = iota
	ClassI
	ClassII
	ClassIII
	ClassIV
	ClassV
	ClassWorseV // 劣Ⅴ
)

var classLabels = [...]string{"", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"}

// Label returns the label with Unicode Roman numerals as CNEMC prints them:
// "Ⅰ" … "Ⅴ", "劣Ⅴ"; "" for ClassNone.
func (c Class) Label() string {
	if int(c) < len(classLabels) {
		return classLabels[c]
	}
	return ""
}

func (c Class) String() string {
	if c == ClassNone {
		return "none"
	}
	return c.Label()
}

// Good reports class Ⅰ-Ⅲ (水质优良).
func (c Class) Good() bool { return c >= ClassI && c <= ClassIII }

// Meets reports whether class c complies with a target class (考核目标): a
// class at least as good as the target. An unclassified result never meets.
func Meets(c, target Class) bool { return c != ClassNone && target != ClassNone && c <= target }

// WaterBody is the type of water body: it selects the TP limits.
type WaterBody uint8

// Water bodies.
const (
	River WaterBody = iota
	Lake            // lake or reservoir (湖、库)
)

func (b WaterBody) String() string {
	if b == Lake {
		return "lake"
	}
	return "river"
}

// Rounding selects the 2020 statistics rules' decimals applied before
// classification.
type Rounding uint8

// Roundings.
const (
	RoundNone       Rounding = iota // classify values as given
	RoundHourly                     // a single automatic-station reading: hourly-data decimals
	RoundAssessment                 // a period value (week, month, quarter, year): assessment decimals
)

// Sample is one set of item values at one section: a reading, or the period
// means of an evaluation. It is a fixed-size value: no allocation.
type Sample struct {
	Body   WaterBody
	has    ItemSet
	values [NumItems]Dec
}

// Set stores the value of an item. Concentrations cannot be negative.
func (s *Sample) Set(it Item, v Dec) error {
	if int(it) >= NumItems {
		return fmt.Errorf("item %d: unknown", it)
	}
	if v < 0 {
		return fmt.Errorf("%s: %w", it, ErrNegative)
	}
	s.values[it] = v
	s.has = s.has.With(it)
	return nil
}

// SetBelowDL stores a result below the detection limit dl as dl/2: "当监测
// 数据低于检出限时，以1/2检出限值参与计算和统计" (2020 statistics rules,
// point 7).
func (s *Sample) SetBelowDL(it Item, dl Dec) error { return s.Set(it, halfDL(dl)) }

func halfDL(dl Dec) Dec { return dl / 2 } // 1e-9 resolution: the odd last unit is negligible

// Unset removes an item.
func (s *Sample) Unset(it Item) { s.has &^= 1 << it; s.values[it] = 0 }

// Get returns the value of an item.
func (s *Sample) Get(it Item) (Dec, bool) {
	if int(it) >= NumItems || !s.has.Has(it) {
		return 0, false
	}
	return s.values[it], true
}

// Items returns the set of items present.
func (s *Sample) Items() ItemSet { return s.has }

// Options control a section classification.
type Options struct {
	// Items is the set of items that decide the section class. Zero means
	// automatic: Set21 if the sample has any of the 21 items beyond the
	// 5 automatic-station items, else SetAuto5.
	Items ItemSet
	// Rounding applied to each value before it is classified.
	Rounding Rounding
	// LakeTN adds TN to the evaluated items of lakes and reservoirs (a local
	// variant of some weekly bulletins; the 2011 method excludes TN).
	LakeTN bool
}

// Result is a section classification. It is a fixed-size value.
type Result struct {
	Class     Class           // the worst class among Evaluated; ClassNone if Evaluated is empty
	Evaluated ItemSet         // items that decided Class
	Missing   ItemSet         // items of the evaluation set absent from the sample
	Excluded  ItemSet         // items present that take no part in Class (TN, FC, Table 2/3, auxiliary)
	Body      WaterBody       // water body of the sample
	Items     [NumItems]Class // class of every classified item present (also excluded ones)
	Values    [NumItems]Dec   // the values after rounding
}

// Classify computes the section class by the single-factor method: the
// worst class among the evaluated items ("根据评价时段内该断面参评的指标中
// 类别最高的一项来确定", 环办〔2011〕22号, 二 评价方法). A missing item leaves the
// class computed from the rest; Result.Missing says which.
func Classify(s *Sample, o Options, r *Result) {
	set := o.Items
	if set == 0 {
		set = SetAuto5
		if s.has&(Set21&^SetAuto5) != 0 {
			set = Set21
		}
	}
	if o.LakeTN && s.Body == Lake {
		set = set.With(TN)
	}
	r.Class = ClassNone
	r.Body = s.Body
	r.Evaluated = s.has & set
	r.Missing = set &^ s.has
	r.Excluded = s.has &^ set
	r.Items = [NumItems]Class{}
	for m := uint64(s.has); m != 0; m &= m - 1 {
		it := Item(bits.TrailingZeros64(m))
		v := roundFor(it, s.values[it], o.Rounding)
		r.Values[it] = v
		c := ItemClass(it, v, s.Body)
		r.Items[it] = c
		if set.Has(it) && c > r.Class {
			r.Class = c
		}
	}
}

func roundFor(it Item, v Dec, mode Rounding) Dec {
	var dp int8
	switch mode {
	case RoundHourly:
		dp = items[it].hourlyDP
		if dp < 0 {
			dp = items[it].assessDP
		}
	case RoundAssessment:
		dp = items[it].assessDP
	default:
		return v
	}
	if dp < 0 {
		return v
	}
	return v.RoundKeep(int(dp))
}

// ItemClass returns the single-item class of value v (already rounded) per
// GB 3838-2002 table 1, or ClassNone for items without classes. Limits are
// inclusive; where limits repeat the better class wins (COD 15 is Ⅰ, not
// Ⅱ), because the first class whose limit holds is taken.
func ItemClass(it Item, v Dec, body WaterBody) Class {
	if int(it) >= NumItems {
		return ClassNone
	}
	info := &items[it]
	switch info.kind {
	case kindUpper:
		lims := &info.limits
		if it == TP && body == Lake {
			lims = &tpLake
		}
		for k := 0; k < 5; k++ {
			if v <= lims[k] {
				return Class(k + 1)
			}
		}
		return ClassWorseV
	case kindLower:
		// DO is a lower bound: "溶解氧 ≥".
		for k := 0; k < 5; k++ {
			if v >= info.limits[k] {
				return Class(k + 1)
			}
		}
		return ClassWorseV
	case kindRange:
		// pH 6~9 for every class: inside the range it never worsens the
		// section (class Ⅰ); outside it the water meets no class (劣Ⅴ).
		if v >= info.limits[0] && v <= info.limits[1] {
			return ClassI
		}
		return ClassWorseV
	}
	return ClassNone
}

// Pollutant is a main pollutant of a section (主要污染指标).
type Pollutant struct {
	Item  Item
	Class Class
	// Multiple is the exceedance multiple over the class Ⅲ limit (超标倍数),
	// (C - C_Ⅲ) / C_Ⅲ, rounded half to even to 2 decimals; HasMultiple is
	// false for pH and DO, which have none.
	Multiple    Dec
	HasMultiple bool
}

// ExceedanceMultiple returns (C - C_Ⅲ) / C_Ⅲ for an upper-bound item, rounded
// half to even to 2 decimals, computed exactly. It returns false for pH, DO
// and items without classes. A value at or below the limit gives 0 or less.
func ExceedanceMultiple(it Item, c Dec, body WaterBody) (Dec, bool) {
	if int(it) >= NumItems || items[it].kind != kindUpper {
		return 0, false
	}
	l3, _ := it.Limit(ClassIII, body)
	if int64(c-l3) > math.MaxInt64/100 {
		return 0, false // beyond 9e7 mg/L: not a measurement
	}
	// Hundredths of the multiple, rounded half to even: (c-l3)*100/l3.
	num := int64(c-l3) * 100
	q, r := num/int64(l3), num%int64(l3)
	if r < 0 {
		r = -r
	}
	if 2*r > int64(l3) || 2*r == int64(l3) && q&1 != 0 {
		if num < 0 {
			q--
		} else {
			q++
		}
	}
	return Dec(q * (unit / 100)), true
}

// MainPollutants appends to dst the section's main pollutants: the evaluated
// items worse than class Ⅲ, the worst classes first and, within a class, by
// exceedance multiple, at most 3. Items without a multiple (pH, DO) follow
// the others of their class. This is the ranking of 环办〔2011〕22号 (二 评价方法)
// as we know it (by class, then by multiple); the method's text was not
// available to verify and the Guangdong bulletins we checked agree with it.
// A section of class Ⅰ-Ⅲ has none.
func (r *Result) MainPollutants(dst []Pollutant) []Pollutant {
	var buf [NumItems]Pollutant
	n := 0
	for m := uint64(r.Evaluated); m != 0; m &= m - 1 {
		it := Item(bits.TrailingZeros64(m))
		c := r.Items[it]
		if c <= ClassIII {
			continue
		}
		p := Pollutant{Item: it, Class: c}
		p.Multiple, p.HasMultiple = ExceedanceMultiple(it, r.Values[it], r.Body)
		// Insertion sort: at most 21 items.
		j := n
		for j > 0 && worse(p, buf[j-1]) {
			buf[j] = buf[j-1]
			j--
		}
		buf[j] = p
		n++
	}
	if n > 3 {
		n = 3
	}
	return append(dst, buf[:n]...)
}

// worse orders main pollutants; ties keep table order (insertion is stable).
func worse(a, b Pollutant) bool {
	if a.Class != b.Class {
		return a.Class > b.Class
	}
	if a.HasMultiple != b.HasMultiple {
		return a.HasMultiple
	}
	return a.Multiple > b.Multiple
}
