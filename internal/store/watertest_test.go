package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// The surface-water part of the shared suite (runSuite calls runWaterSuite).

func runWaterSuite(t *testing.T, tg target) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, tg target)
	}{
		{"RegistryRoundTrip", testWaterRegistryRoundTrip},
		{"SamplesIdempotent", testWaterSamplesIdempotent},
		{"SamplesAllOrNothing", testWaterSamplesAllOrNothing},
		{"SamplesQuery", testWaterSamplesQuery},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, tg) })
	}
}

func waterRegistry() *model.WaterRegistry {
	return &model.WaterRegistry{
		Rivers: []model.River{{Code: "THH", Name: "徒骇河", Basin: "海河流域", Kind: model.BodyRiver}},
		Nodes: []model.WaterNode{
			{ID: "N1", Kind: "source"}, {ID: "N2", Kind: "lake", ResidenceH: 12}, {ID: "N0", Kind: "mouth"},
		},
		Reaches: []model.Reach{
			{ID: "R2", River: "THH", From: "N2", To: "N0", LengthM: 5000, VelocityMS: 0.3},
			{ID: "R1", River: "THH", From: "N1", To: "N2", LengthM: 12000, VelocityMS: 0.25, FlowM3S: 8.5},
		},
		Sections: []model.WaterSection{{Code: "S1", Name: "毕屯", Level: model.SectionNational, Body: model.BodyRiver,
			River: "THH", Target: 4, County: "371502", Automatic: true, MN: "MN21", Reach: "R2", OffsetM: 4000}},
		Sources:  []model.DrinkingSource{{Code: "D1", Name: "东阿地下水", County: "371524", Body: model.BodyReservoir, Items: []string{"SO4", "Fe"}}},
		Outfalls: []model.WaterOutfall{{Code: "O1", Reach: "R1", OffsetM: 100, Outlet: "X-DW001"}},
	}
}

func testWaterRegistryRoundTrip(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	empty, err := s.WaterRegistry(ctx)
	if err != nil || len(empty.Sections) != 0 || empty.Rivers == nil {
		t.Fatalf("empty water registry = %+v, %v; want empty non-nil lists", empty, err)
	}
	want := waterRegistry()
	if err := s.PutWaterRegistry(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.WaterRegistry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// File order is kept (R2 before R1).
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// A second import replaces the whole registry: items not in it go.
	small := &model.WaterRegistry{Rivers: want.Rivers}
	if err := s.PutWaterRegistry(ctx, small); err != nil {
		t.Fatal(err)
	}
	got, _ = s.WaterRegistry(ctx)
	if len(got.Rivers) != 1 || len(got.Reaches) != 0 || len(got.Sections) != 0 {
		t.Fatalf("after replace: %+v", got)
	}
	// A duplicate key fails the whole import and keeps the stored one.
	dup := waterRegistry()
	dup.Sections = append(dup.Sections, dup.Sections[0])
	if err := s.PutWaterRegistry(ctx, dup); err == nil {
		t.Fatal("duplicate section stored")
	}
	got, _ = s.WaterRegistry(ctx)
	if len(got.Rivers) != 1 || len(got.Reaches) != 0 {
		t.Fatalf("failed import changed the registry: %+v", got)
	}
}

var wt0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func ws(point, item string, h int, v string) model.WaterSample {
	return model.WaterSample{Point: point, Item: item, Time: wt0.Add(time.Duration(h) * time.Hour), Value: v, Source: "file:a.csv"}
}

func testWaterSamplesIdempotent(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	in := []model.WaterSample{ws("S1", "NH3-N", 0, "0.52"), ws("S1", "NH3-N", 1, "0.61"), ws("S1", "TP", 0, "0.11")}
	in[2].BelowDL = true
	res, err := s.PutWaterSamples(ctx, in, WaterPut{})
	if err != nil || res != (WaterPutResult{Added: 3}) {
		t.Fatalf("first put = %+v, %v", res, err)
	}
	res, err = s.PutWaterSamples(ctx, in, WaterPut{})
	if err != nil || res != (WaterPutResult{Unchanged: 3}) {
		t.Fatalf("re-put = %+v, %v; want all unchanged", res, err)
	}
	// The below-detection flag is part of the value.
	flip := ws("S1", "TP", 0, "0.11")
	res, err = s.PutWaterSamples(ctx, []model.WaterSample{flip, ws("S1", "NH3-N", 0, "0.9"), ws("S1", "NH3-N", 0, "0.8")}, WaterPut{FillOnly: true})
	if err != nil || res != (WaterPutResult{Kept: 2, Duplicate: 1}) {
		t.Fatalf("fill-only put = %+v, %v", res, err)
	}
	res, err = s.PutWaterSamples(ctx, []model.WaterSample{ws("S1", "NH3-N", 0, "0.9")}, WaterPut{})
	if err != nil || res != (WaterPutResult{Replaced: 1}) {
		t.Fatalf("correcting put = %+v, %v", res, err)
	}
	got, err := s.WaterSamples(ctx, WaterSampleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []model.WaterSample{ws("S1", "NH3-N", 0, "0.9"), ws("S1", "NH3-N", 1, "0.61"), in[2]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored:\n got %+v\nwant %+v", got, want)
	}
}

func testWaterSamplesAllOrNothing(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	bad := []model.WaterSample{ws("S1", "NH3-N", 0, "0.52"), {Point: "S1", Item: "TP", Time: wt0}}
	if _, err := s.PutWaterSamples(ctx, bad, WaterPut{}); err == nil {
		t.Fatal("a sample without value was accepted")
	}
	got, err := s.WaterSamples(ctx, WaterSampleQuery{})
	if err != nil || len(got) != 0 {
		t.Fatalf("after a failed put: %d samples, %v; want none", len(got), err)
	}
}

func testWaterSamplesQuery(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	in := []model.WaterSample{ws("S2", "TP", 5, "0.2"), ws("S1", "TP", 0, "0.1"), ws("S1", "DO", 3, "6.1"), ws("S1", "TP", 30, "0.3")}
	if _, err := s.PutWaterSamples(ctx, in, WaterPut{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.WaterSamples(ctx, WaterSampleQuery{Points: []string{"S1"}, Items: []string{"TP"}, From: wt0, To: wt0.Add(30 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Value != "0.1" || !got[0].Time.Equal(wt0) || got[0].Time.Location() != time.UTC {
		t.Fatalf("query = %+v; want the one S1 TP value in [From, To), in UTC", got)
	}
	all, _ := s.WaterSamples(ctx, WaterSampleQuery{})
	var order []string
	for _, x := range all {
		order = append(order, x.Point+"/"+x.Item)
	}
	if want := []string{"S1/DO", "S1/TP", "S1/TP", "S2/TP"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("order = %v, want %v", order, want)
	}
}
