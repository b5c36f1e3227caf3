package rightsreport

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ecowatch/ecowatch/internal/rights"
)

// ProjectRow is one construction project's allocation of total-quantity
// indicators (建设项目总量指标配置): what it needs, what was drawn from
// reservoir credits at the replacement ratio (倍量替代), and what happened
// to it.
type ProjectRow struct {
	County      string         `json:"county"` // the allocation's region
	Pollutant   string         `json:"pollutant"`
	Year        int            `json:"year"`
	Allocation  string         `json:"allocation"`
	EIA         string         `json:"eia"` // EIA approval number (环评批复文号)
	Project     rights.Account `json:"project"`
	ProjectType string         `json:"project_type"`
	Attainment  string         `json:"attainment"`
	Ratio       string         `json:"ratio"` // "2:1": offset = ceil(need × 2 / 1)
	Basis       string         `json:"basis,omitempty"`
	Need        Grams          `json:"need"`
	Offset      Grams          `json:"offset"`
	Granted     Grams          `json:"granted"`     // delivered to the project
	WrittenOff  Grams          `json:"written_off"` // the ratio's surplus written off (核销)
	Credits     []string       `json:"credits"`
	Status      string         `json:"status"`
}

// Served reports whether the project got its indicators (granted, and
// perhaps written off since).
func (r *ProjectRow) Served() bool {
	return r.Status == rights.AllocGranted || r.Status == rights.AllocWrittenOff
}

// ProjectSummary totals the projects of one county, pollutant and year.
// Projects served count in Served, Need and Offset; projects reserved or
// locked but not yet granted count in Pending and PendingOffset; released
// ones in neither.
type ProjectSummary struct {
	County        string `json:"county"`
	Pollutant     string `json:"pollutant"`
	Year          int    `json:"year"`
	Served        int    `json:"served"`
	Need          Grams  `json:"need"`
	Offset        Grams  `json:"offset"`
	Pending       int    `json:"pending"`
	PendingOffset Grams  `json:"pending_offset"`
	Released      int    `json:"released"`
}

// ProjectFilter selects allocations; zero values mean any.
type ProjectFilter struct {
	Year      int    // the allocation's year (of its ratio rule)
	County    string // its region
	Pollutant string
}

// ProjectReport lists the projects served and their totals.
type ProjectReport struct {
	Year      int              `json:"year,omitempty"`
	County    string           `json:"county,omitempty"`
	Pollutant string           `json:"pollutant,omitempty"`
	Summary   []ProjectSummary `json:"summary"`
	Projects  []ProjectRow     `json:"projects"`
}

// Projects builds the report from the ledger entries.
func Projects(entries []rights.Entry, f ProjectFilter) (ProjectReport, error) {
	byID := map[string]*ProjectRow{}
	var order []string
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Kind == rights.KindEvent && e.Op == rights.EvAlloc:
			var a rights.Allocation
			if err := decode(e, &a); err != nil {
				return ProjectReport{}, err
			}
			if (f.Year != 0 && a.Year != f.Year) || (f.County != "" && a.Region != f.County) || (f.Pollutant != "" && a.Pollutant != f.Pollutant) {
				continue
			}
			byID[a.ID] = &ProjectRow{County: a.Region, Pollutant: a.Pollutant, Year: a.Year, Allocation: a.ID, EIA: a.EIA,
				Project: a.Project, ProjectType: a.ProjectType, Attainment: a.Attainment,
				Ratio: fmt.Sprintf("%d:%d", a.Rule.Num, a.Rule.Den), Basis: a.Rule.Basis,
				Need: Grams(a.Need), Offset: Grams(a.Offset), Credits: slices.Clone(a.Credits), Status: e.Status}
			if byID[a.ID].Credits == nil {
				byID[a.ID].Credits = []string{}
			}
			if byID[a.ID].Status == "" {
				byID[a.ID].Status = rights.AllocReserved
			}
			order = append(order, a.ID)
		case e.Kind == rights.KindEvent && e.Op == rights.EvAllocStatus:
			if r := byID[e.Ref]; r != nil {
				r.Status = e.Status
			}
		case e.Kind == rights.KindRights && e.Op == rights.OpGrant:
			if r := byID[e.Ref]; r != nil {
				r.Granted += Grams(e.Amount)
			}
		case e.Kind == rights.KindRights && e.Op == rights.OpWriteOff:
			if r := byID[e.Ref]; r != nil {
				r.WrittenOff += Grams(e.Amount)
			}
		}
	}
	rep := ProjectReport{Year: f.Year, County: f.County, Pollutant: f.Pollutant, Projects: []ProjectRow{}}
	for _, id := range order {
		rep.Projects = append(rep.Projects, *byID[id])
	}
	slices.SortStableFunc(rep.Projects, func(a, b ProjectRow) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.County, b.County), cmp.Compare(a.Pollutant, b.Pollutant))
	})
	rep.Summary = Summarize(rep.Projects)
	return rep, nil
}

// Summarize totals project rows per year, county and pollutant (rows
// sorted that way). Callers that drop rows outside a user's scope
// summarize what is left.
func Summarize(rows []ProjectRow) []ProjectSummary {
	out := []ProjectSummary{}
	for i := range rows {
		r := &rows[i]
		if n := len(out); n == 0 || out[n-1].Year != r.Year || out[n-1].County != r.County || out[n-1].Pollutant != r.Pollutant {
			out = append(out, ProjectSummary{County: r.County, Pollutant: r.Pollutant, Year: r.Year})
		}
		s := &out[len(out)-1]
		switch {
		case r.Served():
			s.Served++
			s.Need += r.Need
			s.Offset += r.Offset
		case r.Status == rights.AllocReleased:
			s.Released++
		default:
			s.Pending++
			s.PendingOffset += r.Offset
		}
	}
	return out
}
