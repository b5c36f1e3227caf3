package air

// Level is an AQI level (空气质量指数级别) with its category and colour
// (HJ 633-2012 table 2 and appendix A; HJ 633-2026 table 1, colours
// unchanged).
type Level struct {
	Number    int    // 1–6; 0 when there is no AQI
	Name      string // 一级 … 六级
	Category  string // 优, 良, 轻度污染, 中度污染, 重度污染, 严重污染
	English   string // Excellent, Good, Lightly Polluted, ...
	Colour    string // 绿, 黄, 橙, 红, 紫, 褐红
	ColourEn  string
	RGB       [3]uint8
	CMYK      [4]uint8
	MaxAQI    int    // upper bound of the level's AQI range (500 for level 6)
	HexColour string // "#00E400"
}

var levels = [7]Level{
	{},
	{1, "一级", "优", "Excellent", "绿", "green", [3]uint8{0, 228, 0}, [4]uint8{40, 0, 100, 0}, 50, "#00E400"},
	{2, "二级", "良", "Good", "黄", "yellow", [3]uint8{255, 255, 0}, [4]uint8{0, 0, 100, 0}, 100, "#FFFF00"},
	{3, "三级", "轻度污染", "Lightly Polluted", "橙", "orange", [3]uint8{255, 126, 0}, [4]uint8{0, 52, 100, 0}, 150, "#FF7E00"},
	{4, "四级", "中度污染", "Moderately Polluted", "红", "red", [3]uint8{255, 0, 0}, [4]uint8{0, 100, 100, 0}, 200, "#FF0000"},
	{5, "五级", "重度污染", "Heavily Polluted", "紫", "purple", [3]uint8{153, 0, 76}, [4]uint8{10, 100, 40, 30}, 300, "#99004C"},
	{6, "六级", "严重污染", "Severely Polluted", "褐红", "maroon", [3]uint8{126, 0, 35}, [4]uint8{30, 100, 100, 30}, 500, "#7E0023"},
}

// LevelOf returns the level of an AQI value; the zero Level for a negative
// (missing) AQI. 0–50 is level 1 (the 2026 text says 1–50; an AQI of 0 only
// arises from all-zero concentrations and is still 优).
func LevelOf(aqi int) Level {
	switch {
	case aqi < 0:
		return levels[0]
	case aqi <= 50:
		return levels[1]
	case aqi <= 100:
		return levels[2]
	case aqi <= 150:
		return levels[3]
	case aqi <= 200:
		return levels[4]
	case aqi <= 300:
		return levels[5]
	}
	return levels[6]
}

// Good reports whether a daily AQI counts as a good day (优良天: AQI ≤ 100).
func Good(aqi int) bool { return aqi >= 0 && aqi <= 100 }

// HeavilyPolluted reports whether a daily AQI counts as a heavily polluted day
// (重污染天: AQI > 200, levels 5 and 6).
func HeavilyPolluted(aqi int) bool { return aqi > 200 }
