// Package factors is the one catalogue of monitoring factors (监测因子): the
// HJ 212-2017 Appendix B codes (tables B.1 water, B.2 air, from HJ 525-2009
// and HJ 524-2009) with their Chinese and English names and units, and the
// names of the data fields (实时值, 均值, 折算均值…) and periods. Every page,
// case title, report and export names a factor through here, so that a code
// such as a21002 reaches a reader as 氮氧化物 / NOx with mg/m³ beside it.
//
// Pure data and lookups: no store, no web, no clock.
package factors

import "strings"

// Factor is one monitoring factor.
type Factor struct {
	Code string // HJ 212-2017 code, e.g. a21002
	Old  string // HJ 212-2005 code where the standard gives one, e.g. 03
	Zh   string // Chinese name as the standard prints it
	En   string // English name (chemical formula where usual)
	// Unit is the concentration (or value) unit as printed, with superscripts;
	// empty for dimensionless factors such as pH.
	Unit string
	// CouUnit is the unit of the cumulative field (-Cou): kg for pollutant
	// mass, m³ for flow; empty where the standard gives none.
	CouUnit string
	Medium  string // "water", "air" or "" for both
}

// Name is the factor's name in lang ("zh" or "en"; anything else is zh).
func (f Factor) Name(lang string) string {
	if lang == "en" {
		return f.En
	}
	return f.Zh
}

