package water

import "math/bits"

// The city water quality index (城市水质指数, CWQI) of 城市地表水环境质量排名
// 技术规定(试行) (环办监测〔2017〕51号): for each of the 21 items of Set21,
// CWQI(i) = C(i) / C_Ⅲ(i), the class Ⅲ limit (TP 0.2 for rivers, 0.05 for
// lakes and reservoirs); DO is the reciprocal, 5 / C(DO); pH is
// (7 - pH)/(7 - 6) at or below 7 and (pH - 7)/(9 - 7) above. The index of a
// water body is the sum of the item indices of the mean concentrations. A
// lower index is better water.

// ItemIndex returns the CWQI item index of concentration c. It returns false
// for items outside the 21 and for DO at zero (the reciprocal is undefined).
func ItemIndex(it Item, c Dec, body WaterBody) (float64, bool) {
	if !Set21.Has(it) {
		return 0, false
	}
	v := c.Float64()
	switch it {
	case PH:
		if v <= 7 {
			return (7 - v) / (7 - 6), true
		}
		return (v - 7) / (9 - 7), true
	case DO:
		if c <= 0 {
			return 0, false
		}
		l3, _ := DO.Limit(ClassIII, body)
		return l3.Float64() / v, true
	}
	l3, _ := it.Limit(ClassIII, body)
	return v / l3.Float64(), true
}

// IndexResult is the CWQI of one set of concentrations.
type IndexResult struct {
	Value     float64
	Items     [NumItems]float64
	Evaluated ItemSet // items summed
	Missing   ItemSet // items of the 21 absent (they add nothing)
}

// Index computes the CWQI of one sample of (mean) concentrations, using the
// sample's water body for TP. Items absent from the sample are reported in
// Missing and add nothing: the rules rank on the items monitored.
func Index(s *Sample) IndexResult {
	var r IndexResult
	r.Missing = Set21 &^ s.has
	for m := uint64(s.has & Set21); m != 0; m &= m - 1 {
		it := Item(bits.TrailingZeros64(m))
		x, ok := ItemIndex(it, s.values[it], s.Body)
		if !ok {
			r.Missing = r.Missing.With(it)
			continue
		}
		r.Items[it] = x
		r.Value += x
		r.Evaluated = r.Evaluated.With(it)
	}
	return r
}

// CityIndex is a city's CWQI.
type CityIndex struct {
	River, Lake   IndexResult // indices of the mean river and lake concentrations
	NRiver, NLake int         // sections and points averaged
	Value         float64     // the city's CWQI
}

// PHAveraging is how a city's CWQI averages the pH of its sections before
// the pH item index.
type PHAveraging uint8

const (
	// PHByHydrogen averages through the hydrogen-ion concentration,
	// pH = -lg(mean(10^-pH)): 地表水环境质量监测数据统计技术规定(试行)
	// (环办监测函〔2020〕82号), the statistics rules of the surface-water
	// data every evaluation and ranking uses. The default.
	PHByHydrogen PHAveraging = iota
	// PHArithmetic averages the pH values themselves, as the worked example
	// of our reference notes does; kept to show the difference.
	PHArithmetic
)

// CityCWQI computes a city's CWQI from its ranking sections' period values
// (each section's value is already its period mean): the concentrations of
// the river sections are averaged item by item ("参与排名的所有断面平均后各
// 单项指标水质指数之和", confirmed by a provincial bulletin quoting the
// rules) and indexed with river limits, the lake and reservoir points
// likewise with lake limits, and the city index is the mean of the two
// weighted by the number of sections and points:
//
//	CWQI_city = (CWQI_river·M_river + CWQI_lake·M_lake) / (M_river + M_lake)
//
// pH is averaged through [H+] (PHByHydrogen). The text of 环办监测〔2017〕51号
// was found only as its table of contents (section 五 "数据统计和计算", "数据
// 修约"); its pH clause was not read, so the averaging is that of the 2020
// statistics rules, which postdate it and govern the period and spatial
// means of surface-water data. The weighting follows our reference notes
// (from memory of the rules). Deducting upstream inflow that misses its
// target is the caller's job (exclude or adjust those sections first).
func CityCWQI(rivers, lakes []Sample) CityIndex {
	return CityCWQIWith(rivers, lakes, PHByHydrogen)
}

// CityCWQIWith is CityCWQI with the pH averaging given.
func CityCWQIWith(rivers, lakes []Sample, ph PHAveraging) CityIndex {
	var c CityIndex
	c.NRiver, c.NLake = len(rivers), len(lakes)
	if c.NRiver > 0 {
		m := meanForIndex(rivers, ph)
		m.Body = River
		c.River = Index(&m)
	}
	if c.NLake > 0 {
		m := meanForIndex(lakes, ph)
		m.Body = Lake
		c.Lake = Index(&m)
	}
	if n := c.NRiver + c.NLake; n > 0 {
		c.Value = (c.River.Value*float64(c.NRiver) + c.Lake.Value*float64(c.NLake)) / float64(n)
	}
	return c
}

func meanForIndex(samples []Sample, ph PHAveraging) Sample {
	m := MeanSample(samples)
	if ph != PHArithmetic {
		return m
	}
	var sum, n int64
	for i := range samples {
		if v, ok := samples[i].Get(PH); ok {
			sum += int64(v)
			n++
		}
	}
	if n > 0 {
		_ = m.Set(PH, divRound(Dec(sum), n))
	}
	return m
}

// ChangeRate returns the CWQI change rate in percent, (current - base) / base
// × 100: below 0 is improvement, above 0 deterioration ("变化率大于0代表
// 地表水质量下降、小于0代表改善"). The base is normally the same period of
// the previous year. It returns false for a zero base.
func ChangeRate(current, base float64) (float64, bool) {
	if base == 0 {
		return 0, false
	}
	return (current - base) / base * 100, true
}
