package air

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func hour(so2, no2, co, o3, pm10, pm25 float64) Hour {
	h := NewHour()
	for p, x := range []float64{so2, no2, co, o3, pm10, pm25} {
		if x >= 0 {
			h.C[p] = FromFloat(x)
		}
	}
	return h
}

func TestHourly(t *testing.T) {
	cases := []struct {
		name        string
		v           Version
		h           Hour
		so224       float64
		aqi         int
		primary     string
		missing     string
		publishable bool
	}{
		// PM2.5 52 on the 24-h table: 50 + 50·17/40 = 71.25 → 72.
		{"pm25 ceil", V2012, hour(5, 20, 0.5, 40, 40, 52), -1, 72, "PM2.5", "", true},
		// 2026: PM2.5 IAQI-100 limit is 60: 50 + 50·17/25 = 84.
		{"pm25 2026", V2026, hour(5, 20, 0.5, 40, 40, 52), -1, 84, "PM2.5", "", true},
		// AQI ≤ 50: no primary pollutant.
		{"clean", V2012, hour(5, 20, 0.5, 40, 40, 20), -1, 40, "", "", true},
		// Tie: PM10 150 and PM2.5 75 both give 100 (2012).
		{"tie", V2012, hour(5, 20, 0.5, 40, 150, 75), -1, 100, "PM10,PM2.5", "", true},
		// 2026 rounding before IAQI: PM2.5 35.5 → 36 → 52; 2012 exact → 50.625 → 51.
		{"round 2026", V2026, hour(5, 20, 0.5, 40, 20, 35.5), -1, 52, "PM2.5", "", true},
		{"exact 2012", V2012, hour(5, 20, 0.5, 40, 20, 35.5), -1, 51, "PM2.5", "", true},
		// 2026: 36.5 rounds half to even → 36.
		{"half even", V2026, hour(5, 20, 0.5, 40, 20, 36.5), -1, 52, "PM2.5", "", true},
		// SO2 1-h over 800 under 2012: the 24-h IAQI is used (note 2).
		// SO2 24-h 300: 100 + 50·150/325 = 123.08 → 124.
		{"so2 fallback", V2012, hour(900, 20, 0.5, 40, 20, 20), 300, 124, "SO2", "", true},
		{"so2 fallback missing 24h", V2012, hour(900, 20, 0.5, 40, 20, 20), -1, 29, "", "SO2", false},
		{"so2 2026 fixed 200", V2026, hour(900, 20, 0.5, 40, 20, 20), -1, 200, "SO2", "", true},
		// Missing indicator: published only above 100 (HJ 633-2026 §5.3.1).
		{"missing low", V2012, hour(5, -1, 0.5, 40, 40, 52), -1, 72, "PM2.5", "NO2", false},
		{"missing high", V2012, hour(5, -1, 0.5, 40, 40, 120), -1, 158, "PM2.5", "NO2", true},
		// O3 1-h primary.
		{"o3", V2012, hour(5, 20, 0.5, 318, 40, 20), -1, 159, "O3_1h", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.h
			if c.so224 >= 0 {
				h.SO2_24h = FromFloat(c.so224)
			}
			r := Hourly(c.v, &h)
			if int(r.AQI) != c.aqi || strings.Join(r.Primary.Strings(), ",") != c.primary ||
				strings.Join(r.Missing.Strings(), ",") != c.missing || r.Publishable() != c.publishable {
				t.Errorf("got AQI %d primary %v missing %v publishable %v; want %d %q %q %v",
					r.AQI, r.Primary.Strings(), r.Missing.Strings(), r.Publishable(), c.aqi, c.primary, c.missing, c.publishable)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	cases := []struct {
		aqi      int
		n        int
		category string
		rgb      [3]uint8
	}{
		{0, 1, "优", [3]uint8{0, 228, 0}}, {50, 1, "优", [3]uint8{0, 228, 0}}, {51, 2, "良", [3]uint8{255, 255, 0}},
		{100, 2, "良", [3]uint8{255, 255, 0}}, {101, 3, "轻度污染", [3]uint8{255, 126, 0}}, {150, 3, "轻度污染", [3]uint8{255, 126, 0}},
		{151, 4, "中度污染", [3]uint8{255, 0, 0}}, {200, 4, "中度污染", [3]uint8{255, 0, 0}}, {201, 5, "重度污染", [3]uint8{153, 0, 76}},
		{300, 5, "重度污染", [3]uint8{153, 0, 76}}, {301, 6, "严重污染", [3]uint8{126, 0, 35}}, {500, 6, "严重污染", [3]uint8{126, 0, 35}},
		{-1, 0, "", [3]uint8{}},
	}
	for _, c := range cases {
		l := LevelOf(c.aqi)
		if l.Number != c.n || l.Category != c.category || l.RGB != c.rgb {
			t.Errorf("LevelOf(%d) = %d %s %v", c.aqi, l.Number, l.Category, l.RGB)
		}
	}
	if !Good(100) || Good(101) || HeavilyPolluted(200) || !HeavilyPolluted(201) {
		t.Error("good/heavy day thresholds")
	}
}

// cnemcPrimary maps CNEMC's primary-pollutant labels to slot names.
var cnemcPrimary = map[string]string{
	"细颗粒物(PM2.5)": "PM2.5", "颗粒物(PM10)": "PM10", "臭氧1小时": "O3_1h", "臭氧8小时": "O3_8h",
	"二氧化硫": "SO2", "二氧化氮": "NO2", "一氧化碳": "CO", "": "",
}

// TestCNEMCPublished reproduces the AQI and primary pollutant that CNEMC
// published for real station-hours (see testdata/README.md), including the
// rows where it published no AQI because an indicator was missing.
func TestCNEMCPublished(t *testing.T) {
	f, err := os.Open("testdata/cnemc_2022-01-04T16.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	col := map[string]int{}
	for i, h := range strings.Split(sc.Text(), ",") {
		col[h] = i
	}
	// The archive swaps o3/o3_24h and o3_8h/o3_8h_24h (testdata/README.md).
	src := map[Pollutant]string{SO2: "so2", NO2: "no2", CO: "co", O3: "o3_24h", PM10: "pm10", PM25: "pm2_5"}
	rows, published, unpublished := 0, 0, 0
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ",")
		h := NewHour()
		for p, name := range src {
			if s := fs[col[name]]; s != "" {
				c, err := ParseConc(s)
				if err != nil {
					t.Fatal(err)
				}
				h.C[p] = c
			}
		}
		if s := fs[col["so2_24h"]]; s != "" {
			h.SO2_24h, _ = ParseConc(s)
		}
		r := Hourly(VersionAt(mustTime(t, fs[0])), &h)
		station := fs[col["stationcode"]]
		rows++
		wantAQI := fs[col["aqi"]]
		if wantAQI == "" {
			unpublished++
			if r.Publishable() {
				t.Errorf("%s: CNEMC published no AQI, we would publish %d", station, r.AQI)
			}
			continue
		}
		published++
		want, _ := strconv.Atoi(wantAQI)
		if !r.Publishable() || int(r.AQI) != want {
			t.Errorf("%s: AQI %d (publishable %v), CNEMC %d", station, r.AQI, r.Publishable(), want)
		}
		if got, w := strings.Join(r.Primary.Strings(), ","), cnemcPrimary[fs[col["primarypollutant"]]]; got != w {
			t.Errorf("%s: primary %q, CNEMC %q", station, got, w)
		}
	}
	if rows != 125 || published < 100 || unpublished < 10 {
		t.Errorf("rows %d published %d unpublished %d", rows, published, unpublished)
	}
	t.Logf("%d rows: %d published AQIs reproduced, %d unpublished reproduced", rows, published, unpublished)
}

func mustTime(t *testing.T, s string) (tm timeT) {
	t.Helper()
	tm, err := parseTimeCST(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.Add(-hourDur)
}
