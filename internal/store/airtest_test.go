package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// The ambient air part of the shared suite (runSuite lists these).

var cstZone = chinatime.Zone

// airHour builds a station-hour ending at end with SO2, NO2, CO, O3, PM10,
// PM2.5 given as c (AirNA for none).
func airHour(station string, end time.Time, c ...int64) model.AirHour {
	h := model.AirHour{Station: station, End: end}
	for i := range h.C {
		h.C[i] = model.AirNA
		if i < len(c) {
			h.C[i] = c[i]
		}
	}
	return h
}

func collectDays(t *testing.T, s Store, q AirDayQuery) []model.AirDay {
	t.Helper()
	var out []model.AirDay
	if err := s.AirDays(context.Background(), q, func(d *model.AirDay) error {
		out = append(out, *d)
		return nil
	}); err != nil {
		t.Fatalf("AirDays: %v", err)
	}
	return out
}

func mustPut(t *testing.T, s Store, hours []model.AirHour, opts AirPut) AirPutResult {
	t.Helper()
	res, err := s.PutAirHours(context.Background(), hours, opts)
	if err != nil {
		t.Fatalf("PutAirHours: %v", err)
	}
	return res
}

func testAirHoursRoundTrip(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	d := time.Date(2025, 6, 1, 0, 0, 0, 0, cstZone)
	h1 := airHour("371501A", d.Add(time.Hour), 9000, 30500, 800, 95000, 72000, 38000)     // 00:00-01:00
	h24 := airHour("371501A", d.Add(24*time.Hour), 8000, 28000, 700, 60000, 70000, 35000) // 23:00-24:00, labelled 00:00 next day
	hf := airHour("371501A", d.Add(2*time.Hour), 9000)
	hf.C[5], hf.Flags[5] = 12345, 4 // a flagged PM2.5 value is stored as its reason only
	res := mustPut(t, s, []model.AirHour{h1, h24, hf}, AirPut{Source: "test"})
	if res.Added != 14 || res.Days != 1 {
		t.Fatalf("result %+v, want 14 cells added in 1 day", res)
	}
	days := collectDays(t, s, AirDayQuery{})
	if len(days) != 1 {
		t.Fatalf("%d days, want 1 (the hour labelled 00:00 belongs to the day before)", len(days))
	}
	got := days[0]
	if got.Station != "371501A" || !got.Day.Equal(d) {
		t.Fatalf("day %s %s, want 371501A %s", got.Station, got.Day, d)
	}
	for p := range 6 {
		if got.C[p][0] != h1.C[p] || got.C[p][23] != h24.C[p] {
			t.Errorf("%s: hours 0 and 23 = %d, %d; want %d, %d", model.AirPollutants[p], got.C[p][0], got.C[p][23], h1.C[p], h24.C[p])
		}
		for h := 3; h < 23; h++ {
			if got.C[p][h] != model.AirNA || got.Flags[p][h] != 0 {
				t.Fatalf("%s hour %d = %d flag %d, want missing", model.AirPollutants[p], h, got.C[p][h], got.Flags[p][h])
			}
		}
	}
	if got.C[0][1] != 9000 || got.C[5][1] != model.AirNA || got.Flags[5][1] != 4 {
		t.Errorf("flagged hour: SO2 %d, PM2.5 %d flag %d; want 9000, missing, flag 4", got.C[0][1], got.C[5][1], got.Flags[5][1])
	}
}

func testAirHoursIdempotent(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	d := time.Date(2025, 1, 31, 0, 0, 0, 0, cstZone)
	var hours []model.AirHour
	for h := 1; h <= 48; h++ { // two days, crossing a month
		hours = append(hours, airHour("A", d.Add(time.Duration(h)*time.Hour), int64(h*1000), 2000, 300, 4000, 5000, 6000))
	}
	first := mustPut(t, s, hours, AirPut{Source: "f"})
	if first.Added != 48*6 || first.Days != 2 {
		t.Fatalf("first put %+v", first)
	}
	before := collectDays(t, s, AirDayQuery{})
	again := mustPut(t, s, hours, AirPut{Source: "f"})
	if again != (AirPutResult{Unchanged: 48 * 6}) {
		t.Fatalf("second put %+v, want all unchanged and no day written", again)
	}
	if after := collectDays(t, s, AirDayQuery{}); !reflect.DeepEqual(after, before) {
		t.Fatal("re-put changed the stored days")
	}
	// The same cell twice in one call: the first counts.
	dup := mustPut(t, s, []model.AirHour{airHour("B", d.Add(time.Hour), 1000), airHour("B", d.Add(time.Hour), 2000)}, AirPut{})
	if dup.Added != 1 || dup.Duplicate != 1 {
		t.Fatalf("duplicate put %+v", dup)
	}
	if ch, _ := s.AirChanges(context.Background(), AirChangeQuery{}); len(ch) != 0 {
		t.Fatalf("changes recorded without a correction: %+v", ch)
	}
}

