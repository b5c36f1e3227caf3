package accountability

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/ecowatch/ecowatch/internal/chinatime"
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
// Later versions: the provincial environment department reported on
// 2021-03-05 (sthj.shandong.gov.cn/dtxx/mykhb/202103/t20210305_3544015.html,
// seen in a copy of 2021-04-09) a revision that adds O3 as an indicator
// with its own weight and re-weights the four others; its weights,
// coefficients, dates and document number were not found, so it is not
// transcribed (and O3 is not yet an indicator here). Periods after 2019 Q1
// are refused until a version is added as data: by file (ParseFormulas)
// or by staff on the accountability page (ValidateFormula, then
// accountsvc.AddFormula).
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
	for i, f := range fs {
		if field, reason := checkFormula(f, fs[:i]); field != "" {
			return nil, refuse("formula", fmt.Sprintf("#%d %s", i+1, f.Version), "%s: %s", field, reason)
		}
	}
	return fs, nil
}

// ValidateFormula checks one new version against the existing ones, as
// ParseFormulas checks a file: the error is an *Error whose What names the
// field at fault (version, title_en, weights, yuan_per_ug, yuan_per_point,
// default_factor, factors, from, to, kinds, round_yuan), so that staff
// adding a provincial notice on the page see which field to correct.
func ValidateFormula(existing []Formula, f Formula) error {
	if field, reason := checkFormula(f, existing); field != "" {
		return refuse(field, f.Version, "%s", reason)
	}
	return nil
}

// checkFormula returns the field at fault and why, or "".
func checkFormula(f Formula, before []Formula) (field, reason string) {
	if f.Version == "" || len(f.Version) > 200 {
		return "version", "required, at most 200 bytes"
	}
	if len(f.TitleEN) > 200 || strings.ContainsFunc(f.TitleEN, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		return "title_en", "the English title: in English, at most 200 bytes"
	}
	for _, g := range before {
		if g.Version == f.Version {
			return "version", "a version of this name exists"
		}
	}
	var sum int64
	var pols []Pollutant
	for _, w := range f.Weights {
		if !slices.Contains([]Pollutant{PolPM25, PolPM10, PolSO2, PolNO2}, w.Pollutant) || slices.Contains(pols, w.Pollutant) {
			return "weights", fmt.Sprintf("unknown or repeated pollutant %q (want pm25, pm10, so2, no2, each once)", w.Pollutant)
		}
		if w.Permille <= 0 {
			return "weights", fmt.Sprintf("weight of %s must be positive", w.Pollutant)
		}
		pols = append(pols, w.Pollutant)
		sum += w.Permille
	}
	switch {
	case sum != 1000:
		return "weights", fmt.Sprintf("weights sum to %d‰, not 1000‰", sum)
	case f.YuanPerUg <= 0:
		return "yuan_per_ug", "the coefficient per µg/m³ must be positive"
	case f.YuanPerPoint < 0:
		return "yuan_per_point", "the coefficient per percentage point must not be negative"
	case f.DefaultFactor <= 0:
		return "default_factor", "default area factor must be positive"
	case f.From.IsZero():
		return "from", "required"
	case !f.To.IsZero() && !f.To.After(f.From):
		return "to", "must be after from"
	case len(f.Kinds) == 0:
		return "kinds", "no period kind"
	case f.RoundYuan < 0:
		return "round_yuan", "negative rounding unit"
	}
	for c, v := range f.Factors {
		if v <= 0 {
			return "factors", fmt.Sprintf("area factor of %s must be positive", c)
		}
	}
	for _, k := range f.Kinds {
		if !(chinatime.Period{Kind: k, Year: 2000, N: 1}).Valid() {
			return "kinds", fmt.Sprintf("unknown period kind %q", k)
		}
	}
	for _, g := range before {
		if overlapKinds(f, g) && (g.To.IsZero() || f.From.Before(g.To)) && (f.To.IsZero() || g.From.Before(f.To)) {
			return "from", fmt.Sprintf("overlaps version %s", g.Version)
		}
	}
	return "", ""
}

func overlapKinds(a, b Formula) bool {
	for _, k := range a.Kinds {
		if slices.Contains(b.Kinds, k) {
			return true
		}
	}
	return false
}
