package air

// Note records a rule that changed how a result was computed.
type Note uint8

// Notes.
const (
	// NoteSO2From24h: SO2 1-h above 800 µg/m³ under the 2012 rules, so the SO2
	// sub-index comes from the 24-h mean (HJ 633-2012 table 1 note 2).
	NoteSO2From24h Note = 1 << iota
	// NoteO38hDropped: O3 8-h above 800 µg/m³ under the 2012 rules, so no 8-h
	// sub-index; O3 is represented by its 1-h value (note 3).
	NoteO38hDropped
	// NoteCapped: a concentration above the IAQI-500 limit; sub-index 500.
	NoteCapped
	// NoteOverTable: SO2 1-h or O3 8-h above 800 µg/m³ under the 2026 rules,
	// sub-index fixed at 200 / 300 (HJ 633-2026 table 3 footnotes b, c).
	NoteOverTable
)

// Has reports whether x is set in n.
func (n Note) Has(x Note) bool { return n&x != 0 }

// Strings names the notes that are set.
func (n Note) Strings() []string {
	out := []string{}
	for _, x := range []struct {
		n Note
		s string
	}{{NoteSO2From24h, "so2_1h_over_800_used_24h"}, {NoteO38hDropped, "o3_8h_over_800_dropped"}, {NoteCapped, "above_iaqi_500_capped"}, {NoteOverTable, "over_800_fixed_iaqi"}} {
		if n&x.n != 0 {
			out = append(out, x.s)
		}
	}
	return out
}

// Result is an AQI with its sub-indices.
type Result struct {
	AQI     int16           // the AQI, or -1 when no sub-index could be computed
	IAQI    [NumIndex]int16 // sub-indices; -1 where not computed
	Primary Set             // primary pollutants (首要污染物): only when AQI > 50
	Missing Set             // indicators the report needs that had no value
	Notes   Note
}

// Has reports whether an AQI was computed at all.
func (r *Result) Has() bool { return r.AQI >= 0 }

// Publishable reports whether the AQI, its level and primary pollutants may
// be published: HJ 633-2026 §5.3.1 — when an indicator is missing the AQI is
// computed from the others and published only if it exceeds 100; otherwise
// only the single-pollutant values are published and the AQI shows as NA.
// CNEMC applied the same rule to its 2022 real-time data (see the tests).
func (r *Result) Publishable() bool {
	return r.AQI >= 0 && (r.Missing == 0 || r.AQI > 100)
}

// Exceeding returns the exceeding pollutants (超标污染物: IAQI > 100, HJ
// 633-2012 §3.4; the 2026 version dropped the term but the set is still
// what its table 2 on sensitive groups keys on).
func (r *Result) Exceeding() Set {
	var s Set
	for i := Index(0); i < NumIndex; i++ {
		if r.IAQI[i] > 100 {
			s = s.With(i)
		}
	}
	return s
}

// Level returns the AQI level (HJ 633-2012 table 2, HJ 633-2026 table 1).
func (r *Result) Level() Level { return LevelOf(int(r.AQI)) }

func (r *Result) reset() {
	r.AQI = -1
	for i := range r.IAQI {
		r.IAQI[i] = -1
	}
	r.Primary, r.Missing, r.Notes = 0, 0, 0
}

// set stores a sub-index computed by iaqi/iaqiRatio, applying the version's
// rules above the table, and reports whether a value was stored.
func (r *Result) set(v Version, slot Index, ind Indicator, x int64) bool {
	if x == iaqiAbove {
		switch {
		case v == V2012 && ind == SO2_1h:
			r.Notes |= NoteSO2From24h
			return false
		case v == V2012 && ind == O3_8h:
			r.Notes |= NoteO38hDropped
			return false
		case ind == SO2_1h || ind == O3_8h:
			r.Notes |= NoteOverTable
		default:
			r.Notes |= NoteCapped
		}
	}
	y, ok := resolveAbove(v, ind, x)
	if !ok {
		r.Missing = r.Missing.With(slot)
		return false
	}
	r.IAQI[slot] = int16(y)
	return true
}