func testAirHoursCorrection(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	end := time.Date(2025, 3, 2, 10, 0, 0, 0, cstZone)
	mustPut(t, s, []model.AirHour{airHour("A", end, 5000, 20000, 600, 80000, 90000, 50000)}, AirPut{Source: "hj212"})
	// The gateway's sync only fills: a differing value is kept.
	kept := mustPut(t, s, []model.AirHour{airHour("A", end, 5000, 21000)}, AirPut{Source: "hj212", FillOnly: true})
	if kept.Kept != 1 || kept.Unchanged != 1 || kept.Days != 0 {
		t.Fatalf("fill-only put %+v", kept)
	}
	// A file's corrected PM2.5 replaces it, and the change is recorded.
	at := time.Date(2025, 3, 5, 9, 0, 0, 0, time.UTC)
	fix := airHour("A", end, 5000, 20000, 600, 80000, 90000, 47000)
	res := mustPut(t, s, []model.AirHour{fix}, AirPut{Source: "file:fix.csv", At: at})
	if res.Replaced != 1 || res.Unchanged != 5 || res.Days != 1 {
		t.Fatalf("correction put %+v", res)
	}
	days := collectDays(t, s, AirDayQuery{Stations: []string{"A"}})
	if got := days[0].C[5][9]; got != 47000 {
		t.Fatalf("PM2.5 after correction %d, want 47000", got)
	}
	ch, err := s.AirChanges(ctx, AirChangeQuery{Station: "A"})
	if err != nil {
		t.Fatal(err)
	}
	want := []model.AirChange{{Station: "A", End: end.UTC(), Pollutant: "PM2.5", Old: 50000, New: 47000, Source: "file:fix.csv", At: at}}
	if !reflect.DeepEqual(ch, want) {
		t.Fatalf("changes\n got %+v\nwant %+v", ch, want)
	}
	if ch, _ := s.AirChanges(ctx, AirChangeQuery{Station: "A", From: end.Add(time.Hour)}); len(ch) != 0 {
		t.Fatalf("change query by time: %+v", ch)
	}
}

func testAirHoursAllOrNothing(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	end := time.Date(2025, 3, 2, 10, 0, 0, 0, cstZone)
	for _, bad := range []model.AirHour{
		airHour("", end, 1000),
		airHour("A", end.Add(time.Minute), 1000),
		airHour("A", end, 1<<40),
		airHour("A", end, -5),
	} {
		_, err := s.PutAirHours(context.Background(), []model.AirHour{airHour("A", end, 1000), airHour("B", end, 1000), bad}, AirPut{})
		if err == nil {
			t.Fatalf("PutAirHours with %+v: no error", bad)
		}
		if days := collectDays(t, s, AirDayQuery{}); len(days) != 0 {
			t.Fatalf("a refused put stored %d days", len(days))
		}
	}
}

func testAirDaysQuery(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	d := time.Date(2024, 12, 30, 0, 0, 0, 0, cstZone)
	var hours []model.AirHour
	for _, st := range []string{"A", "B", "C"} {
		for day := range 4 { // 12-30 … 01-02
			hours = append(hours, airHour(st, d.AddDate(0, 0, day).Add(12*time.Hour), 1000))
		}
	}
	mustPut(t, s, hours, AirPut{})
	keys := func(days []model.AirDay) string {
		var b []string
		for _, d := range days {
			b = append(b, d.Station+d.Day.In(cstZone).Format("0102"))
		}
		return strings.Join(b, " ")
	}
	y2025 := time.Date(2025, 1, 1, 0, 0, 0, 0, cstZone)
	for _, c := range []struct {
		q    AirDayQuery
		want string
	}{
		{AirDayQuery{Stations: []string{"C", "A"}, From: y2025}, "A0101 A0102 C0101 C0102"},
		{AirDayQuery{To: y2025}, "A1230 A1231 B1230 B1231 C1230 C1231"},
		{AirDayQuery{Stations: []string{"B"}, From: y2025.Add(-time.Hour), To: y2025.Add(time.Hour)}, "B1231 B0101"},
		{AirDayQuery{Stations: []string{"B"}, From: y2025.UTC(), To: y2025.AddDate(0, 0, 1).UTC()}, "B0101"},
		{AirDayQuery{Stations: []string{"Z"}}, ""},
	} {
		if got := keys(collectDays(t, s, c.q)); got != c.want {
			t.Errorf("AirDays(%+v) = %q, want %q", c.q, got, c.want)
		}
	}
}

func testAirTargets(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	heavy := 3
	ts := []model.AirTarget{
		{Year: 2025, Area: model.AirCity, PM25: ptr(38), GoodRatio: ptr(72.5), HeavyDays: &heavy, Index: ptr(4.3)},
		{Year: 2025, Area: "371502", PM25: ptr(39)},
		{Year: 2026, Area: "371502", PM25: ptr(36)},
	}
	if err := s.PutAirTargets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	got, err := s.AirTargets(ctx, 2025)
	if err != nil {
		t.Fatal(err)
	}
	if want := []model.AirTarget{ts[1], ts[0]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("targets 2025\n got %+v\nwant %+v", got, want)
	}
	// Upsert replaces the whole row (a nil field clears that target).
	if err := s.PutAirTargets(ctx, []model.AirTarget{{Year: 2025, Area: model.AirCity, PM25: ptr(37)}}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.AirTargets(ctx, 2025)
	if len(got) != 2 || *got[1].PM25 != 37 || got[1].GoodRatio != nil || got[1].HeavyDays != nil {
		t.Fatalf("after upsert %+v", got)
	}
	if err := s.PutAirTargets(ctx, []model.AirTarget{{Year: 2025, Area: "X", PM25: ptr(1)}, {Year: 1900, Area: "Y"}}); err == nil {
		t.Fatal("a target for 1900 was accepted")
	}
	if got, _ := s.AirTargets(ctx, 2025); len(got) != 2 {
		t.Fatalf("a refused put stored targets: %+v", got)
	}
}
