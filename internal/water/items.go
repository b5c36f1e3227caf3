package water

import (
	"math/bits"
	"strings"
)

// Item is one monitored item (监测项目). The order follows GB 3838-2002
// Table 1, then Table 2, the recorded subset of Table 3, then the auxiliary
// parameters of automatic stations that have no class.
type Item uint8

// Table 1 (basic items, 基本项目), GB 3838-2002 §4.2 table 1.
const (
	WaterTemp      Item = iota // 水温: no class (only a limit on man-made change)
	PH                         // pH值
	DO                         // 溶解氧
	CODMn                      // 高锰酸盐指数
	COD                        // 化学需氧量 (COD, CODCr)
	BOD5                       // 五日生化需氧量
	NH3N                       // 氨氮
	TP                         // 总磷 (river and lake/reservoir limits)
	TN                         // 总氮 (湖、库)
	Cu                         // 铜
	Zn                         // 锌
	Fluoride                   // 氟化物 (以F-计)
	Se                         // 硒
	As                         // 砷
	Hg                         // 汞
	Cd                         // 镉
	Cr6                        // 铬(六价)
	Pb                         // 铅
	Cyanide                    // 氰化物
	VolatilePhenol             // 挥发酚
	Petroleum                  // 石油类
	LAS                        // 阴离子表面活性剂
	Sulfide                    // 硫化物
	FecalColiform              // 粪大肠菌群 (个/L)

	// Table 2: supplementary items for centralized drinking-water sources
	// (集中式生活饮用水地表水源地补充项目), GB 3838-2002 §4.3 table 2.
	Sulfate
	Chloride
	Nitrate
	Fe
	Mn

	// Table 3: specific items for drinking-water sources (特定项目), the
	// metal subset recorded in the reference CSV, GB 3838-2002 §4.3 table 3.
	Mo
	Co
	Be
	B
	Sb
	Ni
	Ba
	V
	Ti
	Tl

	// Auxiliary automatic-station parameters: no GB 3838 class.
	Conductivity
	Turbidity
	Chla

	NumItems int = iota
)

// kind says how an item is compared with its limits.
type kind uint8

const (
	kindNone   kind = iota // no class (water temperature, auxiliary)
	kindUpper              // class = best k with C <= limit_k
	kindLower              // DO: class = best k with C >= limit_k
	kindRange              // pH: 6 <= C <= 9 for every class
	kindSingle             // Tables 2 and 3: one limit, pass or fail
)

type itemInfo struct {
	name   string // canonical key, used in output
	cn     string // GB 3838 name
	code   string // HJ 212 pollutant code; "" where none is confirmed
	unit   string
	kind   kind
	limits [5]Dec // classes I..V (river limits for TP); single limit in [0] for kindSingle
	// assessDP is the decimals of assessment data and hourlyDP of hourly
	// automatic-station data per the 2020 statistics rules (环办监测函
	// 〔2020〕82号 and 总站水字〔2020〕90号), as tabulated by
	// sm1lewc/Journey.SurfaceWater; -1 means no rounding is defined.
	assessDP, hourlyDP int8
	aliases            []string
}

func lim(a, b, c, d, e float64) [5]Dec {
	// Called only with literals that have at most 5 decimals; the products
	// are exact integers in float64 (< 2^53) after rounding.
	r := [5]Dec{}
	for i, v := range [5]float64{a, b, c, d, e} {
		r[i] = Dec(roundHalfAway(v * unit))
	}
	return r
}

func roundHalfAway(f float64) int64 {
	if f < 0 {
		return -int64(-f + 0.5)
	}
	return int64(f + 0.5)
}

// tpLake holds the lake/reservoir TP limits of GB 3838-2002 table 1 item 8
// (the values in parentheses, "湖、库").
var tpLake = lim(0.01, 0.025, 0.05, 0.1, 0.2)

