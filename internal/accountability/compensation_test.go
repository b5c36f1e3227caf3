package accountability

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func conc(pm25, pm10, so2, no2 float64) map[Pollutant]float64 {
	return map[Pollutant]float64{PolPM25: pm25, PolPM10: pm10, PolSO2: so2, PolNO2: no2}
}

func ptr(v float64) *float64 { return &v }

// TestCompensatePublished reproduces amounts the province published. The
// published settlements give each city's score (得分) and amount, not its
// four concentrations (the 清算汇总表 with inputs was not found; see the
// report), so the concentrations below are one breakdown giving the
// published score; what is checked is score → amount under the version,
// the area factor and the rounding.
func TestCompensatePublished(t *testing.T) {
	fs := ShandongFormulas()
	tests := []struct {
		name   string
		period chinatime.Period
		in     CompInput
		score  float64
		amount int64
	}{
		// 2014 Q1: 聊城 first with score 47.5 and ¥9.5M (人民日报 2014-04-14;
		// rights-cases-accountability.md §3.1). 0.6×50+0.15×60+0.15×40+0.1×25 = 47.5.
		{"liaocheng-2014Q1", chinatime.Period{Kind: chinatime.Quarter, Year: 2014, N: 1},
			CompInput{County: "371500", Current: AirValues{Conc: conc(150, 200, 80, 50)}, LastYear: AirValues{Conc: conc(200, 260, 120, 75)}},
			47.5, 9_500_000},
		// 2014 Q1: 烟台 last with score 1.05 and ¥320,000: 1.05 × 20万 × 1.5
		// = 31.5万, published in whole 万元 (yzxslawyer.com, 2015).
		{"yantai-2014Q1", chinatime.Period{Kind: chinatime.Quarter, Year: 2014, N: 1},
			CompInput{County: "370600", Current: AirValues{Conc: conc(70, 121, 40, 40)}, LastYear: AirValues{Conc: conc(72, 120, 40, 40)}},
			1.05, 320_000},
		// 2015 Q3: 菏泽 paid the province ¥360,000 (山东省财政厅 2015-10-30),
		// still ¥200,000 per µg/m³: score −1.8.
		{"heze-2015Q3", chinatime.Period{Kind: chinatime.Quarter, Year: 2015, N: 3},
			CompInput{County: "371700", Current: AirValues{Conc: conc(63, 100, 30, 30)}, LastYear: AirValues{Conc: conc(60, 100, 30, 30)}},
			-1.8, -360_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compensate(fs, tt.period, []CompInput{tt.in})
			if err != nil {
				t.Fatal(err)
			}
			l := s.Lines[0]
			if l.Score != tt.score || l.Amount != tt.amount {
				t.Fatalf("score %v amount %d, want %v %d", l.Score, l.Amount, tt.score, tt.amount)
			}
			if tt.amount > 0 && (l.Receivable != tt.amount || l.Payable != 0) || tt.amount < 0 && (l.Payable != -tt.amount || l.Receivable != 0) {
				t.Fatalf("receivable %d payable %d", l.Receivable, l.Payable)
			}
		})
	}
}

