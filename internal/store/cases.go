package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
)

// The closed loop's tables (migration 0005): users, sessions, API
// tokens, the audit log, cases and their event log, petitions, attachment
// metadata, the in-app inbox, patrols and number counters. Times are unix
// microseconds in both dialects.

// ErrConflict is returned when a write lost a race: a case updated from a
// stale Seq (optimistic concurrency), or an item created twice.
var ErrConflict = errors.New("conflict")

// CaseQuery selects cases. Zero values mean "any".
type CaseQuery struct {
	States     []cases.State
	County     string
	Enterprise string
	Petition   string
	Line       string
	Source     cases.Source
	// DueBefore, when set, selects open cases with a pending deadline at
	// or before it (the escalation timer's candidates).
	DueBefore time.Time
	// OverdueFirst orders overdue open cases (at Now) first, earliest
	// deadline first; the rest follow, newest first.
	OverdueFirst bool
	// Overdue selects open cases whose pending deadline is at or before
	// Now (time.Now if zero).
	Overdue bool
	// Search selects cases whose stored document (number, title,
	// description, enterprise, outlet, location…) contains the text,
	// ignoring ASCII case.
	Search string
	Now    time.Time
	Limit  int // 0 means 100; at most 1000
	Offset int
}

// PatrolQuery selects patrols.
type PatrolQuery struct {
	County   string
	From, To time.Time // started in [From, To); zero: no bound
	Limit    int       // 0 means 100
}

// PetitionQuery selects petitions, newest first.
type PetitionQuery struct {
	County string
	Limit  int // 0 means 100
}

// Patrol is a patrol record (巡河, 巡查).
type Patrol struct {
	ID        string          `json:"id"`
	County    string          `json:"county"`
	By        string          `json:"by"`
	Area      string          `json:"area"` // reach or area patrolled
	StartedAt time.Time       `json:"started_at"`
	EndedAt   time.Time       `json:"ended_at"` // zero while the patrol goes on
	Findings  []PatrolFinding `json:"findings,omitempty"`
	// Track is the patroller's positions; Km its length (cases.TrackKm),
	// set when the patrol ends.
	Track []cases.TrackPoint `json:"track,omitempty"`
	Km    float64            `json:"km,omitempty"`
}

// PatrolFinding is one problem found on a patrol; Case is the case it
// opened.
type PatrolFinding struct {
	Description string   `json:"description"`
	Line        string   `json:"line"`
	Enterprise  string   `json:"enterprise,omitempty"`
	Location    string   `json:"location,omitempty"`
	Photos      []string `json:"photos,omitempty"`
	Case        string   `json:"case,omitempty"`
	// Where and when it was recorded on a tracked patrol.
	At  time.Time `json:"at,omitzero"`
	Lat float64   `json:"lat,omitempty"`
	Lon float64   `json:"lon,omitempty"`
}

// StoredPetition is a petition with what the bureau added: its case and
// the reply to the petitioner.
type StoredPetition struct {
	cases.Petition
	Case  string `json:"case,omitempty"`
	Reply string `json:"reply,omitempty"`
	// RatingKeyHash is the hash of the petitioner's rating key, which
	// the satisfaction callback needs; the key itself (RatingKey) is
	// returned once, at intake, and never stored.
	RatingKeyHash string `json:"rating_key_hash,omitempty"`
	RatingKey     string `json:"-"`
}

