package accountsvc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
)

// loadFile is the load file.
type loadFile struct {
	Schemes          []accountability.Scheme                    `json:"schemes"`
	Formulas         json.RawMessage                            `json:"formulas"`
	Rules            []accountability.TriggerRule               `json:"rules"`
	Targets          map[string][]accountability.Target         `json:"targets"`
	Values           map[string][]accountability.CountyValues   `json:"values"`
	Projects         []accountability.Project                   `json:"projects"`
	SoilUnits        []accountability.SoilUnit                  `json:"soil_units"`
	Plots            []accountability.Plot                      `json:"plots"`
	Reviews          []accountability.Review                    `json:"reviews"`
	ReductionEntries map[string][]accountability.ReductionEntry `json:"reduction_entries"`
}

// Load stores each section of a load file (JSON: schemes, formulas,
// rules, targets, values, projects, soil units, plots, reviews, reduction
// entries) read from r, named path in errors, and says what it stored on
// out. The file is parsed whole before anything is stored; each section is
// written all-or-nothing.
func Load(ctx context.Context, st store.AccountabilityStore, r io.Reader, path string, out io.Writer) error {
	var l loadFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var (
		formulas []accountability.Formula
		err      error
	)
	switch s := strings.TrimSpace(string(l.Formulas)); {
	case s == "" || s == "null":
	case s == `"shandong"`:
		formulas = accountability.ShandongFormulas()
	default:
		if formulas, err = accountability.ParseFormulas(l.Formulas); err != nil {
			return fmt.Errorf("%s: formulas: %w", path, err)
		}
	}
	tp := map[chinatime.Period][]accountability.Target{}
	for k, ts := range l.Targets {
		p, err := chinatime.ParsePeriod(k)
		if err != nil {
			return fmt.Errorf("%s: targets: %w", path, err)
		}
		tp[p] = ts
	}
	vp := map[chinatime.Period][]accountability.CountyValues{}
	for k, vs := range l.Values {
		p, err := chinatime.ParsePeriod(k)
		if err != nil {
			return fmt.Errorf("%s: values: %w", path, err)
		}
		vp[p] = vs
	}
	if err := st.PutAccountConfig(ctx, store.AccountConfig{Schemes: l.Schemes, Formulas: formulas, Rules: l.Rules}); err != nil {
		return err
	}
	for p, ts := range tp {
		if err := st.PutTargets(ctx, p, ts); err != nil {
			return err
		}
	}
	for p, vs := range vp {
		if err := st.PutCountyValues(ctx, p, vs); err != nil {
			return err
		}
	}
	for k, es := range l.ReductionEntries {
		var y int
		if _, err := fmt.Sscan(k, &y); err != nil {
			return fmt.Errorf("%s: reduction_entries: year %q", path, k)
		}
		if err := st.PutReductionEntries(ctx, y, es); err != nil {
			return err
		}
	}
	if err := st.PutProjects(ctx, l.Projects); err != nil {
		return err
	}
	if err := st.PutSoilUnits(ctx, l.SoilUnits); err != nil {
		return err
	}
	if err := st.PutPlots(ctx, l.Plots); err != nil {
		return err
	}
	if err := st.PutReviews(ctx, l.Reviews); err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded %d schemes, %d formulas, %d rules, targets of %d periods, values of %d periods, %d projects, %d soil units, %d plots, %d reviews\n",
		len(l.Schemes), len(formulas), len(l.Rules), len(tp), len(vp), len(l.Projects), len(l.SoilUnits), len(l.Plots), len(l.Reviews))
	return nil
}

// ReadSamples reads JSON lines of samples ({"enterprise", "series":
// electricity|online, "at", "value"}) by enterprise; path names r in errors.
func ReadSamples(r io.Reader, path string) (map[string]Series, error) {
	out := map[string]Series{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var x struct {
			Enterprise string    `json:"enterprise"`
			Series     string    `json:"series"`
			At         time.Time `json:"at"`
			Value      *float64  `json:"value"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&x); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if x.Enterprise == "" || x.At.IsZero() || x.Value == nil {
			return nil, fmt.Errorf("%s:%d: enterprise, at and value are required", path, n)
		}
		s := out[x.Enterprise]
		switch x.Series {
		case "electricity":
			s.Electricity = append(s.Electricity, accountability.Sample{At: x.At, Value: *x.Value})
		case "online":
			s.Online = append(s.Online, accountability.Sample{At: x.At, Value: *x.Value})
		default:
			return nil, fmt.Errorf("%s:%d: series %q: want electricity or online", path, n, x.Series)
		}
		out[x.Enterprise] = s
	}
	return out, sc.Err()
}
