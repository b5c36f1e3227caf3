package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
)

// waterDemoStore makes a data directory holding the demo city with its
// water registry, through the commands a user would run.
func waterDemoStore(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	data := filepath.Join(dir, "data")
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := runCmd(t, args...)
		if code != 0 {
			t.Fatalf("ecowatch %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	must("registry", "import", filepath.Join("..", "..", "internal", "registry", "testdata", "demo-city.yaml"), "--data-dir", data)
	must("water", "registry", "export", "--demo", "--devices", filepath.Join(dir, "devices.yaml"), filepath.Join(dir, "water.yaml"))
	must("registry", "import", filepath.Join(dir, "devices.yaml"), "--data-dir", data)
	out := must("water", "registry", "import", filepath.Join(dir, "water.yaml"), "--data-dir", data)
	if !strings.Contains(out, "17 sections, 10 drinking-water sources, 209 outfalls") {
		t.Fatalf("import: %s", out)
	}
	return dir
}

func TestWaterRegistryCommands(t *testing.T) {
	dir := waterDemoStore(t)
	data := filepath.Join(dir, "data")
	// Export round trip: the stored registry is the file imported.
	if _, errs, code := runCmd(t, "water", "registry", "export", filepath.Join(dir, "back.yaml"), "--data-dir", data); code != 0 {
		t.Fatal(errs)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "water.yaml"))
	b, _ := os.ReadFile(filepath.Join(dir, "back.yaml"))
	if string(a) != string(b) {
		t.Fatal("export differs from the imported file")
	}
	// An outfall on an air outlet is refused with its line; nothing changes.
	bad := strings.Replace(string(a), "    outlet: 91371500", "    outlet: NOPE91371500", 1)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644)
	_, errs, code := runCmd(t, "water", "registry", "import", filepath.Join(dir, "bad.yaml"), "--data-dir", data)
	if code != 1 || !strings.Contains(errs, "bad.yaml:") || !strings.Contains(errs, "outfalls[0].outlet: outlet \"NOPE") {
		t.Fatalf("bad import: exit %d, %s", code, errs)
	}
}

