package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// ForwardRoute says that a device's uploads of some CNs go to a target
// (an upper platform) of the forwarding service.
type ForwardRoute struct {
	MN     string
	Target string
	CNs    []string
}

// ForwardItem is one entry of a target's outbound queue with the upload
// it names, as stored now. Missing is set when the upload is gone (purged
// by retention): it cannot be sent.
type ForwardItem struct {
	ID         int64
	Gen        int64
	Upload     model.Upload
	EnqueuedAt time.Time
	Missing    bool
}

// ForwardDone names a queue entry the target acknowledged: it is removed
// unless the upload changed (a higher generation) since it was read.
type ForwardDone struct {
	ID, Gen int64
}

// ForwardQueueStat is a target's queue: how many entries wait, and when
// the oldest was enqueued (zero when none waits).
type ForwardQueueStat struct {
	Target string
	Depth  int64
	Oldest time.Time
}

// ForwardState is a target's sending state as its forwarder saved it.
// Zero times mean never.
type ForwardState struct {
	Target      string
	Address     string
	Connected   bool
	Sent        int64
	Acked       int64
	Resent      int64
	Errors      int64
	Evicted     int64
	LastAckAt   time.Time
	LastError   string
	LastErrorAt time.Time
	UpdatedAt   time.Time
}

// ForwardStore is the durable outbound queue of forwarding to upper
// platforms. CommitBatch enqueues, in its own transaction, every upload
// whose device and CN a route names, once per target; the forwarding
// service reads the queue in order and removes what was acknowledged.
type ForwardStore interface {
	// SetForwardRoutes replaces all routes in one transaction. Queue
	// entries already enqueued are kept.
	SetForwardRoutes(ctx context.Context, routes []ForwardRoute) error
	// ForwardPending returns up to limit of target's oldest queue entries
	// with id > after, in queue order.
	ForwardPending(ctx context.Context, target string, after int64, limit int) ([]ForwardItem, error)
	// ForwardAcked removes the entries acknowledged (those whose
	// generation still matches) and returns how many it removed.
	ForwardAcked(ctx context.Context, target string, done []ForwardDone) (int64, error)
	// ForwardTrim removes target's oldest entries beyond max and returns
	// how many it removed.
	ForwardTrim(ctx context.Context, target string, max int64) (int64, error)
	// ForwardQueueStats returns every target's queue, by target.
	ForwardQueueStats(ctx context.Context) ([]ForwardQueueStat, error)
	// SaveForwardState writes a target's sending state.
	SaveForwardState(ctx context.Context, st ForwardState) error
	// ForwardStates returns every target's saved state, by target.
	ForwardStates(ctx context.Context) ([]ForwardState, error)
}

// cnList encodes CNs as ",2011,2051," for a substring test in SQL.
func cnList(cns []string) string {
	return "," + strings.Join(cns, ",") + ","
}

