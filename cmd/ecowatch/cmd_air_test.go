package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/golden"
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// TestAirHourlyCNEMC runs the command on real CNEMC data (125 stations of
// the hour ending 2022-01-04 16:00, see internal/air/testdata/README.md) and
// checks every output AQI against the AQI row CNEMC published in the file.
func TestAirHourlyCNEMC(t *testing.T) {
	const file = "testdata/air/cnemc_20220104_16.csv"
	out, errOut, code := runCmd(t, "air", "hourly", "--format", "cnemc", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden.CheckString(t, "testdata/air/cnemc_20220104_16.hourly.golden", out)

	published := publishedAQI(t, file)
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		var rec struct {
			Station string `json:"station"`
			Time    string `json:"time"`
			AQI     *int   `json:"aqi"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Time != "2022-01-04T16:00:00+08:00" {
			t.Errorf("%s: time %s", rec.Station, rec.Time)
		}
		want, ok := published[rec.Station]
		switch {
		case !ok && rec.AQI != nil:
			t.Errorf("%s: CNEMC published no AQI, we print %d", rec.Station, *rec.AQI)
		case ok && (rec.AQI == nil || *rec.AQI != want):
			t.Errorf("%s: AQI %v, CNEMC %d", rec.Station, rec.AQI, want)
		}
		n++
	}
	if n != 125 {
		t.Errorf("%d station-hours, want 125", n)
	}
}

func publishedAQI(t *testing.T, file string) map[string]int {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	stations := strings.Split(lines[0], ",")[3:]
	m := map[string]int{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if f[2] != "AQI" {
			continue
		}
		for i, s := range f[3:] {
			if s != "" {
				v, _ := strconv.Atoi(s)
				m[stations[i]] = v
			}
		}
	}
	return m
}

func TestAirHourlyRulesOverride(t *testing.T) {
	out, _, code := runCmd(t, "air", "hourly", "--rules", "2026", "testdata/air/cnemc_20220104_16.csv")
	if code != 0 {
		t.Fatal(code)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	// 1001A PM2.5 54 on the 2026 table: 50 + 50·19/25 = 88 (2012: 74).
	if !strings.Contains(first, `"rules":"2026","aqi":88,`) {
		t.Errorf("2026 override: %s", first)
	}
}

func TestAirDailyLong(t *testing.T) {
	out, errOut, code := runCmd(t, "air", "daily", "testdata/air/long_20250601.csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden.CheckString(t, "testdata/air/long_20250601.daily.golden", out)
	// Bad values are excluded with reasons, never taken as zero.
	if !strings.Contains(errOut, "8 values excluded: duplicate=2 flagged=5 negative=1") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestAirMalformedFile(t *testing.T) {
	out, errOut, code := runCmd(t, "air", "hourly", "testdata/air/bad_value.csv", "testdata/air/cnemc_20220104_16.csv")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, `testdata/air/bad_value.csv: line 3, column 21: value "4x1": not a number`) {
		t.Errorf("stderr: %s", errOut)
	}
	// Nothing of the bad file is printed; the good file still is.
	if strings.Contains(out, `"A1"`) || strings.Count(out, "\n") != 125 {
		t.Errorf("stdout has %d lines, A1 present: %v", strings.Count(out, "\n"), strings.Contains(out, `"A1"`))
	}
}

func TestAirUsage(t *testing.T) {
	for _, args := range [][]string{{"air"}, {"air", "monthly"}, {"air", "hourly"}, {"air", "hourly", "--rules", "2019", "x"}, {"air", "daily", "--format", "xml", "x"}} {
		if _, _, code := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, _, code := runCmd(t, "air", "hourly", "--help"); code != 0 {
		t.Errorf("--help exit %d", code)
	}
}