// items is the constant item table. Limits are GB 3838-2002 tables 1-3.
var items = [NumItems]itemInfo{
	WaterTemp: {name: "WT", cn: "水温", code: "w01010", unit: "℃", kind: kindNone, assessDP: 1, hourlyDP: 1, aliases: []string{"water_temp", "temperature", "T"}},
	// GB 3838-2002 table 1 item 2: 6~9 for all classes.
	PH: {name: "pH", cn: "pH值", code: "w01001", unit: "无量纲", kind: kindRange, limits: lim(6, 9, 0, 0, 0), assessDP: 0, hourlyDP: 2},
	// Item 3: class I is "饱和率90% (或7.5)"; like every implementation seen
	// we use 7.5 mg/L, since saturation needs temperature and salinity.
	DO:       {name: "DO", cn: "溶解氧", code: "w01009", unit: "mg/L", kind: kindLower, limits: lim(7.5, 6, 5, 3, 2), assessDP: 1, hourlyDP: 2},
	CODMn:    {name: "CODMn", cn: "高锰酸盐指数", code: "w01019", unit: "mg/L", kind: kindUpper, limits: lim(2, 4, 6, 10, 15), assessDP: 1, hourlyDP: 2, aliases: []string{"permanganate_index", "IMn"}},
	COD:      {name: "COD", cn: "化学需氧量", code: "w01018", unit: "mg/L", kind: kindUpper, limits: lim(15, 15, 20, 30, 40), assessDP: 1, hourlyDP: 2, aliases: []string{"CODCr", "化学需氧量(COD)"}},
	BOD5:     {name: "BOD5", cn: "五日生化需氧量", code: "w01017", unit: "mg/L", kind: kindUpper, limits: lim(3, 3, 4, 6, 10), assessDP: 1, hourlyDP: -1, aliases: []string{"BOD", "五日生化需氧量(BOD5)"}},
	NH3N:     {name: "NH3-N", cn: "氨氮", code: "w21003", unit: "mg/L", kind: kindUpper, limits: lim(0.15, 0.5, 1.0, 1.5, 2.0), assessDP: 2, hourlyDP: 3, aliases: []string{"NH3N", "NH3_N", "氨氮(NH3-N)"}},
	TP:       {name: "TP", cn: "总磷", code: "w21011", unit: "mg/L", kind: kindUpper, limits: lim(0.02, 0.1, 0.2, 0.3, 0.4), assessDP: 3, hourlyDP: 3, aliases: []string{"总磷(以P计)"}},
	TN:       {name: "TN", cn: "总氮", code: "w21001", unit: "mg/L", kind: kindUpper, limits: lim(0.2, 0.5, 1.0, 1.5, 2.0), assessDP: 2, hourlyDP: 2, aliases: []string{"总氮(湖、库,以N计)"}},
	Cu:       {name: "Cu", cn: "铜", code: "w20122", unit: "mg/L", kind: kindUpper, limits: lim(0.01, 1.0, 1.0, 1.0, 1.0), assessDP: 3, hourlyDP: 3},
	Zn:       {name: "Zn", cn: "锌", code: "w20123", unit: "mg/L", kind: kindUpper, limits: lim(0.05, 1.0, 1.0, 2.0, 2.0), assessDP: 3, hourlyDP: 3},
	Fluoride: {name: "F", cn: "氟化物", code: "w21017", unit: "mg/L", kind: kindUpper, limits: lim(1.0, 1.0, 1.0, 1.5, 1.5), assessDP: 3, hourlyDP: 2, aliases: []string{"fluoride", "F-", "氟化物(以F-计)"}},
	Se:       {name: "Se", cn: "硒", code: "w20128", unit: "mg/L", kind: kindUpper, limits: lim(0.01, 0.01, 0.01, 0.02, 0.02), assessDP: 4, hourlyDP: 3},
	// HJ 212 table B.1 (our hj212 notes) gives w20119 for arsenic; the
	// reference CSV's w20141 comes from a third-party library and is not used.
	As:             {name: "As", cn: "砷", code: "w20119", unit: "mg/L", kind: kindUpper, limits: lim(0.05, 0.05, 0.05, 0.1, 0.1), assessDP: 4, hourlyDP: 3},
	Hg:             {name: "Hg", cn: "汞", code: "w20111", unit: "mg/L", kind: kindUpper, limits: lim(0.00005, 0.00005, 0.0001, 0.001, 0.001), assessDP: 5, hourlyDP: 6},
	Cd:             {name: "Cd", cn: "镉", code: "w20115", unit: "mg/L", kind: kindUpper, limits: lim(0.001, 0.005, 0.005, 0.005, 0.01), assessDP: 5, hourlyDP: 4},
	Cr6:            {name: "Cr6+", cn: "铬(六价)", code: "w20117", unit: "mg/L", kind: kindUpper, limits: lim(0.01, 0.05, 0.05, 0.05, 0.1), assessDP: 3, hourlyDP: 3, aliases: []string{"Cr6", "CrVI", "Cr(VI)", "六价铬"}},
	Pb:             {name: "Pb", cn: "铅", code: "w20120", unit: "mg/L", kind: kindUpper, limits: lim(0.01, 0.01, 0.05, 0.05, 0.1), assessDP: 3, hourlyDP: 3},
	Cyanide:        {name: "CN", cn: "氰化物", code: "w21016", unit: "mg/L", kind: kindUpper, limits: lim(0.005, 0.05, 0.2, 0.2, 0.2), assessDP: 3, hourlyDP: 4, aliases: []string{"cyanide", "CN-"}},
	VolatilePhenol: {name: "VP", cn: "挥发酚", code: "w23002", unit: "mg/L", kind: kindUpper, limits: lim(0.002, 0.002, 0.005, 0.01, 0.1), assessDP: 4, hourlyDP: 4, aliases: []string{"volatile_phenol", "phenol"}},
	Petroleum:      {name: "Oil", cn: "石油类", code: "w22001", unit: "mg/L", kind: kindUpper, limits: lim(0.05, 0.05, 0.05, 0.5, 1.0), assessDP: 2, hourlyDP: 3, aliases: []string{"petroleum", "oils"}},
	LAS:            {name: "LAS", cn: "阴离子表面活性剂", code: "w19002", unit: "mg/L", kind: kindUpper, limits: lim(0.2, 0.2, 0.2, 0.3, 0.3), assessDP: 2, hourlyDP: 2, aliases: []string{"anionic_surfactant"}},
	Sulfide:        {name: "S2-", cn: "硫化物", code: "w21019", unit: "mg/L", kind: kindUpper, limits: lim(0.05, 0.1, 0.2, 0.5, 1.0), assessDP: 3, hourlyDP: 3, aliases: []string{"sulfide", "S2", "sulphide"}},
	FecalColiform:  {name: "FC", cn: "粪大肠菌群", code: "w02003", unit: "个/L", kind: kindUpper, limits: lim(200, 2000, 10000, 20000, 40000), assessDP: 0, hourlyDP: 0, aliases: []string{"fecal_coliform", "faecal_coliform"}},

	Sulfate:  {name: "SO4", cn: "硫酸盐", code: "w21038", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(250 * unit)}, assessDP: -1, hourlyDP: 1, aliases: []string{"sulfate", "SO4 2-", "硫酸盐(以SO4 2-计)"}},
	Chloride: {name: "Cl", cn: "氯化物", code: "w21022", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(250 * unit)}, assessDP: -1, hourlyDP: 1, aliases: []string{"chloride", "Cl-", "氯化物(以Cl-计)"}},
	Nitrate:  {name: "NO3-N", cn: "硝酸盐", code: "w21007", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(10 * unit)}, assessDP: -1, hourlyDP: 1, aliases: []string{"nitrate", "NO3", "硝酸盐(以N计)"}},
	Fe:       {name: "Fe", cn: "铁", code: "w20125", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.3 * unit)}, assessDP: -1, hourlyDP: 5},
	Mn:       {name: "Mn", cn: "锰", code: "w20124", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.1 * unit)}, assessDP: -1, hourlyDP: 5},

	Mo: {name: "Mo", cn: "钼", code: "w20061", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.07 * unit)}, assessDP: -1, hourlyDP: 5},
	Co: {name: "Co", cn: "钴", code: "w20038", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(1.0 * unit)}, assessDP: -1, hourlyDP: 5},
	// Beryllium and nickel codes disagree between sources (w20147/w20127,
	// w20148/w20121); nickel follows HJ 212 table B.1, beryllium has none.
	Be: {name: "Be", cn: "铍", code: "", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.002 * unit)}, assessDP: -1, hourlyDP: 5},
	B:  {name: "B", cn: "硼", code: "w20023", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.5 * unit)}, assessDP: -1, hourlyDP: 5},
	Sb: {name: "Sb", cn: "锑", code: "w20004", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.005 * unit)}, assessDP: -1, hourlyDP: 5},
	Ni: {name: "Ni", cn: "镍", code: "w20121", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.02 * unit)}, assessDP: -1, hourlyDP: 5},
	Ba: {name: "Ba", cn: "钡", code: "w20012", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.7 * unit)}, assessDP: -1, hourlyDP: 5},
	V:  {name: "V", cn: "钒", code: "w20101", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.05 * unit)}, assessDP: -1, hourlyDP: 5},
	Ti: {name: "Ti", cn: "钛", code: "w20095", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.1 * unit)}, assessDP: -1, hourlyDP: 5},
	Tl: {name: "Tl", cn: "铊", code: "w20089", unit: "mg/L", kind: kindSingle, limits: [5]Dec{Dec(0.0001 * unit)}, assessDP: -1, hourlyDP: 5},

	Conductivity: {name: "Cond", cn: "电导率", code: "w01014", unit: "μS/cm", kind: kindNone, assessDP: 1, hourlyDP: 1, aliases: []string{"conductivity"}},
	Turbidity:    {name: "Turb", cn: "浊度", code: "", unit: "NTU", kind: kindNone, assessDP: 1, hourlyDP: 1, aliases: []string{"turbidity"}},
	Chla:         {name: "Chla", cn: "叶绿素a", code: "", unit: "mg/L", kind: kindNone, assessDP: 3, hourlyDP: 3, aliases: []string{"chlorophyll_a", "Chl-a"}},
}

