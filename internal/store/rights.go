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
	RightsLedger
	// LockRights runs fn holding the ledger's write lock, the lock every
	// AppendRights of every process takes (PostgreSQL: an advisory lock;
	// SQLite: the database's write lock, BEGIN IMMEDIATE). fn's ledger
	// reads and appends inside one transaction, so no other writer can
	// append between what fn reads and what it appends: a writer that lost
	// a race retries under the lock and cannot lose again. The transaction
	// commits if fn returns nil and every append through it succeeded,
	// and rolls back otherwise. Waiting for the lock is bounded
	// (RightsLockWait); fn must not use the store itself, only its
	// argument (SQLite's one write connection is fn's).
	LockRights(ctx context.Context, fn func(RightsLedger) error) error
}

// RightsLedger reads and appends the ledger: a RightsStore, or, inside
// LockRights, the locked transaction.
type RightsLedger interface {
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

// RightsLockWait bounds the wait for the ledger's write lock on
// PostgreSQL (lock_timeout; SQLite's busy_timeout is 10 s): a writer
// holds it for one append, or one reload and append, so a longer wait
// means a writer is stuck, and the caller gets ErrRightsBusy instead of
// waiting forever.
const RightsLockWait = 30 * time.Second

// ErrRightsBusy means the ledger's write lock was not granted within
// RightsLockWait.
var ErrRightsBusy = errors.New("rights ledger busy: another writer held its lock too long")

// rightsLockWait is RightsLockWait; tests shorten it.
var rightsLockWait = RightsLockWait

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
func (s *sqlBase) AppendRights(ctx context.Context, entries []rights.Entry, audit []model.AuditRecord) error {
	if len(entries) == 0 {
		return nil
	}
	return s.LockRights(ctx, func(l RightsLedger) error { return l.AppendRights(ctx, entries, audit) })
}

// LockRights implements RightsStore.
func (s *sqlBase) LockRights(ctx context.Context, fn func(RightsLedger) error) (err error) {
	// On SQLite the transaction is BEGIN IMMEDIATE (the DSN's _txlock):
	// it holds the database's write lock from the start, across processes.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		if isBusy(err) {
			return fmt.Errorf("rights: begin: %w: %w", ErrRightsBusy, err)
		}
		return fmt.Errorf("rights: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the error that matters is err
		}
	}()
	if s.postgres {
		// Writers in other processes queue here instead of all inserting
		// the same seq and failing on the primary key at commit; the lock
		// ends with the transaction.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, rightsLockWait.Milliseconds())); err != nil {
			return fmt.Errorf("rights: lock timeout: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(212000006)`); err != nil {
			if strings.Contains(err.Error(), "55P03") || strings.Contains(err.Error(), "lock timeout") {
				return fmt.Errorf("rights: lock: %w: %w", ErrRightsBusy, err)
			}
			return fmt.Errorf("rights: lock: %w", err)
		}
		// lock_timeout back to the session's for the statements fn runs.
		if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = DEFAULT`); err != nil {
			return fmt.Errorf("rights: lock timeout: %w", err)
		}
	}
	l := &lockedRights{s: s, tx: tx}
	if err := fn(l); err != nil {
		return err
	}
	if l.failed != nil {
		// fn went on after a failed append: in PostgreSQL the transaction
		// is aborted, and a half-written command must never commit.
		return fmt.Errorf("rights: an append failed in the locked transaction: %w", l.failed)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rights: commit: %w", conflictErr(err))
	}
	return nil
}

// isBusy reports SQLite's "database is locked" after busy_timeout.
func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// lockedRights is the ledger inside LockRights' transaction.
type lockedRights struct {
	s      *sqlBase
	tx     *sql.Tx
	failed error
}

func (l *lockedRights) AppendRights(ctx context.Context, entries []rights.Entry, audit []model.AuditRecord) error {
	if err := l.s.appendRights(ctx, l.tx, entries, audit); err != nil {
		l.failed = err
		return err
	}
	return nil
}

func (l *lockedRights) RightsEntries(ctx context.Context, q RightsQuery, fn func(*rights.Entry) error) error {
	return l.s.rightsEntries(ctx, l.tx, q, fn)
}

func (l *lockedRights) RightsHead(ctx context.Context) (int64, rights.Digest, error) {
	return l.s.rightsHead(ctx, l.tx)
}

// appendRights writes entries in tx, which holds the ledger's lock.
func (s *sqlBase) appendRights(ctx context.Context, tx *sql.Tx, entries []rights.Entry, audit []model.AuditRecord) error {
	if len(entries) == 0 {
		return nil
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].Seq != entries[i-1].Seq+1 || entries[i].Prev != entries[i-1].Hash {
			return fmt.Errorf("append rights: entry %d does not follow entry %d", entries[i].Seq, entries[i-1].Seq)
		}
	}
	head, hash, err := s.rightsHead(ctx, tx)
	if err != nil {
		return fmt.Errorf("append rights: %w", err)
	}
	first := &entries[0]
	if head != first.Seq-1 || hash != first.Prev {
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
	return s.rightsEntries(ctx, s.r, q, fn)
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *sqlBase) rightsEntries(ctx context.Context, db querier, q RightsQuery, fn func(*rights.Entry) error) error {
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
	err := queryRows(ctx, db, s.q(query), args, func(rows *sql.Rows) error {
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

// queryRows calls fn for each row of query on db.
func queryRows(ctx context.Context, db querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RightsHead implements RightsStore.
func (s *sqlBase) RightsHead(ctx context.Context) (int64, rights.Digest, error) {
	return s.rightsHead(ctx, s.r)
}

func (s *sqlBase) rightsHead(ctx context.Context, db querier) (int64, rights.Digest, error) {
	var (
		seq  int64
		hash []byte
		d    rights.Digest
	)
	err := db.QueryRowContext(ctx, `SELECT seq, hash FROM rights_entries ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
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