// Attachment is what the store knows about an evidence file; the bytes
// are on disk under the data directory, named by Hash.
type Attachment struct {
	Hash      string    `json:"hash"`
	Type      string    `json:"type"`
	Size      int64     `json:"size"`
	Name      string    `json:"name,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Notification is one message of the in-app inbox.
type Notification struct {
	ID        int64     `json:"id"`
	Recipient string    `json:"recipient"` // user id, "county:<code>", "enterprise:<uscc>" or "city"
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Case      string    `json:"case,omitempty"`
	Message   string    `json:"message"`
	// MessageEN is the platform's English wording of Message; empty
	// when the notice was written in Chinese only.
	MessageEN string    `json:"message_en,omitempty"`
	ReadAt    time.Time `json:"read_at,omitzero"`
}

// CasesStore is the persistence of the closed loop. Every write that takes
// an audit record writes it in the same transaction; a nil audit writes
// none (system jobs that audit elsewhere).
type CasesStore interface {
	// PutUser inserts or replaces a user; changing an existing user's
	// password hash or disabling them ends their sessions and revokes
	// their API tokens in the same transaction. PutSession opens a
	// session only while its user still has s.PasswordHash (ErrConflict).
	PutUser(ctx context.Context, u model.User, audit *model.AuditRecord) error
	User(ctx context.Context, id string) (model.User, error)
	Users(ctx context.Context) ([]model.User, error)
	PutSession(ctx context.Context, s model.Session) error
	Session(ctx context.Context, hash string) (model.Session, error)
	DeleteSession(ctx context.Context, hash string) error
	// PurgeSessions deletes sessions that expired before t.
	PurgeSessions(ctx context.Context, t time.Time) (int64, error)
	PutAPIToken(ctx context.Context, t model.APIToken, audit *model.AuditRecord) error
	APIToken(ctx context.Context, hash string) (model.APIToken, error)
	// APITokens lists a user's tokens ("" for all users), revoked ones
	// included; RevokeAPIToken revokes one (ErrNotFound, or ErrConflict
	// when revoked already); TouchAPIToken records its last use.
	APITokens(ctx context.Context, user string) ([]model.APIToken, error)
	RevokeAPIToken(ctx context.Context, hash string, at time.Time, why string, audit *model.AuditRecord) error
	TouchAPIToken(ctx context.Context, hash string, at time.Time, from string) error
	AppendAudit(ctx context.Context, a model.AuditRecord) error
	Audit(ctx context.Context, target string, limit int) ([]model.AuditRecord, error)

	// NextNumber increments and returns the named counter (1 first).
	NextNumber(ctx context.Context, name string) (int64, error)
	// InCaseTx runs fn in one write transaction: the numbers fn draws
	// (CaseTx.NextNumber) count only if everything fn writes commits, so
	// a refusal inside fn, or a failed write, leaves no gap in the
	// numbering. fn's error is returned as it is.
	InCaseTx(ctx context.Context, fn func(tx CaseTx) error) error

	// CreateCase inserts a new case with its events (ErrConflict if the ID
	// exists). UpdateCase writes c, which must have been read at Seq
	// c.Seq-len(evs), and appends evs; a stale Seq is refused with
	// ErrConflict and nothing is written.
	CreateCase(ctx context.Context, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error
	UpdateCase(ctx context.Context, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error
	Case(ctx context.Context, id string) (cases.Case, error)
	// CaseStates returns the state of each of the cases ids names (those
	// that exist), read in one query per thousand ids.
	CaseStates(ctx context.Context, ids []string) (map[string]cases.State, error)
	Cases(ctx context.Context, q CaseQuery) ([]cases.Case, error)
	CaseEvents(ctx context.Context, id string) ([]cases.Event, error)
	// CaseStats summarises the cases q selects (Limit, Offset and order
	// ignored) in the database, as cases.Summarize does.
	CaseStats(ctx context.Context, q CaseQuery) (cases.Summary, error)

	// PutPetition stores a new petition and its case in one transaction.
	PutPetition(ctx context.Context, p StoredPetition, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error
	SetPetitionReply(ctx context.Context, code, reply string, audit *model.AuditRecord) error
	Petition(ctx context.Context, code string) (StoredPetition, error)
	Petitions(ctx context.Context, q PetitionQuery) ([]StoredPetition, error)

	PutAttachment(ctx context.Context, a Attachment) error
	Attachment(ctx context.Context, hash string) (Attachment, error)

	Notify(ctx context.Context, n Notification) error
	Notifications(ctx context.Context, recipients []string, limit int) ([]Notification, error)

	// PutPatrol stores a patrol with the cases its findings opened, in one
	// transaction.
	PutPatrol(ctx context.Context, p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error
	Patrols(ctx context.Context, q PatrolQuery) ([]Patrol, error)
	// PatrolCounts counts patrols per county and month (China time).
	PatrolCounts(ctx context.Context, q PatrolQuery) ([]PatrolCount, error)
	// PatrolTracker: patrols recorded as they happen (patrols_live.go).
	PatrolTracker
}

// PatrolCount is the number of patrols of a county in a month.
type PatrolCount struct {
	County  string `json:"county"`
	Month   string `json:"month"` // 2026-03, China Standard Time
	Patrols int    `json:"patrols"`
}

func us(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromUS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inTx runs fn in a write transaction.
func (s *sqlBase) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

func (s *sqlBase) insertAudit(ctx context.Context, tx *sql.Tx, a *model.AuditRecord) error {
	if a == nil {
		return nil
	}
	at := a.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (at, actor, role, action, target, before_json, after_json, remote)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), us(at), cleanText(a.Actor), a.Role, a.Action, cleanText(a.Target),
		cleanText(a.Before), cleanText(a.After), a.Remote)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AppendAudit implements CasesStore.
func (s *sqlBase) AppendAudit(ctx context.Context, a model.AuditRecord) error {
	return s.inTx(ctx, "append audit", func(tx *sql.Tx) error { return s.insertAudit(ctx, tx, &a) })
}

// Audit implements CasesStore: the records of a target ("" for all),
// newest first.
func (s *sqlBase) Audit(ctx context.Context, target string, limit int) ([]model.AuditRecord, error) {
	if limit <= 0 {
		limit = 100
	}
	qs := `SELECT id, at, actor, role, action, target, before_json, after_json, remote FROM audit_log`
	args := []any{}
	if target != "" {
		qs += ` WHERE target = ?`
		args = append(args, target)
	}
	qs += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(qs), args...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []model.AuditRecord
	for rows.Next() {
		var a model.AuditRecord
		var at int64
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Role, &a.Action, &a.Target, &a.Before, &a.After, &a.Remote); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		a.At = fromUS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// PutUser implements CasesStore (insert or replace by ID). When an
// existing user's password hash changes, or the user is disabled, the same
// transaction ends the user's sessions and revokes their API tokens, with
// an audit row of what it ended: no credential outlives the password it
// came from, whichever path changed it. On PostgreSQL the user row is
// locked first, so a concurrent PutSession waits and then sees the change.
func (s *sqlBase) PutUser(ctx context.Context, u model.User, audit *model.AuditRecord) error {
	if u.ID == "" {
		return fmt.Errorf("put user: empty id")
	}
	return s.inTx(ctx, "put user "+u.ID, func(tx *sql.Tx) error {
		lock := ""
		if s.postgres {
			lock = " FOR UPDATE"
		}
		var oldHash string
		var oldDisabled int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT password_hash, disabled FROM users WHERE id = ?`+lock), u.ID).Scan(&oldHash, &oldDisabled)
		existed := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO users (id, name, role, county, enterprise, password_hash, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, county = excluded.county,
			enterprise = excluded.enterprise, password_hash = excluded.password_hash, disabled = excluded.disabled`),
			u.ID, cleanText(u.Name), u.Role, u.County, u.Enterprise, u.PasswordHash, b2i(u.Disabled), us(u.CreatedAt))
		if err != nil {
			return err
		}
		if err := s.insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		why := ""
		switch {
		case !existed:
		case u.Disabled:
			why = "user disabled"
		case oldHash != u.PasswordHash:
			why = "password changed"
		}
		if why == "" {
			return nil
		}
		return s.endCredentials(ctx, tx, u.ID, why, audit)
	})
}

// endCredentials deletes a user's sessions and revokes their live API
// tokens, auditing what it ended (nothing is written when there was
// nothing to end).
func (s *sqlBase) endCredentials(ctx context.Context, tx *sql.Tx, user, why string, cause *model.AuditRecord) error {
	at := time.Now()
	actor, role, remote := "system", "system", ""
	if cause != nil {
		at, actor, role, remote = cause.At, cause.Actor, cause.Role, cause.Remote
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), user)
	if err != nil {
		return err
	}
	sessions, err := res.RowsAffected()
	if err != nil {
		return err
	}
	res, err = tx.ExecContext(ctx, s.q(`UPDATE api_tokens SET revoked_at = ?, revoked_why = ? WHERE user_id = ? AND revoked_at = 0`),
		us(at), why, user)
	if err != nil {
		return err
	}
	tokens, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if sessions+tokens == 0 {
		return nil
	}
	after, _ := json.Marshal(map[string]any{"sessions": sessions, "tokens": tokens, "why": why})
	return s.insertAudit(ctx, tx, &model.AuditRecord{At: at, Actor: actor, Role: role, Action: "user.credentials-ended",
		Target: "user/" + user, After: string(after), Remote: remote})
}

const userCols = `id, name, role, county, enterprise, password_hash, disabled, created_at`

func scanUser(sc interface{ Scan(...any) error }) (model.User, error) {
	var u model.User
	var dis int
	var at int64
	err := sc.Scan(&u.ID, &u.Name, &u.Role, &u.County, &u.Enterprise, &u.PasswordHash, &dis, &at)
	u.Disabled, u.CreatedAt = dis != 0, fromUS(at)
	return u, err
}

// User implements CasesStore.
func (s *sqlBase) User(ctx context.Context, id string) (model.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("user %q: %w", id, err)
	}
	return u, nil
}

// Users implements CasesStore.
func (s *sqlBase) Users(ctx context.Context) ([]model.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// PutSession implements CasesStore. The session is stored only if its
// user still has ss.PasswordHash and is not disabled (ErrConflict
// otherwise): a login that checked the old password while the password
// was being changed opens nothing.
func (s *sqlBase) PutSession(ctx context.Context, ss model.Session) error {
	lock := ""
	if s.postgres {
		lock = " FOR SHARE"
	}
	return s.inTx(ctx, "put session", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at)
			SELECT ?, id, ?, ?, ? FROM users WHERE id = ? AND password_hash = ? AND disabled = 0`+lock),
			ss.Hash, ss.CSRF, us(ss.CreatedAt), us(ss.ExpiresAt), ss.User, ss.PasswordHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("user %q changed its password or was disabled: %w", ss.User, ErrConflict)
		}
		return nil
	})
}

