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
}

// Registry is the whole registry, as imported and exported.
type Registry struct {
	Counties    []County     `json:"counties" yaml:"counties"`
	Enterprises []Enterprise `json:"enterprises" yaml:"enterprises"`
	Outlets     []Outlet     `json:"outlets" yaml:"outlets"`
	Devices     []Device     `json:"devices" yaml:"devices"`
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
