package accountsvc

import (
	"context"
	"fmt"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// Query is one of the tables the command line shows (ecowatch account).
type Query struct {
	// Kind: assess, compensate, triggers, warnings check, warnings
	// entries, warnings list, soil plots, soil reviews, soil duties or
	// projects list.
	Kind      string
	Period    chinatime.Period // assess, compensate, triggers
	Year      int              // warnings check and entries, soil duties
	OpenCases bool             // triggers, warnings check, soil duties: open a case for each firing, breach or overdue duty without one
	Warning   string           // warnings check: the warning's id
	Samples   map[string]Series
	Lang      workbook.Lang // of the tables: Chinese when empty
}

// Tables runs q and returns its result (for JSON; an empty list rather
// than none) and its tables in q.Lang (for text and Excel). opened is
// called for each case opened.
func (s *Service) Tables(ctx context.Context, q Query, opened func(cases.Case)) (any, []Table, error) {
	v, t, err := s.tables(ctx, q, opened)
	if err != nil {
		return nil, nil, err
	}
	l := q.Lang
	if l == "" {
		l = workbook.Chinese
	}
	for i := range t {
		t[i] = t[i].In(l)
	}
	return v, t, nil
}

func (s *Service) tables(ctx context.Context, q Query, opened func(cases.Case)) (any, []Table, error) {
	switch q.Kind {
	case "assess":
		a, err := s.Assess(ctx, q.Period)
		return a, []Table{AssessmentTable(a)}, err
	case "compensate":
		st, err := s.Compensate(ctx, q.Period)
		return st, []Table{SettlementTable(st)}, err
	case "triggers":
		fs, err := s.Triggers(ctx, q.Period, q.OpenCases)
		fs = orEmpty(fs)
		return fs, []Table{FiringsTable(q.Period, fs)}, err
	case "warnings check":
		bs, cs, err := s.CheckWarning(ctx, q.Warning, q.Year, q.Samples, q.OpenCases)
		for _, c := range cs {
			opened(c)
		}
		bs = orEmpty(bs)
		return bs, []Table{BreachesTable(q.Warning, bs)}, err
	case "warnings entries":
		es, err := s.St.ReductionEntries(ctx, q.Year)
		es = orEmpty(es)
		return es, []Table{ReductionTable(q.Year, es)}, err
	case "warnings list":
		ws, err := s.St.Warnings(ctx)
		ws = orEmpty(ws)
		return ws, []Table{WarningsTable(ws)}, err
	case "soil plots":
		ps, err := s.St.Plots(ctx)
		ps = orEmpty(ps)
		return ps, []Table{PlotsTable(ps)}, err
	case "soil reviews":
		rs, err := s.St.Reviews(ctx)
		rs = orEmpty(rs)
		return rs, []Table{ReviewsTable(rs)}, err
	case "soil duties":
		if q.OpenCases {
			cs, err := s.SoilCases(ctx, q.Year)
			if err != nil {
				return nil, nil, err
			}
			for _, c := range cs {
				opened(c)
			}
		}
		ds, err := s.SoilDuties(ctx, q.Year)
		ds = orEmpty(ds)
		return ds, []Table{DutiesTable(q.Year, ds)}, err
	case "projects list":
		ps, err := s.Projects(ctx)
		ps = orEmpty(ps)
		return ps, []Table{ProjectsTable(ps)}, err
	}
	return nil, nil, fmt.Errorf("unknown table %q", q.Kind)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
