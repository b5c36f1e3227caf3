package airreport

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/model"
	"go.yaml.in/yaml/v3"
)

// Plain-text renderings of the reports (the command line's table output)
// and the targets file.

// WriteTable writes the report as a plain-text table: city, counties,
// stations, then the excluded hours and invalid station-days.
func WriteTable(w io.Writer, rep *Report) error {
	fmt.Fprintf(w, "Air quality evaluation %s (%s to %s), %s, rules %s\n\n", rep.Period, rep.From, rep.To, rep.Standard, rep.Rules)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tcode\tname\tdays\tgood%\theavy\tPM2.5\tPM10\tSO2\tNO2\tCO-95\tO3-8h-90\tindex\trank\tindex y/y%\tPM2.5 y/y%\tgood y/y pp by date\tgood y/y pp same basis\t")
	row := func(e *Entity) {
		p := e.Pollutants
		idx, rank := "-", "-"
		if e.Index != nil {
			idx = strconv.FormatFloat(e.Index.Sum, 'f', 2, 64)
		}
		if e.Rank.Index > 0 {
			rank = strconv.Itoa(e.Rank.Index)
		}
		yoyI, yoyP, yoyG, yoyS := "-", "-", "-", "-"
		if e.Change != nil && e.Change.GoodRatio != nil {
			yoyG = strconv.FormatFloat(*e.Change.GoodRatio, 'f', 1, 64)
		}
		if e.ChangeSameBasis != nil && e.ChangeSameBasis.GoodRatio != nil {
			yoyS = strconv.FormatFloat(*e.ChangeSameBasis.GoodRatio, 'f', 1, 64)
		}
		if e.Change != nil {
			if e.Change.Index != nil {
				yoyI = strconv.FormatFloat(*e.Change.Index, 'f', 1, 64)
			}
			if e.Change.PM25 != nil {
				yoyP = strconv.FormatFloat(*e.Change.PM25, 'f', 1, 64)
			}
		}
		c := func(x Conc) string {
			if s := x.String(); s != "" {
				return s
			}
			return "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Kind, e.Code, e.Name, e.Days, e.GoodRatio, e.HeavyDays,
			c(p[air.PM25].Mean), c(p[air.PM10].Mean), c(p[air.SO2].Mean), c(p[air.NO2].Mean), c(p[air.CO].Percentile), c(p[air.O3].Percentile),
			idx, rank, yoyI, yoyP, yoyG, yoyS)
	}
	if rep.City != nil {
		row(rep.City)
	}
	for i := range rep.Counties {
		row(&rep.Counties[i])
	}
	for i := range rep.Stations {
		row(&rep.Stations[i])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nExcluded hours: %s\n", kvString(rep.Excluded))
	fmt.Fprintf(w, "Station-days without a valid daily value: %s\n", kvString(rep.InvalidDays))
	return nil
}

func kvString(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	return air.FormatCounts(m)
}

// WriteTargets writes the targets' attainment as a plain-text table.
func WriteTargets(w io.Writer, rep *TargetReport) error {
	fmt.Fprintf(w, "Targets %d as of %s: %d days elapsed, %d remaining\n\n", rep.Year, rep.AsOf, rep.Elapsed, rep.Remaining)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "area\tname\ttarget\tso far\tbudget for the rest\tstatus")
	for _, a := range rep.Areas {
		if p := a.PM25; p != nil {
			budget := "cannot be met"
			if p.Budget >= 0 {
				budget = "PM2.5 mean ≤ " + p.Budget.String() + " µg/m³"
			} else if p.Feasible {
				budget = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\tPM2.5 ≤ %g\t%s (%d days)\t%s\t%s\n", a.Area, a.Name, p.Target, p.Mean.String(), p.Days, budget, p.Status)
		}
		if g := a.GoodRatio; g != nil {
			budget := "cannot be met"
			if g.Feasible {
				budget = fmt.Sprintf("≤ %d non-good days", g.MaxBadDays)
			}
			fmt.Fprintf(tw, "%s\t%s\tgood ≥ %g%%\t%.1f%% (%d good)\t%s\t%s\n", a.Area, a.Name, g.Target, g.Ratio, g.GoodDays, budget, g.Status)
		}
		if h := a.HeavyDays; h != nil {
			fmt.Fprintf(tw, "%s\t%s\theavy ≤ %d\t%d\t%d more allowed\t%s\n", a.Area, a.Name, h.Target, h.Days, max(h.Left, 0), h.Status)
		}
		if x := a.Index; x != nil {
			val := "-"
			if x.Value != nil {
				val = strconv.FormatFloat(*x.Value, 'f', 2, 64)
			}
			fmt.Fprintf(tw, "%s\t%s\tindex ≤ %g\t%s\t-\t%s\n", a.Area, a.Name, x.Target, val, x.Status)
		}
		if a.PM25 == nil && a.GoodRatio == nil && a.HeavyDays == nil && a.Index == nil {
			fmt.Fprintf(tw, "%s\t%s\t(no targets)\t\t\t\n", a.Area, a.Name)
		}
	}
	return tw.Flush()
}

// CheckTargets validates targets: years, areas (the city or a county of
// reg), whole µg/m³ PM2.5, percent ratios; one error lists every problem.
func CheckTargets(reg *model.Registry, ts []model.AirTarget) error {
	areas := map[string]bool{model.AirCity: true}
	for _, c := range reg.Counties {
		areas[c.Code] = true
	}
	var problems []string
	for i, t := range ts {
		where := fmt.Sprintf("target %d (%s %d)", i+1, t.Area, t.Year)
		if t.Year < 2000 || t.Year > 2100 {
			problems = append(problems, where+": year must be 2000-2100")
		}
		if !areas[t.Area] {
			problems = append(problems, where+": area must be city or a county code of the registry")
		}
		if t.PM25 != nil && (*t.PM25 <= 0 || *t.PM25 != float64(int(*t.PM25))) {
			problems = append(problems, where+": pm25 must be a positive whole µg/m³ (targets are set in whole µg/m³)")
		}
		if t.GoodRatio != nil && (*t.GoodRatio <= 0 || *t.GoodRatio > 100) {
			problems = append(problems, where+": good_ratio must be a percent in (0, 100]")
		}
		if t.HeavyDays != nil && *t.HeavyDays < 0 {
			problems = append(problems, where+": heavy_days must be ≥ 0")
		}
		if t.Index != nil && *t.Index <= 0 {
			problems = append(problems, where+": index must be positive")
		}
		if t.PM25 == nil && t.GoodRatio == nil && t.HeavyDays == nil && t.Index == nil {
			problems = append(problems, where+": sets no target")
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// ReadTargets reads a YAML targets file (targets: [{year, area, pm25,
// good_ratio, heavy_days, index}, ...]); unknown fields are errors.
func ReadTargets(r io.Reader) ([]model.AirTarget, error) {
	var doc struct {
		Targets []model.AirTarget `yaml:"targets"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc.Targets, nil
}
