package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights"
)

// RightsStore persists the emission-rights ledger: the entries of
// internal/rights, one row each, append-only (migration 0004).
type RightsStore interface {
	// AppendRights appends the entries of one or more whole commands in
	// one transaction: all of them or, on error, none. The entries must
	// continue the stored chain: entries[0].Seq is one more than the last
	// stored Seq and entries[0].Prev is its hash. If another writer has
	// moved the chain on, nothing is written and the error wraps
	// ErrRightsConflict (the caller reloads and retries); an idempotency
	// key already stored also fails with ErrRightsConflict. The audit
	// records (one per command, may be nil) are written in the same
	// transaction, so no applied command lacks its audit row.
	AppendRights(ctx context.Context, entries []rights.Entry, audit []model.AuditRecord) error
	// RightsEntries calls fn for each stored entry matching q, in Seq
	// order. fn's argument is reused between calls. An error from fn stops
	// the scan and is returned.
	RightsEntries(ctx context.Context, q RightsQuery, fn func(*rights.Entry) error) error
	// RightsHead returns the last stored Seq and its hash (0 and zeros for
	// an empty ledger).
	RightsHead(ctx context.Context) (int64, rights.Digest, error)
}

// RightsQuery selects ledger entries. Zero values mean any.
type RightsQuery struct {
	After   int64          // only entries with Seq > After
	Account rights.Account // only entries debiting or crediting it
	Limit   int            // at most this many (0: no limit)
}

// ErrRightsConflict means the ledger's head is not what the writer
// expected (another process appended first) or a command's idempotency key
// is already stored.
var ErrRightsConflict = errors.New("rights ledger changed by another writer")

// rightsCols are the columns of rights_entries in rights.Entry order.
const rightsCols = `seq, time, key, body, cmd, op, kind, ref, asset, from_acct, to_acct, start, amount, valid_until, paid, status, detail, actor, doc, prev, hash`

const rightsNCols = 21

// rightsChunk is the most entries one INSERT carries (21 parameters each).
const rightsChunk = 64

