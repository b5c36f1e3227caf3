package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"

	_ "modernc.org/sqlite" // the driver chosen by bench/sqlitedrivers
)

// sqliteStore is the embedded store: one database file in WAL mode, one
// writer connection (SQLite has one writer at a time anyway, and a single
// connection lets prepared statements be reused across transactions) and
// a separate pool of readers, which WAL lets run during writes.
type sqliteStore struct {
	sqlBase
	log *slog.Logger

	mu    sync.Mutex // serialises CommitBatch; guards sc and stmts
	sc    batchScratch
	stmts map[string]*sql.Stmt

	// ckpt runs WAL checkpoints in the background on its own connection,
	// off the commit path (see checkpointer).
	ckpt     *sql.DB
	ckptStop chan struct{}
	ckptDone chan struct{}
}

// maxChunk is the most rows one INSERT carries. Multi-row inserts cut the
// per-statement overhead of database/sql and the driver: ~1.3x on the
// write path in bench/sqlitedrivers. 64 rows x 9 columns stays far below
// SQLite's limit on bound parameters.
const maxChunk = 64

func sqliteDSN(path string, sync string, readOnly bool) string {
	return sqliteDSNWith(path, sync, readOnly, "")
}

func sqliteDSNWith(path string, sync string, readOnly bool, extra string) string {
	u := url.URL{Path: path}
	// busy_timeout first, so that the pragmas after it wait for a lock
	// instead of failing (modernc also moves it first).
	q := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")" +
		"&_pragma=foreign_keys(1)&_txlock=immediate" +
		// Statement journals of multi-row upserts go to memory, not to a
		// temporary file: a profile of the ingest path showed a third of
		// the commit time in _subjournalPage writes.
		"&_pragma=temp_store(MEMORY)" +
		// A 64 MiB page cache keeps the index pages that every batch
		// touches (one leaf per device in the (mn, ...) indexes) in memory
		// instead of reading them back for each commit.
		"&_pragma=cache_size(-65536)" +
		// The WAL shrinks back to walLimit when SQLite starts it over.
		"&_pragma=journal_size_limit(" + strconv.Itoa(walLimit) + ")"
	if readOnly {
		q += "&_pragma=query_only(1)"
	}
	return "file:" + u.EscapedPath() + q + extra
}

func openSQLite(ctx context.Context, path string, opts Options) (Store, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite: need a file path (an in-memory database cannot be shared by the read pool)")
	}
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("open sqlite: synchronous %q: want full or normal", opts.Synchronous)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The writer never checkpoints on commit (wal_autocheckpoint=0): a
	// checkpoint copies WAL pages into the database file and took half of
	// the commit time in a profile of the ingest path, delaying every
	// acknowledgement. The checkpointer goroutine does it instead.
	w, err := sql.Open("sqlite", sqliteDSNWith(abs, sync, false, "&_pragma=wal_autocheckpoint(0)"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &sqliteStore{sqlBase: sqlBase{w: w}, log: opts.logger(), stmts: map[string]*sql.Stmt{}}
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	if mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: journal_mode is %q, want wal", abs, mode)
	}
	version, err := migrate(ctx, w, sqliteMigrate)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	if err := s.prepareAll(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(abs, sync, true))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s read pool: %w", abs, err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	ck, err := sql.Open("sqlite", sqliteDSN(abs, sync, false))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s checkpointer: %w", abs, err)
	}
	ck.SetMaxOpenConns(1)
	s.ckpt, s.ckptStop, s.ckptDone = ck, make(chan struct{}), make(chan struct{})
	go s.checkpointer()
	s.log.Info("store opened", "driver", "sqlite", "path", abs, "schema_version", version, "synchronous", sync)
	return s, nil
}

