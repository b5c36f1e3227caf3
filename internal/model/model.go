// Package model holds the plain data types shared by the registry, the
// store, the gateway and the web API. It has no behaviour beyond small
// helpers and imports nothing of the project.
package model

import "time"

// County is a county-level unit (区/县/市/功能区) of the city.
type County struct {
	Code   string `json:"code" yaml:"code"`       // administrative or zone code, e.g. 371502
	Name   string `json:"name" yaml:"name"`       // Chinese name, e.g. 东昌府区
	NameEN string `json:"name_en" yaml:"name_en"` // English name
}

// Enterprise is a regulated enterprise (重点排污单位).
type Enterprise struct {
	USCC     string  `json:"uscc" yaml:"uscc"` // unified social credit code (GB 32100-2015)
	Name     string  `json:"name" yaml:"name"`
	County   string  `json:"county" yaml:"county"` // County.Code
	Industry string  `json:"industry" yaml:"industry"`
	Lat      float64 `json:"lat,omitempty" yaml:"lat,omitempty"`
	Lon      float64 `json:"lon,omitempty" yaml:"lon,omitempty"`
}

// Outlet kinds.
const (
	OutletAir   = "air"   // 废气排放口
	OutletWater = "water" // 废水排放口
)

// Outlet is a discharge outlet of an enterprise.
type Outlet struct {
	ID         string  `json:"id" yaml:"id"` // globally unique, e.g. <USCC>-DA001
	Enterprise string  `json:"enterprise" yaml:"enterprise"`
	Name       string  `json:"name" yaml:"name"`
	Kind       string  `json:"kind" yaml:"kind"` // OutletAir or OutletWater
	Limits     []Limit `json:"limits,omitempty" yaml:"limits,omitempty"`
}

// Limit kinds and periods.
const (
	LimitMeasured  = "measured"  // 实测浓度
	LimitConverted = "converted" // 折算浓度 (Zs fields)
	PeriodHour     = "hour"
	PeriodDay      = "day"
)

// Limit is an emission limit of one pollutant at one outlet.
type Limit struct {
	Pollutant string   `json:"pollutant" yaml:"pollutant"` // HJ 212 code, e.g. a21026
	Unit      string   `json:"unit" yaml:"unit"`           // e.g. mg/m3, mg/L
	Kind      string   `json:"kind" yaml:"kind"`           // LimitMeasured or LimitConverted
	Period    string   `json:"period" yaml:"period"`       // PeriodHour or PeriodDay
	Max       *float64 `json:"max,omitempty" yaml:"max,omitempty"`
	Min       *float64 `json:"min,omitempty" yaml:"min,omitempty"` // for ranges such as pH 6-9
}

// Device tolerances a device may be allowed (hj212 Tolerant deviations
// that are accepted for it). ToleranceModbusCRC is the only one that
// changes acceptance; the others document what is expected.
const (
	ToleranceModbusCRC = "modbus-crc"
)

// Device is a data logger (数采仪) identified by its MN.
type Device struct {
	MN         string   `json:"mn" yaml:"mn"`
	Password   string   `json:"-" yaml:"password"`                        // HJ 212 PW; never logged or served
	Protocol   string   `json:"protocol" yaml:"protocol"`                 // "2005", "2017" or "2025"
	Outlet     string   `json:"outlet,omitempty" yaml:"outlet,omitempty"` // Outlet.ID; empty for stations
	ST         string   `json:"st,omitempty" yaml:"st,omitempty"`         // expected system code, e.g. 31, 32, 21, 22
	Tolerances []string `json:"tolerances,omitempty" yaml:"tolerances,omitempty"`
	// Networks are the source networks (CIDR, e.g. 10.20.0.0/16, or
	// single addresses) the device may connect from; empty allows any.
	// The gateway refuses the device's password from elsewhere.
	Networks []string `json:"networks,omitempty" yaml:"networks,omitempty"`
	// Factors are the device's analysers: for each factor it measures, the
	// measuring range (量程) it is set to and its method's detection limit
	// (检出限). The falsification screening needs them (values long within
	// 2 % of the range, or hovering around the detection limit); a factor
	// not listed is not screened for those signs.
	Factors []DeviceFactor `json:"factors,omitempty" yaml:"factors,omitempty"`
}