// SetForwardRoutes implements ForwardStore.
func (s *sqlBase) SetForwardRoutes(ctx context.Context, routes []ForwardRoute) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("forward routes: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if s.postgres {
		// Two forwarders replacing the routes at once (a leader handing
		// over) would each delete what they see and insert the same keys:
		// one after the other instead.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, sessionLockKey("forward_routes")); err != nil {
			return fmt.Errorf("forward routes: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM forward_routes`); err != nil {
		return fmt.Errorf("forward routes: %w", err)
	}
	q := s.q(`INSERT INTO forward_routes (mn, target, cns) VALUES (?, ?, ?)`)
	for _, r := range routes {
		if len(r.CNs) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, q, cleanText(r.MN), cleanText(r.Target), cnList(r.CNs)); err != nil {
			return fmt.Errorf("forward routes: %s → %s: %w", r.MN, r.Target, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("forward routes: commit: %w", err)
	}
	return nil
}

// ForwardPending implements ForwardStore.
func (s *sqlBase) ForwardPending(ctx context.Context, target string, after int64, limit int) ([]ForwardItem, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT q.id, q.gen, q.mn, q.cn, q.data_time, q.enqueued_at, u.vals
		FROM forward_queue q LEFT JOIN uploads u ON u.mn = q.mn AND u.cn = q.cn AND u.data_time = q.data_time
		WHERE q.target = ? AND q.id > ? ORDER BY q.id LIMIT ?`
	var out []ForwardItem
	err := s.query(ctx, q, []any{target, after, limit}, func(rows *sql.Rows) error {
		var it ForwardItem
		var dt, enq dbTime
		var vals []byte
		if err := rows.Scan(&it.ID, &it.Gen, &it.Upload.MN, &it.Upload.CN, &dt, &enq, &vals); err != nil {
			return err
		}
		it.Upload.DataTime, it.EnqueuedAt = time.Time(dt), time.Time(enq)
		if vals == nil {
			it.Missing = true
		} else {
			var err error
			if it.Upload.Values, err = parseValuesJSON(nil, vals); err != nil {
				return fmt.Errorf("upload %s/%s/%s: %w", it.Upload.MN, it.Upload.CN, it.Upload.DataTime.Format(time.RFC3339), err)
			}
		}
		out = append(out, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("forward queue of %s: %w", target, err)
	}
	return out, nil
}

// ForwardAcked implements ForwardStore.
func (s *sqlBase) ForwardAcked(ctx context.Context, target string, done []ForwardDone) (n int64, err error) {
	if len(done) == 0 {
		return 0, nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("forward acknowledged: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	const chunk = 200
	for len(done) > 0 {
		k := min(chunk, len(done))
		var b strings.Builder
		args := make([]any, 0, 1+2*k)
		args = append(args, target)
		b.WriteString(`DELETE FROM forward_queue WHERE target = ? AND (`)
		for i, d := range done[:k] {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString("(id = ? AND gen = ?)")
			args = append(args, d.ID, d.Gen)
		}
		b.WriteString(")")
		res, err := tx.ExecContext(ctx, s.q(b.String()), args...)
		if err != nil {
			return 0, fmt.Errorf("forward acknowledged: %w", err)
		}
		m, _ := res.RowsAffected()
		n += m
		done = done[k:]
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("forward acknowledged: commit: %w", err)
	}
	return n, nil
}

// ForwardTrim implements ForwardStore.
func (s *sqlBase) ForwardTrim(ctx context.Context, target string, max int64) (int64, error) {
	if max <= 0 {
		return 0, nil
	}
	var cut sql.NullInt64
	err := s.w.QueryRowContext(ctx, s.q(`SELECT id FROM forward_queue WHERE target = ? ORDER BY id DESC LIMIT 1 OFFSET ?`),
		target, max).Scan(&cut)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("forward trim %s: %w", target, err)
	}
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM forward_queue WHERE target = ? AND id <= ?`), target, cut.Int64)
	if err != nil {
		return 0, fmt.Errorf("forward trim %s: %w", target, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ForwardQueueStats implements ForwardStore.
func (s *sqlBase) ForwardQueueStats(ctx context.Context) ([]ForwardQueueStat, error) {
	var out []ForwardQueueStat
	err := s.query(ctx, `SELECT target, COUNT(*), MIN(enqueued_at) FROM forward_queue GROUP BY target ORDER BY target`, nil,
		func(rows *sql.Rows) error {
			var st ForwardQueueStat
			var t dbTime
			if err := rows.Scan(&st.Target, &st.Depth, &t); err != nil {
				return err
			}
			st.Oldest = time.Time(t)
			out = append(out, st)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("forward queue stats: %w", err)
	}
	return out, nil
}

// never is how a zero time is stored in forward_state: the epoch.
func never(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t
}

func fromNever(t dbTime) time.Time {
	if time.Time(t).Unix() == 0 {
		return time.Time{}
	}
	return time.Time(t)
}

// SaveForwardState implements ForwardStore.
func (s *sqlBase) SaveForwardState(ctx context.Context, st ForwardState) error {
	conn := 0
	if st.Connected {
		conn = 1
	}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO forward_state (target, address, connected, sent, acked, resent, errors, evicted,
			last_ack_at, last_error, last_error_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET address = excluded.address, connected = excluded.connected, sent = excluded.sent,
			acked = excluded.acked, resent = excluded.resent, errors = excluded.errors, evicted = excluded.evicted,
			last_ack_at = excluded.last_ack_at, last_error = excluded.last_error, last_error_at = excluded.last_error_at,
			updated_at = excluded.updated_at`),
		cleanText(st.Target), cleanText(st.Address), conn, st.Sent, st.Acked, st.Resent, st.Errors, st.Evicted,
		s.t(never(st.LastAckAt)), cleanText(st.LastError), s.t(never(st.LastErrorAt)), s.t(never(st.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("forward state of %s: %w", st.Target, err)
	}
	return nil
}

// ForwardStates implements ForwardStore.
func (s *sqlBase) ForwardStates(ctx context.Context) ([]ForwardState, error) {
	var out []ForwardState
	err := s.query(ctx, `SELECT target, address, connected, sent, acked, resent, errors, evicted, last_ack_at, last_error,
			last_error_at, updated_at FROM forward_state ORDER BY target`, nil, func(rows *sql.Rows) error {
		var st ForwardState
		var conn int64
		var ack, errAt, upd dbTime
		if err := rows.Scan(&st.Target, &st.Address, &conn, &st.Sent, &st.Acked, &st.Resent, &st.Errors, &st.Evicted,
			&ack, &st.LastError, &errAt, &upd); err != nil {
			return err
		}
		st.Connected = conn != 0
		st.LastAckAt, st.LastErrorAt, st.UpdatedAt = fromNever(ack), fromNever(errAt), fromNever(upd)
		out = append(out, st)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("forward states: %w", err)
	}
	return out, nil
}

// sqlEnqueueForward enqueues an upload for every target that routes its
// device and CN (SQLite; one statement per upload, prepared). A key
// already waiting gets a new generation.
const sqlEnqueueForward = `INSERT INTO forward_queue (target, mn, cn, data_time, enqueued_at)
	SELECT target, ?1, ?2, ?3, ?4 FROM forward_routes WHERE mn = ?1 AND instr(cns, ',' || ?2 || ',') > 0
	ON CONFLICT (target, mn, cn, data_time) DO UPDATE SET gen = gen + 1`

// pgEnqueueForward is the same for a whole batch (arrays of MN, CN and
// DataTime, as uploadArgs fills them).
const pgEnqueueForward = `INSERT INTO forward_queue (target, mn, cn, data_time, enqueued_at)
	SELECT r.target, u.mn, u.cn, u.data_time, now()
	FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u (mn, cn, data_time)
	JOIN forward_routes r ON r.mn = u.mn AND strpos(r.cns, ',' || u.cn || ',') > 0
	ORDER BY r.target, u.mn, u.cn, u.data_time
	ON CONFLICT (target, mn, cn, data_time) DO UPDATE SET gen = forward_queue.gen + 1`

// enqueueForward enqueues ups in tx when any route exists (SQLite).
func (s *sqliteStore) enqueueForward(ctx context.Context, tx *sql.Tx, ups []model.Upload) error {
	var any int
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM forward_routes)`).Scan(&any); err != nil {
		return err
	}
	if any == 0 {
		return nil
	}
	now := time.Now().UnixMicro()
	st, err := tx.PrepareContext(ctx, sqlEnqueueForward)
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range ups {
		u := &ups[i]
		if _, err := st.ExecContext(ctx, cleanText(u.MN), cleanText(u.CN), u.DataTime.UnixMicro(), now); err != nil {
			return err
		}
	}
	return nil
}
