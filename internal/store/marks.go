package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/marking"
)

// ErrVersionTaken is returned by PutMark when the mark's version exists
// already: someone else wrote the next version first.
var ErrVersionTaken = errors.New("mark version already written")

// MarkStore keeps the enterprises' data marks and the decisions the
// marking rules made (migration 0011). Marks are append-only: every
// version is a row; nothing is updated or deleted.
type MarkStore interface {
	// PutMark inserts one version of a mark; ErrVersionTaken if (ID,
	// Version) exists.
	PutMark(ctx context.Context, m marking.Mark) error
	// MarkVersions returns every version of a mark, oldest first, or
	// ErrNotFound.
	MarkVersions(ctx context.Context, id string) ([]marking.Mark, error)
	// Marks returns the latest version of each mark matching q, by start.
	Marks(ctx context.Context, q MarkQuery) ([]marking.Mark, error)
	// MarkVersionsSince returns up to limit mark versions written at or
	// after t (their At), oldest first: how each process of a scaled-out
	// deployment learns of the marks made through the others.
	MarkVersionsSince(ctx context.Context, t time.Time, limit int) ([]marking.Mark, error)
	// PutDecision records a decision.
	PutDecision(ctx context.Context, d marking.Decision) error
	// Decisions returns decisions matching q, newest first.
	Decisions(ctx context.Context, q DecisionQuery) ([]marking.Decision, error)
}

// MarkQuery selects marks. Zero fields mean any; From/To select marks
// whose period overlaps [From, To).
type MarkQuery struct {
	MNs        []string
	Enterprise string
	County     string
	From, To   time.Time
	Limit      int // 0: 1000
}

// DecisionQuery selects decisions.
type DecisionQuery struct {
	Enterprise string
	County     string
	MN         string
	Limit      int // 0: 200
}

