package cases

import (
	"math"
	"testing"
	"time"
)

func TestHaversine(t *testing.T) {
	// One degree of latitude is 111.195 km on the mean sphere.
	if d := HaversineKm(36, 115, 37, 115); math.Abs(d-111.195) > 0.01 {
		t.Errorf("1° of latitude = %.3f km", d)
	}
	// Liaocheng to Jinan (36.4567 N 115.9853 E → 36.6512 N 117.1201 E) is about 103 km.
	if d := HaversineKm(36.4567, 115.9853, 36.6512, 117.1201); d < 101 || d > 105 {
		t.Errorf("Liaocheng–Jinan %.1f km", d)
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tr := []TrackPoint{{T: t0, Lat: 36, Lon: 115}, {T: t0.Add(time.Minute), Lat: 36.5, Lon: 115, Acc: 500}, {T: t0.Add(2 * time.Minute), Lat: 36.01, Lon: 115, Acc: 10}}
	if km := TrackKm(tr); math.Abs(km-1.11195) > 0.001 {
		t.Errorf("track %.4f km: the inaccurate position must be left out", km)
	}
	if TrackKm(nil) != 0 || TrackKm(tr[:1]) != 0 {
		t.Error("no distance without two positions")
	}
	for _, p := range []TrackPoint{{Lat: 36, Lon: 115}, {T: t0, Lat: 91}, {T: t0, Lon: -181}, {T: t0, Lat: math.NaN()}, {T: t0, Acc: -1}} {
		if p.Check() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func TestPatrolStats(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	got := PatrolStats([]PatrolRecord{
		{County: "A", Start: time.Date(2026, 3, 1, 7, 0, 0, 0, cst), Km: 3.5, Findings: 2, Closed: 1},
		{County: "A", Start: time.Date(2026, 2, 28, 23, 30, 0, 0, cst), Km: 1, Findings: 0},
		{County: "A", Start: time.Date(2026, 3, 31, 23, 0, 0, 0, cst), Km: 2, Findings: 1, Closed: 1},
		{County: "B", Start: time.Date(2026, 3, 2, 9, 0, 0, 0, cst), Km: 4},
	})
	want := []PatrolMonth{{"A", "2026-03", 2, 5.5, 3, 2}, {"B", "2026-03", 1, 4, 0, 0}, {"A", "2026-02", 1, 1, 0, 0}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
