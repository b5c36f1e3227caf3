package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Petitions, attachments, the inbox and patrols (migration 0005).

// PutPetition implements CasesStore.
func (s *sqlBase) PutPetition(ctx context.Context, p StoredPetition, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error {
	return s.inTx(ctx, "put petition "+p.Code, func(tx *sql.Tx) error { return s.putPetitionTx(ctx, tx, p, c, evs, audit) })
}

func (s *sqlBase) putPetitionTx(ctx context.Context, tx *sql.Tx, p StoredPetition, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error {
	doc, err := json.Marshal(&p)
	if err != nil {
		return fmt.Errorf("put petition: %w", err)
	}
	var one int
	switch err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM petitions WHERE code = ?`), p.Code).Scan(&one); {
	case err == nil:
		return fmt.Errorf("petition %s exists: %w", p.Code, ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO petitions (code, county, category, case_id, received_at, reply, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), p.Code, p.County, string(p.Category), p.Case, us(p.ReceivedAt), cleanText(p.Reply), cleanText(string(doc))); err != nil {
		return err
	}
	if c.ID != "" {
		if err := s.insertCaseTx(ctx, tx, &c, evs); err != nil {
			return err
		}
	}
	return s.insertAudit(ctx, tx, audit)
}

// SetPetitionReply implements CasesStore.
func (s *sqlBase) SetPetitionReply(ctx context.Context, code, reply string, audit *model.AuditRecord) error {
	p, err := s.Petition(ctx, code)
	if err != nil {
		return err
	}
	p.Reply = reply
	doc, err := json.Marshal(&p)
	if err != nil {
		return err
	}
	return s.inTx(ctx, "petition reply "+code, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE petitions SET reply = ?, doc = ? WHERE code = ?`), cleanText(reply), cleanText(string(doc)), code); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, audit)
	})
}

// Petition implements CasesStore.
func (s *sqlBase) Petition(ctx context.Context, code string) (StoredPetition, error) {
	var doc string
	var p StoredPetition
	err := s.r.QueryRowContext(ctx, s.q(`SELECT doc FROM petitions WHERE code = ?`), code).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("petition %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("petition %q: %w", code, err)
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return p, fmt.Errorf("petition %q: decode: %w", code, err)
	}
	return p, nil
}

// Petitions implements CasesStore.
func (s *sqlBase) Petitions(ctx context.Context, q PetitionQuery) ([]StoredPetition, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	qs, args := `SELECT doc FROM petitions`, []any{}
	if q.County != "" {
		qs += ` WHERE county = ?`
		args = append(args, q.County)
	}
	qs += ` ORDER BY received_at DESC, code LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(qs), args...)
	if err != nil {
		return nil, fmt.Errorf("petitions: %w", err)
	}
	defer rows.Close()
	out := []StoredPetition{}
	for rows.Next() {
		var doc string
		var p StoredPetition
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("petitions: %w", err)
		}
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			return nil, fmt.Errorf("petitions: decode: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PutAttachment implements CasesStore. Content-addressed: storing the same
// hash again keeps the first record.
func (s *sqlBase) PutAttachment(ctx context.Context, a Attachment) error {
	return s.inTx(ctx, "put attachment", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO attachments (hash, type, size, name, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (hash) DO NOTHING`), a.Hash, a.Type, a.Size, cleanText(a.Name), a.CreatedBy, us(a.CreatedAt))
		return err
	})
}

// Attachment implements CasesStore.
func (s *sqlBase) Attachment(ctx context.Context, hash string) (Attachment, error) {
	var a Attachment
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT hash, type, size, name, created_by, created_at FROM attachments WHERE hash = ?`), hash).
		Scan(&a.Hash, &a.Type, &a.Size, &a.Name, &a.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("attachment %q: %w", hash, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("attachment %q: %w", hash, err)
	}
	a.CreatedAt = fromUS(at)
	return a, nil
}

// Notify implements CasesStore.
func (s *sqlBase) Notify(ctx context.Context, n Notification) error {
	return s.inTx(ctx, "notify", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO notifications (recipient, at, kind, case_id, message, message_en) VALUES (?, ?, ?, ?, ?, ?)`),
			n.Recipient, us(n.At), n.Kind, n.Case, cleanText(n.Message), cleanText(n.MessageEN))
		return err
	})
}