// PutMark implements MarkStore.
func (s *sqlBase) PutMark(ctx context.Context, m marking.Mark) error {
	doc, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("put mark %s: %w", m.ID, err)
	}
	return s.inTx(ctx, "put mark "+m.ID, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM data_marks WHERE id = ? AND version = ?`), m.ID, m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("mark %s version %d: %w", m.ID, m.Version, ErrVersionTaken)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO data_marks (id, version, mn, enterprise, county, from_t, to_t, at, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), m.ID, m.Version, m.MN, m.Enterprise, m.County, s.t(m.From), s.t(m.To), s.t(m.At), string(doc))
		if err != nil && strings.Contains(strings.ToLower(err.Error()), "unique") || err != nil && strings.Contains(err.Error(), "duplicate key") {
			return fmt.Errorf("mark %s version %d: %w", m.ID, m.Version, ErrVersionTaken)
		}
		if err != nil {
			return err
		}
		return s.markHoursDirty(ctx, tx, m)
	})
}

func scanMarks(rows *sql.Rows, out *[]marking.Mark) error {
	var doc []byte
	if err := rows.Scan(&doc); err != nil {
		return err
	}
	var m marking.Mark
	if err := json.Unmarshal(doc, &m); err != nil {
		return fmt.Errorf("stored mark: %w", err)
	}
	*out = append(*out, m)
	return nil
}

// MarkVersions implements MarkStore.
func (s *sqlBase) MarkVersions(ctx context.Context, id string) ([]marking.Mark, error) {
	var out []marking.Mark
	err := s.query(ctx, `SELECT doc FROM data_marks WHERE id = ? ORDER BY version`, []any{id}, func(r *sql.Rows) error { return scanMarks(r, &out) })
	if err != nil {
		return nil, fmt.Errorf("mark %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mark %s: %w", id, ErrNotFound)
	}
	return out, nil
}

// marksTx returns the latest version of each mark of the devices mns
// whose period overlaps [from, to), read in tx (the roll-up's).
func (s *sqlBase) marksTx(ctx context.Context, tx *sql.Tx, mns []string, from, to time.Time) ([]marking.Mark, error) {
	if len(mns) == 0 {
		return nil, nil
	}
	in, args := inList("d.mn", mns)
	args = append(args, s.t(from), s.t(to))
	rows, err := tx.QueryContext(ctx, s.q(`SELECT d.doc FROM data_marks d
		WHERE d.version = (SELECT max(x.version) FROM data_marks x WHERE x.id = d.id)
		AND `+in+` AND d.to_t > ? AND d.from_t < ?`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []marking.Mark
	for rows.Next() {
		if err := scanMarks(rows, &out); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// markHoursDirty marks for re-rolling the hours a mark covers (see the
// roll-ups' package comment): a new, corrected or reviewed mark changes
// which minutes count. Hours without minute data are skipped by RollUp.
func (s *sqlBase) markHoursDirty(ctx context.Context, tx *sql.Tx, m marking.Mark) error {
	ins := `INSERT OR IGNORE INTO rollup_dirty (mn, hour) VALUES (?, ?)`
	if s.postgres {
		ins = `INSERT INTO rollup_dirty (mn, hour) VALUES ($1, $2)`
	}
	// A mark spans at most RuleSet.MaxSpan; the bound keeps a stored
	// mark of any length from writing without end.
	const maxHours = 24 * 400
	n := 0
	for h := m.From.UTC().Truncate(time.Hour); h.Before(m.To) && n < maxHours; h = h.Add(time.Hour) {
		if _, err := tx.ExecContext(ctx, ins, m.MN, s.t(h)); err != nil {
			return fmt.Errorf("mark hours for roll-up: %w", err)
		}
		n++
	}
	return nil
}

// MarkVersionsSince implements MarkStore. data_marks is small (marks are
// made by hand), so the scan of at is cheap.
func (s *sqlBase) MarkVersionsSince(ctx context.Context, t time.Time, limit int) ([]marking.Mark, error) {
	var out []marking.Mark
	err := s.query(ctx, `SELECT doc FROM data_marks WHERE at >= ? ORDER BY at, id, version LIMIT ?`, []any{s.t(t), limit},
		func(r *sql.Rows) error { return scanMarks(r, &out) })
	if err != nil {
		return nil, fmt.Errorf("mark versions since %s: %w", t.Format(time.RFC3339), err)
	}
	return out, nil
}

// Marks implements MarkStore.
func (s *sqlBase) Marks(ctx context.Context, q MarkQuery) ([]marking.Mark, error) {
	where := []string{"d.version = (SELECT max(x.version) FROM data_marks x WHERE x.id = d.id)"}
	var args []any
	if len(q.MNs) > 0 {
		c, a := inList("d.mn", q.MNs)
		where, args = append(where, c), append(args, a...)
	}
	if q.Enterprise != "" {
		where = append(where, "d.enterprise = ?")
		args = append(args, q.Enterprise)
	}
	if q.County != "" {
		where = append(where, "d.county = ?")
		args = append(args, q.County)
	}
	if !q.From.IsZero() {
		where = append(where, "d.to_t > ?")
		args = append(args, s.t(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "d.from_t < ?")
		args = append(args, s.t(q.To))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit)
	var out []marking.Mark
	err := s.query(ctx, `SELECT d.doc FROM data_marks d WHERE `+strings.Join(where, " AND ")+` ORDER BY d.from_t, d.id LIMIT ?`, args,
		func(r *sql.Rows) error { return scanMarks(r, &out) })
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	return out, nil
}

// PutDecision implements MarkStore.
func (s *sqlBase) PutDecision(ctx context.Context, d marking.Decision) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("put decision: %w", err)
	}
	return s.inTx(ctx, "put decision", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO mark_decisions (at, mn, enterprise, county, doc) VALUES (?, ?, ?, ?, ?)`),
			s.t(d.At), d.MN, d.Enterprise, d.County, string(doc))
		return err
	})
}

// Decisions implements MarkStore.
func (s *sqlBase) Decisions(ctx context.Context, q DecisionQuery) ([]marking.Decision, error) {
	where := []string{"1 = 1"}
	var args []any
	if q.Enterprise != "" {
		where = append(where, "enterprise = ?")
		args = append(args, q.Enterprise)
	}
	if q.County != "" {
		where = append(where, "county = ?")
		args = append(args, q.County)
	}
	if q.MN != "" {
		where = append(where, "mn = ?")
		args = append(args, q.MN)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	args = append(args, limit)
	var out []marking.Decision
	err := s.query(ctx, `SELECT doc FROM mark_decisions WHERE `+strings.Join(where, " AND ")+` ORDER BY at DESC, id DESC LIMIT ?`, args, func(r *sql.Rows) error {
		var doc []byte
		if err := r.Scan(&doc); err != nil {
			return err
		}
		var d marking.Decision
		if err := json.Unmarshal(doc, &d); err != nil {
			return fmt.Errorf("stored decision: %w", err)
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decisions: %w", err)
	}
	return out, nil
}