// prepareAll prepares every statement of the write path on the writer
// connection, once. It must run outside a transaction: the writer's one
// connection is taken while a transaction is open.
func (s *sqliteStore) prepareAll(ctx context.Context) error {
	queries := []string{sqlSelectVals, sqlUpdateVals}
	for n := maxChunk; n > 0; n >>= 1 {
		queries = append(queries, cachedSQL("u", n, sqlInsertUploads), cachedSQL("r", n, sqlInsertRaw),
			cachedSQL("c", n, sqlUpsertContacts))
	}
	for _, q := range queries {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %.40q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// stmt returns the prepared statement for query bound to tx (cheap: the
// writer has one connection, where the statement is already prepared).
func (s *sqliteStore) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, ok := s.stmts[query]
	if !ok {
		return nil, fmt.Errorf("statement not prepared: %.40q", query)
	}
	return tx.StmtContext(ctx, st), nil
}

const (
	sqlSelectVals = `SELECT vals FROM uploads WHERE mn = ? AND cn = ? AND data_time = ?`
	sqlUpdateVals = `UPDATE uploads SET vals = ? WHERE mn = ? AND cn = ? AND data_time = ?`
)

// multiRow builds `head (tuple),(tuple),... tail` for n rows.
func multiRow(head, tuple string, n int, tail string) string {
	var b strings.Builder
	b.Grow(len(head) + n*(len(tuple)+1) + len(tail))
	b.WriteString(head)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	b.WriteString(tail)
	return b.String()
}

// chunkLen is the size of the next chunk of n remaining rows: a power of
// two, so that at most log2(maxChunk)+1 statement shapes get prepared.
func chunkLen(n int) int {
	c := maxChunk
	for c > n {
		c >>= 1
	}
	return c
}

var (
	sqlInsertUploads = func(n int) string {
		return multiRow(`INSERT INTO uploads (mn, cn, data_time, vals) VALUES `, `(?,?,?,?)`, n, ` ON CONFLICT DO NOTHING`)
	}
	sqlInsertRaw = func(n int) string {
		// A frame whose BusSeq is stored already (a redelivered bus
		// message) is skipped: bus_seq is unique where not null.
		return multiRow(`INSERT INTO raw_frames (received_at, remote, mn, cn, qn, status, reason, deviations, raw, bus_seq) VALUES `,
			`(?,?,?,?,?,?,?,?,?,?)`, n, ` ON CONFLICT DO NOTHING`)
	}
	sqlUpsertContacts = func(n int) string {
		return multiRow(`INSERT INTO contacts (mn, at, remote, cn) VALUES `, `(?,?,?,?)`, n,
			` ON CONFLICT (mn) DO UPDATE SET at = excluded.at, remote = excluded.remote, cn = excluded.cn
			  WHERE excluded.at >= contacts.at`)
	}
	sqlStmtCache sync.Map // n -> query text, per builder
)

func cachedSQL(kind string, n int, build func(int) string) string {
	key := kind + strconv.Itoa(n)
	if q, ok := sqlStmtCache.Load(key); ok {
		return q.(string)
	}
	q := build(n)
	sqlStmtCache.Store(key, q)
	return q
}

// CommitBatch implements Store: one IMMEDIATE transaction; the commit is
// fsynced per Options.Synchronous before it returns.
func (s *sqliteStore) CommitBatch(ctx context.Context, b *Batch) (err error) {
	if b == nil || len(b.Uploads)+len(b.Raw)+len(b.Contacts) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.sc.release()
	ups, contacts := s.sc.prepare(b)

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("commit batch: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := s.insertUploads(ctx, tx, ups); err != nil {
		return fmt.Errorf("commit batch: uploads: %w", err)
	}
	if err := s.enqueueForward(ctx, tx, ups); err != nil {
		return fmt.Errorf("commit batch: forward queue: %w", err)
	}
	if err := s.markHours(ctx, tx, ups); err != nil {
		return fmt.Errorf("commit batch: roll-up marks: %w", err)
	}
	if err := s.insertRaw(ctx, tx, b.Raw); err != nil {
		return fmt.Errorf("commit batch: raw frames: %w", err)
	}
	if err := s.upsertContacts(ctx, tx, contacts); err != nil {
		return fmt.Errorf("commit batch: contacts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit batch: commit: %w", err)
	}
	return nil
}

// insertUploads inserts new uploads chunk by chunk. When a chunk inserts
// fewer rows than it carries, some keys were stored already: each of its
// uploads is then merged with the stored row (mergeExisting), which
// writes only if a (factor, field) was missing. Uploads this chunk just
// inserted merge to "nothing added" and are left alone.
func (s *sqliteStore) insertUploads(ctx context.Context, tx *sql.Tx, ups []model.Upload) error {
	sc := &s.sc
	for len(ups) > 0 {
		n := chunkLen(len(ups))
		chunk := ups[:n]
		ups = ups[n:]
		// All JSON of the chunk goes into one string: one allocation.
		sc.buf = sc.buf[:0]
		var ends [maxChunk]int
		for i := range chunk {
			sc.buf = appendValuesJSON(sc.buf, chunk[i].Values)
			ends[i] = len(sc.buf)
		}
		all := string(sc.buf)
		sc.args = sc.args[:0]
		start := 0
		for i := range chunk {
			u := &chunk[i]
			sc.args = append(sc.args, cleanText(u.MN), cleanText(u.CN), u.DataTime.UnixMicro(), all[start:ends[i]])
			start = ends[i]
		}
		st, err := s.stmt(ctx, tx, cachedSQL("u", n, sqlInsertUploads))
		if err != nil {
			return err
		}
		res, err := st.ExecContext(ctx, sc.args...)
		if err != nil {
			return err
		}
		inserted, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(inserted) == n {
			continue
		}
		start = 0
		for i := range chunk {
			if err := s.mergeExisting(ctx, tx, &chunk[i], all[start:ends[i]]); err != nil {
				return err
			}
			start = ends[i]
		}
	}
	return nil
}

// mergeExisting adds to the stored upload the values of u it lacks; js is
// u's values as JSON.
func (s *sqliteStore) mergeExisting(ctx context.Context, tx *sql.Tx, u *model.Upload, js string) error {
	mn, cn, t := cleanText(u.MN), cleanText(u.CN), u.DataTime.UnixMicro()
	sel, err := s.stmt(ctx, tx, sqlSelectVals)
	if err != nil {
		return err
	}
	var raw []byte
	if err := sel.QueryRowContext(ctx, mn, cn, t).Scan(&raw); err != nil {
		return fmt.Errorf("read stored upload %s/%s: %w", u.MN, u.CN, err)
	}
	if string(raw) == js {
		// The usual retransmission (or the row this chunk just inserted):
		// byte for byte what is stored, nothing to parse or add.
		return nil
	}
	stored, err := parseValuesJSON(nil, raw)
	if err != nil {
		return err
	}
	merged, added := mergeValues(stored, u.Values)
	if !added {
		return nil // a retransmission: no write
	}
	upd, err := s.stmt(ctx, tx, sqlUpdateVals)
	if err != nil {
		return err
	}
	_, err = upd.ExecContext(ctx, string(appendValuesJSON(nil, merged)), mn, cn, t)
	return err
}

// markHours marks the hours of the batch's minute data for RollUp. Every
// minute upload marks its hour, changed or not: telling a retransmission
// from new data would cost a read per upload, and a needless recompute
// of an hour is cheap.
func (s *sqliteStore) markHours(ctx context.Context, tx *sql.Tx, ups []model.Upload) error {
	sc := &s.sc
	sc.args = sc.args[:0]
	var last devPeriod
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, cachedSQL("d", n, sqlMarkHours), sc.args...)
		sc.args, n = sc.args[:0], 0
		return err
	}
	for i := range ups {
		u := &ups[i]
		if u.CN != cnMinute {
			continue
		}
		// China Standard Time hours are UTC hours (a whole-hour offset).
		k := devPeriod{cleanText(u.MN), u.DataTime.UTC().Truncate(time.Hour)}
		if k == last {
			continue // the usual batch holds a device's minutes in a row
		}
		last = k
		sc.args = append(sc.args, k.mn, k.start.UnixMicro())
		if n++; n == maxChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

var sqlMarkHours = func(n int) string {
	return multiRow(`INSERT OR IGNORE INTO rollup_dirty (mn, hour) VALUES `, `(?,?)`, n, ``)
}

func (s *sqliteStore) insertRaw(ctx context.Context, tx *sql.Tx, raws []model.RawFrame) error {
	sc := &s.sc
	for len(raws) > 0 {
		n := chunkLen(len(raws))
		chunk := raws[:n]
		raws = raws[n:]
		sc.args = sc.args[:0]
		for i := range chunk {
			f := &chunk[i]
			dev := "[]"
			if len(f.Deviations) > 0 {
				dev = string(appendJSONStrings(sc.buf[:0], f.Deviations))
			}
			raw := f.Raw
			if raw == nil {
				raw = []byte{} // NOT NULL: an empty frame is still a frame
			}
			var seq any
			if f.BusSeq != 0 {
				seq = f.BusSeq
			}
			sc.args = append(sc.args, f.ReceivedAt.UnixMicro(), cleanText(f.Remote), cleanText(f.MN),
				cleanText(f.CN), cleanText(f.QN), f.Status, cleanText(f.Reason), dev, raw, seq)
		}
		st, err := s.stmt(ctx, tx, cachedSQL("r", n, sqlInsertRaw))
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, sc.args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqliteStore) upsertContacts(ctx context.Context, tx *sql.Tx, cs []model.Contact) error {
	sc := &s.sc
	for len(cs) > 0 {
		n := chunkLen(len(cs))
		chunk := cs[:n]
		cs = cs[n:]
		sc.args = sc.args[:0]
		for i := range chunk {
			c := &chunk[i]
			sc.args = append(sc.args, cleanText(c.MN), c.At.UnixMicro(), cleanText(c.Remote), cleanText(c.CN))
		}
		st, err := s.stmt(ctx, tx, cachedSQL("c", n, sqlUpsertContacts))
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, sc.args...); err != nil {
			return err
		}
	}
	return nil
}

// walLimit bounds the WAL file. Passive checkpoints alone let it grow
// without end while commits keep coming (SQLite starts the WAL over only
// when a checkpoint has caught up with its end and no reader still uses
// it, which a steady stream of commits never allows): the demo's start-up
// burst left a 2.1 GB WAL beside a 0.56 GB database. Past walLimit the
// checkpointer runs a RESTART checkpoint, which waits for the readers
// and holds the writers for as long as it takes to copy what the passive
// ones left, so that the next commit starts the WAL over;
// journal_size_limit then truncates the file to walLimit.
const walLimit = 64 << 20

// checkpointer copies committed WAL frames into the database file every
// 200 ms with a PASSIVE checkpoint, which never blocks the writer. When
// the WAL has grown past walLimit, or the store has been idle for a
// second, it starts the WAL over (see walLimit).
func (s *sqliteStore) checkpointer() {
	defer close(s.ckptDone)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	conn, err := s.ckpt.Conn(context.Background())
	if err != nil {
		s.log.Warn("sqlite checkpointer: no connection", "err", err)
		return
	}
	defer conn.Close()
	ctx := context.Background()
	var pageSize int64 = 4096
	if err := conn.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		s.log.Warn("sqlite page size", "err", err)
	}
	idle, truncated, prevLog := 0, false, int64(-1)
	for {
		select {
		case <-s.ckptStop:
			return
		case <-t.C:
			var busy, logFrames, done int64
			if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done); err != nil {
				s.log.Warn("sqlite checkpoint failed", "err", err)
				continue
			}
			var mode string
			mode, idle = ckptMode(prevLog, logFrames, done, idle, truncated, pageSize)
			prevLog = logFrames
			if idle == 0 {
				truncated = false
			}
			if mode == "" {
				continue
			}
			// A RESTART or TRUNCATE checkpoint holds the writers while it
			// waits for the readers of the old WAL: bound that wait, and
			// try again at a later tick when a reader held on. Under
			// load a longer wait showed as 0.5–1.3 s commits.
			wait := ckptRestartWait
			if mode == "TRUNCATE" {
				wait = ckptIdleWait
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())); err != nil {
				s.log.Warn("sqlite checkpointer busy timeout", "err", err)
			}
			start := time.Now()
			if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &done); err != nil {
				s.log.Warn("sqlite checkpoint failed", "mode", mode, "err", err)
				continue
			}
			truncated = busy == 0 && mode == "TRUNCATE"
			if busy == 0 {
				prevLog = logFrames
			}
			s.log.Debug("sqlite wal checkpoint", "mode", mode, "busy", busy, "took", time.Since(start))
		}
	}
}

