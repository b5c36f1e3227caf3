package accountsvc

import (
	"context"
	"errors"
	"testing"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestAddFormula(t *testing.T) { storetest.Run(t, testAddFormula) }

// A new provincial notice added as data: a later version ends the open one
// in force, a bad one is refused naming the field and leaves the stored
// versions as they were, and the new version settles its periods.
func testAddFormula(t *testing.T, st store.Store) {
	ctx := context.Background()
	svc := &Service{St: st.(Store)}
	shandong := acc.ShandongFormulas()
	open := shandong[len(shandong)-1]
	open.To = time.Time{} // the 2017 version, as if still in force
	if err := st.PutAccountConfig(ctx, store.AccountConfig{Formulas: append(shandong[:len(shandong)-1:len(shandong)-1], open)}); err != nil {
		t.Fatal(err)
	}
	cst := chinatime.Zone
	next := acc.Formula{Version: "鲁政办字〔2021〕测试", Title: "山东省环境空气质量生态补偿办法(测试)", TitleEN: "Shandong measures (test)",
		From: time.Date(2021, 1, 1, 0, 0, 0, 0, cst), Kinds: []chinatime.Kind{chinatime.Quarter},
		Weights:   []acc.Weight{{Pollutant: acc.PolPM25, Permille: 500}, {Pollutant: acc.PolPM10, Permille: 200}, {Pollutant: acc.PolSO2, Permille: 100}, {Pollutant: acc.PolNO2, Permille: 200}},
		YuanPerUg: 1_000_000, YuanPerPoint: 200_000, DefaultFactor: 1000, RoundYuan: 10000,
		Source: "test notice", Notes: "weights invented for the test"}

	bad := []struct {
		field string
		mod   func(*acc.Formula)
	}{
		{"version", func(f *acc.Formula) { f.Version = "" }},
		{"version", func(f *acc.Formula) { f.Version = shandong[0].Version }},
		{"title_en", func(f *acc.Formula) { f.TitleEN = "山东省办法" }},
		{"weights", func(f *acc.Formula) { f.Weights[0].Permille = 400 }},
		{"weights", func(f *acc.Formula) { f.Weights[0].Pollutant = "o3" }},
		{"yuan_per_ug", func(f *acc.Formula) { f.YuanPerUg = 0 }},
		{"yuan_per_point", func(f *acc.Formula) { f.YuanPerPoint = -1 }},
		{"default_factor", func(f *acc.Formula) { f.DefaultFactor = 0 }},
		{"factors", func(f *acc.Formula) { f.Factors = map[string]int64{"371502": 0} }},
		{"from", func(f *acc.Formula) { f.From = time.Time{} }},
		{"to", func(f *acc.Formula) { f.To = f.From }},
		{"kinds", func(f *acc.Formula) { f.Kinds = nil }},
		{"kinds", func(f *acc.Formula) { f.Kinds = []chinatime.Kind{"week"} }},
		{"from", func(f *acc.Formula) { f.From = time.Date(2015, 1, 1, 0, 0, 0, 0, cst) }}, // inside the closed 2014 version
	}
	before, err := svc.Formulas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		f := next
		f.Weights = append([]acc.Weight(nil), next.Weights...)
		b.mod(&f)
		_, err := svc.AddFormula(ctx, f)
		var ae *acc.Error
		if !errors.As(err, &ae) || ae.What != b.field {
			t.Errorf("want a refusal naming %s, got %v", b.field, err)
		}
		after, err := svc.Formulas(ctx)
		if err != nil || len(after) != len(before) || !after[len(after)-1].To.IsZero() {
			t.Fatalf("a refused version changed the stored ones: %d versions, %v", len(after), err)
		}
	}

	fs, err := svc.AddFormula(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(before)+1 {
		t.Fatalf("%d versions after the add, want %d", len(fs), len(before)+1)
	}
	prev, last := fs[len(fs)-2], fs[len(fs)-1]
	if prev.Version != open.Version || !prev.To.Equal(next.From) || last.Version != next.Version || last.Source != "test notice" {
		t.Fatalf("after the add: %s to %v, then %s (%q)", prev.Version, prev.To, last.Version, last.Source)
	}
	// The English title is part of the stored version, and the provincial
	// versions carry their established English names from the data.
	if last.TitleEN != next.TitleEN || prev.TitleEN != "Shandong Province Interim Measures for Ecological Compensation for Ambient Air Quality (2017)" {
		t.Errorf("stored English titles %q, %q", prev.TitleEN, last.TitleEN)
	}
	// The stored set is valid as a whole, and picks the new version for 2021 Q1.
	f, err := acc.FormulaFor(fs, chinatime.Period{Kind: chinatime.Quarter, Year: 2021, N: 1})
	if err != nil || f.Version != next.Version {
		t.Fatalf("2021 Q1: %s, %v", f.Version, err)
	}
	f, err = acc.FormulaFor(fs, chinatime.Period{Kind: chinatime.Quarter, Year: 2020, N: 4})
	if err != nil || f.Version != open.Version {
		t.Fatalf("2020 Q4: %s, %v", f.Version, err)
	}
	// Adding the same version again is refused on its name.
	if _, err := svc.AddFormula(ctx, next); err == nil {
		t.Fatal("a second add of one version was accepted")
	}
}
