package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
)

// PatrolTracker is the store of patrols recorded as they happen (巡河 on a
// phone): started with PutPatrol, extended by track points and findings,
// then ended. A patrol goes on while its ended_at is 0.
type PatrolTracker interface {
	Patrol(ctx context.Context, id string) (Patrol, error)
	// UpdatePatrol rewrites a patrol that goes on, with the cases its new
	// findings opened, in one transaction; ErrConflict when it has ended
	// (or does not exist).
	UpdatePatrol(ctx context.Context, p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error
}

var _ PatrolTracker = (*sqlBase)(nil)

// Patrol implements PatrolTracker.
func (s *sqlBase) Patrol(ctx context.Context, id string) (Patrol, error) {
	var doc string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT doc FROM patrols WHERE id = ?`), id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return Patrol{}, fmt.Errorf("patrol %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Patrol{}, fmt.Errorf("patrol %s: %w", id, err)
	}
	var p Patrol
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return Patrol{}, fmt.Errorf("patrol %s: decode: %w", id, err)
	}
	return p, nil
}

// UpdatePatrol implements PatrolTracker.
func (s *sqlBase) UpdatePatrol(ctx context.Context, p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error {
	return s.inTx(ctx, "update patrol "+p.ID, func(tx *sql.Tx) error { return s.updatePatrolTx(ctx, tx, p, opened, evs, audit) })
}

func (s *sqlBase) updatePatrolTx(ctx context.Context, tx *sql.Tx, p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error {
	if len(evs) != len(opened) {
		return fmt.Errorf("update patrol: %d cases but %d event lists", len(opened), len(evs))
	}
	doc, err := json.Marshal(&p)
	if err != nil {
		return fmt.Errorf("update patrol: %w", err)
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE patrols SET area = ?, ended_at = ?, doc = ? WHERE id = ? AND ended_at = 0`),
		cleanText(p.Area), us(p.EndedAt), cleanText(string(doc)), p.ID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("patrol %s has ended or does not exist: %w", p.ID, ErrConflict)
	}
	for i := range opened {
		if err := s.insertCaseTx(ctx, tx, &opened[i], evs[i]); err != nil {
			return err
		}
	}
	return s.insertAudit(ctx, tx, audit)
}
