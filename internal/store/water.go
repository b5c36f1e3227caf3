package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// WaterStore is the surface-water part of the store: the water
// registry and the values measured at sections and drinking-water sources.
type WaterStore interface {
	// PutWaterRegistry replaces the stored water registry with r in one
	// transaction. The caller validates r first (internal/water/waterreg): the
	// river network is only consistent as a whole, so it is never merged.
	PutWaterRegistry(ctx context.Context, r *model.WaterRegistry) error
	// WaterRegistry returns the stored water registry in file order (empty
	// lists when none was imported).
	WaterRegistry(ctx context.Context) (*model.WaterRegistry, error)
	// PutWaterSamples stores samples in one transaction: all of them or,
	// on error, none. A sample is keyed by (Point, Item, Time): a new key
	// is added, the same value again changes nothing (a re-import is a
	// no-op), a different value replaces the stored one unless
	// opts.FillOnly (the gateway's sync), when the stored one is kept.
	PutWaterSamples(ctx context.Context, samples []model.WaterSample, opts WaterPut) (WaterPutResult, error)
	// WaterSamples returns stored samples ordered by point, item and time.
	WaterSamples(ctx context.Context, q WaterSampleQuery) ([]model.WaterSample, error)
}

// WaterPut says how samples merge.
type WaterPut struct {
	FillOnly bool // never replace a stored value
}

// WaterPutResult counts what PutWaterSamples did.
type WaterPutResult struct {
	Added     int `json:"added"`
	Unchanged int `json:"unchanged"`
	Replaced  int `json:"replaced"`
	Kept      int `json:"kept"`      // FillOnly: a different stored value kept
	Duplicate int `json:"duplicate"` // the same key twice in one call: the first counts
}

// WaterSampleQuery selects samples; zero values mean any, From and To
// bound Time as [From, To).
type WaterSampleQuery struct {
	Points   []string
	Items    []string
	From, To time.Time
}

var waterKinds = []string{"river", "node", "reach", "section", "source", "outfall"}

