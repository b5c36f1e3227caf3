package airimport

import (
	"context"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestHourFromUpload(t *testing.T) {
	start := time.Date(2025, 6, 1, 7, 0, 0, 0, time.UTC) // DataTime: the hour's start (HJ 212-2017 §6.6.1)
	u := model.Upload{MN: "M", CN: "2061", DataTime: start, Values: []model.Value{
		{Factor: "a34004", Field: "Avg", Value: "38"}, {Factor: "a34004", Field: "Flag", Value: "N"},
		{Factor: "a34002", Field: "Avg", Value: "72.4"}, {Factor: "a34002", Field: "Flag", Value: "C"}, // calibration
		{Factor: "a21026", Field: "Avg", Value: "-2"},
		{Factor: "a21005", Field: "Avg", Value: "0.85"},
		{Factor: "a05024", Field: "Avg", Value: "x"},
		{Factor: "a01001", Field: "Avg", Value: "25"}, // temperature: not a pollutant
	}}
	h, ok := HourFromUpload("S1", &u)
	if !ok || h.Station != "S1" || !h.End.Equal(start.Add(time.Hour)) {
		t.Fatalf("hour %+v ok %v", h, ok)
	}
	want := [6]int64{model.AirNA, model.AirNA, 850, model.AirNA, model.AirNA, 38000}
	wantFlags := [6]uint8{uint8(air.ReasonNegative), 0, 0, uint8(air.ReasonImpossible), uint8(air.ReasonFlagged), 0}
	if h.C != want || h.Flags != wantFlags {
		t.Fatalf("values %v flags %v\nwant %v flags %v", h.C, h.Flags, want, wantFlags)
	}
	if _, ok := HourFromUpload("S1", &model.Upload{Values: []model.Value{{Factor: "a01001", Field: "Avg", Value: "1"}}}); ok {
		t.Error("an upload without the six pollutants gave an hour")
	}
}

func TestSyncFillsOnly(t *testing.T) { storetest.Run(t, testSyncFillsOnly) }

func testSyncFillsOnly(t *testing.T, st store.Store) {
	ctx := context.Background()
	start := time.Date(2025, 6, 1, 7, 0, 0, 0, time.UTC)
	var ups []model.Upload
	for h := range 3 {
		ups = append(ups, model.Upload{MN: "M1", CN: "2061", DataTime: start.Add(time.Duration(h) * time.Hour),
			Values: []model.Value{{Factor: "a34004", Field: "Avg", Value: "40"}}})
	}
	ups = append(ups, model.Upload{MN: "M1", CN: "2011", DataTime: start, Values: []model.Value{{Factor: "a34004", Field: "Rtd", Value: "99"}}})
	if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups}); err != nil {
		t.Fatal(err)
	}
	// A verified file already corrected the second hour.
	fix := model.AirHour{Station: "S1", End: start.Add(2 * time.Hour), C: [6]int64{-1, -1, -1, -1, -1, 35000}}
	if _, err := st.PutAirHours(ctx, []model.AirHour{fix}, store.AirPut{Source: "file:x"}); err != nil {
		t.Fatal(err)
	}
	old := uploadPage
	uploadPage = 2 // exercise paging
	defer func() { uploadPage = old }()
	stations := []model.Station{{Code: "S1", MN: "M1"}, {Code: "S2"}}
	res, err := Sync(ctx, st, stations, start, start.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.StationHours != 3 || res.Added != 2 || res.Kept != 1 {
		t.Fatalf("sync %+v", res)
	}
	again, _ := Sync(ctx, st, stations, start, start.Add(24*time.Hour))
	if again.Added != 0 || again.Unchanged != 2 || again.Kept != 1 {
		t.Fatalf("second sync %+v", again)
	}
}
