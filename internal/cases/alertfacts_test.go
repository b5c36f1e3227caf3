package cases

import (
	"testing"
	"time"
)

// TestAlertTitle is the golden test of case titles in both languages: the
// bureau's wording with factor names and units from the catalogue.
func TestAlertTitle(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	nox := Finding{At: t0, Rule: "exceedance", Factor: "a21002", Field: "ZsAvg", Period: "hour", Value: 245, Limit: 150, Unit: "mg/m3"}
	so2 := Finding{At: t0.Add(time.Hour), Rule: "exceedance", Factor: "a21026", Field: "ZsAvg", Period: "hour", Value: 120.456, Limit: 100, Unit: "mg/m3"}
	cod := Finding{At: t0, Rule: "exceedance", Factor: "w01018", Field: "Avg", Period: "day", Value: 62.5, Limit: 50, Unit: "mg/L"}
	base := AlertFacts{Enterprise: "91371500000000000X", EnterpriseName: "聊城某某有限公司", Outlet: "91371500000000000X-DA001", OutletName: "1号锅炉废气排放口", MN: "MN1"}
	one := base
	one.Findings = []Finding{nox}
	two := base
	two.Findings = []Finding{so2, nox, so2}
	water := base
	water.OutletName = "废水总排口"
	water.Findings = []Finding{cod}
	flat := base
	flat.Findings = []Finding{{At: t0, Rule: "flat-line", Factor: "a21026", Value: 12}}
	nearDL := base
	nearDL.Findings = []Finding{{At: t0, Rule: "near-detection-limit", Factor: "a34013", Field: "Avg", Period: "hour", Value: 1.2, Limit: 1.5, Unit: "mg/m3"}}
	band := base
	band.Findings = []Finding{{At: t0, Rule: "narrow-band", Factor: "a21002", Field: "Avg", Period: "hour", Value: 8.4, Limit: 10, Unit: "mg/m3"}}
	off := base
	off.OutletName = ""
	off.Findings = []Finding{{At: t0, Rule: "offline", Value: 3 * 3600}}
	for _, c := range []struct {
		f      AlertFacts
		zh, en string
	}{
		{one, "聊城某某有限公司 1号锅炉废气排放口 氮氧化物小时均值 245 mg/m³，超标 0.63 倍（限值 150 mg/m³）",
			"聊城某某有限公司 1号锅炉废气排放口: NOx hourly mean 245 mg/m³, 0.63 times over the limit (150 mg/m³)"},
		{two, "聊城某某有限公司 1号锅炉废气排放口 氮氧化物小时均值 245 mg/m³，超标 0.63 倍（限值 150 mg/m³），本次共 2 项因子",
			"聊城某某有限公司 1号锅炉废气排放口: NOx hourly mean 245 mg/m³, 0.63 times over the limit (150 mg/m³); 2 factors in this episode"},
		{water, "聊城某某有限公司 废水总排口 化学需氧量日均值 62.5 mg/L，超标 0.25 倍（限值 50 mg/L）",
			"聊城某某有限公司 废水总排口: COD daily mean 62.5 mg/L, 0.25 times over the limit (50 mg/L)"},
		{flat, "聊城某某有限公司 1号锅炉废气排放口 二氧化硫数据恒值", "聊城某某有限公司 1号锅炉废气排放口: SO₂: flat-lined data"},
		{nearDL, "聊城某某有限公司 1号锅炉废气排放口 烟尘数据长期在检出限附近波动，1.2 mg/m³（不高于 1.5 mg/m³）",
			"聊城某某有限公司 1号锅炉废气排放口: Smoke dust: long hovering around the detection limit, 1.2 mg/m³ (at most 1.5 mg/m³)"},
		{band, "聊城某某有限公司 1号锅炉废气排放口 氮氧化物数据长期在量程2%以内波动，波动幅度 8.4 mg/m³（量程的2%为 10 mg/m³）",
			"聊城某某有限公司 1号锅炉废气排放口: NOx: long varying within 2 % of the measuring range, spread 8.4 mg/m³ (2 % of the range: 10 mg/m³)"},
		{off, "聊城某某有限公司 设备 MN1 设备离线 3 小时", "聊城某某有限公司 device MN1: device offline for 3 h"},
	} {
		if got := AlertTitle(&c.f, "zh"); got != c.zh {
			t.Errorf("zh:\n got  %s\n want %s", got, c.zh)
		}
		if got := AlertTitle(&c.f, "en"); got != c.en {
			t.Errorf("en:\n got  %s\n want %s", got, c.en)
		}
		cs := Case{Title: "stored", Alert: &c.f}
		if got := cs.TitleIn("en"); got != c.en {
			t.Errorf("TitleIn(en) = %s", got)
		}
	}
	if got := (Case{Title: "群众举报：河道排污"}).TitleIn("en"); got != "群众举报：河道排污" {
		t.Errorf("a case without facts keeps its title, got %s", got)
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{245: "245", 245.26: "245.3", 0.6333: "0.633", 12.5: "12.5", 3: "3", 62.504: "62.5"} {
		if got := Num(v); got != want {
			t.Errorf("Num(%v) = %s, want %s", v, got, want)
		}
	}
}

// TestAddFinding: the episode's further findings extend the case, rewrite
// its title and are recorded in the event.
func TestAddFinding(t *testing.T) {
	r := DefaultRules()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f := AlertFacts{EnterpriseName: "聊城某某有限公司", OutletName: "1号锅炉废气排放口",
		Findings: []Finding{{At: now, Rule: "exceedance", Factor: "a21026", Period: "hour", Value: 120, Limit: 100, Unit: "mg/m3"}}}
	c := Case{ID: "C1", Source: SourceOnline, Line: "air-industry", County: "371502", Severity: SeverityMajor, Title: AlertTitle(&f, "zh"), Alert: &f}
	c = must(t, r, c, Action{Kind: ActRegister}, systemAct, now)
	add := Finding{At: now.Add(2 * time.Hour), Rule: "exceedance", Factor: "a21002", Period: "hour", Value: 245, Limit: 150, Unit: "mg/m3"}
	n, evs, err := r.Apply(c, Action{Kind: ActAddFinding, Finding: &add}, systemAct, now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Alert.Findings) != 2 || len(c.Alert.Findings) != 1 {
		t.Errorf("findings %d (old case %d)", len(n.Alert.Findings), len(c.Alert.Findings))
	}
	if want := "聊城某某有限公司 1号锅炉废气排放口 氮氧化物小时均值 245 mg/m³，超标 0.63 倍（限值 150 mg/m³），本次共 2 项因子"; n.Title != want {
		t.Errorf("title %s", n.Title)
	}
	if evs[0].Finding == nil || evs[0].Finding.Factor != "a21002" || n.State != StateRegistered {
		t.Errorf("event %+v, state %s", evs[0], n.State)
	}
	if _, _, err := r.Apply(n, Action{Kind: ActAddFinding, Finding: &add}, city, now.Add(3*time.Hour)); err == nil {
		t.Error("staff added a finding")
	}
}