// DeviceFactor is one analyser of a device: its measuring range
// [RangeMin, RangeMax] and its detection limit, in Unit (the unit of the
// values the device sends, e.g. mg/m3).
type DeviceFactor struct {
	Factor   string   `json:"factor" yaml:"factor"` // HJ 212 code, e.g. a21002
	Unit     string   `json:"unit" yaml:"unit"`
	RangeMin float64  `json:"range_min" yaml:"range_min"`
	RangeMax *float64 `json:"range_max,omitempty" yaml:"range_max,omitempty"` // nil: not known
	// DetectionLimit is the method's detection limit (方法检出限); nil when
	// not known or when the factor has none (pH, flow).
	DetectionLimit *float64 `json:"detection_limit,omitempty" yaml:"detection_limit,omitempty"`
}

// FactorOf returns the device's analyser of factor, if it lists one.
func (d Device) FactorOf(factor string) (DeviceFactor, bool) {
	for _, f := range d.Factors {
		if f.Factor == factor {
			return f, true
		}
	}
	return DeviceFactor{}, false
}

// Registry is the whole registry, as imported and exported.
type Registry struct {
	Counties    []County     `json:"counties" yaml:"counties"`
	Enterprises []Enterprise `json:"enterprises" yaml:"enterprises"`
	Outlets     []Outlet     `json:"outlets" yaml:"outlets"`
	Devices     []Device     `json:"devices" yaml:"devices"`
	// Stations are the ambient air monitoring stations (环境空气质量监测
	// 点位); omitted from files that have none.
	Stations []Station `json:"stations,omitempty" yaml:"stations,omitempty"`
}

// Value is one CP field of an upload: Factor is the pollutant or item
// code before the dash (a21026, w01018, SB1, i12001, 100000; empty for
// keys without a dash such as RestartTime), Field is the part after it
// (Rtd, Avg, Min, Max, Cou, ZsRtd, Flag, EFlag, SampleTime, RS, RT, Info,
// Data, Ia, ...), and Value is exactly as sent: decimals are not reparsed,
// because the stored value is evidence.
type Value struct {
	Factor string `json:"factor"`
	Field  string `json:"field"`
	Value  string `json:"value"`
}

// Upload is the data of one device upload, the unit of idempotent storage.
// Its key is (MN, CN, DataTime). Storing merges by (Factor, Field): a field
// already stored is never changed, a missing one is added. So a device's
// retransmissions never double-count, and the packets of a split upload
// (PNUM/PNO) land in one upload. Together this is idempotency on
// (MN, CN, DataTime, factor, field).
type Upload struct {
	MN       string    `json:"mn"`
	CN       string    `json:"cn"`        // 2011 real-time, 2051 minute, 2061 hour, 2031 day; 2021/2041/2081/3020 status
	DataTime time.Time `json:"data_time"` // the DataTime field (UTC); for 2081 without DataTime, the receive time
	Values   []Value   `json:"values"`
}

// Contact is a device's latest contact, updated with each committed batch.
type Contact struct {
	MN     string    `json:"mn"`
	At     time.Time `json:"at"`
	Remote string    `json:"remote"`
	CN     string    `json:"cn"`
}

// Raw frame statuses.
const (
	RawAccepted    = "accepted"    // decoded, authenticated, data stored
	RawQuarantined = "quarantined" // unknown MN or wrong password: kept for review, never official data
	RawRejected    = "rejected"    // could not be decoded (bad CRC, bad length, ...)
	RawDuplicate   = "duplicate"   // a retransmission; nothing new stored
)