// String returns the canonical name of the item ("NH3-N", "CODMn", ...).
func (it Item) String() string {
	if int(it) < NumItems {
		return items[it].name
	}
	return "?"
}

// ChineseName returns the item's name in GB 3838-2002.
func (it Item) ChineseName() string {
	if int(it) < NumItems {
		return items[it].cn
	}
	return ""
}

// Code returns the item's HJ 212 pollutant code, or "" if none is known.
func (it Item) Code() string {
	if int(it) < NumItems {
		return items[it].code
	}
	return ""
}

// Unit returns the unit of the item's limits (and of the values the engine
// expects): mg/L except pH, water temperature, fecal coliforms (个/L) and the
// auxiliary parameters. Note that HJ 212 reports mercury in µg/L: convert
// before classifying.
func (it Item) Unit() string {
	if int(it) < NumItems {
		return items[it].unit
	}
	return ""
}

// Classified reports whether the item has Table 1 classes.
func (it Item) Classified() bool {
	if int(it) >= NumItems {
		return false
	}
	k := items[it].kind
	return k == kindUpper || k == kindLower || k == kindRange
}

// AssessmentDecimals returns the decimals of assessment (period) data per
// the 2020 statistics rules, or -1 if none is defined.
func (it Item) AssessmentDecimals() int { return int(items[it].assessDP) }