// Session implements CasesStore.
func (s *sqlBase) Session(ctx context.Context, hash string) (model.Session, error) {
	var ss model.Session
	var c, e int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT hash, user_id, csrf, created_at, expires_at FROM sessions WHERE hash = ?`), hash).
		Scan(&ss.Hash, &ss.User, &ss.CSRF, &c, &e)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return ss, fmt.Errorf("session: %w", err)
	}
	ss.CreatedAt, ss.ExpiresAt = fromUS(c), fromUS(e)
	return ss, nil
}

// DeleteSession implements CasesStore.
func (s *sqlBase) DeleteSession(ctx context.Context, hash string) error {
	return s.inTx(ctx, "delete session", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE hash = ?`), hash)
		return err
	})
}

// PurgeSessions implements CasesStore.
func (s *sqlBase) PurgeSessions(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, "purge sessions", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires_at < ?`), us(t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// PutAPIToken implements CasesStore.
func (s *sqlBase) PutAPIToken(ctx context.Context, t model.APIToken, audit *model.AuditRecord) error {
	return s.inTx(ctx, "put api token", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_tokens (hash, name, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
			t.Hash, cleanText(t.Name), t.User, us(t.CreatedAt), us(t.ExpiresAt))
		if err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, audit)
	})
}

const tokenCols = `hash, name, user_id, created_at, expires_at, revoked_at, revoked_why, last_used_at, last_used_from`

func scanToken(sc interface{ Scan(...any) error }) (model.APIToken, error) {
	var t model.APIToken
	var c, e, r, l int64
	err := sc.Scan(&t.Hash, &t.Name, &t.User, &c, &e, &r, &t.RevokedWhy, &l, &t.LastUsedFrom)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromUS(c), fromUS(e), fromUS(r), fromUS(l)
	return t, err
}

// APIToken implements CasesStore.
func (s *sqlBase) APIToken(ctx context.Context, hash string) (model.APIToken, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, s.q(`SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("api token: %w", ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("api token: %w", err)
	}
	return t, nil
}

