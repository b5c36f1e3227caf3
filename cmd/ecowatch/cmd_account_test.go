package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func accountCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"account"}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// seedAccountStore makes a data directory with two counties and two years
// of synthetic air data.
func seedAccountStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.SQLiteDSN(dir), store.Options{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371581", Name: "临清市"}},
		Stations: []model.Station{
			{Code: "A", Name: "站A", County: "371502", Level: model.StationNational, Lat: 36.4, Lon: 115.9, CityEval: true, CountyEval: true},
			{Code: "B", Name: "站B", County: "371502", Level: model.StationNational, Lat: 36.5, Lon: 115.9, CityEval: true, CountyEval: true},
			{Code: "C", Name: "站C", County: "371581", Level: model.StationProvincial, Lat: 36.8, Lon: 115.7, CountyEval: true},
		},
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{2025, 2026} {
		for i, s := range reg.Stations {
			if _, err := st.PutAirHours(ctx, airimport.SyntheticYear(s.Code, i, y, uint64(y)), store.AirPut{Source: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestAccountCLI(t *testing.T) {
	dir := seedAccountStore(t)
	db := []string{"--data-dir", dir, "--now", "2026-10-10T09:00"}
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := accountCLI(t, append(args, db...)...)
		if code != 0 {
			t.Fatalf("%v: code %d: %s", args, code, errs)
		}
		return out
	}
	// Before loading: no scheme, refused (exit 1) with the reason.
	if _, errs, code := accountCLI(t, append([]string{"assess", "--period", "2026Q3"}, db...)...); code != 1 || !strings.Contains(errs, "no assessment scheme") {
		t.Fatalf("assess without scheme: %d %s", code, errs)
	}
	must("load", "testdata/account/load.json")
	golden.CheckString(t, "testdata/account/assess.golden", must("assess", "--period", "2026Q3"))
	golden.CheckString(t, "testdata/account/compensate.golden", must("compensate", "--period", "2026Q3"))
	first := must("triggers", "--period", "2026Q3", "--open-cases", "--format", "json")
	golden.CheckString(t, "testdata/account/triggers.json.golden", first)
	if again := must("triggers", "--period", "2026Q3", "--open-cases", "--format", "json"); again != first {
		t.Fatalf("re-run changed the firings:\n%s", again)
	}
	// The table in each language: the firing's reason too, in the table's language.
	golden.CheckString(t, "testdata/account/triggers.golden", must("triggers", "--period", "2026Q3"))
	golden.CheckString(t, "testdata/account/triggers.en.golden", must("triggers", "--period", "2026Q3", "--lang", "en"))
	golden.CheckString(t, "testdata/account/assess.en.golden", must("assess", "--period", "2026Q3", "--lang", "en"))
	if _, errs, code := accountCLI(t, append([]string{"assess", "--period", "2026Q3", "--lang", "fr"}, db...)...); code != 2 || !strings.Contains(errs, "want zh or en") {
		t.Fatalf("--lang fr: code %d: %s", code, errs)
	}
	var fs []struct {
		County string `json:"county"`
		CaseID string `json:"case_id"`
	}
	if err := json.Unmarshal([]byte(first), &fs); err != nil || len(fs) != 1 || fs[0].CaseID == "" {
		t.Fatalf("firings %s %v", first, err)
	}
	var cs bytes.Buffer
	if code := run(context.Background(), []string{"cases", "list", "--data-dir", dir}, strings.NewReader(""), &cs, &cs); code != 0 {
		t.Fatalf("cases list: %s", cs.String())
	}
	if n := strings.Count(cs.String(), "\nC2026-"); n != 1 {
		t.Fatalf("%d cases opened over two runs, want 1:\n%s", n, cs.String())
	}
	golden.CheckString(t, "testdata/account/bulletin.golden", must("bulletin", "--period", "2026Q3", "--number", "聊环通〔2026〕9号"))
	golden.CheckString(t, "testdata/account/bulletin.en.golden", must("bulletin", "--period", "2026Q3", "--number", "聊环通〔2026〕9号", "--lang", "en"))

	must("warnings", "add", "--id", "W1", "--level", "orange", "--start", "2026-12-01T08:00", "--end", "2026-12-03T08:00")
	_, errs, code := accountCLI(t, append([]string{"warnings", "add", "--id", "W2", "--level", "red", "--start", "2026-12-02T08:00", "--end", "2026-12-04T08:00", "--counties", "371502"}, db...)...)
	if code != 1 || !strings.Contains(errs, "overlaps W1") {
		t.Fatalf("overlapping warning: code %d: %s", code, errs)
	}
	golden.CheckString(t, "testdata/account/warnings.golden", must("warnings", "list"))
	golden.CheckString(t, "testdata/account/entries.golden", must("warnings", "entries", "--year", "2026"))
	golden.CheckString(t, "testdata/account/check.golden", must("warnings", "check", "--id", "W1", "--year", "2026", "--samples", "testdata/account/samples.jsonl"))
	for i := range 2 {
		_, errs, code := accountCLI(t, append([]string{"warnings", "check", "--id", "W1", "--year", "2026", "--samples", "testdata/account/samples.jsonl", "--open-cases"}, db...)...)
		if code != 0 || strings.Count(errs, "opened case") != 1-i {
			t.Fatalf("check run %d: code %d: %s", i, code, errs)
		}
	}
	golden.CheckString(t, "testdata/account/projects.golden", must("projects", "list"))
	golden.CheckString(t, "testdata/account/soil.golden", must("soil", "duties", "--year", "2026"))
	_, errs, code = accountCLI(t, append([]string{"soil", "duties", "--year", "2026", "--open-cases"}, db...)...)
	if code != 0 || strings.Count(errs, "opened case") != 3 {
		t.Fatalf("soil cases: code %d: %s", code, errs)
	}
	if _, errs, _ = accountCLI(t, append([]string{"soil", "duties", "--year", "2026", "--open-cases"}, db...)...); strings.Contains(errs, "opened case") {
		t.Fatalf("second run opened cases again: %s", errs)
	}

	path := filepath.Join(dir, "assess.xlsx")
	must("assess", "--period", "2026Q3", "--format", "xlsx", "--out", path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("考核")
	if err != nil || len(rows) != 4 || rows[1][0] != "排名" {
		t.Fatalf("workbook %q %v", rows, err)
	}

	for _, args := range [][]string{
		{},
		{"assess"},
		{"assess", "--period", "2026Q5"},
		{"assess", "--period", "2026Q3", "--format", "xlsx"},
		{"warnings"},
		{"warnings", "add", "--id", "W3"},
		{"soil", "duties"},
		{"frobnicate"},
	} {
		if _, _, code := accountCLI(t, append(args, "--data-dir", dir)...); code != 2 {
			t.Errorf("%v: code %d, want 2 (usage)", args, code)
		}
	}
}