// PutWaterRegistry implements WaterStore.
func (s *sqlBase) PutWaterRegistry(ctx context.Context, r *model.WaterRegistry) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put water registry: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `DELETE FROM water_items`); err != nil {
		return fmt.Errorf("put water registry: %w", err)
	}
	put := func(kind, code string, seq int, v any) error {
		doc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO water_items (kind, code, seq, doc) VALUES (?, ?, ?, ?)`),
			kind, cleanText(code), seq, string(doc)); err != nil {
			return fmt.Errorf("%s %q: %w", kind, code, err)
		}
		return nil
	}
	for i, x := range r.Rivers {
		if err := put("river", x.Code, i, x); err != nil {
			return fmt.Errorf("put water registry: %w", err)
		}
	}
	for i, x := range r.Nodes {
		if err := put("node", x.ID, i, x); err != nil {
			return fmt.Errorf("put water registry: %w", err)
		}
	}
	for i, x := range r.Reaches {
		if err := put("reach", x.ID, i, x); err != nil {
			return fmt.Errorf("put water registry: %w", err)
		}
	}
	for i, x := range r.Sections {
		if err := put("section", x.Code, i, x); err != nil {
			return fmt.Errorf("put water registry: %w", err)
		}
	}
	for i, x := range r.Sources {
		if err := put("source", x.Code, i, x); err != nil {
			return fmt.Errorf("put water registry: %w", err)
		}
	}
	for i, x := range r.Outfalls {
		if err := put("outfall", x.Code, i, x); err != nil {
			return fmt.Errorf("put water registry: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put water registry: commit: %w", err)
	}
	return nil
}

// WaterRegistry implements WaterStore.
func (s *sqlBase) WaterRegistry(ctx context.Context) (*model.WaterRegistry, error) {
	r := &model.WaterRegistry{
		Rivers: []model.River{}, Nodes: []model.WaterNode{}, Reaches: []model.Reach{},
		Sections: []model.WaterSection{}, Sources: []model.DrinkingSource{}, Outfalls: []model.WaterOutfall{},
	}
	err := s.query(ctx, `SELECT kind, code, doc FROM water_items ORDER BY kind, seq`, nil, func(rows *sql.Rows) error {
		var kind, code, doc string
		if err := rows.Scan(&kind, &code, &doc); err != nil {
			return err
		}
		var err error
		switch kind {
		case "river":
			r.Rivers, err = appendJSON(r.Rivers, doc)
		case "node":
			r.Nodes, err = appendJSON(r.Nodes, doc)
		case "reach":
			r.Reaches, err = appendJSON(r.Reaches, doc)
		case "section":
			r.Sections, err = appendJSON(r.Sections, doc)
		case "source":
			r.Sources, err = appendJSON(r.Sources, doc)
		case "outfall":
			r.Outfalls, err = appendJSON(r.Outfalls, doc)
		default:
			err = fmt.Errorf("unknown kind")
		}
		if err != nil {
			return fmt.Errorf("water item %s %q: %w", kind, code, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("water registry: %w", err)
	}
	return r, nil
}

func appendJSON[T any](dst []T, doc string) ([]T, error) {
	var v T
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return dst, err
	}
	return append(dst, v), nil
}

type waterKey struct {
	point, item string
	t           int64
}

// PutWaterSamples implements WaterStore.
func (s *sqlBase) PutWaterSamples(ctx context.Context, samples []model.WaterSample, opts WaterPut) (res WaterPutResult, err error) {
	for i, x := range samples {
		if x.Point == "" || x.Item == "" || x.Value == "" || x.Time.IsZero() {
			return res, fmt.Errorf("put water samples: sample %d: point, item, time and value are required", i)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("put water samples: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			res = WaterPutResult{}
		}
	}()
	seen := make(map[waterKey]bool, len(samples))
	sel, err := tx.PrepareContext(ctx, s.q(`SELECT value, below_dl FROM water_samples WHERE point = ? AND item = ? AND time = ?`))
	if err != nil {
		return res, fmt.Errorf("put water samples: %w", err)
	}
	defer sel.Close()
	ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO water_samples (point, item, time, value, below_dl, source) VALUES (?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return res, fmt.Errorf("put water samples: %w", err)
	}
	defer ins.Close()
	upd, err := tx.PrepareContext(ctx, s.q(`UPDATE water_samples SET value = ?, below_dl = ?, source = ? WHERE point = ? AND item = ? AND time = ?`))
	if err != nil {
		return res, fmt.Errorf("put water samples: %w", err)
	}
	defer upd.Close()
	for _, x := range samples {
		k := waterKey{x.Point, x.Item, x.Time.UnixMicro()}
		if seen[k] {
			res.Duplicate++
			continue
		}
		seen[k] = true
		point, item, value, source := cleanText(x.Point), cleanText(x.Item), cleanText(x.Value), cleanText(x.Source)
		var old string
		var oldDL int64
		switch err := sel.QueryRowContext(ctx, point, item, s.t(x.Time)).Scan(&old, &oldDL); {
		case err == sql.ErrNoRows:
			if _, err := ins.ExecContext(ctx, point, item, s.t(x.Time), value, boolInt(x.BelowDL), source); err != nil {
				return res, fmt.Errorf("put water samples: %s %s %s: %w", x.Point, x.Item, x.Time.Format(time.RFC3339), err)
			}
			res.Added++
		case err != nil:
			return res, fmt.Errorf("put water samples: %w", err)
		case old == value && (oldDL != 0) == x.BelowDL:
			res.Unchanged++
		case opts.FillOnly:
			res.Kept++
		default:
			if _, err := upd.ExecContext(ctx, value, boolInt(x.BelowDL), source, point, item, s.t(x.Time)); err != nil {
				return res, fmt.Errorf("put water samples: %w", err)
			}
			res.Replaced++
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("put water samples: commit: %w", err)
	}
	return res, nil
}

// WaterSamples implements WaterStore.
func (s *sqlBase) WaterSamples(ctx context.Context, q WaterSampleQuery) ([]model.WaterSample, error) {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		c, a := inList(col, vals)
		where, args = append(where, c), append(args, a...)
	}
	if len(q.Points) > 0 {
		in("point", q.Points)
	}
	if len(q.Items) > 0 {
		in("item", q.Items)
	}
	if !q.From.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, s.t(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "time < ?")
		args = append(args, s.t(q.To))
	}
	query := `SELECT point, item, time, value, below_dl, source FROM water_samples`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY point, item, time"
	var out []model.WaterSample
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		var x model.WaterSample
		var t dbTime
		var dl int64
		if err := rows.Scan(&x.Point, &x.Item, &t, &x.Value, &dl, &x.Source); err != nil {
			return err
		}
		x.Time, x.BelowDL = time.Time(t), dl != 0
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("water samples: %w", err)
	}
	return out, nil
}
