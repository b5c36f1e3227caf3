package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/golden"
)

// TestRightsReportCLI applies the basic script and prints each report as a
// table and as JSON (goldens), writes a workbook and reads it back, and
// checks the usage errors.
func TestRightsReportCLI(t *testing.T) {
	dir := t.TempDir()
	db := []string{"--data-dir", dir}
	if _, errs, code := rightsRun(t, "", append([]string{"apply", "testdata/rights/basic.jsonl", "--now", "2025-03-01T09:00:00+08:00"}, db...)...); code != 1 {
		t.Fatalf("apply: code %d: %s", code, errs)
	}
	for _, s := range []struct {
		golden string
		args   []string
	}{
		{"report.reservoir.golden", []string{"report", "reservoir", "--year", "2025"}},
		{"report.projects.golden", []string{"report", "projects"}},
		{"report.trades.golden", []string{"report", "trades", "--from", "2025-01-01", "--to", "2025-12-31"}},
		{"report.statement.golden", []string{"report", "statement", "--account", "ent:91371500MA3C000001", "--year", "2025"}},
		{"report.statement.json.golden", []string{"report", "statement", "--account", "ent:91371500MA3C000001", "--format", "json"}},
	} {
		out, errs, code := rightsRun(t, "", append(s.args, db...)...)
		if code != 0 {
			t.Fatalf("%v: code %d: %s", s.args, code, errs)
		}
		golden.CheckString(t, "testdata/rights/"+s.golden, out)
	}

	path := filepath.Join(dir, "reservoir.xlsx")
	if _, errs, code := rightsRun(t, "", append([]string{"report", "reservoir", "--format", "xlsx", "--out", path}, db...)...); code != 0 {
		t.Fatalf("xlsx: code %d: %s", code, errs)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("调蓄库收支", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || rows[1][0] != "年度" || rows[2][2] != "区县调蓄库 371502" {
		t.Fatalf("workbook rows: %q", rows)
	}

	for _, args := range [][]string{
		{"report"},
		{"report", "balances"},
		{"report", "statement"},
		{"report", "trades", "--format", "xlsx"},
		{"report", "trades", "--format", "csv"},
		{"report", "trades", "--year", "2025", "--from", "2025-01-01"},
		{"report", "trades", "--from", "2025-13-01"},
		{"report", "trades", "extra", "args"},
		{"report", "trades", "--county", "371502"},
		{"report", "reservoir", "--from", "2025-01-01"},
		{"report", "projects", "--account", "city"},
	} {
		if _, errs, code := rightsRun(t, "", append(args, db...)...); code != 2 || errs == "" {
			t.Errorf("rights %v: exit %d (%q), want 2", args, code, errs)
		}
	}
	if _, errs, code := rightsRun(t, "", "report", "--help"); code != 0 || !strings.Contains(errs, "statement") {
		t.Errorf("--help: %d %q", code, errs)
	}
}