func TestWaterImportReport(t *testing.T) {
	dir := waterDemoStore(t)
	data := filepath.Join(dir, "data")
	lab := filepath.Join(dir, "lab.csv")
	os.WriteFile(lab, []byte("section,time,item,value,below_dl\n"+
		"WS01,2026-10-08 10:00,pH,7.8,\nWS01,2026-10-08 10:00,DO,5.2,\nWS01,2026-10-08 10:00,CODMn,7.1,\n"+
		"WS01,2026-10-08 10:00,NH3-N,1.62,\nWS01,2026-10-08 10:00,TP,<0.01,\n"), 0o644)
	out, errs, code := runCmd(t, "water", "import", lab, "--data-dir", data)
	if code != 0 || !strings.Contains(out, "5 added") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	out, _, _ = runCmd(t, "water", "import", lab, "--data-dir", data)
	if !strings.Contains(out, "0 added, 5 unchanged") {
		t.Fatalf("re-import: %s", out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("section,time,item,value\nWS02,2026-10-09 10:00,NH3-N,0.7\nWS02,2026-10-09 10:00,CODX,0.7\nWS99,2026-10-09 10:00,TP,0.1\n"), 0o644)
	_, errs, code = runCmd(t, "water", "import", bad, "--data-dir", data)
	want := "bad.csv:3: item: unknown item \"CODX\"\nbad.csv:4: section: \"WS99\" is not a section or drinking-water source of the water registry\n"
	if code != 1 || !strings.HasPrefix(errs, want) || !strings.Contains(errs, "nothing stored") {
		t.Fatalf("bad file: exit %d\n%s", code, errs)
	}
	out, errs, code = runCmd(t, "water", "report", "--period", "2026-10", "--format", "json", "--data-dir", data)
	if code != 0 {
		t.Fatal(errs)
	}
	var rep waterreport.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// WS01: NH3-N 1.62 is Ⅴ (multiple 0.62), CODMn 7.1 Ⅳ; target Ⅳ missed.
	// WS02 has nothing stored from the bad file.
	s := rep.Sections[0]
	if s.Code != "WS01" || s.Class != 5 || s.Meets || s.MainPollutants[0].Item != "NH3-N" || *s.MainPollutants[0].Multiple != 0.62 || rep.Sections[1].Samples != 0 {
		t.Fatalf("report: %+v / %+v", s, rep.Sections[1])
	}
	if _, errs, code := runCmd(t, "water", "report", "--period", "2026-13", "--data-dir", data); code != 2 || !strings.Contains(errs, "2026-13") {
		t.Fatalf("bad period: exit %d %s", code, errs)
	}
	for lang, want := range map[string]string{"zh": "地表水水质报告（2026-10，对比 2025-10）", "en": "Surface water report (2026-10, compared with 2025-10)"} {
		if out, errs, code := runCmd(t, "water", "report", "--period", "2026-10", "--lang", lang, "--data-dir", data); code != 0 || !strings.Contains(out, want) {
			t.Errorf("--lang %s: exit %d %s\n%s", lang, code, errs, out)
		}
	}
	if _, _, code := runCmd(t, "water", "report", "--period", "2026-10", "--lang", "fr", "--data-dir", data); code != 2 {
		t.Errorf("--lang fr: exit %d, want 2", code)
	}
	xlsx := filepath.Join(dir, "r.xlsx")
	if _, errs, code := runCmd(t, "water", "report", "--period", "2026", "--format", "xlsx", "--out", xlsx, "--data-dir", data); code != 0 {
		t.Fatal(errs)
	}
	if fi, err := os.Stat(xlsx); err != nil || fi.Size() == 0 {
		t.Fatal("no workbook")
	}
	// Tracing without station data says so.
	_, errs, code = runCmd(t, "water", "trace", "--section", "WS05", "--time", "2026-10-08 10:00", "--data-dir", data)
	if code != 1 || !strings.Contains(errs, "no data for CODMn") {
		t.Fatalf("trace without data: exit %d %s", code, errs)
	}
	if _, _, code := runCmd(t, "water", "trace", "--section", "WS05", "--data-dir", data); code != 2 {
		t.Fatalf("trace without --time: exit %d", code)
	}
}

// A pulse from one outfall on 徒骇河's last reach reaches the automatic
// station WS05: trace ranks that outfall first and opens a case.
func TestWaterTraceOpenCase(t *testing.T) {
	dir := waterDemoStore(t)
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.SQLiteDSN(data), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := st.WaterRegistry(ctx)
	reg, _ := st.Registry(ctx)
	var of model.WaterOutfall
	for _, o := range w.Outfalls {
		if o.Reach == "THH-R6" {
			of = o
			break
		}
	}
	mn := ""
	for _, d := range reg.Devices {
		if d.Outlet == of.Outlet {
			mn = d.MN
		}
	}
	if mn == "" {
		t.Fatal("no outfall with a device on THH-R6")
	}
	lag := int(math.Round((24200 - of.OffsetM) / 0.25 / 3600))
	cst := chinatime.Zone
	h0 := time.Date(2026, 10, 6, 0, 0, 0, 0, cst)
	pulse := 60 // hours after h0
	var ups []model.Upload
	var samples []model.WaterSample
	for h := range 96 {
		tm := h0.Add(time.Duration(h) * time.Hour).UTC()
		c, q := 20.0+float64(h%4), 30.0
		if h >= pulse && h < pulse+4 {
			c, q = 400, 60
		}
		ups = append(ups, model.Upload{MN: mn, CN: "2061", DataTime: tm, Values: []model.Value{
			{Factor: "w01018", Field: "Avg", Value: strconv.FormatFloat(c, 'f', 1, 64)},
			{Factor: "w00000", Field: "Avg", Value: strconv.FormatFloat(q, 'f', 1, 64)},
		}})
		v := 4.0 + 0.1*float64(h%3)
		if h-lag >= pulse && h-lag < pulse+4 {
			v += 400 * 0.06 / 13 * 1.5 // COD → CODMn, roughly
		}
		samples = append(samples, model.WaterSample{Point: "WS05", Item: "CODMn", Time: tm, Value: strconv.FormatFloat(v, 'f', 2, 64), Source: "hj212"})
	}
	if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	first := h0.Add(time.Duration(pulse+lag) * time.Hour).Format("2006-01-02 15:04")
	out, errs, code := runCmd(t, "water", "trace", "--section", "WS05", "--time", first, "--json", "--open-case", "--data-dir", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Candidates []struct{ Outfall, Enterprise string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Candidates) == 0 || rep.Candidates[0].Outfall != of.Code {
		t.Fatalf("first candidate %+v, want %s", rep.Candidates, of.Code)
	}
	if !strings.Contains(errs, "case C2026-000001 opened: 溯源: 徒骇河高唐出境") {
		t.Fatalf("no case opened: %s", errs)
	}
}
