package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// AccountabilityStore persists county accountability (migration
// 0006). Each value of internal/accountability is kept as JSON beside the
// columns that key it. Every Put/Save writes all of its argument in one
// transaction or nothing; values the core refuses (an overlapping warning,
// an invalid reduction entry) are refused here too, before anything is
// written, with the core's *accountability.Error in the chain.
type AccountabilityStore interface {
	// PutAccountConfig upserts scheme, formula and trigger-rule versions.
	PutAccountConfig(ctx context.Context, c AccountConfig) error
	// AccountConfig returns every stored version, ordered by key.
	AccountConfig(ctx context.Context) (AccountConfig, error)

	// PutTargets and PutCountyValues upsert a period's targets and given
	// values (indicators not computed from stored data).
	PutTargets(ctx context.Context, p chinatime.Period, ts []acc.Target) error
	Targets(ctx context.Context, p chinatime.Period) ([]acc.Target, error)
	PutCountyValues(ctx context.Context, p chinatime.Period, vs []acc.CountyValues) error
	CountyValues(ctx context.Context, p chinatime.Period) ([]acc.CountyValues, error)

	// SaveAssessment replaces the stored assessment of a.Period.
	SaveAssessment(ctx context.Context, a acc.Assessment, at time.Time) error
	// Assessment returns the stored assessment of p, or ErrNotFound.
	Assessment(ctx context.Context, p chinatime.Period) (acc.Assessment, error)
	// SaveSettlement replaces the stored settlement of s.Period.
	SaveSettlement(ctx context.Context, s acc.Settlement, at time.Time) error
	// Settlement returns the stored settlement of p, or ErrNotFound.
	Settlement(ctx context.Context, p chinatime.Period) (acc.Settlement, error)

	// RecordFirings stores the firings not stored yet (unique on rule,
	// period and county: a re-evaluation keeps the first firing and its
	// case) and returns every stored firing of p.
	RecordFirings(ctx context.Context, p chinatime.Period, fs []acc.Firing) ([]StoredFiring, error)
	// Firings returns the stored firings of p (all periods when p is the
	// zero Period), by rule, period, county.
	Firings(ctx context.Context, p chinatime.Period) ([]StoredFiring, error)
	// SetFiringCase records the case a firing opened.
	SetFiringCase(ctx context.Context, rule string, p chinatime.Period, county, caseID string) error

	// AddWarning stores a warning unless it overlaps a stored one in a
	// shared area (accountability.AddWarning decides, inside the write
	// transaction); a refusal writes nothing.
	AddWarning(ctx context.Context, w acc.Warning) error
	// Warnings returns the stored warnings by start.
	Warnings(ctx context.Context) ([]acc.Warning, error)
	// PutReductionEntries upserts a list year's entries; every entry is
	// validated first.
	PutReductionEntries(ctx context.Context, year int, es []acc.ReductionEntry) error
	ReductionEntries(ctx context.Context, year int) ([]acc.ReductionEntry, error)

	PutSoilUnits(ctx context.Context, us []acc.SoilUnit) error
	SoilUnits(ctx context.Context) ([]acc.SoilUnit, error)
	PutDuties(ctx context.Context, ds []acc.Duty) error
	// Duties returns a year's duties by unit, kind, seq.
	Duties(ctx context.Context, year int) ([]acc.Duty, error)
	PutPlots(ctx context.Context, ps []acc.Plot) error
	Plots(ctx context.Context) ([]acc.Plot, error)
	PutReviews(ctx context.Context, rs []acc.Review) error
	Reviews(ctx context.Context) ([]acc.Review, error)

	PutProjects(ctx context.Context, ps []acc.Project) error
	Projects(ctx context.Context) ([]acc.Project, error)
}

// AccountConfig is the versioned data of the assessment: schemes,
// compensation formulas and trigger rules.
type AccountConfig struct {
	Schemes  []acc.Scheme      `json:"schemes,omitempty"`
	Formulas []acc.Formula     `json:"formulas,omitempty"`
	Rules    []acc.TriggerRule `json:"rules,omitempty"`
}

// StoredFiring is a firing with the case it opened ("" while none).
type StoredFiring struct {
	acc.Firing
	CaseID string `json:"case_id,omitempty"`
}

// docRow is one row of an accountability table: its key and other columns
// in cols order, the JSON document last.
type docRow []any

// upsertDocs writes rows into table in one transaction. keys are the
// conflict columns (a prefix of cols); the other columns are replaced.
func (s *sqlBase) upsertDocs(ctx context.Context, what, table string, cols []string, nkeys int, rows []docRow) (err error) {
	if len(rows) == 0 {
		return nil
	}
	return s.accTx(ctx, what, func(tx *sql.Tx) error {
		return s.upsertTx(ctx, tx, table, cols, nkeys, rows)
	})
}

