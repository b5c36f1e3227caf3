package waterreport

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

var classNames = [...]string{"", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"}

func label(c int) string {
	if c <= 0 || c >= len(classNames) {
		return "-"
	}
	return classNames[c]
}

func optNum(p *float64, dp int) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', dp, 64)
}

func pollutants(ps []Pollutant) string {
	var s []string
	for _, p := range ps {
		if p.Multiple != nil {
			s = append(s, fmt.Sprintf("%s(%s,%.2f)", p.Item, label(p.Class), *p.Multiple))
		} else {
			s = append(s, fmt.Sprintf("%s(%s)", p.Item, label(p.Class)))
		}
	}
	return strings.Join(s, " ")
}

// WriteText writes the report as readable tables.
func WriteText(out io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	sm := r.Summary
	fmt.Fprintf(tw, "地表水水质报告 surface water report %s (base %s)\n\n", r.Period, r.Base)
	fmt.Fprintf(tw, "assessed sections %d, evaluated %d: Ⅰ %d, Ⅱ %d, Ⅲ %d, Ⅳ %d, Ⅴ %d, 劣Ⅴ %d\n",
		sm.Sections, sm.Evaluated, sm.ByClass[0], sm.ByClass[1], sm.ByClass[2], sm.ByClass[3], sm.ByClass[4], sm.ByClass[5])
	fmt.Fprintf(tw, "Ⅰ-Ⅲ share %.1f%% (base %s%%), 劣Ⅴ share %.1f%% (base %s%%), meeting target %d (%.1f%%), status %s, change %s\n",
		sm.GoodShare, optNum(sm.BaseGood, 1), sm.WorseV, optNum(sm.BaseWorseV, 1), sm.Meeting, sm.MeetShare, orDash(sm.Status), orDash(sm.Change))
	fmt.Fprintf(tw, "CWQI city %.4f (rivers %.4f over %d, lakes %.4f over %d), base %s, change rate %s%%\n\n",
		r.CWQI.City, r.CWQI.River, r.CWQI.NRiver, r.CWQI.Lake, r.CWQI.NLake, optNum(r.CWQI.Base, 4), optNum(r.CWQI.ChangeRate, 2))

	fmt.Fprintln(tw, "code\tname\tlevel\triver\tcounty\ttarget\tclass\tmeets\tmain pollutants (class, multiple)\tCWQI\trank\tbase\tchange\tCWQI change %")
	for _, s := range r.Sections {
		meets := "-"
		if s.Class != 0 {
			meets = map[bool]string{true: "yes", false: "NO"}[s.Meets]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Code, s.Name, s.Level, s.RiverName, s.CountyName,
			s.TargetLabel, label(s.Class), meets, orDash(pollutants(s.MainPollutants)), optNum(s.CWQI, 4), rank(s.Rank),
			label(s.BaseClass), orDash(s.Change), optNum(s.ChangeRate, 2))
	}
	fmt.Fprintln(tw, "\nriver\tsections\tmethod\tstatus\tⅠ-Ⅲ %\tmain pollutants (share of sections worse than Ⅲ)\tbase\tchange")
	for _, rv := range append(append([]River{}, r.Rivers...), r.Basins...) {
		var mp []string
		for _, x := range rv.MainPollutants {
			mp = append(mp, fmt.Sprintf("%s %.1f%%", x.Item, x.Rate))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.1f\t%s\t%s\t%s\n", rv.Name, rv.Sections, orDash(rv.Method), rv.Status, rv.GoodShare,
			orDash(strings.Join(mp, ", ")), orDash(rv.BaseStatus), orDash(rv.Change))
	}
	fmt.Fprintln(tw, "\nrank\tcounty\tsections\tCWQI\tbase\tchange %")
	for _, c := range r.CWQI.Counties {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.4f\t%s\t%s\n", c.Rank, c.Name, c.Sections, c.CWQI, optNum(c.Base, 4), optNum(c.ChangeRate, 2))
	}
	fmt.Fprintln(tw, "\nsource\tname\tcounty\tsamples\tclass\tmeets Ⅲ\ttables 2-3\tpass\tunmeasured")
	for _, d := range r.Drinking {
		pass := "-"
		if d.Samples > 0 {
			pass = map[bool]string{true: "pass", false: "FAIL"}[d.Pass]
		}
		failed := "ok"
		if len(d.Failed) > 0 {
			failed = "over: " + strings.Join(d.Failed, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%v\t%s\t%s\t%s\n", d.Code, d.Name, d.CountyName, d.Samples, label(d.Class), d.MeetsIII,
			failed, pass, orDash(strings.Join(d.Unmeasured, ",")))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "\nnote: %s", n)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func rank(r int) string {
	if r == 0 {
		return "-"
	}
	return strconv.Itoa(r)
}

func optCell(p *float64) any {
	if p == nil {
		return ""
	}
	return *p
}
