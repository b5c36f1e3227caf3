package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// airStore creates a data directory with a registry of two stations.
func airStore(t *testing.T) (dir string, open func() store.Store) {
	t.Helper()
	dir = t.TempDir()
	open = func() store.Store {
		st, err := store.Open(context.Background(), storetest.SQLiteDSN(dir), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	defer st.Close()
	reg := &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区"}},
		Stations: []model.Station{
			{Code: "S1", Name: "一", County: "371502", Level: model.StationNational, Lat: 36.4, Lon: 115.9, CityEval: true, CountyEval: true},
			{Code: "S2", Name: "二", County: "371502", Level: model.StationNational, Lat: 36.5, Lon: 115.9, CityEval: true, CountyEval: true},
		},
	}
	if err := st.ImportRegistry(context.Background(), reg); err != nil {
		t.Fatal(err)
	}
	return dir, open
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func storedDays(t *testing.T, open func() store.Store) []model.AirDay {
	t.Helper()
	st := open()
	defer st.Close()
	var out []model.AirDay
	if err := st.AirDays(context.Background(), store.AirDayQuery{}, func(d *model.AirDay) error { out = append(out, *d); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAirImportIdempotentCorrectionsAtomic(t *testing.T) {
	dir, open := airStore(t)
	airNow = func() time.Time { return time.Date(2025, 6, 3, 9, 0, 0, 0, time.UTC) }
	defer func() { airNow = time.Now }()
	good := writeFile(t, dir, "a.csv", "station,time,pollutant,value,flag\n"+
		"S1,2025-06-01 01:00,PM2.5,35,N\n"+
		"S1,2025-06-01 01:00,PM10,60,N\n"+
		"S1,2025-06-01 02:00,PM2.5,-3,N\n"+ // negative: excluded, stored as missing with its reason
		"S1,2025-06-01 03:00,PM2.5,40,M\n"+ // maintenance flag
		"X9,2025-06-01 01:00,PM2.5,50,N\n") // unknown station

	out, errOut, code := runCmd(t, "air", "import", "--data-dir", dir, good)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if want := "file:a.csv: 3 station-hours; values added 4, unchanged 0, replaced 0; excluded flagged=1 negative=1 unknown_station=1; unknown stations X9=1\n"; out != want {
		t.Errorf("import summary\n got %q\nwant %q", out, want)
	}
	if !strings.Contains(errOut, "station X9 is not in the registry: 1 station-hours excluded (unknown_station)") {
		t.Errorf("unknown station not reported: %q", errOut)
	}
	before := storedDays(t, open)
	// PM2.5 of 01:00 stored; 02:00 (negative, reason 1) and 03:00 (flagged,
	// reason 4) stored as missing with their reasons.
	if len(before) != 1 || before[0].C[5][0] != 35000 || before[0].C[5][1] != model.AirNA || before[0].Flags[5][1] != 1 || before[0].Flags[5][2] != 4 {
		t.Fatalf("stored %+v", before)
	}

	// Importing it again changes nothing.
	out, _, code = runCmd(t, "air", "import", "--data-dir", dir, good)
	if code != 0 || !strings.Contains(out, "values added 0, unchanged 4, replaced 0") {
		t.Fatalf("re-import: exit %d, %q", code, out)
	}

	// A corrected value replaces the stored one; the change is recorded.
	fix := writeFile(t, dir, "fix.csv", "station,time,pollutant,value\nS1,2025-06-01 01:00,PM2.5,33\n")
	out, _, code = runCmd(t, "air", "import", "--data-dir", dir, fix)
	if code != 0 || !strings.Contains(out, "values added 0, unchanged 0, replaced 1") {
		t.Fatalf("correction: exit %d, %q", code, out)
	}
	st := open()
	changes, err := st.AirChanges(context.Background(), store.AirChangeQuery{})
	st.Close()
	if err != nil || len(changes) != 1 || changes[0].Old != 35000 || changes[0].New != 33000 || changes[0].Source != "file:fix.csv" {
		t.Fatalf("changes %+v, %v", changes, err)
	}

	// A file with one bad row stores nothing and names line and column.
	bad := writeFile(t, dir, "bad.csv", "station,time,pollutant,value\nS2,2025-06-01 01:00,PM2.5,20\nS2,2025-06-01 02:00,PM2.5,2O\n")
	before = storedDays(t, open)
	_, errOut, code = runCmd(t, "air", "import", "--data-dir", dir, bad)
	if code != 1 || !strings.Contains(errOut, "bad.csv: line 3, column 27: value \"2O\": not a number (nothing stored)") {
		t.Fatalf("bad file: exit %d, %q", code, errOut)
	}
	if after := storedDays(t, open); len(after) != len(before) {
		t.Fatalf("a bad file stored something: %d days, was %d", len(after), len(before))
	}
}

func TestAirReportAndTargetsCommands(t *testing.T) {
	dir, _ := airStore(t)
	var b strings.Builder
	b.WriteString("station,time,pollutant,value\n")
	for h := 1; h <= 48; h++ {
		tm := time.Date(2025, 6, 1, 0, 0, 0, 0, chinatime.Zone).Add(time.Duration(h) * time.Hour).Format("2006-01-02 15:04")
		for _, st := range []string{"S1", "S2"} {
			for _, pv := range [][2]string{{"SO2", "8"}, {"NO2", "30"}, {"CO", "0.7"}, {"O3", "100"}, {"PM10", "70"}, {"PM2.5", "40"}} {
				b.WriteString(st + "," + tm + "," + pv[0] + "," + pv[1] + "\n")
			}
		}
	}
	f := writeFile(t, dir, "june.csv", b.String())
	if _, errOut, code := runCmd(t, "air", "import", "--data-dir", dir, f); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := runCmd(t, "air", "report", "--data-dir", dir, "--year", "2025", "--month", "6", "--format", "json")
	if code != 0 || !strings.Contains(out, `"period": "2025-06"`) || !strings.Contains(out, `"good_days": 2`) {
		t.Fatalf("report: exit %d %s\n%s", code, errOut, out)
	}
	xlsx := filepath.Join(dir, "r.xlsx")
	if _, errOut, code := runCmd(t, "air", "report", "--data-dir", dir, "--year", "2025", "--format", "xlsx", "--out", xlsx); code != 0 {
		t.Fatal(errOut)
	}
	if fi, err := os.Stat(xlsx); err != nil || fi.Size() < 1000 {
		t.Fatalf("xlsx: %v", err)
	}
	if _, _, code := runCmd(t, "air", "report", "--data-dir", dir, "--year", "2025", "--format", "xlsx"); code != 2 {
		t.Errorf("xlsx without --out: exit %d, want 2", code)
	}
	if _, errOut, code := runCmd(t, "air", "targets", "set", "--data-dir", dir, "--year", "2025", "--area", "city", "--pm25", "35", "--good-ratio", "80"); code != 0 {
		t.Fatal(errOut)
	}
	if _, _, code := runCmd(t, "air", "targets", "set", "--data-dir", dir, "--year", "2025", "--area", "nowhere", "--pm25", "35"); code != 2 {
		t.Errorf("target for an unknown area: exit %d, want 2", code)
	}
	// The table and the targets speak --lang: Chinese by default.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"air", "report", "--year", "2025", "--month", "6"}, []string{"环境空气质量评价 2025年6月", "优良比例%", "全市"}},
		{[]string{"air", "report", "--year", "2025", "--month", "6", "--lang", "en"}, []string{"Air quality evaluation 2025-06", "good%", "whole city"}},
		{[]string{"air", "targets", "--year", "2025", "--as-of", "2025-06-02"}, []string{"2025年目标，截至 2025-06-02：已过 153 天，剩余 212 天", "细颗粒物 ≤ 35"}},
		{[]string{"air", "targets", "--year", "2025", "--as-of", "2025-06-02", "--lang", "en"}, []string{"Targets 2025 as of 2025-06-02: 153 days elapsed, 212 remaining", "PM2.5 ≤ 35"}},
	} {
		out, errOut, code = runCmd(t, append(tc.args, "--data-dir", dir)...)
		for _, w := range tc.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("%v: exit %d %s, no %q in\n%s", tc.args, code, errOut, w, out)
			}
		}
	}
	if _, _, code := runCmd(t, "air", "report", "--data-dir", dir, "--year", "2025", "--lang", "fr"); code != 2 {
		t.Errorf("--lang fr: exit %d, want 2", code)
	}
}
