package registry

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/ecowatch/ecowatch/internal/model"
)

// demoCounty is a county-level unit of 聊城 (Liaocheng, Shandong) with
// the industries the demo gives it and a point near its main town.
type demoCounty struct {
	model.County
	division string   // division code used in credit codes
	place    []string // how local company names start
	lat, lon float64
	spread   float64 // degrees of jitter around (lat, lon)
	industry []demoShare
}

type demoShare struct {
	industry string
	n        int
}

// demoCounties are the 11 county-level units of 聊城. The eight counties
// and districts carry their real administrative division codes (GB/T
// 2260); the three zones have no division code of their own, so they get
// made-up codes in the unused 9x range (371591-371593), and their
// enterprises' credit codes use the city's code 371500, under which zone
// enterprises register. The industry mix follows the area's known
// industries (bearings in 临清, steel and aluminium in 茌平, steel pipes in
// the development zone, 阿胶 pharmaceuticals in 东阿, paper in 高唐,
// chemicals in the high-tech zone); the names and counts are synthetic.
var demoCounties = []demoCounty{
	{model.County{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu District"}, "371502",
		[]string{"聊城", "聊城市"}, 36.44, 115.98, 0.07,
		[]demoShare{{"heating", 7}, {"power", 2}, {"food", 10}, {"chemicals", 6}, {"pharmaceuticals", 3}, {"cement", 2}, {"paper", 2}, {"bearings", 4}}},
	{model.County{Code: "371503", Name: "茌平区", NameEN: "Chiping District"}, "371503",
		[]string{"茌平", "聊城茌平"}, 36.58, 116.25, 0.08,
		[]demoShare{{"aluminium", 10}, {"steel", 8}, {"power", 4}, {"heating", 3}, {"chemicals", 4}, {"paper", 4}, {"food", 4}, {"cement", 2}}},
	{model.County{Code: "371521", Name: "阳谷县", NameEN: "Yanggu County"}, "371521",
		[]string{"阳谷", "阳谷县"}, 36.11, 115.79, 0.08,
		[]demoShare{{"food", 10}, {"chemicals", 6}, {"paper", 3}, {"cement", 3}, {"heating", 3}, {"power", 2}, {"pharmaceuticals", 1}}},
	{model.County{Code: "371522", Name: "莘县", NameEN: "Shen County"}, "371522",
		[]string{"莘县"}, 36.23, 115.67, 0.08,
		[]demoShare{{"food", 10}, {"chemicals", 4}, {"cement", 2}, {"heating", 3}, {"power", 2}, {"paper", 2}}},
	{model.County{Code: "371524", Name: "东阿县", NameEN: "Dong'e County"}, "371524",
		[]string{"东阿", "东阿县"}, 36.34, 116.25, 0.07,
		[]demoShare{{"pharmaceuticals", 10}, {"food", 6}, {"cement", 3}, {"chemicals", 4}, {"heating", 2}, {"power", 2}}},
	{model.County{Code: "371525", Name: "冠县", NameEN: "Guan County"}, "371525",
		[]string{"冠县"}, 36.48, 115.44, 0.08,
		[]demoShare{{"bearings", 6}, {"steel", 5}, {"food", 5}, {"heating", 3}, {"power", 1}, {"chemicals", 2}}},
	{model.County{Code: "371526", Name: "高唐县", NameEN: "Gaotang County"}, "371526",
		[]string{"高唐", "高唐县"}, 36.84, 116.23, 0.05,
		[]demoShare{{"paper", 6}, {"food", 5}, {"chemicals", 3}, {"heating", 3}, {"power", 2}, {"pharmaceuticals", 2}}},
	{model.County{Code: "371581", Name: "临清市", NameEN: "Linqing City"}, "371581",
		[]string{"临清", "临清市"}, 36.82, 115.72, 0.07,
		[]demoShare{{"bearings", 40}, {"food", 3}, {"heating", 3}, {"power", 2}, {"chemicals", 2}, {"paper", 2}}},
	{model.County{Code: "371591", Name: "聊城经济技术开发区", NameEN: "Liaocheng Economic and Technological Development Zone"}, "371500",
		[]string{"聊城", "山东"}, 36.42, 116.06, 0.03,
		[]demoShare{{"steel", 10}, {"chemicals", 5}, {"power", 2}, {"heating", 2}, {"pharmaceuticals", 2}, {"food", 3}}},
	{model.County{Code: "371592", Name: "聊城高新技术产业开发区", NameEN: "Liaocheng High-tech Industrial Development Zone"}, "371500",
		[]string{"聊城", "山东"}, 36.49, 116.04, 0.03,
		[]demoShare{{"chemicals", 12}, {"pharmaceuticals", 4}, {"power", 2}, {"heating", 2}, {"food", 3}}},
	{model.County{Code: "371593", Name: "江北水城旅游度假区", NameEN: "Jiangbei Shuicheng Tourist Resort"}, "371500",
		[]string{"聊城"}, 36.40, 115.93, 0.02,
		[]demoShare{{"heating", 2}, {"food", 3}}},
}

// The demo city's bounds: every enterprise lies inside them.
const (
	demoMinLat, demoMaxLat = 35.9, 36.9
	demoMinLon, demoMaxLon = 115.2, 116.6
)

// demoIndustryWords are the words company names of an industry use.
var demoIndustryWords = map[string][]string{
	"bearings":        {"轴承", "精密轴承", "轴承制造", "滚动体", "保持器"},
	"steel":           {"钢管", "特钢", "无缝钢管", "镀锌板", "精密钢管"},
	"aluminium":       {"铝业", "铝材", "新型铝材", "铝型材"},
	"paper":           {"纸业", "造纸", "浆纸", "特种纸"},
	"chemicals":       {"化工", "精细化工", "化学", "新材料", "化肥"},
	"cement":          {"水泥", "建材", "水泥粉磨"},
	"food":            {"食品", "肉食品", "面粉", "淀粉", "果蔬", "乳业"},
	"pharmaceuticals": {"制药", "阿胶", "生物医药", "药业"},
	"power":           {"热电", "发电", "电力"},
	"heating":         {"热力", "供热", "清洁能源"},
}

// demoBrands are invented trade names (字号) for the synthetic companies.
var demoBrands = strings.Fields(`鑫达 恒通 华丰 瑞祥 金源 宏远 泰和 永盛 润丰 利民 德润 海晟 天宇 盛达
华信 聚源 嘉禾 润泽 博源 昌隆 裕丰 开元 兴业 鼎盛 宝丰 福瑞 广源 晨光 汇通 金科 安泰 景和 运河 水城 凤凰
长青 同泰 祥和 益康 恒力 金瑞 振华 富源 联盛 宇通 腾达 立信 信和 诚达 旭日`)

// Emission limits of the demo outlets. Air: converted (折算) hourly
// concentrations in mg/m3 like the special emission limits of GB
// 13271-2014 (boilers), GB 13223-2011 with the ultra-low emission retrofit
// (power units), GB 4915-2013 (cement), GB 28665-2012 (steel rolling),
// GB 25465-2010 (aluminium). Water: daily concentrations in mg/L like GB
// 8978-1996 grade 1 (direct discharge) and grade 3 (to a municipal
// plant), GB 3544-2008 (paper) and GB 21904-2008 (pharmaceuticals); pH 6-9.
// They are plausible, not a statement of any real permit.
type airProfile struct{ so2, nox, dust float64 }
type waterProfile struct{ cod, nh3n, tp, tn float64 }

var (
	airCoalPower   = airProfile{35, 50, 10}
	airCoalBoiler  = airProfile{200, 200, 30}
	airGasBoiler   = airProfile{50, 150, 20}
	airCementKiln  = airProfile{100, 320, 20}
	airSteelFurn   = airProfile{150, 300, 15}
	airAluminium   = airProfile{100, 100, 10}
	airChemProcess = airProfile{100, 100, 10}

	waterDirect   = waterProfile{100, 15, 0.5, 20}
	waterIndirect = waterProfile{500, 45, 8, 70}
	waterPaper    = waterProfile{60, 5, 0.5, 10}
	waterPharma   = waterProfile{50, 5, 0.5, 15}
)

func fp(f float64) *float64 { return &f }

// air returns the limits of a combustion or process stack: SO2, NOx and
// dust as converted concentrations, with O2 (for the conversion) and flue
// gas flow monitored without a limit.
func (p airProfile) limits() []model.Limit {
	return []model.Limit{
		{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: fp(p.so2)},
		{Pollutant: "a21002", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: fp(p.nox)},
		{Pollutant: "a34013", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: fp(p.dust)},
		{Pollutant: "a19001", Unit: "%", Kind: model.LimitMeasured, Period: model.PeriodHour},
		{Pollutant: "a00000", Unit: "m3/s", Kind: model.LimitMeasured, Period: model.PeriodHour},
	}
}

// dustOnly is a non-combustion dust source (cement grinding, kiln head):
// measured concentration, no oxygen conversion (GB 4915-2013).
func dustOnly(max float64) []model.Limit {
	return []model.Limit{
		{Pollutant: "a34013", Unit: "mg/m3", Kind: model.LimitMeasured, Period: model.PeriodHour, Max: fp(max)},
		{Pollutant: "a00000", Unit: "m3/s", Kind: model.LimitMeasured, Period: model.PeriodHour},
	}
}

func (p waterProfile) limits() []model.Limit {
	return []model.Limit{
		{Pollutant: "w01018", Unit: "mg/L", Kind: model.LimitMeasured, Period: model.PeriodDay, Max: fp(p.cod)},
		{Pollutant: "w21003", Unit: "mg/L", Kind: model.LimitMeasured, Period: model.PeriodDay, Max: fp(p.nh3n)},
		{Pollutant: "w21011", Unit: "mg/L", Kind: model.LimitMeasured, Period: model.PeriodDay, Max: fp(p.tp)},
		{Pollutant: "w21001", Unit: "mg/L", Kind: model.LimitMeasured, Period: model.PeriodDay, Max: fp(p.tn)},
		{Pollutant: "w01001", Unit: "无量纲", Kind: model.LimitMeasured, Period: model.PeriodDay, Min: fp(6), Max: fp(9)},
		{Pollutant: "w00000", Unit: "L/s", Kind: model.LimitMeasured, Period: model.PeriodDay},
	}
}

// demoDetection are the detection limits of the demo's analysers, in the
// units of the limits: the manual reference methods' figures as commonly
// quoted (SO2 HJ 57-2017 and NOx HJ 693-2014, fixed-potential
// electrolysis, 3 mg/m3; low-concentration particulates HJ 836-2017,
// 1.0 mg/m3; COD HJ 828-2017, 4 mg/L; ammonia nitrogen HJ 535-2009,
// 0.025 mg/L; total phosphorus GB 11893-89, 0.01 mg/L; total nitrogen HJ
// 636-2012, 0.05 mg/L). Demo values, not checked against the standards'
// text; a real registry takes each analyser's own figures.
var demoDetection = map[string]float64{
	"a21026": 3, "a21002": 3, "a34013": 1,
	"w01018": 4, "w21003": 0.025, "w21011": 0.01, "w21001": 0.05,
}

// demoFullScales are the full-scale settings analysers offer.
var demoFullScales = []float64{1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000}

// demoAnalysers returns the analysers of a device at an outlet: one per
// limited factor, set to the smallest full scale at least 2.5 times the
// limit (so a CEMS NOx analyser of a 150 mg/m3 boiler reads 0–500 mg/m3),
// oxygen 0–25 %, pH 0–14; flow has no analyser row. It draws no random
// numbers, so the rest of the demo city does not change.
func demoAnalysers(limits []model.Limit) []model.DeviceFactor {
	var out []model.DeviceFactor
	for _, l := range limits {
		f := model.DeviceFactor{Factor: l.Pollutant, Unit: l.Unit}
		switch {
		case l.Pollutant == "w01001":
			f.RangeMax = fp(14)
		case l.Pollutant == "a19001":
			f.RangeMax = fp(25)
		case l.Max == nil:
			continue
		default:
			for _, fs := range demoFullScales {
				if fs >= 2.5**l.Max {
					f.RangeMax = fp(fs)
					break
				}
			}
			if f.RangeMax == nil {
				f.RangeMax = fp(demoFullScales[len(demoFullScales)-1])
			}
		}
		if dl, ok := demoDetection[l.Pollutant]; ok {
			f.DetectionLimit = fp(dl)
		}
		out = append(out, f)
	}
	return out
}

type demoOutlet struct {
	kind   string
	name   string
	limits []model.Limit
}

// demoOutlets returns the outlets of an enterprise of an industry.
func demoOutlets(rng *rand.Rand, industry string) []demoOutlet {
	var out []demoOutlet
	air := func(name string, l []model.Limit) { out = append(out, demoOutlet{model.OutletAir, name, l}) }
	water := func(name string, p waterProfile) {
		out = append(out, demoOutlet{model.OutletWater, name, p.limits()})
	}
	boilers := func(n int, p airProfile) {
		for i := 1; i <= n; i++ {
			air(fmt.Sprintf("%d号锅炉废气排放口", i), p.limits())
		}
	}
	switch industry {
	case "bearings":
		switch x := rng.IntN(10); {
		case x < 5:
			water("清洗废水排放口", waterIndirect)
		case x < 8:
			air("热处理炉废气排放口", airGasBoiler.limits())
		default:
			air("热处理炉废气排放口", airGasBoiler.limits())
			water("清洗废水排放口", waterIndirect)
		}
	case "steel":
		for i, n := 1, 1+rng.IntN(2); i <= n; i++ {
			air(fmt.Sprintf("%d号加热炉废气排放口", i), airSteelFurn.limits())
		}
		if rng.IntN(2) == 0 {
			water("废水总排放口", waterDirect)
		}
	case "aluminium":
		air("电解烟气排放口", airAluminium.limits())
		air("焙烧炉废气排放口", airAluminium.limits())
		if rng.IntN(2) == 0 {
			water("废水总排放口", waterDirect)
		}
	case "paper":
		water("废水总排放口", waterPaper)
		boilers(1, airCoalBoiler)
	case "chemicals":
		air("工艺废气排放口", airChemProcess.limits())
		if rng.IntN(2) == 0 {
			water("废水总排放口", waterDirect)
		} else {
			water("污水处理站排放口", waterIndirect)
		}
		if rng.IntN(10) < 3 {
			boilers(1, airGasBoiler)
		}
	case "cement":
		if rng.IntN(10) < 6 {
			air("窑尾废气排放口", airCementKiln.limits())
			air("窑头废气排放口", dustOnly(10))
		} else {
			air("粉磨废气排放口", dustOnly(10))
		}
	case "food":
		water("污水处理站排放口", waterIndirect)
		if rng.IntN(10) < 4 {
			boilers(1, airGasBoiler)
		}
	case "pharmaceuticals":
		water("废水总排放口", waterPharma)
		boilers(1, airGasBoiler)
	case "power":
		for i, n := 1, 1+rng.IntN(2); i <= n; i++ {
			air(fmt.Sprintf("%d号机组烟囱排放口", i), airCoalPower.limits())
		}
		if rng.IntN(2) == 0 {
			water("脱硫废水排放口", waterDirect)
		}
	case "heating":
		if rng.IntN(2) == 0 {
			boilers(1+rng.IntN(2), airCoalPower) // coal heating plants run to ultra-low limits
		} else {
			boilers(1+rng.IntN(2), airGasBoiler)
		}
	}
	return out
}

// DemoCity returns a synthetic registry of 聊城 (Liaocheng), the same for
// the same seed: its 11 county-level units, 300 enterprises of the area's
// industries with check-digit-correct credit codes and coordinates inside
// the city, about 500 air and water outlets with their monitored
// pollutants and limits, and one device per outlet (mostly HJ 212-2017
// with 24-hex-character MNs, a few HJ/T 212-2005 with 14-character MNs,
// two of them allowed a Modbus CRC, and a few HJ 212-2025), and 15 ambient
// air stations (5 national in the urban area, provincial and county ones in
// the counties), each with its HJ 212 device (ST=22). The result is sorted
// (see Sort).
func DemoCity(seed int64) *model.Registry {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6563_6f77_6174_6368)) // "ecowatch"
	r := &model.Registry{}
	usccs := map[string]bool{}
	names := map[string]bool{}
	mns := map[string]bool{}
	modbus := 0
	for _, c := range demoCounties {
		r.Counties = append(r.Counties, c.County)
		for _, share := range c.industry {
			for range share.n {
				e := model.Enterprise{
					USCC:     demoUSCC(rng, c.division, usccs),
					Name:     demoName(rng, c, share.industry, names),
					County:   c.Code,
					Industry: share.industry,
					Lat:      demoCoord(c.lat+(rng.Float64()*2-1)*c.spread, demoMinLat, demoMaxLat),
					Lon:      demoCoord(c.lon+(rng.Float64()*2-1)*c.spread*1.2, demoMinLon, demoMaxLon),
				}
				r.Enterprises = append(r.Enterprises, e)
				nAir, nWater := 0, 0
				for _, o := range demoOutlets(rng, share.industry) {
					var id, st string
					if o.kind == model.OutletAir {
						nAir++
						id, st = fmt.Sprintf("%s-DA%03d", e.USCC, nAir), "31"
					} else {
						nWater++
						id, st = fmt.Sprintf("%s-DW%03d", e.USCC, nWater), "32"
					}
					r.Outlets = append(r.Outlets, model.Outlet{ID: id, Enterprise: e.USCC, Name: o.name, Kind: o.kind, Limits: o.limits})
					d := model.Device{Outlet: id, ST: st, Password: fmt.Sprintf("%06d", rng.IntN(1_000_000)), Factors: demoAnalysers(o.limits)}
					switch x := rng.IntN(100); {
					case x < 3:
						// HJ/T 212-2005 loggers: 14-character MN, here
						// the county's division code and 8 digits.
						d.Protocol = Protocol2005
						d.MN = demoMN(rng, mns, func() string { return fmt.Sprintf("%s%08d", c.division, rng.IntN(100_000_000)) })
						if modbus < 2 {
							// The field has 2005-era loggers that send a
							// Modbus CRC (hj212.md, tonyxia2016 rx.log).
							d.Tolerances = []string{model.ToleranceModbusCRC}
							modbus++
						}
					case x < 6:
						d.Protocol = Protocol2025
						d.MN = demoMN(rng, mns, func() string { return hex24(rng) })
					default:
						d.Protocol = Protocol2017
						d.MN = demoMN(rng, mns, func() string { return hex24(rng) })
					}
					r.Devices = append(r.Devices, d)
				}
			}
		}
	}
	// Air stations last, so that the enterprises and devices above do not
	// depend on them (the rng sequence is unchanged).
	for _, ds := range demoStations {
		st := ds
		d := model.Device{MN: demoMN(rng, mns, func() string { return hex24(rng) }), Password: fmt.Sprintf("%06d", rng.IntN(1_000_000)),
			Protocol: Protocol2017, ST: StationST}
		st.MN = d.MN
		r.Devices = append(r.Devices, d)
		r.Stations = append(r.Stations, st)
	}
	Sort(r)
	return r
}

