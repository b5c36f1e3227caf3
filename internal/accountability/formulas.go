package accountability

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
)

//go:embed data/shandong_air_compensation.json
var shandongJSON []byte

// ShandongFormulas are the provincial versions, checked against the
// sources of air.md §6 (2026-11 search):
//   - 鲁政办字〔2014〕27号: from 2014 Q1, ¥200,000 per µg/m³. Its March 2015
//     amendment only added article 9 (a city at class 2 two years running
//     leaves the scheme the next year: CompInput.Exempt).
//   - the notice of 2015-12-08: ¥400,000 from 2016.
//   - 鲁政办字〔2017〕43号: from 2017-04-01 (Q2) to 2019-03-31, ¥800,000 and
//     ¥200,000 per percentage point of the good-day ratio (national
//     stations). Its one-off annual awards (¥6M for PM2.5 or PM10 at class
//     2, ¥3M NO2 and ¥2M SO2 at class 1) are not modelled here.
//
// Later versions were not found, so periods after 2019 Q1 are refused
// until one is added as data.
//
// The versions are data (data/shandong_air_compensation.json, parsed by
// ParseFormulas); a bureau's own scheme is loaded the same way.
func ShandongFormulas() []Formula {
	fs, err := ParseFormulas(shandongJSON)
	if err != nil {
		// The embedded file is part of the program, checked by the tests;
		// a failure here is a build defect, not bad input.
		panic(fmt.Sprintf("embedded Shandong formulas: %v", err))
	}
	return fs
}

// ParseFormulas reads a JSON array of Formula versions and validates them:
// a version name, known pollutants each weighted once with weights summing
// to 1000‰, a positive coefficient and area factors, a period kind, From
// before To, and no two versions of one kind overlapping in time (a period
// must have exactly one version).
func ParseFormulas(b []byte) ([]Formula, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var fs []Formula
	if err := dec.Decode(&fs); err != nil {
		return nil, fmt.Errorf("compensation formulas: %w", err)
	}
	seen := map[string]bool{}
	for i, f := range fs {
		bad := func(format string, args ...any) error {
			return refuse("formula", fmt.Sprintf("#%d %s", i+1, f.Version), format, args...)
		}
		if f.Version == "" || seen[f.Version] {
			return nil, bad("missing or duplicate version")
		}
		seen[f.Version] = true
		var sum int64
		var pols []Pollutant
		for _, w := range f.Weights {
			if !slices.Contains([]Pollutant{PolPM25, PolPM10, PolSO2, PolNO2}, w.Pollutant) || slices.Contains(pols, w.Pollutant) {
				return nil, bad("unknown or repeated pollutant %q", w.Pollutant)
			}
			if w.Permille <= 0 {
				return nil, bad("weight of %s must be positive", w.Pollutant)
			}
			pols = append(pols, w.Pollutant)
			sum += w.Permille
		}
		switch {
		case sum != 1000:
			return nil, bad("weights sum to %d‰, not 1000‰", sum)
		case f.YuanPerUg <= 0 || f.YuanPerPoint < 0:
			return nil, bad("coefficients must be positive")
		case f.DefaultFactor <= 0:
			return nil, bad("default area factor must be positive")
		case f.From.IsZero() || !f.To.IsZero() && !f.To.After(f.From):
			return nil, bad("from must be set and before to")
		case len(f.Kinds) == 0:
			return nil, bad("no period kind")
		case f.RoundYuan < 0:
			return nil, bad("negative rounding unit")
		}
		for c, v := range f.Factors {
			if v <= 0 {
				return nil, bad("area factor of %s must be positive", c)
			}
		}
		for _, k := range f.Kinds {
			if !(Period{Kind: k, Year: 2000, N: 1}).Valid() {
				return nil, bad("unknown period kind %q", k)
			}
		}
		for _, g := range fs[:i] {
			if overlapKinds(f, g) && (g.To.IsZero() || f.From.Before(g.To)) && (f.To.IsZero() || g.From.Before(f.To)) {
				return nil, bad("overlaps version %s", g.Version)
			}
		}
	}
	return fs, nil
}

func overlapKinds(a, b Formula) bool {
	for _, k := range a.Kinds {
		if slices.Contains(b.Kinds, k) {
			return true
		}
	}
	return false
}
