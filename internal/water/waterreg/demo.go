package waterreg

import (
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/ecowatch/ecowatch/internal/model"
)

// The demo city's water network, after shared/reference/demo-city.md:
// 徒骇河 and 马颊河 cross the city from south-west to north-east, 卫运河
// forms the western border at 临清, 金堤河 runs along the south into the
// 黄河, and the old 京杭运河 (小运河) with the lake 东昌湖 lies at the
// centre; 赵牛河 (a real tributary of 徒骇河 through 东阿 and 茌平) gives
// 东阿 its river. Lengths, velocities and flows are plausible for the
// plain rivers of the area, not survey data. Provincial and national
// sections sit where a river leaves the city or crosses a county border
// (14 of them, as in the 2023 report), a few city sections watch the
// canal and the lake, and 10 drinking-water sources are the counties'
// Yellow-River-fed reservoirs.

// demoStretch is a stretch of a river in one county, ending at a node.
type demoStretch struct {
	county string
	km     float64
	to     string // node at the downstream end
	toKind string
	toName string
	flow   float64 // mean discharge, m³/s
	// A section near the downstream end (a border or the exit), if any.
	section *demoSection
}

type demoSection struct {
	code, name, level string
	target            int
	auto              bool
	offsetKm          float64 // from the stretch's upstream node; 0 = 0.8 km above its end
	body              string
}

type demoRiver struct {
	river            model.River
	from, fromName   string // the first node (entry into the city or headwater)
	velocity         float64
	stretches        []demoStretch
	fromIsConfluence bool // from is a node created by another river
}

func sec(code, name, level string, target int, auto bool) *demoSection {
	return &demoSection{code: code, name: name, level: level, target: target, auto: auto, body: model.BodyRiver}
}

var demoRivers = []demoRiver{
	{river: model.River{Code: "THH", Name: "徒骇河", Basin: "海河流域", Kind: model.BodyRiver}, from: "THH-0", fromName: "徒骇河入境(莘县)", velocity: 0.25,
		stretches: []demoStretch{
			{"371522", 28, "THH-1", "junction", "莘县-阳谷交界", 5, sec("WS01", "徒骇河莘阳交界", model.SectionProvincial, 4, false)},
			{"371521", 32, "THH-2", "junction", "阳谷-东昌府交界", 6, sec("WS02", "徒骇河阳东交界", model.SectionProvincial, 4, false)},
			{"371502", 30, "THH-3", "junction", "东昌府-茌平交界", 8, sec("WS03", "徒骇河东茌交界", model.SectionProvincial, 4, false)},
			{"371503", 18, "THH-C", "confluence", "赵牛河汇入", 9, nil},
			{"371503", 12, "THH-4", "junction", "茌平-高唐交界", 12, sec("WS04", "徒骇河茌高交界", model.SectionProvincial, 4, false)},
			{"371526", 25, "THH-5", "mouth", "徒骇河出境(高唐)", 13, sec("WS05", "徒骇河高唐出境", model.SectionNational, 4, true)},
		}},
	{river: model.River{Code: "ZNH", Name: "赵牛河", Basin: "海河流域", Kind: model.BodyRiver}, from: "ZNH-0", fromName: "赵牛河源头(东阿)", velocity: 0.2,
		stretches: []demoStretch{
			{"371524", 26, "ZNH-1", "junction", "东阿-茌平交界", 2, sec("WS06", "赵牛河东阿出境", model.SectionProvincial, 4, false)},
			{"371503", 20, "THH-C", "confluence", "", 2.5, nil},
		}},
	{river: model.River{Code: "MJH", Name: "马颊河", Basin: "海河流域", Kind: model.BodyRiver}, from: "MJH-0", fromName: "马颊河入境(莘县)", velocity: 0.22,
		stretches: []demoStretch{
			{"371522", 30, "MJH-1", "junction", "莘县-冠县交界", 4, sec("WS07", "马颊河莘冠交界", model.SectionProvincial, 4, false)},
			{"371525", 22, "MJH-2", "junction", "冠县-东昌府交界", 5, sec("WS08", "马颊河冠东交界", model.SectionProvincial, 4, false)},
			{"371502", 26, "MJH-3", "junction", "东昌府-临清交界", 6, sec("WS09", "马颊河东临交界", model.SectionProvincial, 4, false)},
			{"371581", 20, "MJH-4", "junction", "临清-高唐交界", 7, sec("WS10", "马颊河临高交界", model.SectionProvincial, 4, false)},
			{"371526", 24, "MJH-5", "mouth", "马颊河出境(高唐)", 8, sec("WS11", "马颊河高唐出境", model.SectionNational, 4, true)},
		}},
	{river: model.River{Code: "XYH", Name: "小运河", Basin: "海河流域", Kind: model.BodyRiver}, from: "XYH-0", fromName: "位山引黄渠首(阳谷)", velocity: 0.15,
		stretches: []demoStretch{
			{"371521", 20, "XYH-1", "junction", "阳谷-东昌府交界", 3, sec("WC01", "小运河阳东交界", model.SectionCity, 4, false)},
			{"371502", 15, "DCH", "lake", "东昌湖", 3, nil},
			{"371502", 8, "XYH-2", "junction", "东昌府-临清交界", 3, &demoSection{code: "WC02", name: "东昌湖出口", level: model.SectionCity, target: 3, offsetKm: 0.3, body: model.BodyLake}},
			{"371581", 40, "WYH-C", "confluence", "小运河汇入卫运河", 3, sec("WC03", "小运河入卫运河前", model.SectionCity, 4, false)},
		}},
	{river: model.River{Code: "WYH", Name: "卫运河", Basin: "海河流域", Kind: model.BodyRiver}, from: "WYH-0", fromName: "卫运河入境(冠县)", velocity: 0.3,
		stretches: []demoStretch{
			{"371525", 35, "WYH-1", "junction", "冠县-临清交界", 20, &demoSection{code: "WS12", name: "卫运河冠县入境", level: model.SectionNational, target: 4, auto: true, offsetKm: 1, body: model.BodyRiver}},
			{"371581", 12, "WYH-C", "confluence", "小运河汇入卫运河", 20, nil},
			{"371581", 18, "WYH-2", "mouth", "卫运河出境(临清)", 23, sec("WS13", "卫运河临清出境", model.SectionNational, 4, true)},
		}},
	{river: model.River{Code: "JDH", Name: "金堤河", Basin: "黄河流域", Kind: model.BodyRiver}, from: "JDH-0", fromName: "金堤河入境(莘县)", velocity: 0.18,
		stretches: []demoStretch{
			{"371522", 30, "JDH-1", "junction", "莘县-阳谷交界", 3, nil},
			{"371521", 28, "JDH-2", "mouth", "金堤河入黄河(阳谷)", 4, sec("WS14", "金堤河阳谷出境", model.SectionNational, 4, true)},
		}},
	{river: model.River{Code: "DCH", Name: "东昌湖", Basin: "海河流域", Kind: model.BodyLake}},
}