// demoStations are the demo city's ambient air stations. 聊城 has national
// stations (国控点) in the urban area, which evaluate the city and the
// district or zone they stand in, and provincial and county stations that
// evaluate each county. Codes follow CNEMC's "digits + A" form under the
// city's 3715 prefix; names, codes and points are synthetic.
var demoStations = []model.Station{
	{Code: "371501A", Name: "市环境监测站", County: "371502", Level: model.StationNational, Lat: 36.45612, Lon: 115.98533, CityEval: true, CountyEval: true},
	{Code: "371502A", Name: "聊城大学", County: "371502", Level: model.StationNational, Lat: 36.43418, Lon: 115.96127, CityEval: true, CountyEval: true},
	{Code: "371503A", Name: "开发区管委会", County: "371591", Level: model.StationNational, Lat: 36.42105, Lon: 116.05872, CityEval: true, CountyEval: true},
	{Code: "371504A", Name: "高新区实验学校", County: "371592", Level: model.StationNational, Lat: 36.49236, Lon: 116.03911, CityEval: true, CountyEval: true},
	{Code: "371505A", Name: "度假区东昌湖", County: "371593", Level: model.StationNational, Lat: 36.40188, Lon: 115.93406, CityEval: true, CountyEval: true},
	{Code: "371506A", Name: "东昌府区湖南路", County: "371502", Level: model.StationCounty, Lat: 36.44702, Lon: 116.00354, CountyEval: true},
	{Code: "371511A", Name: "茌平区政府", County: "371503", Level: model.StationProvincial, Lat: 36.58041, Lon: 116.25517, CountyEval: true},
	{Code: "371512A", Name: "茌平信发工业园", County: "371503", Level: model.StationCounty, Lat: 36.55872, Lon: 116.21433, CountyEval: true},
	{Code: "371521A", Name: "阳谷县环保局", County: "371521", Level: model.StationProvincial, Lat: 36.11403, Lon: 115.79132, CountyEval: true},
	{Code: "371522A", Name: "莘县政府", County: "371522", Level: model.StationProvincial, Lat: 36.23487, Lon: 115.67121, CountyEval: true},
	{Code: "371524A", Name: "东阿县实验中学", County: "371524", Level: model.StationProvincial, Lat: 36.33562, Lon: 116.24789, CountyEval: true},
	{Code: "371525A", Name: "冠县环保局", County: "371525", Level: model.StationProvincial, Lat: 36.48416, Lon: 115.44253, CountyEval: true},
	{Code: "371526A", Name: "高唐县政府", County: "371526", Level: model.StationProvincial, Lat: 36.84634, Lon: 116.23012, CountyEval: true},
	{Code: "371581A", Name: "临清市监测站", County: "371581", Level: model.StationProvincial, Lat: 36.83813, Lon: 115.70578, CountyEval: true},
	{Code: "371582A", Name: "临清烟店轴承园", County: "371581", Level: model.StationCounty, Lat: 36.76455, Lon: 115.82236, CountyEval: true},
}