// APITokens implements CasesStore: a user's tokens ("" for everyone's),
// revoked ones included, by user and age.
func (s *sqlBase) APITokens(ctx context.Context, user string) ([]model.APIToken, error) {
	qs, args := `SELECT `+tokenCols+` FROM api_tokens`, []any{}
	if user != "" {
		qs += ` WHERE user_id = ?`
		args = append(args, user)
	}
	rows, err := s.r.QueryContext(ctx, s.q(qs+` ORDER BY user_id, created_at, hash`), args...)
	if err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	defer rows.Close()
	var out []model.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("api tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken implements CasesStore: ErrNotFound for an unknown hash,
// ErrConflict for a token revoked already.
func (s *sqlBase) RevokeAPIToken(ctx context.Context, hash string, at time.Time, why string, audit *model.AuditRecord) error {
	return s.inTx(ctx, "revoke api token", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE api_tokens SET revoked_at = ?, revoked_why = ? WHERE hash = ? AND revoked_at = 0`), us(at), why, hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var r int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT revoked_at FROM api_tokens WHERE hash = ?`), hash).Scan(&r)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("revoked already at %s: %w", fromUS(r).Format(time.RFC3339), ErrConflict)
		}
		return s.insertAudit(ctx, tx, audit)
	})
}

// TouchAPIToken implements CasesStore: records a use at at from the
// client address from, unless a later use is recorded already.
func (s *sqlBase) TouchAPIToken(ctx context.Context, hash string, at time.Time, from string) error {
	return s.inTx(ctx, "touch api token", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE api_tokens SET last_used_at = ?, last_used_from = ? WHERE hash = ? AND last_used_at < ?`),
			us(at), cleanText(from), hash, us(at))
		return err
	})
}

// NextNumber implements CasesStore.
func (s *sqlBase) NextNumber(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.inTx(ctx, "next number "+name, func(tx *sql.Tx) error {
		var err error
		v, err = s.nextNumberTx(ctx, tx, name)
		return err
	})
	return v, err
}

func (s *sqlBase) nextNumberTx(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`), name).Scan(&v)
	return v, err
}