// RawFrame is the archived raw bytes of a received frame: legal evidence.
type RawFrame struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Remote     string    `json:"remote"`
	MN         string    `json:"mn,omitempty"`
	CN         string    `json:"cn,omitempty"`
	QN         string    `json:"qn,omitempty"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`     // why quarantined or rejected
	Deviations []string  `json:"deviations,omitempty"` // tolerant-mode deviations
	Raw        []byte    `json:"raw"`
	// BusSeq is the JetStream stream sequence of the bus message that
	// carried the frame to a writer (scaled-out deployments), 0 when the
	// frame came straight from a gateway in the same process. Stores keep
	// at most one raw frame per non-zero BusSeq, so that a message
	// delivered twice (a writer crashed before acknowledging it) is
	// archived once.
	BusSeq int64 `json:"bus_seq,omitempty"`
}

// Device states derived from last contact.
const (
	DeviceOnline      = "online"
	DeviceOffline     = "offline"
	DeviceNeverSeen   = "never"
	DeviceQuarantined = "quarantined"
)

// DeviceState is a device with its last contact.
type DeviceState struct {
	Device
	LastSeen   time.Time `json:"last_seen,omitzero"`
	LastRemote string    `json:"last_remote,omitempty"`
	LastCN     string    `json:"last_cn,omitempty"`
	State      string    `json:"state"`
}

// Air station levels (点位级别).
const (
	StationNational   = "national"   // 国控点: national network, evaluates the city
	StationProvincial = "provincial" // 省控点
	StationCounty     = "county"     // 县控点 (and 市控点): evaluates a county
)

// Station is an ambient air-quality monitoring station. Its code is the
// one its data files use (CNEMC publishes e.g. 1001A); MN is the HJ 212
// device that reports for it (ST=22), if any.
type Station struct {
	Code   string  `json:"code" yaml:"code"`
	Name   string  `json:"name" yaml:"name"`
	County string  `json:"county" yaml:"county"` // County.Code
	Level  string  `json:"level" yaml:"level"`   // StationNational, StationProvincial or StationCounty
	Lat    float64 `json:"lat" yaml:"lat"`
	Lon    float64 `json:"lon" yaml:"lon"`
	// CityEval: the station counts for the city's evaluation (城市评价点);
	// CountyEval: for its county's (县域评价点). A county's or the city's
	// values are the mean over their evaluation stations (HJ 663-2013).
	CityEval   bool   `json:"city_eval" yaml:"city_eval"`
	CountyEval bool   `json:"county_eval" yaml:"county_eval"`
	MN         string `json:"mn,omitempty" yaml:"mn,omitempty"`
}

// AirPollutants are the six basic pollutants in the order of every
// [6] array of the air types below (the order of internal/air.Pollutant).
var AirPollutants = [6]string{"SO2", "NO2", "CO", "O3", "PM10", "PM2.5"}

// AirNA marks a missing concentration in AirHour and AirDay.
const AirNA int64 = -1

// AirHour is one station-hour of 1-h mean concentrations, in thousandths
// of µg/m³ (CO: of mg/m³), like internal/air.Conc; AirNA where missing.
// Flags hold, per pollutant, the internal/air.Reason a value was excluded
// for (negative, impossible, flagged, ...; 0 for none): the value is then
// AirNA and the reason is kept so reports can say why an hour is missing.
type AirHour struct {
	Station string    `json:"station"`
	End     time.Time `json:"end"` // end of the hour, the label CNEMC publishes
	C       [6]int64  `json:"c"`
	Flags   [6]uint8  `json:"flags"`
}

// AirDay is one station's hours of one natural day (China Standard Time):
// C[p][h] is the hour starting at h:00 (labelled h+1:00), as
// internal/air.DayHours.
type AirDay struct {
	Station string
	Day     time.Time // 00:00 CST
	C       [6][24]int64
	Flags   [6][24]uint8
}