// HourlyDecimals returns the decimals of hourly automatic-station data per
// 总站水字〔2020〕90号, falling back to the assessment decimals where the
// table has no entry (BOD5 is never measured automatically).
func (it Item) HourlyDecimals() int {
	if d := items[it].hourlyDP; d >= 0 {
		return int(d)
	}
	return int(items[it].assessDP)
}

// Limit returns the item's limit for class c (1..5) and the water body, and
// false for items without classes. For pH it returns the lower bound 6 for
// c == 1 and the upper bound 9 for c == 2 (the range is the same for every
// class). For Table 2 and 3 items, c is ignored.
func (it Item) Limit(c Class, body WaterBody) (Dec, bool) {
	if int(it) >= NumItems {
		return 0, false
	}
	info := &items[it]
	switch info.kind {
	case kindSingle:
		return info.limits[0], true
	case kindNone:
		return 0, false
	}
	if c < 1 || c > 5 {
		return 0, false
	}
	if it == TP && body == Lake {
		return tpLake[c-1], true
	}
	return info.limits[c-1], true
}

// ItemSet is a set of items.
type ItemSet uint64

// Has reports whether it is in the set.
func (s ItemSet) Has(it Item) bool { return s&(1<<it) != 0 }

// With returns the set plus it.
func (s ItemSet) With(it Item) ItemSet { return s | 1<<it }