// How long a RESTART (past walLimit, while commits go on) and a TRUNCATE
// (idle) checkpoint may hold the writers waiting for readers.
const (
	ckptRestartWait = 50 * time.Millisecond
	ckptIdleWait    = 500 * time.Millisecond
)

// ckptMode decides, after a tick's PASSIVE checkpoint found logFrames in
// the WAL of which done are copied, which checkpoint to run next: ""
// (none), "RESTART" past walLimit, so that the next commit starts the WAL
// over (the writer keeps its page cache, which a TRUNCATE while commits
// go on makes it drop: measured, a quarter of the raw insert rate), or
// "TRUNCATE" once the WAL has not grown for idleTicks ticks and is all
// copied, so an idle store leaves an empty file. Idle means no growth:
// a passive checkpoint that keeps up with a steady stream of commits
// copies everything every tick, and counting that as idle truncated the
// WAL once a second under full load. prevLog is the previous tick's
// logFrames (-1 at start); it returns the mode and the new idle count.
func ckptMode(prevLog, logFrames, done int64, idle int, truncated bool, pageSize int64) (string, int) {
	if logFrames == done && logFrames == prevLog {
		idle++
	} else {
		idle = 0
	}
	switch {
	case logFrames*pageSize > walLimit:
		return "RESTART", idle
	case idle >= idleTicks && !truncated && logFrames > 0:
		return "TRUNCATE", idle
	}
	return "", idle
}

// idleTicks: a second (five 200 ms ticks) without commits makes the
// store idle.
const idleTicks = 5

// Close implements Store.
func (s *sqliteStore) Close() error {
	if s.ckpt != nil {
		close(s.ckptStop)
		<-s.ckptDone
		// Leave a small WAL behind: checkpoint everything and truncate.
		s.ckpt.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		s.ckpt.Close()
		s.ckpt = nil
	}
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	clear(s.stmts)
	s.mu.Unlock()
	return s.sqlBase.Close()
}