// AppendRights implements RightsStore.
func (s *sqlBase) AppendRights(ctx context.Context, entries []rights.Entry, audit []model.AuditRecord) (err error) {
	if len(entries) == 0 {
		return nil
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].Seq != entries[i-1].Seq+1 || entries[i].Prev != entries[i-1].Hash {
			return fmt.Errorf("append rights: entry %d does not follow entry %d", entries[i].Seq, entries[i-1].Seq)
		}
	}
	// On SQLite the transaction is BEGIN IMMEDIATE (the DSN's _txlock), so
	// the head read below and the inserts are one serialised write; on
	// PostgreSQL a concurrent writer that read the same head fails on the
	// seq primary key or the key's uniqueness when it commits.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append rights: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the error that matters is err
		}
	}()
	if s.postgres {
		// Writers in other processes queue here instead of all inserting
		// the same seq and failing on the primary key at commit: the head
		// read below is then the head this transaction appends to.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(212000006)`); err != nil {
			return fmt.Errorf("append rights: lock: %w", err)
		}
	}
	var (
		head int64
		hash []byte
	)
	switch err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM rights_entries ORDER BY seq DESC LIMIT 1`).Scan(&head, &hash); {
	case errors.Is(err, sql.ErrNoRows):
		hash = make([]byte, 32)
	case err != nil:
		return fmt.Errorf("append rights: read head: %w", err)
	}
	first := &entries[0]
	if head != first.Seq-1 || string(hash) != string(first.Prev[:]) {
		return fmt.Errorf("append rights: stored head is entry %d, entries start at %d: %w", head, first.Seq, ErrRightsConflict)
	}
	args := make([]any, 0, rightsChunk*rightsNCols)
	for rest := entries; len(rest) > 0; {
		n := min(len(rest), rightsChunk)
		args = args[:0]
		for i := range rest[:n] {
			args = s.rightsArgs(args, &rest[i])
		}
		q := cachedSQL("rights", n, func(n int) string {
			return multiRow(`INSERT INTO rights_entries (`+rightsCols+`) VALUES `,
				`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, n, ``)
		})
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return fmt.Errorf("append rights: insert entries %d-%d: %w", rest[0].Seq, rest[n-1].Seq, conflictErr(err))
		}
		rest = rest[n:]
	}
	// One rights_commands row per command (a run of entries sharing Key).
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].Key == entries[i].Key {
			j++
		}
		e := &entries[i]
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO rights_commands (key, cmd, body, first_seq, last_seq) VALUES (?,?,?,?,?)`),
			e.Key, e.Cmd, e.Body[:], e.Seq, entries[j-1].Seq); err != nil {
			return fmt.Errorf("append rights: command %q: %w", e.Key, conflictErr(err))
		}
		i = j
	}
	for i := range audit {
		if err := s.insertAudit(ctx, tx, &audit[i]); err != nil {
			return fmt.Errorf("append rights: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append rights: commit: %w", conflictErr(err))
	}
	return nil
}

// conflictErr marks a uniqueness violation (another writer's seq or key)
// as ErrRightsConflict.
func conflictErr(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") ||
		strings.Contains(msg, "duplicate key value") {
		return fmt.Errorf("%w: %w", ErrRightsConflict, err)
	}
	return err
}

func (s *sqlBase) rightsArgs(args []any, e *rights.Entry) []any {
	var vu, paid any
	if !e.ValidUntil.IsZero() {
		vu = s.t(e.ValidUntil)
	}
	if s.postgres {
		paid = e.Paid
	} else if e.Paid {
		paid = 1
	} else {
		paid = 0
	}
	return append(args, e.Seq, s.t(e.Time), e.Key, e.Body[:], e.Cmd, e.Op, string(e.Kind), e.Ref, e.Asset,
		string(e.From), string(e.To), e.Start, e.Amount, vu, paid, e.Status, e.Detail, e.Actor, e.Doc,
		e.Prev[:], e.Hash[:])
}

// RightsEntries implements RightsStore.
func (s *sqlBase) RightsEntries(ctx context.Context, q RightsQuery, fn func(*rights.Entry) error) error {
	query := `SELECT ` + rightsCols + ` FROM rights_entries WHERE seq > ?`
	args := []any{q.After}
	if q.Account != "" {
		// Two index range scans instead of an OR the planner may not split.
		query = `SELECT ` + rightsCols + ` FROM rights_entries WHERE seq > ? AND from_acct = ?
			UNION ALL SELECT ` + rightsCols + ` FROM rights_entries WHERE seq > ? AND to_acct = ? AND from_acct <> ?`
		args = []any{q.After, string(q.Account), q.After, string(q.Account), string(q.Account)}
	}
	query += ` ORDER BY seq`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	var (
		e                rights.Entry
		tm               dbTime
		vu               sql.Null[dbTime]
		paid             dbBool
		kind, from, to   string
		body, prev, hash []byte
	)
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		if err := rows.Scan(&e.Seq, &tm, &e.Key, &body, &e.Cmd, &e.Op, &kind, &e.Ref, &e.Asset, &from, &to,
			&e.Start, &e.Amount, &vu, &paid, &e.Status, &e.Detail, &e.Actor, &e.Doc, &prev, &hash); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		e.Time = time.Time(tm)
		e.ValidUntil = time.Time{}
		if vu.Valid {
			e.ValidUntil = time.Time(vu.V)
		}
		e.Paid = bool(paid)
		e.Kind, e.From, e.To = rights.Kind(kind), rights.Account(from), rights.Account(to)
		if len(body) != 32 || len(prev) != 32 || len(hash) != 32 {
			return fmt.Errorf("entry %d: digest columns are not 32 bytes", e.Seq)
		}
		copy(e.Body[:], body)
		copy(e.Prev[:], prev)
		copy(e.Hash[:], hash)
		return fn(&e)
	})
	if err != nil {
		return fmt.Errorf("rights entries: %w", err)
	}
	return nil
}

// RightsHead implements RightsStore.
func (s *sqlBase) RightsHead(ctx context.Context) (int64, rights.Digest, error) {
	var (
		seq  int64
		hash []byte
		d    rights.Digest
	)
	err := s.r.QueryRowContext(ctx, `SELECT seq, hash FROM rights_entries ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, d, nil
	case err != nil:
		return 0, d, fmt.Errorf("rights head: %w", err)
	}
	copy(d[:], hash)
	return seq, d, nil
}

// dbBool scans SQLite's 0/1 or PostgreSQL's boolean.
type dbBool bool

func (b *dbBool) Scan(src any) error {
	switch v := src.(type) {
	case bool:
		*b = dbBool(v)
	case int64:
		*b = v != 0
	default:
		return fmt.Errorf("scan bool: unexpected %T", src)
	}
	return nil
}