// demoSources are the 10 county-level-or-higher drinking-water sources.
var demoSources = []struct{ code, name, county string }{
	{"WD01", "聊城市东聊水库水源地", "371502"},
	{"WD02", "东昌府区郭堤水库水源地", "371502"},
	{"WD03", "茌平区引黄调蓄水库水源地", "371503"},
	{"WD04", "阳谷县陶城铺水库水源地", "371521"},
	{"WD05", "莘县燕塔水库水源地", "371522"},
	{"WD06", "东阿县洛神湖水库水源地", "371524"},
	{"WD07", "冠县清水湖水库水源地", "371525"},
	{"WD08", "高唐县鱼丘湖水库水源地", "371526"},
	{"WD09", "临清市先锋水库水源地", "371581"},
	{"WD10", "聊城市位山引黄调蓄水库水源地", "371521"},
}

// demoSourceItems are the table 2 items every source monitors and the
// table 3 metals of the demo's monthly programme.
var demoSourceItems = []string{"SO4", "Cl", "NO3-N", "Fe", "Mn", "Sb", "Ni", "Ba", "Mo", "Tl"}

// demoCentre is the approximate centre of each county (as the demo
// registry places its enterprises); the zones lie in 东昌府区.
var demoCentre = map[string][2]float64{
	"371502": {36.44, 115.98}, "371503": {36.58, 116.25}, "371521": {36.11, 115.79}, "371522": {36.23, 115.67},
	"371524": {36.34, 116.25}, "371525": {36.48, 115.44}, "371526": {36.84, 116.23}, "371581": {36.82, 115.72},
}

// demoPosition places a section between the centre of its stretch's county
// and the next stretch's (a border section), or beyond the centre toward
// the north-east, where the rivers leave the city (an exit section).
func demoPosition(county, next string) (lat, lon float64) {
	a := demoCentre[county]
	b, ok := demoCentre[next]
	if !ok || next == county {
		b = [2]float64{a[0] + 0.16, a[1] + 0.12}
	}
	round := func(x float64) float64 { return float64(int(x*1e4+0.5)) / 1e4 }
	return round((a[0] + b[0]) / 2), round((a[1] + b[1]) / 2)
}