// AirChange records a stored hourly value replaced by a later import (a
// correction): the old value stays on record.
type AirChange struct {
	Station   string    `json:"station"`
	End       time.Time `json:"end"`
	Pollutant string    `json:"pollutant"`
	Old       int64     `json:"old"` // AirNA when the old value was excluded
	New       int64     `json:"new"`
	OldFlag   uint8     `json:"old_flag,omitempty"`
	NewFlag   uint8     `json:"new_flag,omitempty"`
	Source    string    `json:"source"`
	At        time.Time `json:"at"`
}

// AirTarget is an area's annual air-quality targets (年度目标). Area is a
// County.Code or AirCity. Nil fields set no target.
type AirTarget struct {
	Year      int      `json:"year" yaml:"year"`
	Area      string   `json:"area" yaml:"area"`
	PM25      *float64 `json:"pm25,omitempty" yaml:"pm25,omitempty"`             // annual mean, µg/m³ (at most)
	GoodRatio *float64 `json:"good_ratio,omitempty" yaml:"good_ratio,omitempty"` // 优良天数比例, percent (at least)
	HeavyDays *int     `json:"heavy_days,omitempty" yaml:"heavy_days,omitempty"` // 重污染天数 (at most)
	Index     *float64 `json:"index,omitempty" yaml:"index,omitempty"`           // 综合指数 (at most)
}

// AirCity is the Area of the city's own targets.
const AirCity = "city"

// Water section levels (断面级别).
const (
	SectionNational   = "national"   // 国控断面
	SectionProvincial = "provincial" // 省控断面
	SectionCity       = "city"       // 市控断面
)

// Water body types of rivers, sections and drinking-water sources.
const (
	BodyRiver     = "river"
	BodyLake      = "lake"
	BodyReservoir = "reservoir" // assessed with lake limits (湖、库)
)

// WaterRegistry is the surface-water part of the registry: the
// river network with its monitoring sections, drinking-water sources and
// the outfalls (入河排污口) of the enterprises' water outlets. It is
// imported and stored as a whole, because the network is only valid as a
// whole (no dangling nodes, no cycles).
type WaterRegistry struct {
	Rivers   []River          `json:"rivers" yaml:"rivers"`
	Nodes    []WaterNode      `json:"nodes" yaml:"nodes"`
	Reaches  []Reach          `json:"reaches" yaml:"reaches"`
	Sections []WaterSection   `json:"sections" yaml:"sections"`
	Sources  []DrinkingSource `json:"sources" yaml:"sources"`
	Outfalls []WaterOutfall   `json:"outfalls" yaml:"outfalls"`
}

// River is a river, lake or reservoir (a water body with a name).
type River struct {
	Code  string `json:"code" yaml:"code"`
	Name  string `json:"name" yaml:"name"`
	Basin string `json:"basin,omitempty" yaml:"basin,omitempty"` // 流域, e.g. 海河流域
	Kind  string `json:"kind" yaml:"kind"`                       // BodyRiver, BodyLake or BodyReservoir
}

// WaterNode is a point of the river network where reaches start or end:
// a source, a confluence, a lake or reservoir, a mouth or a plain junction
// (the kinds of internal/water/trace.NodeKind).
type WaterNode struct {
	ID         string  `json:"id" yaml:"id"`
	Name       string  `json:"name,omitempty" yaml:"name,omitempty"`
	Kind       string  `json:"kind" yaml:"kind"`
	ResidenceH float64 `json:"residence_h,omitempty" yaml:"residence_h,omitempty"` // lakes and reservoirs: hours water is held
}

// Reach is a stretch of river (河段) between two nodes.
type Reach struct {
	ID         string  `json:"id" yaml:"id"`
	Name       string  `json:"name,omitempty" yaml:"name,omitempty"`
	River      string  `json:"river" yaml:"river"` // River.Code
	From       string  `json:"from" yaml:"from"`   // upstream WaterNode.ID
	To         string  `json:"to" yaml:"to"`       // downstream WaterNode.ID
	LengthM    float64 `json:"length_m" yaml:"length_m"`
	VelocityMS float64 `json:"velocity_ms" yaml:"velocity_ms"`               // mean velocity, m/s
	FlowM3S    float64 `json:"flow_m3s,omitempty" yaml:"flow_m3s,omitempty"` // mean discharge, m³/s; 0 = unknown
}