// finish computes the AQI (HJ 633 eq. 2: the maximum sub-index) and the
// primary pollutants: every slot whose sub-index equals the AQI, ties all
// listed, and only when AQI > 50 (HJ 633-2012 §3.3, HJ 633-2026 §3.3).
func (r *Result) finish() {
	m := int16(-1)
	for _, x := range r.IAQI {
		if x > m {
			m = x
		}
	}
	r.AQI = m
	if m > 50 {
		for i, x := range r.IAQI {
			if x == m {
				r.Primary |= 1 << i
			}
		}
	}
}

// Hour is one station-hour of 1-h mean concentrations.
type Hour struct {
	C [NumPollutants]Conc // 1-h means; NA (negative) when missing
	// SO2_24h is the SO2 24-h sliding mean. The 2012 rules use it when the
	// SO2 1-h value is above 800 µg/m³; NA when unknown.
	SO2_24h Conc
}

// NewHour returns an Hour with every value missing.
func NewHour() Hour {
	h := Hour{SO2_24h: NA}
	for i := range h.C {
		h.C[i] = NA
	}
	return h
}

// hourlySlots maps each pollutant to its real-time indicator and slot.
// HJ 633-2026 §4.2.3 (and CNEMC's practice under 2012, verified on
// published data): the six 1-h values, with PM10 and PM2.5 1-h values
// interpolated on the 24-h columns.
var hourlySlots = [NumPollutants]struct {
	ind  Indicator
	slot Index
}{
	SO2:  {SO2_1h, ISO2},
	NO2:  {NO2_1h, INO2},
	CO:   {CO_1h, ICO},
	O3:   {O3_1h, IO3_1h},
	PM10: {PM10_24h, IPM10},
	PM25: {PM25_24h, IPM25},
}

// Hourly computes the real-time (hourly) AQI of one station-hour
// (实时报, HJ 633-2012 §5.1 as CNEMC publishes it; HJ 633-2026 §4.2.3).
// Under the 2026 rules each concentration is first rounded per GB/T 8170 to
// a whole µg/m³ (CO 0.1 mg/m³), as §4.2.3 requires. It does not allocate.
func Hourly(v Version, h *Hour) Result {
	var r Result
	if v != V2026 {
		v = V2012
	}
	ft := &fastHourly[v]
	r.IAQI[IO3_8h] = -1
	m := int16(-1)
	for p := Pollutant(0); p < NumPollutants; p++ {
		c := int64(h.C[p])
		slot := hourlySlots[p].slot
		if c < 0 {
			r.IAQI[slot] = -1
			r.Missing |= 1 << slot
			continue
		}
		if v == V2026 { // GB/T 8170 to whole µg/m³ (CO 0.1 mg/m³); constant divisors
			if p == CO {
				c = roundHalfEven100(c)
			} else {
				c = roundHalfEven1000(c)
			}
		}
		x := ft[p].iaqi(c)
		if x == iaqiAbove {
			x = r.hourlyAbove(v, p, h)
		}
		r.IAQI[slot] = int16(x)
		if int16(x) > m {
			m = int16(x)
		}
	}
	r.AQI = m
	if m > 50 {
		for i, x := range r.IAQI {
			if x == m {
				r.Primary |= 1 << i
			}
		}
	}
	return r
}

// hourlyAbove handles a concentration above its column (rare): it returns
// the sub-index to store, or -1.
func (r *Result) hourlyAbove(v Version, p Pollutant, h *Hour) int64 {
	slot := hourlySlots[p].slot
	switch {
	case p == SO2 && v == V2012:
		// HJ 633-2012 table 1 note 2: SO2 reported by its 24-h IAQI.
		r.Notes |= NoteSO2From24h
		if h.SO2_24h >= 0 {
			x := tablesFor(v)[SO2_24h].iaqi(int64(h.SO2_24h))
			if x == iaqiAbove {
				r.Notes |= NoteCapped
				x = iaqiCapped
			}
			return x
		}
		r.Missing |= 1 << slot
		return -1
	case p == SO2:
		r.Notes |= NoteOverTable
		return 200
	}
	r.Notes |= NoteCapped
	return iaqiCapped
}

func roundHalfEven1000(c int64) int64 {
	q, rem := c/1000, c%1000
	if rem > 500 || rem == 500 && q%2 == 1 {
		q++
	}
	return q * 1000
}