func (s *sqlBase) upsertTx(ctx context.Context, tx *sql.Tx, table string, cols []string, nkeys int, rows []docRow) error {
	sets := make([]string, 0, len(cols)-nkeys)
	for _, c := range cols[nkeys:] {
		sets = append(sets, c+" = excluded."+c)
	}
	q := s.q("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ")" +
		multiRow(" VALUES (", "?", len(cols), ")") + " ON CONFLICT (" +
		strings.Join(cols[:nkeys], ", ") + ") DO UPDATE SET " + strings.Join(sets, ", "))
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return err
		}
	}
	return nil
}

// accTx runs fn in a write transaction, committed when fn returns nil.
func (s *sqlBase) accTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the error that matters is err
		}
	}()
	if err := fn(tx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

func mustJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// docs scans the JSON documents of a query into a slice of T.
func docs[T any](ctx context.Context, s *sqlBase, what, query string, args ...any) ([]T, error) {
	var out []T
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return fmt.Errorf("decode stored %s: %w", what, err)
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// rowsOf marshals each value and builds its row with keyf.
func rowsOf[T any](vs []T, keyf func(T) []any) ([]docRow, error) {
	rows := make([]docRow, 0, len(vs))
	for _, v := range vs {
		doc, err := mustJSON(v)
		if err != nil {
			return nil, err
		}
		rows = append(rows, append(keyf(v), doc))
	}
	return rows, nil
}

func periodKey(p chinatime.Period) (string, error) {
	if !p.Valid() {
		return "", fmt.Errorf("invalid period %v", p)
	}
	return p.Key(), nil
}

// PutAccountConfig implements AccountabilityStore.
func (s *sqlBase) PutAccountConfig(ctx context.Context, c AccountConfig) error {
	sch, err := rowsOf(c.Schemes, func(x acc.Scheme) []any { return []any{x.Version} })
	if err != nil {
		return err
	}
	fs, err := rowsOf(c.Formulas, func(x acc.Formula) []any { return []any{x.Version} })
	if err != nil {
		return err
	}
	rs, err := rowsOf(c.Rules, func(x acc.TriggerRule) []any { return []any{x.ID} })
	if err != nil {
		return err
	}
	for _, x := range c.Schemes {
		if x.Version == "" {
			return errors.New("put accountability config: a scheme has no version")
		}
	}
	for _, x := range c.Formulas {
		if x.Version == "" {
			return errors.New("put accountability config: a formula has no version")
		}
	}
	for _, x := range c.Rules {
		if x.ID == "" {
			return errors.New("put accountability config: a trigger rule has no id")
		}
	}
	return s.accTx(ctx, "put accountability config", func(tx *sql.Tx) error {
		if err := s.upsertTx(ctx, tx, "acc_schemes", []string{"version", "doc"}, 1, sch); err != nil {
			return err
		}
		if err := s.upsertTx(ctx, tx, "acc_formulas", []string{"version", "doc"}, 1, fs); err != nil {
			return err
		}
		return s.upsertTx(ctx, tx, "acc_trigger_rules", []string{"id", "doc"}, 1, rs)
	})
}

// AccountConfig implements AccountabilityStore.
func (s *sqlBase) AccountConfig(ctx context.Context) (AccountConfig, error) {
	var c AccountConfig
	var err error
	if c.Schemes, err = docs[acc.Scheme](ctx, s, "schemes", "SELECT doc FROM acc_schemes ORDER BY version"); err != nil {
		return c, err
	}
	if c.Formulas, err = docs[acc.Formula](ctx, s, "formulas", "SELECT doc FROM acc_formulas ORDER BY version"); err != nil {
		return c, err
	}
	c.Rules, err = docs[acc.TriggerRule](ctx, s, "trigger rules", "SELECT doc FROM acc_trigger_rules ORDER BY id")
	return c, err
}

// PutTargets implements AccountabilityStore.
func (s *sqlBase) PutTargets(ctx context.Context, p chinatime.Period, ts []acc.Target) error {
	return s.putIndicatorRows(ctx, "put targets", "acc_targets", p, func(add func(county string, ind acc.Indicator, v float64)) {
		for _, t := range ts {
			add(t.County, t.Indicator, t.Value)
		}
	})
}

// PutCountyValues implements AccountabilityStore.
func (s *sqlBase) PutCountyValues(ctx context.Context, p chinatime.Period, vs []acc.CountyValues) error {
	return s.putIndicatorRows(ctx, "put county values", "acc_values", p, func(add func(county string, ind acc.Indicator, v float64)) {
		for _, c := range vs {
			for ind, v := range c.Values {
				add(c.County, ind, v)
			}
		}
	})
}

func (s *sqlBase) putIndicatorRows(ctx context.Context, what, table string, p chinatime.Period, each func(add func(string, acc.Indicator, float64))) error {
	pk, err := periodKey(p)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var rows []docRow
	var bad error
	each(func(county string, ind acc.Indicator, v float64) {
		if county == "" || ind == "" || v != v {
			bad = fmt.Errorf("%s: county %q indicator %q value %v: county, indicator and a number are needed", what, county, ind, v)
		}
		rows = append(rows, docRow{pk, county, string(ind), v})
	})
	if bad != nil {
		return bad
	}
	return s.upsertDocs(ctx, what, table, []string{"period", "county", "indicator", "value"}, 3, rows)
}

// Targets implements AccountabilityStore.
func (s *sqlBase) Targets(ctx context.Context, p chinatime.Period) ([]acc.Target, error) {
	var out []acc.Target
	err := s.query(ctx, "SELECT county, indicator, value FROM acc_targets WHERE period = ? ORDER BY county, indicator", []any{p.Key()}, func(rows *sql.Rows) error {
		var t acc.Target
		var ind string
		if err := rows.Scan(&t.County, &ind, &t.Value); err != nil {
			return err
		}
		t.Indicator = acc.Indicator(ind)
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	return out, nil
}

// CountyValues implements AccountabilityStore. Name is left empty.
func (s *sqlBase) CountyValues(ctx context.Context, p chinatime.Period) ([]acc.CountyValues, error) {
	var out []acc.CountyValues
	err := s.query(ctx, "SELECT county, indicator, value FROM acc_values WHERE period = ? ORDER BY county, indicator", []any{p.Key()}, func(rows *sql.Rows) error {
		var county, ind string
		var v float64
		if err := rows.Scan(&county, &ind, &v); err != nil {
			return err
		}
		if len(out) == 0 || out[len(out)-1].County != county {
			out = append(out, acc.CountyValues{County: county, Values: map[acc.Indicator]float64{}})
		}
		out[len(out)-1].Values[acc.Indicator(ind)] = v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("county values: %w", err)
	}
	return out, nil
}

// SaveAssessment implements AccountabilityStore.
func (s *sqlBase) SaveAssessment(ctx context.Context, a acc.Assessment, at time.Time) error {
	pk, err := periodKey(a.Period)
	if err != nil {
		return fmt.Errorf("save assessment: %w", err)
	}
	doc, err := mustJSON(a)
	if err != nil {
		return err
	}
	return s.accTx(ctx, "save assessment "+pk, func(tx *sql.Tx) error {
		if err := s.upsertTx(ctx, tx, "acc_assessments", []string{"period", "scheme", "doc", "computed_at"}, 1,
			[]docRow{{pk, a.Scheme, doc, s.t(at)}}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM acc_scores WHERE period = ?"), pk); err != nil {
			return err
		}
		rows := make([]docRow, 0, len(a.Counties))
		for _, c := range a.Counties {
			rows = append(rows, docRow{pk, c.County, c.Total, c.Rank})
		}
		return s.upsertTx(ctx, tx, "acc_scores", []string{"period", "county", "total", "rank"}, 2, rows)
	})
}

// Assessment implements AccountabilityStore.
func (s *sqlBase) Assessment(ctx context.Context, p chinatime.Period) (acc.Assessment, error) {
	as, err := docs[acc.Assessment](ctx, s, "assessment", "SELECT doc FROM acc_assessments WHERE period = ?", p.Key())
	if err != nil {
		return acc.Assessment{}, err
	}
	if len(as) == 0 {
		return acc.Assessment{}, fmt.Errorf("assessment %s: %w", p, ErrNotFound)
	}
	return as[0], nil
}

// SaveSettlement implements AccountabilityStore.
func (s *sqlBase) SaveSettlement(ctx context.Context, st acc.Settlement, at time.Time) error {
	pk, err := periodKey(st.Period)
	if err != nil {
		return fmt.Errorf("save settlement: %w", err)
	}
	doc, err := mustJSON(st)
	if err != nil {
		return err
	}
	return s.upsertDocs(ctx, "save settlement "+pk, "acc_settlements", []string{"period", "formula", "doc", "computed_at"}, 1,
		[]docRow{{pk, st.Formula, doc, s.t(at)}})
}

// Settlement implements AccountabilityStore.
func (s *sqlBase) Settlement(ctx context.Context, p chinatime.Period) (acc.Settlement, error) {
	ss, err := docs[acc.Settlement](ctx, s, "settlement", "SELECT doc FROM acc_settlements WHERE period = ?", p.Key())
	if err != nil {
		return acc.Settlement{}, err
	}
	if len(ss) == 0 {
		return acc.Settlement{}, fmt.Errorf("settlement %s: %w", p, ErrNotFound)
	}
	return ss[0], nil
}

// RecordFirings implements AccountabilityStore.
func (s *sqlBase) RecordFirings(ctx context.Context, p chinatime.Period, fs []acc.Firing) ([]StoredFiring, error) {
	pk, err := periodKey(p)
	if err != nil {
		return nil, fmt.Errorf("record firings: %w", err)
	}
	for _, f := range fs {
		if f.Period != p {
			return nil, fmt.Errorf("record firings %s: firing of %s for %s is of another period", pk, f.Rule, f.County)
		}
	}
	err = s.accTx(ctx, "record firings "+pk, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, s.q("INSERT INTO acc_firings (rule, period, county, step, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (rule, period, county) DO NOTHING"))
		if err != nil {
			return err
		}
		defer st.Close()
		for _, f := range fs {
			doc, err := mustJSON(f)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, f.Rule, pk, f.County, int(f.Step), doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Firings(ctx, p)
}

// Firings implements AccountabilityStore.
func (s *sqlBase) Firings(ctx context.Context, p chinatime.Period) ([]StoredFiring, error) {
	q, args := "SELECT doc, case_id FROM acc_firings ORDER BY rule, period, county", []any(nil)
	if p != (chinatime.Period{}) {
		q, args = "SELECT doc, case_id FROM acc_firings WHERE period = ? ORDER BY rule, county", []any{p.Key()}
	}
	var out []StoredFiring
	err := s.query(ctx, q, args, func(rows *sql.Rows) error {
		var doc string
		var f StoredFiring
		if err := rows.Scan(&doc, &f.CaseID); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(doc), &f.Firing); err != nil {
			return fmt.Errorf("decode stored firing: %w", err)
		}
		if f.ReasonEN == "" {
			// Stored before firings carried their English reason: read
			// from the Chinese one ("" when it cannot be).
			f.ReasonEN = acc.EnglishReason(f.Reason)
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("firings: %w", err)
	}
	return out, nil
}

// SetFiringCase implements AccountabilityStore.
func (s *sqlBase) SetFiringCase(ctx context.Context, rule string, p chinatime.Period, county, caseID string) error {
	res, err := s.w.ExecContext(ctx, s.q("UPDATE acc_firings SET case_id = ? WHERE rule = ? AND period = ? AND county = ?"), caseID, rule, p.Key(), county)
	if err != nil {
		return fmt.Errorf("set firing case: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set firing case %s %s %s: %w", rule, p, county, ErrNotFound)
	}
	return nil
}

// AddWarning implements AccountabilityStore.
func (s *sqlBase) AddWarning(ctx context.Context, w acc.Warning) error {
	doc, err := mustJSON(w)
	if err != nil {
		return err
	}
	return s.accTx(ctx, "add warning "+w.ID, func(tx *sql.Tx) error {
		if s.postgres {
			// Two concurrent additions must not both pass the overlap
			// check: they queue here. (SQLite's write transactions are
			// serialised already.)
			if _, err := tx.ExecContext(ctx, "LOCK TABLE acc_warnings IN SHARE ROW EXCLUSIVE MODE"); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, "SELECT doc FROM acc_warnings ORDER BY start_at")
		if err != nil {
			return err
		}
		var list []acc.Warning
		for rows.Next() {
			var d string
			var x acc.Warning
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(d), &x); err != nil {
				rows.Close()
				return fmt.Errorf("decode stored warning: %w", err)
			}
			list = append(list, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := acc.AddWarning(list, w); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("INSERT INTO acc_warnings (id, start_at, end_at, doc) VALUES (?, ?, ?, ?)"), w.ID, s.t(w.Start), s.t(w.End), doc)
		return err
	})
}

// Warnings implements AccountabilityStore.
func (s *sqlBase) Warnings(ctx context.Context) ([]acc.Warning, error) {
	return docs[acc.Warning](ctx, s, "warnings", "SELECT doc FROM acc_warnings ORDER BY start_at, id")
}

// PutReductionEntries implements AccountabilityStore.
func (s *sqlBase) PutReductionEntries(ctx context.Context, year int, es []acc.ReductionEntry) error {
	for _, e := range es {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("put reduction entries %d: %s: %w", year, e.Enterprise, err)
		}
	}
	rows, err := rowsOf(es, func(e acc.ReductionEntry) []any { return []any{e.Enterprise, year, e.County} })
	if err != nil {
		return err
	}
	return s.upsertDocs(ctx, "put reduction entries", "acc_reduction_entries", []string{"enterprise", "year", "county", "doc"}, 2, rows)
}

// ReductionEntries implements AccountabilityStore.
func (s *sqlBase) ReductionEntries(ctx context.Context, year int) ([]acc.ReductionEntry, error) {
	return docs[acc.ReductionEntry](ctx, s, "reduction entries", "SELECT doc FROM acc_reduction_entries WHERE year = ? ORDER BY county, enterprise", year)
}

// PutSoilUnits implements AccountabilityStore.
func (s *sqlBase) PutSoilUnits(ctx context.Context, us []acc.SoilUnit) error {
	rows, err := rowsOf(us, func(u acc.SoilUnit) []any { return []any{u.ID, u.County} })
	if err != nil {
		return err
	}
	return s.upsertDocs(ctx, "put soil units", "acc_soil_units", []string{"id", "county", "doc"}, 1, rows)
}

// SoilUnits implements AccountabilityStore.
func (s *sqlBase) SoilUnits(ctx context.Context) ([]acc.SoilUnit, error) {
	return docs[acc.SoilUnit](ctx, s, "soil units", "SELECT doc FROM acc_soil_units ORDER BY id")
}

// PutDuties implements AccountabilityStore.
func (s *sqlBase) PutDuties(ctx context.Context, ds []acc.Duty) error {
	rows, err := rowsOf(ds, func(d acc.Duty) []any { return []any{d.Unit, string(d.Kind), d.Year, d.Seq, d.County} })
	if err != nil {
		return err
	}
	return s.upsertDocs(ctx, "put soil duties", "acc_soil_duties", []string{"unit", "kind", "year", "seq", "county", "doc"}, 4, rows)
}

// Duties implements AccountabilityStore.
func (s *sqlBase) Duties(ctx context.Context, year int) ([]acc.Duty, error) {
	return docs[acc.Duty](ctx, s, "soil duties", "SELECT doc FROM acc_soil_duties WHERE year = ? ORDER BY unit, kind, seq", year)
}

// PutPlots implements AccountabilityStore.
func (s *sqlBase) PutPlots(ctx context.Context, ps []acc.Plot) error {
	rows, err := rowsOf(ps, func(p acc.Plot) []any { return []any{p.ID, p.County} })
	if err != nil {
		return err
	}
	return s.upsertDocs(ctx, "put soil plots", "acc_soil_plots", []string{"id", "county", "doc"}, 1, rows)
}

// Plots implements AccountabilityStore.
func (s *sqlBase) Plots(ctx context.Context) ([]acc.Plot, error) {
	return docs[acc.Plot](ctx, s, "soil plots", "SELECT doc FROM acc_soil_plots ORDER BY id")
}

// PutReviews implements AccountabilityStore.
func (s *sqlBase) PutReviews(ctx context.Context, rs []acc.Review) error {
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("put soil reviews: %s: %w", r.ID, err)
		}
	}
	rows, err := rowsOf(rs, func(r acc.Review) []any { return []any{r.ID, r.Plot} })
	if err != nil {
		return err
	}
	return s.upsertDocs(ctx, "put soil reviews", "acc_soil_reviews", []string{"id", "plot", "doc"}, 1, rows)
}

// Reviews implements AccountabilityStore.
func (s *sqlBase) Reviews(ctx context.Context) ([]acc.Review, error) {
	return docs[acc.Review](ctx, s, "soil reviews", "SELECT doc FROM acc_soil_reviews ORDER BY id")
}

// PutProjects implements AccountabilityStore.
func (s *sqlBase) PutProjects(ctx context.Context, ps []acc.Project) error {
	for _, p := range ps {
		if p.ID == "" || p.County == "" {
			return fmt.Errorf("put projects: project %q: id and county are needed", p.ID)
		}
	}
	rows, err := rowsOf(ps, func(p acc.Project) []any { return []any{p.ID, p.County} })
	if err != nil {
		return err
	}
	return s.upsertDocs(ctx, "put projects", "acc_projects", []string{"id", "county", "doc"}, 1, rows)
}

// Projects implements AccountabilityStore.
func (s *sqlBase) Projects(ctx context.Context) ([]acc.Project, error) {
	return docs[acc.Project](ctx, s, "projects", "SELECT doc FROM acc_projects ORDER BY county, id")
}