// DemoStationST is the system code of the demo's automatic water stations.
const DemoStationST = "21"

// Demo returns the demo city's water registry for the demo registry city
// (registry.DemoCity): the network above, and one outfall for every water
// outlet, on a reach of the enterprise's county (the three zones lie in
// 东昌府区). It also returns the ST=21 devices of the automatic stations,
// which belong in the main registry (add them to city.Devices before
// importing it).
func Demo(city *model.Registry) (*model.WaterRegistry, []model.Device) {
	w := &model.WaterRegistry{}
	var devices []model.Device
	reachesOf := map[string][]model.Reach{}
	nodes := map[string]bool{}
	addNode := func(id, kind, name string) {
		if !nodes[id] {
			nodes[id] = true
			w.Nodes = append(w.Nodes, model.WaterNode{ID: id, Name: name, Kind: kind})
		}
	}
	for _, r := range demoRivers {
		w.Rivers = append(w.Rivers, r.river)
		if r.river.Kind != model.BodyRiver {
			continue
		}
		addNode(r.from, "source", r.fromName)
		from := r.from
		for i, s := range r.stretches {
			addNode(s.to, s.toKind, s.toName)
			reach := model.Reach{ID: fmt.Sprintf("%s-R%d", r.river.Code, i+1), Name: fmt.Sprintf("%s第%d段", r.river.Name, i+1),
				River: r.river.Code, From: from, To: s.to, LengthM: s.km * 1000, VelocityMS: r.velocity, FlowM3S: s.flow}
			w.Reaches = append(w.Reaches, reach)
			reachesOf[s.county] = append(reachesOf[s.county], reach)
			if s.section != nil {
				d := s.section
				off := d.offsetKm * 1000
				if off == 0 {
					off = reach.LengthM - 800
				}
				ws := model.WaterSection{Code: d.code, Name: d.name, Level: d.level, Body: d.body, River: r.river.Code,
					Target: d.target, County: s.county, Automatic: d.auto, Reach: reach.ID, OffsetM: off}
				if d.body == model.BodyLake {
					ws.River = "DCH"
				}
				next := ""
				if i+1 < len(r.stretches) {
					next = r.stretches[i+1].county
				}
				ws.Lat, ws.Lon = demoPosition(s.county, next)
				if d.offsetKm != 0 {
					// Placed by hand inside its county (an entry, a lake
					// outlet): the county's centre.
					c := demoCentre[s.county]
					ws.Lat, ws.Lon = c[0], c[1]
				}
				if d.auto {
					ws.MN = "37150021000" + d.code[2:]
					devices = append(devices, model.Device{MN: ws.MN, Password: "21" + d.code[2:] + "00", Protocol: "2017", ST: DemoStationST})
				}
				w.Sections = append(w.Sections, ws)
			}
			from = s.to
		}
	}
	for i := range w.Nodes {
		if w.Nodes[i].Kind == "lake" {
			// 东昌湖 is shallow and fed and drained by the canal: a few
			// days' residence.
			w.Nodes[i].ResidenceH = 72
		}
	}
	for _, s := range demoSources {
		w.Sources = append(w.Sources, model.DrinkingSource{Code: s.code, Name: s.name, County: s.county,
			Body: model.BodyReservoir, Items: slices.Clone(demoSourceItems)})
	}
	if city == nil {
		return w, devices
	}
	county := map[string]string{}
	names := map[string]string{}
	for _, e := range city.Enterprises {
		county[e.USCC] = e.County
		names[e.USCC] = e.Name
	}
	seq := map[string]int{}
	for _, o := range city.Outlets {
		if o.Kind != model.OutletWater {
			continue
		}
		c := county[o.Enterprise]
		rs := reachesOf[c]
		if len(rs) == 0 {
			rs = reachesOf["371502"] // the zones lie in 东昌府区
		}
		h := fnv.New64a()
		h.Write([]byte(o.ID))
		x := h.Sum64()
		r := rs[x%uint64(len(rs))]
		// Somewhere in the reach, whole metres, clear of its ends.
		off := float64(500 + (x>>16)%uint64(r.LengthM-1000))
		seq[c]++
		w.Outfalls = append(w.Outfalls, model.WaterOutfall{
			Code: fmt.Sprintf("RH%s%03d", c, seq[c]), Name: names[o.Enterprise] + "入河排污口",
			Reach: r.ID, OffsetM: off, Outlet: o.ID,
		})
	}
	return w, devices
}