// WaterSection is a monitoring section (监测断面) on a reach, assessed
// against its target class (考核目标, 1-5 for Ⅰ-Ⅴ). An automatic station
// (水质自动站) reports through an HJ 212 device with ST=21 (MN); a manual
// section is sampled and its laboratory results imported from files.
type WaterSection struct {
	Code      string  `json:"code" yaml:"code"`
	Name      string  `json:"name" yaml:"name"`
	Level     string  `json:"level" yaml:"level"` // SectionNational, SectionProvincial or SectionCity
	Body      string  `json:"body" yaml:"body"`   // BodyRiver, BodyLake or BodyReservoir
	River     string  `json:"river" yaml:"river"` // River.Code
	Target    int     `json:"target" yaml:"target"`
	County    string  `json:"county" yaml:"county"` // County.Code
	Automatic bool    `json:"automatic" yaml:"automatic"`
	MN        string  `json:"mn,omitempty" yaml:"mn,omitempty"` // automatic stations: the ST=21 device
	Reach     string  `json:"reach" yaml:"reach"`
	OffsetM   float64 `json:"offset_m" yaml:"offset_m"` // from the reach's upstream node
	Lat       float64 `json:"lat,omitempty" yaml:"lat,omitempty"`
	Lon       float64 `json:"lon,omitempty" yaml:"lon,omitempty"`
}

// DrinkingSource is a centralized drinking-water source (集中式饮用水水源地)
// of county level or above. It is assessed against class Ⅲ plus the GB
// 3838-2002 table 2 supplementary items and the table 3 specific items it
// monitors (Items, GB 3838 names). Its samples carry its Code.
type DrinkingSource struct {
	Code    string   `json:"code" yaml:"code"`
	Name    string   `json:"name" yaml:"name"`
	County  string   `json:"county" yaml:"county"`
	Body    string   `json:"body" yaml:"body"`                             // BodyRiver, BodyLake or BodyReservoir
	River   string   `json:"river,omitempty" yaml:"river,omitempty"`       // River.Code, if on the network
	Items   []string `json:"items,omitempty" yaml:"items,omitempty"`       // table 2 and 3 items monitored
	Reach   string   `json:"reach,omitempty" yaml:"reach,omitempty"`       // intake position, if on the network
	OffsetM float64  `json:"offset_m,omitempty" yaml:"offset_m,omitempty"` // from the reach's upstream node
}

// WaterOutfall is an outfall into a river (入河排污口) on a reach, linked
// to an enterprise's water outlet and so to its online-monitoring device.
type WaterOutfall struct {
	Code    string  `json:"code" yaml:"code"`
	Name    string  `json:"name,omitempty" yaml:"name,omitempty"`
	Reach   string  `json:"reach" yaml:"reach"`
	OffsetM float64 `json:"offset_m" yaml:"offset_m"`
	Outlet  string  `json:"outlet,omitempty" yaml:"outlet,omitempty"` // Outlet.ID (kind water); empty for an unmonitored outfall
}

// WaterSample is one measured value at a section or drinking-water source
// (Point): a laboratory result or an automatic station's hourly value.
// Item is the GB 3838 name (internal/water.Item.String). Value is the
// decimal as reported; when BelowDL is set it is the detection limit.
type WaterSample struct {
	Point   string    `json:"point"`
	Time    time.Time `json:"time"`
	Item    string    `json:"item"`
	Value   string    `json:"value"`
	BelowDL bool      `json:"below_dl,omitempty"`
	Source  string    `json:"source"` // e.g. "file:lab-2026-10.csv" or "hj212"
}
