package simulator

import (
	"math"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Device kinds, derived from the outlet kind or the system code ST
// (HJ 212-2017 §6.6.1, table 5).
const (
	KindAir          = "air"   // 31 air pollution source (废气)
	KindWater        = "water" // 32 surface-water pollution source (废水)
	KindAirQuality   = "airq"  // 22 air quality station
	KindWaterQuality = "waterq"
)

// shape is how a factor's level follows the time of day.
type shape uint8

const (
	shapeProduction shape = iota // follows the plant's production shifts
	shapeFlow                    // follows working hours, never quite zero
	shapeInverse                 // O2: higher when the burner idles
	shapeFlat                    // a steady level with noise (pressure, humidity)
	shapePH                      // around 7.2
	shapeTraffic                 // ambient NO2/CO/PM: morning and evening peaks
	shapeOzone                   // ambient O3: afternoon peak
)

// factorDef describes one monitored factor of a device kind.
type factorDef struct {
	Code  string
	Unit  string
	Level float64 // typical running level when no limit is known
	Idle  float64 // fraction of the level while the plant is idle
	Noise float64 // relative amplitude of minute-to-minute noise
	Prec  int     // decimals sent
	Shape shape
	Flow  bool // the flow itself: Cou is the volume (m3)
	Mass  bool // a pollutant with Cou = mass (kg) = concentration × flow
	// FlowToM3 converts the flow unit times one second into m3
	// (a00000 is m3/s, w00000 is L/s).
	FlowToM3 float64
	// Primary pollutants can be driven over their limit by the Exceed
	// behaviour; without it they stay below 90 % of it.
	Primary bool
}

// Factor tables per kind. Codes are HJ 212-2017 Appendix B (tables B.1 and
// B.2, from HJ 524-2009 and HJ 525-2009). Flows come first so that the
// pollutants' Cou can use the flow of the same minute.
var kindFactors = map[string][]factorDef{
	KindAir: {
		{Code: "a00000", Unit: "m3/s", Level: 45, Idle: 0.25, Noise: 0.04, Prec: 2, Shape: shapeFlow, Flow: true, FlowToM3: 1},
		{Code: "a21026", Unit: "mg/m3", Level: 28, Idle: 0.2, Noise: 0.10, Prec: 2, Shape: shapeProduction, Mass: true, Primary: true}, // SO2
		{Code: "a21002", Unit: "mg/m3", Level: 60, Idle: 0.2, Noise: 0.08, Prec: 2, Shape: shapeProduction, Mass: true, Primary: true}, // NOx
		{Code: "a34013", Unit: "mg/m3", Level: 6, Idle: 0.3, Noise: 0.15, Prec: 2, Shape: shapeProduction, Mass: true, Primary: true},  // 烟尘 smoke dust
		{Code: "a19001", Unit: "%", Level: 10.5, Idle: 1.6, Noise: 0.03, Prec: 2, Shape: shapeInverse},                                 // O2
		{Code: "a01012", Unit: "℃", Level: 95, Idle: 0.45, Noise: 0.02, Prec: 1, Shape: shapeProduction},                               // flue-gas temperature
		{Code: "a01013", Unit: "kPa", Level: 0.35, Idle: 0.6, Noise: 0.05, Prec: 3, Shape: shapeFlat},                                  // flue-gas pressure
		{Code: "a01014", Unit: "%", Level: 8.5, Idle: 0.8, Noise: 0.04, Prec: 2, Shape: shapeFlat},                                     // flue-gas humidity
	},
	KindWater: {
		{Code: "w00000", Unit: "L/s", Level: 18, Idle: 0.15, Noise: 0.06, Prec: 2, Shape: shapeFlow, Flow: true, FlowToM3: 0.001},
		{Code: "w01018", Unit: "mg/L", Level: 42, Idle: 0.5, Noise: 0.12, Prec: 2, Shape: shapeProduction, Mass: true, Primary: true},  // COD
		{Code: "w21003", Unit: "mg/L", Level: 3.2, Idle: 0.5, Noise: 0.15, Prec: 3, Shape: shapeProduction, Mass: true, Primary: true}, // NH3-N
		{Code: "w21011", Unit: "mg/L", Level: 0.35, Idle: 0.6, Noise: 0.12, Prec: 3, Shape: shapeProduction, Mass: true},               // TP
		{Code: "w21001", Unit: "mg/L", Level: 9.5, Idle: 0.6, Noise: 0.10, Prec: 2, Shape: shapeProduction, Mass: true},                // TN
		{Code: "w01001", Unit: "", Level: 7.2, Idle: 1, Noise: 0.01, Prec: 2, Shape: shapePH, Primary: true},                           // pH
		{Code: "w01010", Unit: "℃", Level: 19, Idle: 0.9, Noise: 0.02, Prec: 1, Shape: shapeFlat},                                      // water temperature
		{Code: "w01012", Unit: "mg/L", Level: 12, Idle: 0.6, Noise: 0.15, Prec: 1, Shape: shapeProduction, Mass: true},                 // SS
	},
	KindAirQuality: {
		{Code: "a34004", Unit: "ug/m3", Level: 38, Noise: 0.08, Prec: 0, Shape: shapeTraffic},  // PM2.5
		{Code: "a34002", Unit: "ug/m3", Level: 72, Noise: 0.08, Prec: 0, Shape: shapeTraffic},  // PM10
		{Code: "a21026", Unit: "ug/m3", Level: 9, Noise: 0.10, Prec: 0, Shape: shapeFlat},      // SO2
		{Code: "a21004", Unit: "ug/m3", Level: 30, Noise: 0.10, Prec: 0, Shape: shapeTraffic},  // NO2
		{Code: "a21005", Unit: "mg/m3", Level: 0.8, Noise: 0.08, Prec: 2, Shape: shapeTraffic}, // CO
		{Code: "a05024", Unit: "ug/m3", Level: 95, Noise: 0.08, Prec: 0, Shape: shapeOzone},    // O3
		{Code: "a01001", Unit: "℃", Level: 14, Noise: 0.02, Prec: 1, Shape: shapeOzone},        // temperature
		{Code: "a01002", Unit: "%", Level: 55, Noise: 0.03, Prec: 1, Shape: shapeFlat},         // humidity
	},
	KindWaterQuality: {
		{Code: "w01001", Unit: "", Level: 7.8, Idle: 1, Noise: 0.005, Prec: 2, Shape: shapePH}, // pH
		{Code: "w01009", Unit: "mg/L", Level: 7.5, Noise: 0.04, Prec: 2, Shape: shapeOzone},    // DO: photosynthesis
		{Code: "w01019", Unit: "mg/L", Level: 4.2, Noise: 0.05, Prec: 2, Shape: shapeFlat},     // permanganate index
		{Code: "w21003", Unit: "mg/L", Level: 0.45, Noise: 0.08, Prec: 3, Shape: shapeFlat},    // NH3-N
		{Code: "w21011", Unit: "mg/L", Level: 0.12, Noise: 0.08, Prec: 3, Shape: shapeFlat},    // TP
		{Code: "w21001", Unit: "mg/L", Level: 1.4, Noise: 0.06, Prec: 2, Shape: shapeFlat},     // TN
		{Code: "w01010", Unit: "℃", Level: 16, Noise: 0.01, Prec: 1, Shape: shapeOzone},        // water temperature
		{Code: "w01014", Unit: "uS/cm", Level: 820, Noise: 0.02, Prec: 0, Shape: shapeFlat},    // conductivity
	},
}

// cstOffset is China Standard Time (UTC+8): shifts and working hours are
// local.
const cstOffset = chinatime.Offset

// shift patterns of plants.
type shiftPattern uint8

const (
	shiftContinuous shiftPattern = iota // power, chemicals: 24 h with a dip at night
	shiftTwo                            // 06:00-22:00
	shiftDay                            // 08:00-18:00, weekends mostly idle
)

// gen computes a device's data: a deterministic function of the seed, the
// MN and the time, so that the device can answer the gateway's history
// requests with exactly what it would have sent live.
type gen struct {
	seed    uint64
	factors []factorDef
	level   []float64 // per factor: running level
	cap     []float64 // per factor: sample ceiling without exceedance (0: none)
	exceed  []float64 // per factor: sample level while exceeding (0: not exceedable)
	lowPH   float64   // pH lower limit, for the acid exceedance
	zs      []bool    // per factor: also send converted (Zs) values
	oRef    float64   // reference O2 % for converted concentrations
	o2      int       // index of a19001, -1 if none
	flow    int       // index of the flow factor, -1 if none
	massK   []float64 // per factor: concentration × m3 → kg
	airRule bool      // aggregate flags follow the flue-gas rule
	shift   shiftPattern
	calHour int // hour of the daily calibration (C flag); -1: none

	exceedEvery, exceedFor int64 // minutes; 0: never exceeds
	exceedPhase            int64
	episodes               [][2]int64 // fixed exceedances, [from, to) in Unix minutes
}

// Sample is one factor's value at one minute.
type sample struct {
	v    float64
	z    float64 // converted concentration, when zs
	flag byte
}

func newGen(seed int64, d *Device) *gen {
	defs := kindFactors[d.Kind]
	if defs == nil {
		defs = kindFactors[KindAir]
	}
	mnh := hashString(d.MN)
	g := &gen{
		seed:    mix(uint64(seed), mnh),
		factors: defs,
		level:   make([]float64, len(defs)),
		cap:     make([]float64, len(defs)),
		exceed:  make([]float64, len(defs)),
		zs:      make([]bool, len(defs)),
		massK:   make([]float64, len(defs)),
		airRule: d.Kind == KindAir || d.Kind == KindAirQuality,
		oRef:    9, // GB 13271 boilers; close enough for a simulator
		o2:      -1,
		flow:    -1,
		calHour: -1,
	}
	r := func(k uint64) float64 { return unit(mix(g.seed, k)) }
	switch x := r(1); {
	case d.Kind == KindAirQuality || d.Kind == KindWaterQuality:
		g.shift = shiftContinuous
	case x < 0.4:
		g.shift = shiftContinuous
	case x < 0.75:
		g.shift = shiftTwo
	default:
		g.shift = shiftDay
	}
	if r(2) < 0.35 {
		g.calHour = 1 + int(r(3)*4) // a nightly zero/span check
	}
	for i, f := range defs {
		if f.Code == "a19001" {
			g.o2 = i
		}
		if f.Flow {
			g.flow = i
		}
		switch f.Unit {
		case "mg/L":
			g.massK[i] = 1e-3 // mg/L × m3 = g
		case "mg/m3":
			g.massK[i] = 1e-6 // mg/m3 × m3 = mg
		}
		// Each device runs at its own level: ±30 % of the typical one.
		g.level[i] = f.Level * (0.7 + 0.6*r(100+uint64(i)))
		if f.Shape == shapePH {
			g.level[i] = f.Level + 0.4*(r(100+uint64(i))-0.5)
		}
		lim := findLimit(d.Limits, f.Code)
		if lim == nil {
			continue
		}
		conv := lim.Kind == model.LimitConverted
		g.zs[i] = conv && f.Mass
		if lim.Min != nil && f.Shape == shapePH {
			g.lowPH = *lim.Min
		}
		if lim.Max == nil || *lim.Max <= 0 {
			continue
		}
		max := *lim.Max
		if f.Shape == shapePH {
			g.cap[i] = max - 0.3
			if f.Primary {
				g.exceed[i] = -1 // pH exceeds downwards, see sample
			}
			continue
		}
		// The limit decides the level: a compliant plant runs at 35-60 %
		// of its limit, with a ceiling at 90 % so that noise never crosses it.
		g.level[i] = max * (0.35 + 0.25*r(200+uint64(i)))
		g.cap[i] = 0.9 * max
		if f.Primary {
			g.exceed[i] = max * (1.25 + 0.5*r(300+uint64(i)))
		}
		if conv {
			// The ceiling applies to the converted value: see capSample.
			g.level[i] /= 1.25
		}
	}
	for _, e := range d.Behaviour.Episodes {
		from := e.From.Unix() / 60
		g.episodes = append(g.episodes, [2]int64{from, from + int64(e.For/time.Minute)})
	}
	if b := d.Behaviour; b.ExceedEvery > 0 && b.ExceedFor > 0 {
		g.exceedEvery = int64(b.ExceedEvery / time.Minute)
		g.exceedFor = int64(b.ExceedFor / time.Minute)
		if g.exceedEvery < 1 {
			g.exceedEvery = 1
		}
		if g.exceedFor < 1 {
			g.exceedFor = 1
		}
		g.exceedPhase = int64(mix(g.seed, 4) % uint64(g.exceedEvery))
	}
	return g
}

func findLimit(ls []model.Limit, code string) *model.Limit {
	var best *model.Limit
	for i := range ls {
		if ls[i].Pollutant != code {
			continue
		}
		// The hourly limit is the tighter test of minute data.
		if best == nil || ls[i].Period == model.PeriodHour {
			best = &ls[i]
		}
	}
	return best
}

// exceeding reports whether the device is in an exceedance window at the
// given Unix minute.
func (g *gen) exceeding(min int64) bool {
	for _, e := range g.episodes {
		if min >= e[0] && min < e[1] {
			return true
		}
	}
	if g.exceedEvery == 0 {
		return false
	}
	return floorMod(min+g.exceedPhase, g.exceedEvery) < g.exceedFor
}

// activity is the production level in [idle..1] at a local minute of day.
func (g *gen) activity(min int64, idle float64) float64 {
	local := min + cstOffset/60
	tod := float64(floorMod(local, 1440)) / 60 // hour of day, fractional
	dow := floorMod(local/1440+4, 7)           // 0 = Sunday (1970-01-01 was a Thursday)
	var on float64
	switch g.shift {
	case shiftContinuous:
		on = 1 - 0.12*bump(tod, 3, 3) // a shallow night dip
	case shiftTwo:
		on = ramp(tod, 6, 22, 0.5)
	case shiftDay:
		on = ramp(tod, 8, 18, 0.5) * (1 - 0.07*bump(tod, 12.25, 0.5)) // lunch break
		if dow == 0 || dow == 6 {
			on *= 0.15
		}
	}
	return idle + (1-idle)*on
}

// sample computes factor i at Unix minute min. flowAct is shared within a
// minute so that concentrations and flow move together.
func (g *gen) sample(i int, min int64) sample {
	f := &g.factors[i]
	lvl := g.level[i]
	slow := smooth(g.seed, uint64(i), min, 20) // slow drift, ±1
	fast := signed(mix(g.seed, uint64(i)<<40^uint64(min)))
	var v float64
	switch f.Shape {
	case shapeProduction, shapeFlow:
		v = lvl * g.activity(min, f.Idle) * (1 + 0.12*slow + f.Noise*fast)
	case shapeInverse:
		a := g.activity(min, 0) // 0 idle .. 1 running
		v = lvl * (f.Idle - (f.Idle-1)*a) * (1 + 0.05*slow + f.Noise*fast)
		if v > 20.6 {
			v = 20.6
		}
	case shapeFlat:
		v = lvl * (1 + 0.05*slow + f.Noise*fast)
	case shapePH:
		v = lvl + 0.25*slow + 0.05*fast
	case shapeTraffic:
		tod := float64(floorMod(min+cstOffset/60, 1440)) / 60
		v = lvl * (0.75 + 0.35*bump(tod, 8, 1.5) + 0.45*bump(tod, 19, 2)) * (1 + 0.15*slow + f.Noise*fast)
	case shapeOzone:
		tod := float64(floorMod(min+cstOffset/60, 1440)) / 60
		v = lvl * (0.6 + 0.7*bump(tod, 15, 3)) * (1 + 0.1*slow + f.Noise*fast)
	}
	if v < 0 {
		v = 0
	}
	s := sample{v: v, flag: 'N'}
	if g.exceed[i] != 0 && g.exceeding(min) {
		if f.Shape == shapePH {
			low := g.lowPH
			if low == 0 {
				low = 6
			}
			s.v = low - 0.8 - 0.3*(slow+1)/2 // an acid discharge
		} else {
			s.v = g.exceed[i] * (1 + 0.08*slow)
		}
	} else if g.cap[i] > 0 && f.Shape == shapePH {
		if s.v > g.cap[i] {
			s.v = g.cap[i]
		}
		if lo := g.lowPH + 0.3; g.lowPH > 0 && s.v < lo {
			s.v = lo
		}
	}
	s.flag = g.flag(min)
	return s
}

// zsFactor converts a measured concentration to the reference O2 content:
// C_zs = C × (21 − O2ref) / (21 − O2) (GB 13223/13271).
func (g *gen) zsFactor(o2 float64) float64 {
	if o2 > 19.5 {
		o2 = 19.5
	}
	return (21 - g.oRef) / (21 - o2)
}

// flag is the data flag of a minute (HJ 212-2017 table 8): N normally,
// C during the nightly calibration of some devices, M during rare
// maintenance hours and D for rare instrument faults.
func (g *gen) flag(min int64) byte {
	local := min + cstOffset/60
	if g.calHour >= 0 && floorMod(local, 1440) >= int64(g.calHour)*60 && floorMod(local, 1440) < int64(g.calHour)*60+6 {
		return 'C'
	}
	if unit(mix(g.seed^0x6d61696e, uint64(floorDiv(min, 60)))) < 0.003 {
		return 'M'
	}
	if unit(mix(g.seed^0x6661756c, uint64(min))) < 0.0005 {
		return 'D'
	}
	return 'N'
}

// minute computes all factors at Unix minute min into out, applying the
// ceilings (in the converted unit where the limit is converted).
func (g *gen) minute(min int64, out []sample) {
	for i := range g.factors {
		out[i] = g.sample(i, min)
	}
	k := 1.0
	if g.o2 >= 0 {
		k = g.zsFactor(out[g.o2].v)
	}
	for i := range g.factors {
		s := &out[i]
		if g.zs[i] {
			s.z = s.v * k
		}
		if g.cap[i] <= 0 || g.factors[i].Shape == shapePH || (g.exceed[i] != 0 && g.exceeding(min)) {
			continue
		}
		if g.zs[i] {
			if s.z > g.cap[i] {
				s.v *= g.cap[i] / s.z
				s.z = g.cap[i]
			}
		} else if s.v > g.cap[i] {
			s.v = g.cap[i]
		}
	}
}

// Aggregate is a factor's statistics over one period: the CP fields of a
// 2051, 2061 or 2031 upload.
type Aggregate struct {
	Code                string
	Min, Avg, Max       float64
	ZsMin, ZsAvg, ZsMax float64 // valid when HasZs
	HasZs               bool
	Cou                 float64 // valid when HasCou: m3 for a flow, kg for a pollutant
	HasCou              bool
	Flag                byte
	normal              int // minutes flagged N
}

// aggregate computes the statistics of the period of n minutes starting at
// Unix minute start into out (one per factor), from the per-minute samples:
// Min ≤ Avg ≤ Max by construction, and Cou is the sum of concentration ×
// flow × 60 s, so that it agrees with the flow's own Cou. It does not
// allocate.
func (g *gen) aggregate(start, n int64, out []Aggregate, scratch []sample) {
	for i := range out {
		f := &g.factors[i]
		out[i] = Aggregate{Code: f.Code, Min: math.Inf(1), Max: math.Inf(-1), ZsMin: math.Inf(1), ZsMax: math.Inf(-1), Flag: 'N',
			HasZs: g.zs[i], HasCou: f.Flow || (f.Mass && g.flow >= 0)}
	}
	for m := start; m < start+n; m++ {
		g.minute(m, scratch)
		var vol float64 // m3 in this minute
		if g.flow >= 0 {
			vol = scratch[g.flow].v * g.factors[g.flow].FlowToM3 * 60
		}
		for i := range out {
			s, a := scratch[i], &out[i]
			a.Min = math.Min(a.Min, s.v)
			a.Max = math.Max(a.Max, s.v)
			a.Avg += s.v
			if a.HasZs {
				a.ZsMin = math.Min(a.ZsMin, s.z)
				a.ZsMax = math.Max(a.ZsMax, s.z)
				a.ZsAvg += s.z
			}
			switch {
			case g.factors[i].Flow:
				a.Cou += vol
			case a.HasCou:
				a.Cou += s.v * vol * g.massK[i]
			}
			if s.flag == 'N' {
				a.normal++
			} else if a.Flag == 'N' || !g.airRule {
				a.Flag = s.flag
			}
		}
	}
	for i := range out {
		a := &out[i]
		a.Avg /= float64(n)
		a.ZsAvg /= float64(n)
		// HJ 212-2017 Appendix C notes: for flue gas the aggregate is
		// valid (N) when at least 75 % of its values are, otherwise D;
		// for water one abnormal value marks the aggregate.
		if g.airRule {
			if float64(a.normal) >= 0.75*float64(n) {
				a.Flag = 'N'
			} else {
				a.Flag = 'D'
			}
		}
		if a.Min > a.Avg { // rounding of a constant series
			a.Min = a.Avg
		}
		if a.Max < a.Avg {
			a.Max = a.Avg
		}
	}
}

// --- deterministic noise ---

// mix is a SplitMix64-style hash of two words.
func mix(a, b uint64) uint64 {
	x := a ^ (b + 0x9e3779b97f4a7c15 + (a << 6) + (a >> 2))
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// signed maps a hash to [-1, 1).
func signed(h uint64) float64 { return 2*unit(h) - 1 }

// smooth is value noise in [-1, 1] with knots every step minutes, cosine
// interpolated, so that levels drift rather than jump.
func smooth(seed, k uint64, min, step int64) float64 {
	i := floorDiv(min, step)
	t := float64(min-i*step) / float64(step)
	a := signed(mix(seed^k<<32, uint64(i)))
	b := signed(mix(seed^k<<32, uint64(i+1)))
	w := (1 - math.Cos(t*math.Pi)) / 2
	return a + (b-a)*w
}

// ramp is 1 inside [from, to) hours with linear ramps of width w hours.
func ramp(h, from, to, w float64) float64 {
	switch {
	case h < from-w || h >= to+w:
		return 0
	case h < from:
		return (h - (from - w)) / w
	case h >= to:
		return 1 - (h-to)/w
	}
	return 1
}

// bump is a smooth peak of height 1 at hour c, width w hours.
func bump(h, c, w float64) float64 {
	d := h - c
	return math.Exp(-d * d / (2 * w * w))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