// TestCompensateHand checks versions, the good-day term, the factor and
// rounding on hand-computed examples.
func TestCompensateHand(t *testing.T) {
	fs := ShandongFormulas()
	exact := func(f []Formula) []Formula { // same formulas rounded to the yuan
		out := make([]Formula, len(f))
		for i := range f {
			out[i] = f[i]
			out[i].RoundYuan = 1
		}
		return out
	}
	tests := []struct {
		name  string
		fs    []Formula
		p     chinatime.Period
		in    CompInput
		want  int64
		exFen int64
	}{
		// 2017 Q3 (43号): 0.6×4 − 0.15×2 + 0.15×3 = 2.55 µg/m³ × 80万 = 204万;
		// +2.5 pp × 20万 = 50万; 254万.
		{"2017-inland", fs, chinatime.Period{Kind: chinatime.Quarter, Year: 2017, N: 3},
			CompInput{County: "371500", Current: AirValues{Conc: conc(40, 82, 10, 30), GoodDays: ptr(75.0)}, LastYear: AirValues{Conc: conc(44, 80, 13, 30), GoodDays: ptr(72.5)}},
			2_540_000, 254_000_000},
		// Same with the coastal factor: 2.55 × 80万 × 1.5 = 306万, +50万.
		{"2017-coastal", fs, chinatime.Period{Kind: chinatime.Quarter, Year: 2017, N: 3},
			CompInput{County: "370200", Current: AirValues{Conc: conc(40, 82, 10, 30), GoodDays: ptr(75.0)}, LastYear: AirValues{Conc: conc(44, 80, 13, 30), GoodDays: ptr(72.5)}},
			3_560_000, 356_000_000},
		// 2016 Q1 (40万): NO2 worse by 0.3: −0.03 × 40万 = −¥12,000 exactly,
		// rounded to 万元 half away from zero → −1万.
		{"2016-small", fs, chinatime.Period{Kind: chinatime.Quarter, Year: 2016, N: 1},
			CompInput{County: "371400", Current: AirValues{Conc: conc(60, 100, 30, 30.3)}, LastYear: AirValues{Conc: conc(60, 100, 30, 30)}},
			-10_000, -1_200_000},
		{"2016-small-to-yuan", exact(fs), chinatime.Period{Kind: chinatime.Quarter, Year: 2016, N: 1},
			CompInput{County: "371400", Current: AirValues{Conc: conc(60, 100, 30, 30.3)}, LastYear: AirValues{Conc: conc(60, 100, 30, 30)}},
			-12_000, -1_200_000},
		// Half away from zero on a deterioration: −1.05 × 20万 × 1.5 = −31.5万 → −32万.
		{"half-away-negative", fs, chinatime.Period{Kind: chinatime.Quarter, Year: 2014, N: 2},
			CompInput{County: "371000", Current: AirValues{Conc: conc(72, 120, 40, 40)}, LastYear: AirValues{Conc: conc(70, 121, 40, 40)}},
			-320_000, -31_500_000},
		// Concentrations finer than 0.1 are taken at 0.1: 0.04 → 0.
		{"below-precision", exact(fs), chinatime.Period{Kind: chinatime.Quarter, Year: 2014, N: 2},
			CompInput{County: "370100", Current: AirValues{Conc: conc(60.04, 100, 30, 30)}, LastYear: AirValues{Conc: conc(60, 100, 30, 30)}},
			0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compensate(tt.fs, tt.p, []CompInput{tt.in})
			if err != nil {
				t.Fatal(err)
			}
			if l := s.Lines[0]; l.Amount != tt.want || l.ExactFen != tt.exFen {
				t.Fatalf("amount %d exact fen %d, want %d %d", l.Amount, l.ExactFen, tt.want, tt.exFen)
			}
		})
	}
}

func TestCompensateSettlement(t *testing.T) {
	in := []CompInput{
		{County: "a", Current: AirValues{Conc: conc(50, 90, 20, 30)}, LastYear: AirValues{Conc: conc(55, 90, 20, 30)}}, // +3 → 60万
		{County: "b", Current: AirValues{Conc: conc(57, 90, 20, 30)}, LastYear: AirValues{Conc: conc(55, 90, 20, 30)}}, // −1.2 → −24万
		{County: "371000", Exempt: true},
		{County: "c", Current: AirValues{Conc: conc(50, 90, 20, 30)}, LastYear: AirValues{Conc: conc(50, 90, 20, 30)}}, // 0
	}
	s, err := Compensate(ShandongFormulas(), chinatime.Period{Kind: chinatime.Quarter, Year: 2015, N: 2}, in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Receivable != 600_000 || s.Payable != 240_000 || s.Formula != "鲁政办字〔2014〕27号" {
		t.Fatalf("%+v", s)
	}
	var order []string
	for _, l := range s.Lines {
		order = append(order, l.County)
	}
	if got := strings.Join(order, ","); got != "a,371000,c,b" {
		t.Fatalf("order %s", got)
	}
}

func TestCompensateRefused(t *testing.T) {
	ok := CompInput{County: "a", Current: AirValues{Conc: conc(50, 90, 20, 30), GoodDays: ptr(70)}, LastYear: AirValues{Conc: conc(55, 90, 20, 30), GoodDays: ptr(68)}}
	noGD := CompInput{County: "a", Current: AirValues{Conc: conc(50, 90, 20, 30)}, LastYear: AirValues{Conc: conc(55, 90, 20, 30)}}
	noSO2 := CompInput{County: "a", Current: AirValues{Conc: map[Pollutant]float64{PolPM25: 1, PolPM10: 1, PolNO2: 1}}, LastYear: ok.LastYear}
	tests := []struct {
		name string
		p    chinatime.Period
		in   []CompInput
		want string
	}{
		{"before-first-version", chinatime.Period{Kind: chinatime.Quarter, Year: 2013, N: 4}, []CompInput{ok}, "no compensation formula version covers"},
		{"after-last-known-version", chinatime.Period{Kind: chinatime.Quarter, Year: 2019, N: 2}, []CompInput{ok}, "no compensation formula version covers"},
		{"monthly-not-settled", chinatime.Period{Kind: chinatime.Month, Year: 2018, N: 5}, []CompInput{ok}, "no compensation formula version covers"},
		{"good-days-missing-2017", chinatime.Period{Kind: chinatime.Quarter, Year: 2018, N: 1}, []CompInput{noGD}, "no good-day ratio"},
		{"pollutant-missing", chinatime.Period{Kind: chinatime.Quarter, Year: 2018, N: 1}, []CompInput{noSO2}, "no so2"},
		{"duplicate-county", chinatime.Period{Kind: chinatime.Quarter, Year: 2018, N: 1}, []CompInput{ok, ok}, "duplicate"},
		{"bad-period", chinatime.Period{Kind: chinatime.Quarter, Year: 2018, N: 5}, []CompInput{ok}, "not a valid period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compensate(ShandongFormulas(), tt.p, tt.in)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want refusal containing %q", err, tt.want)
			}
		})
	}
	// Two versions covering one period are refused, not picked.
	fs := append(ShandongFormulas(), ShandongFormulas()[0])
	fs[3].Version = "dup"
	if _, err := Compensate(fs, chinatime.Period{Kind: chinatime.Quarter, Year: 2014, N: 1}, []CompInput{noGD}); err == nil || !strings.Contains(err.Error(), "both cover") {
		t.Fatalf("err %v", err)
	}
}