var catalogue = []Factor{
	// Table B.1: water pollutants and parameters.
	{Code: "w00000", Old: "B01", Zh: "污水流量", En: "Wastewater flow", Unit: "L/s", CouUnit: "m³", Medium: "water"},
	{Code: "w01001", Old: "001", Zh: "pH值", En: "pH", Medium: "water"},
	{Code: "w01002", Old: "002", Zh: "色度", En: "Colour", Unit: "倍", Medium: "water"},
	{Code: "w01003", Zh: "浊度", En: "Turbidity", Unit: "NTU", Medium: "water"},
	{Code: "w01009", Zh: "溶解氧", En: "Dissolved oxygen", Unit: "mg/L", Medium: "water"},
	{Code: "w01010", Zh: "水温", En: "Water temperature", Unit: "℃", Medium: "water"},
	{Code: "w01012", Old: "003", Zh: "悬浮物", En: "Suspended solids", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w01014", Zh: "电导率", En: "Conductivity", Unit: "μS/cm", Medium: "water"},
	{Code: "w01016", Zh: "叶绿素a", En: "Chlorophyll a", Unit: "μg/L", Medium: "water"},
	{Code: "w01017", Old: "010", Zh: "五日生化需氧量", En: "BOD₅", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w01018", Old: "011", Zh: "化学需氧量", En: "COD", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w01019", Zh: "高锰酸盐指数", En: "Permanganate index", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w01020", Old: "015", Zh: "总有机碳", En: "Total organic carbon", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w20111", Old: "020", Zh: "总汞", En: "Total mercury", Unit: "μg/L", CouUnit: "g", Medium: "water"},
	{Code: "w20115", Old: "022", Zh: "总镉", En: "Total cadmium", Unit: "μg/L", CouUnit: "g", Medium: "water"},
	{Code: "w20116", Old: "023", Zh: "总铬", En: "Total chromium", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w20117", Old: "024", Zh: "六价铬", En: "Hexavalent chromium", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w20119", Old: "026", Zh: "总砷", En: "Total arsenic", Unit: "μg/L", CouUnit: "g", Medium: "water"},
	{Code: "w20120", Old: "027", Zh: "总铅", En: "Total lead", Unit: "μg/L", CouUnit: "g", Medium: "water"},
	{Code: "w20121", Old: "028", Zh: "总镍", En: "Total nickel", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w20122", Old: "029", Zh: "总铜", En: "Total copper", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w20123", Old: "030", Zh: "总锌", En: "Total zinc", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w21001", Old: "065", Zh: "总氮", En: "Total nitrogen", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w21003", Old: "060", Zh: "氨氮", En: "Ammonia nitrogen (NH₃-N)", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w21011", Old: "101", Zh: "总磷", En: "Total phosphorus", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w21016", Old: "070", Zh: "氰化物", En: "Cyanide", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w21017", Old: "072", Zh: "氟化物", En: "Fluoride", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w21019", Old: "071", Zh: "硫化物", En: "Sulfide", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w22001", Old: "080", Zh: "石油类", En: "Petroleum", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w23002", Old: "110", Zh: "挥发酚", En: "Volatile phenol", Unit: "mg/L", CouUnit: "kg", Medium: "water"},
	{Code: "w99001", Old: "061", Zh: "有机氮", En: "Organic nitrogen", Unit: "mg/L", CouUnit: "kg", Medium: "water"},

	// Table B.2: air pollutants and flue-gas parameters.
	{Code: "a00000", Old: "B02", Zh: "废气流量", En: "Flue-gas flow", Unit: "m³/s", CouUnit: "m³", Medium: "air"},
	{Code: "a01001", Zh: "温度", En: "Temperature", Unit: "℃", Medium: "air"},
	{Code: "a01002", Zh: "湿度", En: "Humidity", Unit: "%", Medium: "air"},
	{Code: "a01006", Zh: "气压", En: "Air pressure", Unit: "kPa", Medium: "air"},
	{Code: "a01007", Zh: "风速", En: "Wind speed", Unit: "m/s", Medium: "air"},
	{Code: "a01008", Zh: "风向", En: "Wind direction", Unit: "°", Medium: "air"},
	{Code: "a01011", Old: "S02", Zh: "烟气流速", En: "Flue-gas velocity", Unit: "m/s", Medium: "air"},
	{Code: "a01012", Old: "S03", Zh: "烟气温度", En: "Flue-gas temperature", Unit: "℃", Medium: "air"},
	{Code: "a01013", Old: "S08", Zh: "烟气压力", En: "Flue-gas pressure", Unit: "kPa", Medium: "air"},
	{Code: "a01014", Old: "S05", Zh: "烟气湿度", En: "Flue-gas humidity", Unit: "%", Medium: "air"},
	{Code: "a01016", Old: "S07", Zh: "烟道截面积", En: "Duct cross-section", Unit: "m²", Medium: "air"},
	{Code: "a01017", Old: "S04", Zh: "烟气动压", En: "Flue-gas dynamic pressure", Unit: "kPa", Medium: "air"},
	{Code: "a01901", Zh: "垃圾焚烧炉膛内焚烧平均温度", En: "Furnace mean temperature", Unit: "℃", Medium: "air"},
	{Code: "a01902", Zh: "垃圾焚烧炉膛内DCS温度", En: "Furnace DCS temperature", Unit: "℃", Medium: "air"},
	{Code: "a05001", Old: "30", Zh: "二氧化碳", En: "CO₂", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a05002", Zh: "甲烷", En: "CH₄", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a05024", Zh: "臭氧", En: "O₃", Unit: "μg/m³", Medium: "air"},
	{Code: "a19001", Old: "S01", Zh: "氧气含量", En: "O₂", Unit: "%", Medium: "air"},
	{Code: "a21001", Old: "10", Zh: "氨（氨气）", En: "NH₃", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21002", Old: "03", Zh: "氮氧化物", En: "NOx", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21003", Zh: "一氧化氮", En: "NO", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21004", Zh: "二氧化氮", En: "NO₂", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21005", Old: "04", Zh: "一氧化碳", En: "CO", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21017", Old: "07", Zh: "氰化物", En: "Cyanide", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21018", Old: "06", Zh: "氟化物", En: "Fluoride", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21022", Old: "11", Zh: "氯气", En: "Cl₂", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21024", Old: "08", Zh: "氯化氢", En: "HCl", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21026", Old: "02", Zh: "二氧化硫", En: "SO₂", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a21028", Old: "05", Zh: "硫化氢", En: "H₂S", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a24087", Old: "25", Zh: "碳氢化合物", En: "Hydrocarbons", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a24088", Zh: "非甲烷总烃", En: "Non-methane hydrocarbons", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a25002", Zh: "苯", En: "Benzene", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a25003", Old: "17", Zh: "甲苯", En: "Toluene", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a25005", Old: "18", Zh: "二甲苯", En: "Xylene", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a34001", Zh: "总悬浮颗粒物", En: "TSP", Unit: "μg/m³", Medium: "air"},
	{Code: "a34002", Zh: "可吸入颗粒物", En: "PM₁₀", Unit: "μg/m³", Medium: "air"},
	{Code: "a34004", Zh: "细颗粒物", En: "PM₂.₅", Unit: "μg/m³", Medium: "air"},
	{Code: "a34005", Zh: "亚微米颗粒物", En: "PM₁.₀", Unit: "μg/m³", Medium: "air"},
	{Code: "a34013", Old: "01", Zh: "烟尘", En: "Smoke dust", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
	{Code: "a99051", Old: "12", Zh: "二硫化碳", En: "CS₂", Unit: "mg/m³", CouUnit: "kg", Medium: "air"},
}

var byCode = func() map[string]Factor {
	m := make(map[string]Factor, len(catalogue))
	for _, f := range catalogue {
		m[f.Code] = f
	}
	return m
}()

// All returns the catalogue in the standard's order (a copy).
func All() []Factor { return append([]Factor(nil), catalogue...) }

// Lookup finds a factor by its 2017 code.
func Lookup(code string) (Factor, bool) {
	f, ok := byCode[code]
	return f, ok
}

// Name is the factor's name in lang; an unknown code (devices send codes
// outside the tables, and those are never rejected) is returned as it is.
func Name(code, lang string) string {
	if f, ok := byCode[code]; ok {
		return f.Name(lang)
	}
	return code
}

// Label is the name followed by the code in parentheses, for tables where
// staff still look codes up: "氮氧化物 (a21002)". An unknown code is bare.
func Label(code, lang string) string {
	if f, ok := byCode[code]; ok {
		return f.Name(lang) + " (" + code + ")"
	}
	return code
}

// Unit is the factor's display unit ("" if unknown or dimensionless).
func Unit(code string) string {
	return byCode[code].Unit
}

// unitForms maps the ASCII spellings used in configuration and by devices
// to the printed forms.
var unitForms = map[string]string{
	"mg/m3": "mg/m³", "ug/m3": "μg/m³", "µg/m3": "μg/m³", "μg/m3": "μg/m³",
	"m3/s": "m³/s", "m3/h": "m³/h", "m3": "m³", "m2": "m²",
	"ug/l": "μg/L", "ug/L": "μg/L", "mg/l": "mg/L", "us/cm": "μS/cm", "uS/cm": "μS/cm",
	"l/s": "L/s", "degC": "℃", "C": "℃",
}

// DisplayUnit turns an ASCII unit as configured ("mg/m3") into its printed
// form ("mg/m³"); anything else is returned unchanged.
func DisplayUnit(u string) string {
	u = strings.TrimSpace(u)
	if d, ok := unitForms[u]; ok {
		return d
	}
	return u
}

type names struct{ zh, en string }

// fields are the data fields of a factor (HJ 212-2017 table 4).
var fields = map[string]names{
	"Rtd": {"实时值", "real-time value"}, "Min": {"最小值", "minimum"}, "Avg": {"均值", "mean"},
	"Max": {"最大值", "maximum"}, "ZsRtd": {"折算实时值", "converted real-time value"},
	"ZsMin": {"折算最小值", "converted minimum"}, "ZsAvg": {"折算均值", "converted mean"},
	"ZsMax": {"折算最大值", "converted maximum"}, "Cou": {"累计值", "cumulative"},
	"Flag": {"数据标记", "data flag"},
}

// Field names a data field ("ZsAvg" → 折算均值); unknown fields are returned
// as they are.
func Field(field, lang string) string {
	if n, ok := fields[field]; ok {
		if lang == "en" {
			return n.en
		}
		return n.zh
	}
	return field
}

// periods names the aggregation periods by the words the data types use
// (CN 2011 real time, 2051 minute, 2061 hour, 2031 day).
var periods = map[string]names{
	"rtd": {"实时", "real-time"}, "realtime": {"实时", "real-time"},
	"minute": {"分钟", "minute"}, "hour": {"小时", "hourly"}, "day": {"日", "daily"},
	"2011": {"实时", "real-time"}, "2051": {"分钟", "minute"}, "2061": {"小时", "hourly"}, "2031": {"日", "daily"},
}

// Period names a period or data type ("hour" or "2061" → 小时 / hourly).
func Period(p, lang string) string {
	if n, ok := periods[p]; ok {
		if lang == "en" {
			return n.en
		}
		return n.zh
	}
	return p
}

// flags are the data-quality flags (HJ 212-2017 table 8).
var flags = map[string]names{
	"N": {"正常", "normal"}, "F": {"停运", "stopped"}, "M": {"维护", "maintenance"},
	"S": {"手工输入", "manual value"}, "D": {"故障", "fault"}, "C": {"校准", "calibrating"},
	"T": {"超测量上限", "over range"}, "B": {"通讯异常", "communication failure"},
}

// Flag names a data-quality flag; an unknown flag is returned as it is.
func Flag(flag, lang string) string {
	if n, ok := flags[flag]; ok {
		if lang == "en" {
			return n.en
		}
		return n.zh
	}
	return flag
}