// Notifications implements CasesStore: the inbox of any of the
// recipients, newest first.
func (s *sqlBase) Notifications(ctx context.Context, recipients []string, limit int) ([]Notification, error) {
	out := []Notification{}
	if len(recipients) == 0 {
		return out, nil
	}
	if limit <= 0 {
		limit = 100
	}
	in, args := inList("recipient", recipients)
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, recipient, at, kind, case_id, message, message_en, read_at FROM notifications
		WHERE `+in+` ORDER BY id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n Notification
		var at, rd int64
		if err := rows.Scan(&n.ID, &n.Recipient, &at, &n.Kind, &n.Case, &n.Message, &n.MessageEN, &rd); err != nil {
			return nil, fmt.Errorf("notifications: %w", err)
		}
		n.At, n.ReadAt = fromUS(at), fromUS(rd)
		out = append(out, n)
	}
	return out, rows.Err()
}

// PutPatrol implements CasesStore.
func (s *sqlBase) PutPatrol(ctx context.Context, p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error {
	return s.inTx(ctx, "put patrol "+p.ID, func(tx *sql.Tx) error { return s.putPatrolTx(ctx, tx, p, opened, evs, audit) })
}

func (s *sqlBase) putPatrolTx(ctx context.Context, tx *sql.Tx, p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error {
	if len(evs) != len(opened) {
		return fmt.Errorf("put patrol: %d cases but %d event lists", len(opened), len(evs))
	}
	doc, err := json.Marshal(&p)
	if err != nil {
		return fmt.Errorf("put patrol: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO patrols (id, county, by_user, area, started_at, ended_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		p.ID, p.County, p.By, cleanText(p.Area), us(p.StartedAt), us(p.EndedAt), cleanText(string(doc))); err != nil {
		return err
	}
	for i := range opened {
		if err := s.insertCaseTx(ctx, tx, &opened[i], evs[i]); err != nil {
			return err
		}
	}
	return s.insertAudit(ctx, tx, audit)
}

// Patrols implements CasesStore, newest first.
func (s *sqlBase) Patrols(ctx context.Context, q PatrolQuery) ([]Patrol, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var conds []string
	var args []any
	if q.County != "" {
		conds, args = append(conds, "county = ?"), append(args, q.County)
	}
	if !q.From.IsZero() {
		conds, args = append(conds, "started_at >= ?"), append(args, us(q.From))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "started_at < ?"), append(args, us(q.To))
	}
	qs := `SELECT doc FROM patrols`
	if len(conds) > 0 {
		qs += ` WHERE ` + strings.Join(conds, " AND ")
	}
	qs += ` ORDER BY started_at DESC, id LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(qs), args...)
	if err != nil {
		return nil, fmt.Errorf("patrols: %w", err)
	}
	defer rows.Close()
	out := []Patrol{}
	for rows.Next() {
		var doc string
		var p Patrol
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("patrols: %w", err)
		}
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			return nil, fmt.Errorf("patrols: decode: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PatrolCounts implements CasesStore. The months are cut in Go (China
// time) so both dialects share the query; the rows are two narrow columns.
func (s *sqlBase) PatrolCounts(ctx context.Context, q PatrolQuery) ([]PatrolCount, error) {
	var conds []string
	var args []any
	if q.County != "" {
		conds, args = append(conds, "county = ?"), append(args, q.County)
	}
	if !q.From.IsZero() {
		conds, args = append(conds, "started_at >= ?"), append(args, us(q.From))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "started_at < ?"), append(args, us(q.To))
	}
	qs := `SELECT county, started_at FROM patrols`
	if len(conds) > 0 {
		qs += ` WHERE ` + strings.Join(conds, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, s.q(qs), args...)
	if err != nil {
		return nil, fmt.Errorf("patrol counts: %w", err)
	}
	defer rows.Close()
	type key struct{ county, month string }
	n := map[key]int{}
	for rows.Next() {
		var county string
		var at int64
		if err := rows.Scan(&county, &at); err != nil {
			return nil, fmt.Errorf("patrol counts: %w", err)
		}
		n[key{county, fromUS(at).In(cst).Format("2006-01")}]++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("patrol counts: %w", err)
	}
	out := make([]PatrolCount, 0, len(n))
	for k, v := range n {
		out = append(out, PatrolCount{k.county, k.month, v})
	}
	slices.SortFunc(out, func(a, b PatrolCount) int {
		if c := strings.Compare(a.County, b.County); c != 0 {
			return c
		}
		return strings.Compare(a.Month, b.Month)
	})
	return out, nil
}