func TestParseFormulas(t *testing.T) {
	fs := ShandongFormulas()
	if len(fs) != 3 || fs[0].YuanPerUg != 200_000 || fs[1].YuanPerUg != 400_000 || fs[2].YuanPerUg != 800_000 || fs[2].YuanPerPoint != 200_000 ||
		fs[0].Factors["370600"] != 1500 || fs[0].DefaultFactor != 1000 {
		t.Fatalf("embedded versions changed: %+v", fs)
	}
	ok := `{"version":"v%d","from":"%s","to":"%s","kinds":["quarter"],"weights":[{"pollutant":"pm25","permille":%d},{"pollutant":"pm10","permille":400}],"yuan_per_ug":1,"default_factor":1000}`
	tests := []struct {
		name string
		json string
		want string
	}{
		{"weights-sum", "[" + fmt.Sprintf(ok, 1, "2020-01-01T00:00:00+08:00", "2021-01-01T00:00:00+08:00", 500) + "]", "weights sum to 900"},
		{"overlap", "[" + fmt.Sprintf(ok, 1, "2020-01-01T00:00:00+08:00", "2021-01-01T00:00:00+08:00", 600) + "," +
			fmt.Sprintf(ok, 2, "2020-12-01T00:00:00+08:00", "2022-01-01T00:00:00+08:00", 600) + "]", "overlaps version v1"},
		{"unknown-field", `[{"version":"x","coefficient":3}]`, "unknown field"},
		{"adjacent-ok", "[" + fmt.Sprintf(ok, 1, "2020-01-01T00:00:00+08:00", "2021-01-01T00:00:00+08:00", 600) + "," +
			fmt.Sprintf(ok, 2, "2021-01-01T00:00:00+08:00", "2022-01-01T00:00:00+08:00", 600) + "]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFormulas([]byte(tt.json))
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// The amount pays on last year's ratio as given in GoodDays (the same
// basis); the ratio by date is carried to the line and changes nothing:
// 2017 Q3 as in "2017-inland" (2.55 µg/m³ × 80万 + 2.5 pp × 20万 = 254万)
// with a by-date ratio of 80.0 (−5.0 pp by date).
func TestCompensateCarriesByDate(t *testing.T) {
	in := CompInput{County: "371500", Current: AirValues{Conc: conc(40, 82, 10, 30), GoodDays: ptr(75.0)},
		LastYear: AirValues{Conc: conc(44, 80, 13, 30), GoodDays: ptr(72.5), GoodDaysByDate: ptr(80.0)}}
	s, err := Compensate(ShandongFormulas(), chinatime.Period{Kind: chinatime.Quarter, Year: 2017, N: 3}, []CompInput{in})
	if err != nil {
		t.Fatal(err)
	}
	l := s.Lines[0]
	if l.Amount != 2_540_000 || l.GoodDaysPP != 2.5 || l.GoodDaysPPByDate == nil || *l.GoodDaysPPByDate != -5 {
		t.Errorf("line %+v (by date %v)", l, l.GoodDaysPPByDate)
	}
}