// demoUSCC returns a new unified social credit code: 9 (market regulation)
// 1 (enterprise), the division code, a 9-character organization code with
// its GB 11714 check character (post-2015 style "MA…" or an older all-digit
// one) and the GB 32100 check character.
func demoUSCC(rng *rand.Rand, division string, seen map[string]bool) string {
	const orgChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	for {
		var org strings.Builder
		if rng.IntN(2) == 0 {
			org.WriteString("MA")
			for range 6 {
				org.WriteByte(orgChars[rng.IntN(len(orgChars))])
			}
		} else {
			for range 8 {
				org.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		o := org.String()
		first17 := "91" + division + o + string(orgCodeCheckChar(o))
		check, err := USCCCheckChar(first17)
		if err != nil {
			panic(err) // unreachable: all characters come from the alphabet
		}
		code := first17 + string(check)
		if !seen[code] {
			seen[code] = true
			return code
		}
	}
}

func demoName(rng *rand.Rand, c demoCounty, industry string, seen map[string]bool) string {
	words := demoIndustryWords[industry]
	for {
		place := c.place[rng.IntN(len(c.place))]
		if rng.IntN(8) == 0 && !strings.HasPrefix(place, "山东") {
			place = "山东" + strings.TrimSuffix(strings.TrimSuffix(place, "市"), "县")
		}
		suffix := "有限公司"
		switch rng.IntN(10) {
		case 0:
			suffix = "股份有限公司"
		case 1:
			suffix = "有限责任公司"
		}
		name := place + demoBrands[rng.IntN(len(demoBrands))] + words[rng.IntN(len(words))] + suffix
		if !seen[name] {
			seen[name] = true
			return name
		}
	}
}

// demoCoord clamps to the city's bounds and rounds to 5 decimals (about a
// metre), which keeps the golden file readable.
func demoCoord(x, lo, hi float64) float64 {
	x = min(max(x, lo), hi)
	return math.Round(x*1e5) / 1e5
}

func demoMN(rng *rand.Rand, seen map[string]bool, gen func() string) string {
	for {
		mn := gen()
		if !seen[mn] {
			seen[mn] = true
			return mn
		}
	}
}

// hex24 is a 2017-style MN: 24 hexadecimal characters (HJ 212-2017 table
// 3, EPC-96).
func hex24(rng *rand.Rand) string {
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 24)
	for i := range b {
		b[i] = hexDigits[rng.IntN(16)]
	}
	return string(b)
}