// CaseTx is the writes of InCaseTx, as the CasesStore methods of the same
// names, inside its transaction.
type CaseTx interface {
	NextNumber(name string) (int64, error)
	CreateCase(c cases.Case, evs []cases.Event, audit *model.AuditRecord) error
	PutPetition(p StoredPetition, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error
	PutPatrol(p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error
	UpdatePatrol(p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error
}

type caseTx struct {
	s   *sqlBase
	ctx context.Context
	tx  *sql.Tx
}

func (t caseTx) NextNumber(name string) (int64, error) { return t.s.nextNumberTx(t.ctx, t.tx, name) }
func (t caseTx) CreateCase(c cases.Case, evs []cases.Event, audit *model.AuditRecord) error {
	return t.s.createCaseTx(t.ctx, t.tx, c, evs, audit)
}
func (t caseTx) PutPetition(p StoredPetition, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error {
	return t.s.putPetitionTx(t.ctx, t.tx, p, c, evs, audit)
}
func (t caseTx) PutPatrol(p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error {
	return t.s.putPatrolTx(t.ctx, t.tx, p, opened, evs, audit)
}
func (t caseTx) UpdatePatrol(p Patrol, opened []cases.Case, evs [][]cases.Event, audit *model.AuditRecord) error {
	return t.s.updatePatrolTx(t.ctx, t.tx, p, opened, evs, audit)
}

// fnError carries fn's own error through inTx unwrapped.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// InCaseTx implements CasesStore.
func (s *sqlBase) InCaseTx(ctx context.Context, fn func(tx CaseTx) error) error {
	err := s.inTx(ctx, "case transaction", func(tx *sql.Tx) error {
		if err := fn(caseTx{s, ctx, tx}); err != nil {
			return fnError{err}
		}
		return nil
	})
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	return err
}

// caseArgs is the columns of a case's row (see caseInsert) and its JSON
// document.
func caseArgs(c *cases.Case) ([]any, string, error) {
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, "", err
	}
	var deadline int64
	if c.State.Open() {
		// The earliest pending deadline, so that overdue is one comparison
		// (cases.Overdue: the stage deadline or the closure deadline).
		p := cases.DefaultRules().Policy(*c)
		if t, ok := cases.StageDue(*c, p); ok {
			deadline = us(t)
		}
		if d := us(c.Due); d != 0 && (deadline == 0 || d < deadline) {
			deadline = d
		}
	}
	yf, yc := 0, 0
	if c.State != cases.StateRejected && !c.CreatedAt.IsZero() {
		yf = c.CreatedAt.In(cst).Year()
	}
	if c.State == cases.StateClosed {
		yc = c.ClosedAt.In(cst).Year()
	}
	isPet := b2i(c.Source == cases.SourcePetition || c.Petition != "")
	return []any{c.ID, string(c.Source), c.Line, c.County, c.Enterprise, c.Petition, isPet, string(c.State), int(c.Severity),
		us(c.CreatedAt), us(c.ClosedAt), deadline, b2i(cases.OnTime(*c)), string(c.Satisfaction), yf, yc, c.Seq}, cleanText(string(doc)), nil
}

const caseInsert = `INSERT INTO cases (id, source, line, county, enterprise, petition, is_petition, state, severity, created_at, closed_at,
	deadline, on_time, satisfaction, year_found, year_closed, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func (s *sqlBase) insertCaseTx(ctx context.Context, tx *sql.Tx, c *cases.Case, evs []cases.Event) error {
	args, doc, err := caseArgs(c)
	if err != nil {
		return err
	}
	var one int
	switch err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM cases WHERE id = ?`), c.ID).Scan(&one); {
	case err == nil:
		return fmt.Errorf("case %s exists: %w", c.ID, ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(caseInsert), args...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_docs (id, doc) VALUES (?, ?)`), c.ID, doc); err != nil {
		return err
	}
	if err := s.tallyTx(ctx, tx, args, 1); err != nil {
		return err
	}
	return s.insertEventsTx(ctx, tx, evs)
}

func (s *sqlBase) insertEventsTx(ctx context.Context, tx *sql.Tx, evs []cases.Event) error {
	for i := range evs {
		doc, err := json.Marshal(&evs[i])
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_events (case_id, seq, at, doc) VALUES (?, ?, ?, ?)`),
			evs[i].Case, evs[i].Seq, us(evs[i].At), string(doc)); err != nil {
			return fmt.Errorf("event %s/%d: %w", evs[i].Case, evs[i].Seq, err)
		}
	}
	return nil
}