func roundHalfEven100(c int64) int64 {
	q, rem := c/100, c%100
	if rem > 50 || rem == 50 && q%2 == 1 {
		q++
	}
	return q * 100
}

// DayValues are the daily indicator values of one station-day or city-day.
type DayValues struct {
	// Mean are the 24-h means (日均值) of SO2, NO2, CO, PM10 and PM2.5; the
	// O3 entry is ignored.
	Mean    [NumPollutants]Conc
	O3Max8h Conc // O3 daily maximum 8-h mean (日最大8小时滑动平均)
	O3Max1h Conc // O3 daily maximum 1-h mean; used by the 2012 rules only
}

// NewDayValues returns DayValues with everything missing.
func NewDayValues() DayValues {
	d := DayValues{O3Max8h: NA, O3Max1h: NA}
	for i := range d.Mean {
		d.Mean[i] = NA
	}
	return d
}

// Daily computes the daily AQI (日报) from daily values:
//   - 2012 (HJ 633-2012 §5.1): 7 indicators — SO2, NO2, CO, PM10, PM2.5 24-h
//     means, the O3 daily maximum 1-h value and the O3 daily maximum 8-h mean;
//   - 2026 (HJ 633-2026 §4.2.2): 6 indicators — the O3 maximum 1-h value is
//     no longer one.
//
// Under both, each concentration is rounded per GB/T 8170 (HJ 663-2013
// 数据修约) before its IAQI; see dailyExact.
func Daily(v Version, d *DayValues) Result {
	var m dayMeans
	for p := range d.Mean {
		m.mean[p] = ratio{int64(d.Mean[p]), 1}
	}
	m.o3max8h = ratio{int64(d.O3Max8h), 1}
	m.o3max1h = d.O3Max1h
	return dailyExact(v, &m)
}

// dayMeans carries exact daily means (negative numerator = missing).
type dayMeans struct {
	mean    [NumPollutants]ratio
	o3max8h ratio
	o3max1h Conc
}

var dailySlots = [NumPollutants]struct {
	ind  Indicator
	slot Index
}{
	SO2:  {SO2_24h, ISO2},
	NO2:  {NO2_24h, INO2},
	CO:   {CO_24h, ICO},
	PM10: {PM10_24h, IPM10},
	PM25: {PM25_24h, IPM25},
}

func dailyExact(v Version, m *dayMeans) Result {
	var r Result
	r.reset()
	t := tablesFor(v)
	for p := Pollutant(0); p < NumPollutants; p++ {
		if p == O3 {
			continue
		}
		s := dailySlots[p]
		mu := m.mean[p]
		if mu.num < 0 {
			r.Missing |= 1 << s.slot
			continue
		}
		// Both versions: the IAQI is computed from the daily concentration
		// as reported, rounded per GB/T 8170 (whole µg/m³, CO 0.1 mg/m³).
		// HJ 633-2026 §4.2.2 says so; HJ 633-2012 §4.1 takes C_P as "the
		// concentration of pollutant P" without saying how it is rounded,
		// and the daily concentration it reports is the one HJ 663-2013
		// (数据修约) rounds, so that a day of PM10 150 µg/m³ is not an
		// exceedance day (GB 3095-2012 table 1) and has IAQI 100, not 101.
		mu = ratio{int64(mu.round(p.roundStep())), 1}
		r.set(v, s.slot, s.ind, t[s.ind].iaqiRatio(mu.num, mu.den))
	}
	o8 := m.o3max8h
	if o8.num < 0 {
		r.Missing |= 1 << IO3_8h
	} else {
		o8 = ratio{int64(o8.round(1000)), 1} // as the means above
		r.set(v, IO3_8h, O3_8h, t[O3_8h].iaqiRatio(o8.num, o8.den))
	}
	if v == V2012 {
		if m.o3max1h < 0 {
			r.Missing |= 1 << IO3_1h
		} else {
			r.set(v, IO3_1h, O3_1h, t[O3_1h].iaqi(int64(m.o3max1h)))
		}
		if r.Notes.Has(NoteO38hDropped) {
			// note 3: O3 is represented by the 1-h value; the 8-h slot is not
			// "missing" in the sense of §5.3.
			r.Missing &^= 1 << IO3_8h
		}
	}
	r.finish()
	return r
}