// Len returns the number of items in the set.
func (s ItemSet) Len() int { return bits.OnesCount64(uint64(s)) }

// Items returns the items in table order.
func (s ItemSet) Items() []Item {
	out := make([]Item, 0, s.Len())
	for r := uint64(s); r != 0; r &= r - 1 {
		out = append(out, Item(bits.TrailingZeros64(r)))
	}
	return out
}

// Names returns the canonical names of the items in table order.
func (s ItemSet) Names() []string {
	out := make([]string, 0, s.Len())
	for r := uint64(s); r != 0; r &= r - 1 {
		out = append(out, Item(bits.TrailingZeros64(r)).String())
	}
	return out
}

// SetOf builds a set.
func SetOf(its ...Item) ItemSet {
	var s ItemSet
	for _, it := range its {
		s = s.With(it)
	}
	return s
}

// Evaluation item sets.
var (
	// Set21 is the 21 items of water-quality evaluation: GB 3838-2002 table 1
	// without water temperature, TN and fecal coliforms (地表水环境质量评价办法
	// (试行), 环办〔2011〕22号, 一(一)1; repeated in the 2020 statistics rules).
	// The 2017 CWQI uses the same 21 items.
	Set21 = SetOf(PH, DO, CODMn, COD, BOD5, NH3N, TP, Cu, Zn, Fluoride, Se, As, Hg, Cd, Cr6, Pb, Cyanide, VolatilePhenol, Petroleum, LAS, Sulfide)
	// SetAuto5 is the 5 items automatic stations are classified on (pH, DO,
	// CODMn, NH3-N, TP), as in the national and provincial weekly bulletins.
	SetAuto5 = SetOf(PH, DO, CODMn, NH3N, TP)
	// SetTable23 is the drinking-water-source items of tables 2 and 3.
	SetTable23 = SetOf(Sulfate, Chloride, Nitrate, Fe, Mn, Mo, Co, Be, B, Sb, Ni, Ba, V, Ti, Tl)
)

// lookup maps every accepted spelling, lower-cased, to its item. It is
// derived once from the constant item table.
var lookup = func() map[string]Item {
	m := make(map[string]Item, NumItems*4)
	for i := range items {
		it := Item(i)
		info := &items[i]
		for _, k := range append([]string{info.name, info.cn, info.code}, info.aliases...) {
			if k != "" {
				m[strings.ToLower(k)] = it
			}
		}
	}
	return m
}()

// LookupItem finds an item by its canonical name ("NH3-N"), its GB 3838
// Chinese name ("氨氮"), an accepted alias, or its HJ 212 code ("w21003").
// Latin letters are matched case-insensitively. Unknown names return false:
// the engine never guesses.
func LookupItem(name string) (Item, bool) {
	name = strings.TrimSpace(name)
	if it, ok := lookup[name]; ok {
		return it, true
	}
	it, ok := lookup[strings.ToLower(name)]
	return it, ok
}