// CreateCase implements CasesStore.
func (s *sqlBase) CreateCase(ctx context.Context, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error {
	return s.inTx(ctx, "create case "+c.ID, func(tx *sql.Tx) error { return s.createCaseTx(ctx, tx, c, evs, audit) })
}

func (s *sqlBase) createCaseTx(ctx context.Context, tx *sql.Tx, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error {
	if err := s.insertCaseTx(ctx, tx, &c, evs); err != nil {
		return err
	}
	return s.insertAudit(ctx, tx, audit)
}

// UpdateCase implements CasesStore.
func (s *sqlBase) UpdateCase(ctx context.Context, c cases.Case, evs []cases.Event, audit *model.AuditRecord) error {
	prev := c.Seq - len(evs)
	for i, e := range evs {
		if e.Seq != prev+1+i || e.Case != c.ID {
			return fmt.Errorf("update case %s: event %d has seq %d, want %d", c.ID, i, e.Seq, prev+1+i)
		}
	}
	args, doc, err := caseArgs(&c)
	if err != nil {
		return fmt.Errorf("update case %s: %w", c.ID, err)
	}
	return s.inTx(ctx, "update case "+c.ID, func(tx *sql.Tx) error {
		// The old statistics key, to move the case's tally.
		old := make([]any, 17)
		var src, line, county, state, sat string
		var isPet, yf, yc, onTime int
		var created, closed int64
		var deadline int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT source, line, county, state, satisfaction, year_found, year_closed, is_petition,
			on_time, created_at, closed_at, deadline FROM cases WHERE id = ?`), c.ID).
			Scan(&src, &line, &county, &state, &sat, &yf, &yc, &isPet, &onTime, &created, &closed, &deadline)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		old[1], old[2], old[3], old[6], old[7], old[9], old[10], old[11], old[12], old[13], old[14], old[15] =
			src, line, county, isPet, state, created, closed, deadline, onTime, sat, yf, yc
		// Optimistic concurrency: the row changes only if nobody wrote
		// since it was read (Seq); the loser writes nothing.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET source = ?, line = ?, county = ?, enterprise = ?, petition = ?,
			is_petition = ?, state = ?, severity = ?, created_at = ?, closed_at = ?, deadline = ?, on_time = ?, satisfaction = ?,
			year_found = ?, year_closed = ?, seq = ? WHERE id = ? AND seq = ?`),
			append(args[1:], c.ID, prev)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var seq int
			err := tx.QueryRowContext(ctx, s.q(`SELECT seq FROM cases WHERE id = ?`), c.ID).Scan(&seq)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return fmt.Errorf("stale seq %d (stored %d): %w", prev, seq, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE case_docs SET doc = ? WHERE id = ?`), doc, c.ID); err != nil {
			return err
		}
		if err := s.tallyTx(ctx, tx, old, -1); err != nil {
			return err
		}
		if err := s.tallyTx(ctx, tx, args, 1); err != nil {
			return err
		}
		if err := s.insertEventsTx(ctx, tx, evs); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, audit)
	})
}

// Case implements CasesStore.
func (s *sqlBase) Case(ctx context.Context, id string) (cases.Case, error) {
	var doc string
	var c cases.Case
	err := s.r.QueryRowContext(ctx, s.q(`SELECT doc FROM case_docs WHERE id = ?`), id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("case %q: %w", id, err)
	}
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return c, fmt.Errorf("case %q: decode: %w", id, err)
	}
	return c, nil
}

func (s *sqlBase) CaseStates(ctx context.Context, ids []string) (map[string]cases.State, error) {
	out := make(map[string]cases.State, len(ids))
	const chunk = 1000 // well under SQLite's and PostgreSQL's bound on parameters
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		in, args := inList("id", ids[:n])
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, state FROM cases WHERE `+in), args...)
		if err != nil {
			return nil, fmt.Errorf("case states: %w", err)
		}
		for rows.Next() {
			var id, st string
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return nil, fmt.Errorf("case states: %w", err)
			}
			out[id] = cases.State(st)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("case states: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

func caseWhere(q CaseQuery) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if len(q.States) > 0 {
		c, a := inList("state", q.States)
		conds, args = append(conds, c), append(args, a...)
	}
	if q.County != "" {
		add("county = ?", q.County)
	}
	if q.Enterprise != "" {
		add("enterprise = ?", q.Enterprise)
	}
	if q.Petition != "" {
		add("petition = ?", q.Petition)
	}
	if q.Line != "" {
		add("line = ?", q.Line)
	}
	if q.Source != "" {
		add("source = ?", string(q.Source))
	}
	if !q.DueBefore.IsZero() {
		conds = append(conds, "deadline > 0")
		add("deadline <= ?", us(q.DueBefore))
	}
	if q.Overdue {
		now := q.Now
		if now.IsZero() {
			now = time.Now()
		}
		conds = append(conds, "deadline > 0")
		add("deadline <= ?", us(now))
	}
	if t := strings.TrimSpace(q.Search); t != "" {
		// The narrow table has no text; the documents do. Chinese text is
		// stored unescaped by encoding/json, so a substring of a title
		// matches its document.
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(t))
		add(`id IN (SELECT id FROM case_docs WHERE LOWER(doc) LIKE ? ESCAPE '\')`, "%"+esc+"%")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Cases implements CasesStore.
func (s *sqlBase) Cases(ctx context.Context, q CaseQuery) ([]cases.Case, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	offset := max(q.Offset, 0)
	where, wargs := caseWhere(q)
	and := " WHERE "
	if where != "" {
		and = where + " AND "
	}
	// The page's ids come from the narrow cases table (indexes on
	// deadline and created_at); only the page's documents are read.
	var page string
	var args []any
	if q.OverdueFirst {
		now := q.Now
		if now.IsZero() {
			now = time.Now()
		}
		n := now.UnixMicro()
		// Overdue first, earliest deadline first; then the rest, newest
		// first. Each arm stops at offset+limit rows.
		page = `SELECT id, g, k1, k2 FROM (
			SELECT * FROM (SELECT id, 0 AS g, deadline AS k1, -created_at AS k2 FROM cases` + and + `deadline > 0 AND deadline <= ?
				ORDER BY deadline, created_at DESC, id DESC LIMIT ?) a
			UNION ALL
			SELECT * FROM (SELECT id, 1 AS g, 0 AS k1, -created_at AS k2 FROM cases` + and + `NOT (deadline > 0 AND deadline <= ?)
				ORDER BY created_at DESC, id DESC LIMIT ?) b
		) u ORDER BY g, k1, k2, id DESC LIMIT ? OFFSET ?`
		args = append(args, wargs...)
		args = append(args, n, offset+limit)
		args = append(args, wargs...)
		args = append(args, n, offset+limit, limit, offset)
	} else {
		page = `SELECT id, 0 AS g, 0 AS k1, -created_at AS k2 FROM cases` + where + ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
		args = append(append(args, wargs...), limit, offset)
	}
	qs := `SELECT d.doc FROM (` + page + `) p JOIN case_docs d ON d.id = p.id ORDER BY p.g, p.k1, p.k2, p.id DESC`
	rows, err := s.r.QueryContext(ctx, s.q(qs), args...)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	defer rows.Close()
	out := []cases.Case{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("cases: %w", err)
		}
		var c cases.Case
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return nil, fmt.Errorf("cases: decode: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CaseEvents implements CasesStore.
func (s *sqlBase) CaseEvents(ctx context.Context, id string) ([]cases.Event, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT doc FROM case_events WHERE case_id = ? ORDER BY seq`), id)
	if err != nil {
		return nil, fmt.Errorf("case events %s: %w", id, err)
	}
	defer rows.Close()
	out := []cases.Event{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("case events %s: %w", id, err)
		}
		var e cases.Event
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return nil, fmt.Errorf("case events %s: decode: %w", id, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CaseStats implements CasesStore. Without an enterprise or petition
// filter it reads the tallies (case_tallies, kept in the write
// transactions) and counts overdue cases on the deadline index; with one,
// it groups the selected cases (an enterprise's are few).
func (s *sqlBase) CaseStats(ctx context.Context, q CaseQuery) (cases.Summary, error) {
	sum := cases.Summary{BySource: map[cases.Source]int{}, ByLine: map[string]int{}, ByCounty: map[string]int{}, ByState: map[cases.State]int{}}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	where, wargs := caseWhere(q)
	and := " WHERE "
	if where != "" {
		and = where + " AND "
	}
	var qs string
	var args []any
	tallies := q.Enterprise == "" && q.Petition == ""
	if tallies {
		// overdue = dated - (deadline still ahead); the first row's
		// "overdue" column carries -ahead, the tallies carry +dated.
		var ahead int
		err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM cases`+and+`deadline > 0 AND deadline > ?`),
			append(append([]any{}, wargs...), now.UnixMicro())...).Scan(&ahead)
		if err != nil {
			return sum, fmt.Errorf("case stats: overdue: %w", err)
		}
		sum.Overdue = -ahead
		qs = `SELECT source, line, county, state, satisfaction, year_found, year_closed, is_petition, n, on_time, close_us, dated
			FROM case_tallies` + and + `n > 0`
		args = wargs
	} else {
		qs = `SELECT source, line, county, state, satisfaction, year_found, year_closed, is_petition,
			COUNT(*), SUM(on_time), SUM(CASE WHEN state = 'closed' THEN closed_at - created_at ELSE 0 END),
			SUM(CASE WHEN deadline > 0 AND deadline <= ? THEN 1 ELSE 0 END)
			FROM cases` + where + ` GROUP BY county, source, line, state, satisfaction, year_found, year_closed, is_petition`
		args = append([]any{now.UnixMicro()}, wargs...)
	}
	rows, err := s.r.QueryContext(ctx, s.q(qs), args...)
	if err != nil {
		return sum, fmt.Errorf("case stats: %w", err)
	}
	defer rows.Close()
	type ly struct {
		line string
		year int
	}
	lines := map[ly]*cases.LineYear{}
	get := func(line string, year int) *cases.LineYear {
		k := ly{line, year}
		if v := lines[k]; v != nil {
			return v
		}
		v := &cases.LineYear{Line: line, Year: year}
		lines[k] = v
		return v
	}
	var total int64
	good := 0
	for rows.Next() {
		var src, line, county, state, sat string
		var yf, yc, pet, n, onTime int
		var dur int64
		var overdue int
		if err := rows.Scan(&src, &line, &county, &state, &sat, &yf, &yc, &pet, &n, &onTime, &dur, &overdue); err != nil {
			return sum, fmt.Errorf("case stats: %w", err)
		}
		sum.Total += n
		sum.BySource[cases.Source(src)] += n
		sum.ByLine[line] += n
		sum.ByCounty[county] += n
		sum.ByState[cases.State(state)] += n
		sum.Overdue += overdue
		if pet == 1 {
			sum.Petitions += n
			switch cases.Satisfaction(sat) {
			case cases.Satisfied, cases.BasicallySatisfied:
				good += n
				sum.Rated += n
			case cases.Dissatisfied:
				sum.Rated += n
			}
		}
		if yf != 0 {
			get(line, yf).Found += n
		}
		if cases.State(state) == cases.StateClosed {
			sum.Closed += n
			sum.ClosedOnTime += onTime
			total += dur
			get(line, yc).Closed += n
		}
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("case stats: %w", err)
	}
	if sum.Closed > 0 {
		sum.OnTimeRate = float64(sum.ClosedOnTime) / float64(sum.Closed)
		sum.MeanTimeToClose = time.Duration(total/int64(sum.Closed)) * time.Microsecond
	}
	if sum.Rated > 0 {
		sum.SatisfactionRate = float64(good) / float64(sum.Rated)
	}
	for _, v := range lines {
		sum.Lines = append(sum.Lines, *v)
	}
	sortLineYears(sum.Lines)
	return sum, nil
}

// tallyTx adds n cases (1 or -1) under the statistics key of a case row
// (args as caseArgs returns them).
func (s *sqlBase) tallyTx(ctx context.Context, tx *sql.Tx, a []any, n int) error {
	var closeUS int64
	if a[7] == string(cases.StateClosed) {
		closeUS = a[10].(int64) - a[9].(int64)
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_tallies (county, source, line, state, satisfaction, year_found, year_closed,
		is_petition, n, on_time, close_us, dated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (county, source, line, state, satisfaction, year_found, year_closed, is_petition) DO UPDATE SET
		n = case_tallies.n + excluded.n, on_time = case_tallies.on_time + excluded.on_time,
		close_us = case_tallies.close_us + excluded.close_us, dated = case_tallies.dated + excluded.dated`),
		a[3], a[1], a[2], a[7], a[13], a[14], a[15], a[6], n, n*a[12].(int), int64(n)*closeUS, n*b2i(a[11].(int64) > 0))
	if err != nil {
		return fmt.Errorf("tally: %w", err)
	}
	return nil
}

func sortLineYears(ls []cases.LineYear) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0; j-- {
			a, b := ls[j-1], ls[j]
			if a.Year < b.Year || a.Year == b.Year && a.Line <= b.Line {
				break
			}
			ls[j-1], ls[j] = b, a
		}
	}
}
