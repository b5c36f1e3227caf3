package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// pgStore is the production store. Queries go through database/sql (the
// pgx stdlib adapter); CommitBatch uses the pgx connection underneath for
// array parameters and COPY.
type pgStore struct {
	sqlBase
	log  *slog.Logger
	pool sync.Pool // *pgScratch

	// connCfg opens the dedicated sessions of TrySessionLock, outside
	// the pool (a pooled connection would keep a session lock after its
	// holder let it go back).
	connCfg *pgx.ConnConfig

	pmu   sync.Mutex
	parts map[int]bool // months (year*12+month-1) whose partition exists

	// uploadsByCopy: uploads go by COPY into a staging table and one
	// INSERT ... SELECT, instead of one upsert of array parameters
	// (BenchmarkCommitBatch/postgres compares them).
	uploadsByCopy bool
	benchBusSeq   bool // benchmarks only: the batches carry bus sequences

	// stagedOn holds the connections whose staging tables exist, to save
	// the round trip that creates them. Connections come and go with the
	// pool, so it is cleared when it grows: the tables are then only
	// created again IF NOT EXISTS.
	smu      sync.Mutex
	stagedOn map[*pgx.Conn]bool
}

func (s *pgStore) staged(c *pgx.Conn) bool {
	s.smu.Lock()
	defer s.smu.Unlock()
	return s.stagedOn[c]
}

func (s *pgStore) forgetStaged(c *pgx.Conn) {
	s.smu.Lock()
	defer s.smu.Unlock()
	delete(s.stagedOn, c)
}

func (s *pgStore) setStaged(c *pgx.Conn) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.stagedOn == nil || len(s.stagedOn) >= 256 {
		s.stagedOn = map[*pgx.Conn]bool{}
	}
	s.stagedOn[c] = true
}

type pgScratch struct {
	batchScratch
	mns, cns, vals, remotes []string
	times                   []time.Time
	order                   []int
}

// cst is China Standard Time: uploads are partitioned by the months the
// bureau reports in, not UTC months.
var cst = chinatime.Zone

func openPostgres(ctx context.Context, dsn string, opts Options) (Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redactDSN(dsn), err)
	}
	db := stdlib.OpenDB(*cfg)
	n := opts.MaxConns
	if n <= 0 {
		n = 8
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %s: %w", redactDSN(dsn), err)
	}
	version, err := migrate(ctx, db, postgresMigrate)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %s: %w", redactDSN(dsn), err)
	}
	s := &pgStore{sqlBase: sqlBase{r: db, w: db, postgres: true}, log: opts.logger(), parts: map[int]bool{}, uploadsByCopy: true, connCfg: cfg}
	s.pool.New = func() any { return new(pgScratch) }
	s.log.Info("store opened", "driver", "postgres", "dsn", redactDSN(dsn), "schema_version", version)
	return s, nil
}

// partitionable bounds the months that get their own partition, so that a
// device with a wild clock cannot make the store create thousands of
// tables: anything else lands in uploads_default.
func partitionable(t time.Time, now time.Time) bool {
	return t.Year() >= 2000 && t.Before(now.AddDate(1, 0, 0))
}

// ensurePartitions creates the monthly partitions the uploads need.
func (s *pgStore) ensurePartitions(ctx context.Context, ups []model.Upload) error {
	now := time.Now()
	for i := range ups {
		t := ups[i].DataTime.In(cst)
		if !partitionable(t, now) {
			continue
		}
		key := t.Year()*12 + int(t.Month()) - 1
		s.pmu.Lock()
		known := s.parts[key]
		s.pmu.Unlock()
		if known {
			continue
		}
		if err := s.createPartition(ctx, t.Year(), t.Month()); err != nil {
			return err
		}
		s.pmu.Lock()
		s.parts[key] = true
		s.pmu.Unlock()
	}
	return nil
}

// createPartition creates uploads_yYYYYmMM in its own transaction. Rows of
// that month already in the default partition (stored while the partition
// did not exist) are moved into it first, since attaching a partition
// whose range the default partition holds rows of is refused.
func (s *pgStore) createPartition(ctx context.Context, year int, month time.Month) (err error) {
	name := fmt.Sprintf("uploads_y%04dm%02d", year, int(month))
	from := time.Date(year, month, 1, 0, 0, 0, 0, cst)
	to := from.AddDate(0, 1, 0)
	const lit = "2006-01-02 15:04:05-07"
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create partition %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Serialise with other processes creating partitions.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(212212213)`); err != nil {
		return fmt.Errorf("create partition %s: lock: %w", name, err)
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
		return fmt.Errorf("create partition %s: %w", name, err)
	}
	if !exists {
		for _, q := range []string{
			`CREATE TABLE ` + name + ` (LIKE uploads INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
			`WITH moved AS (DELETE FROM uploads_default WHERE data_time >= '` + from.Format(lit) + `' AND data_time < '` + to.Format(lit) + `' RETURNING *)
			 INSERT INTO ` + name + ` SELECT * FROM moved`,
			`ALTER TABLE uploads ATTACH PARTITION ` + name + ` FOR VALUES FROM ('` + from.Format(lit) + `') TO ('` + to.Format(lit) + `')`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("create partition %s: %w", name, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create partition %s: commit: %w", name, err)
	}
	if !exists {
		s.log.Info("uploads partition created", "partition", name)
	}
	return nil
}

// Uploads merge in SQL: `excluded || stored` keeps the stored value of
// any key both have (the right operand wins), and the WHERE makes a
// retransmission that adds nothing cost no row write. The rows inserted
// or changed are returned, and their minute data's hours are marked for
// RollUp in the same statement.
const (
	pgUploadsConflict = ` ON CONFLICT (mn, cn, data_time) DO UPDATE SET vals = excluded.vals || u.vals
		WHERE (excluded.vals || u.vals) <> u.vals
		RETURNING u.mn, u.cn, u.data_time`
	// date_bin with a whole-hour origin: the China Standard Time hour,
	// whatever the session's time zone.
	pgMarkHours = `INSERT INTO rollup_dirty (mn, hour)
		SELECT DISTINCT mn, date_bin('1 hour', data_time, TIMESTAMPTZ '2000-01-01 00:00:00+00') FROM changed WHERE cn = '` + cnMinute + `'`
	pgUpsertUploads = `WITH changed AS (INSERT INTO uploads AS u (mn, cn, data_time, vals)
		SELECT m, c, t, v::jsonb FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS x(m, c, t, v)` +
		pgUploadsConflict + `) ` + pgMarkHours
	pgMergeStagedUploads = `WITH changed AS (INSERT INTO uploads AS u (mn, cn, data_time, vals)
		SELECT mn, cn, data_time, vals FROM ecowatch_uploads_stage ORDER BY mn, cn, data_time` +
		pgUploadsConflict + `) ` + pgMarkHours
	pgUpsertContacts = `INSERT INTO contacts AS k (mn, at, remote, cn)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])
		ON CONFLICT (mn) DO UPDATE SET at = excluded.at, remote = excluded.remote, cn = excluded.cn
		WHERE excluded.at >= k.at`
	// The staging tables live as long as the connection and are emptied
	// at each commit: no catalog churn per batch, as ON COMMIT DROP would
	// cause. One simple-protocol round trip creates them when missing.
	pgStageTables = `CREATE TEMP TABLE IF NOT EXISTS ecowatch_uploads_stage
			(mn text, cn text, data_time timestamptz, vals jsonb) ON COMMIT DELETE ROWS;
		CREATE TEMP TABLE IF NOT EXISTS ecowatch_raw_stage (ord integer, received_at timestamptz, remote text, mn text,
			cn text, qn text, status text, reason text, deviations jsonb, raw bytea, bus_seq bigint) ON COMMIT DELETE ROWS`
	// Raw frames that came over the bus are archived once per sequence:
	// a redelivered message stores nothing.
	pgMergeStagedRaw = `INSERT INTO raw_frames (received_at, remote, mn, cn, qn, status, reason, deviations, raw, bus_seq)
		SELECT received_at, remote, mn, cn, qn, status, reason, deviations, raw, bus_seq FROM ecowatch_raw_stage ORDER BY ord
		ON CONFLICT (bus_seq) WHERE bus_seq IS NOT NULL DO NOTHING`
)

var (
	rawColumns      = []string{"received_at", "remote", "mn", "cn", "qn", "status", "reason", "deviations", "raw"}
	rawStageColumns = []string{"ord", "received_at", "remote", "mn", "cn", "qn", "status", "reason", "deviations", "raw", "bus_seq"}
	uploadColumns   = []string{"mn", "cn", "data_time", "vals"}
)

// CommitBatch implements Store, in one transaction: uploads by COPY into
// a staging table merged into uploads (or one array-bound upsert, see
// pgStore.uploadsByCopy), raw frames by COPY (those with a BusSeq through
// a staging table, to skip the ones already stored), contacts as one
// array-bound upsert.
func (s *pgStore) CommitBatch(ctx context.Context, b *Batch) error {
	if b == nil || len(b.Uploads)+len(b.Raw)+len(b.Contacts) == 0 {
		return nil
	}
	sc := s.pool.Get().(*pgScratch)
	defer func() {
		sc.release()
		clear(sc.mns)
		clear(sc.cns)
		clear(sc.vals)
		clear(sc.remotes)
		s.pool.Put(sc)
	}()
	ups, contacts := sc.prepare(b)
	if err := s.ensurePartitions(ctx, ups); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	plain, bus := 0, 0
	for i := range b.Raw {
		if b.Raw[i].BusSeq != 0 {
			bus++
		} else {
			plain++
		}
	}
	byCopy := s.uploadsByCopy && len(ups) > 0
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	defer conn.Close()
	commit := func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		created := false
		if (byCopy || bus > 0) && !s.staged(pc) {
			if _, err := tx.Exec(ctx, pgStageTables); err != nil {
				return fmt.Errorf("staging tables: %w", err)
			}
			created = true
		}
		if len(ups) > 0 {
			s.uploadArgs(sc, ups)
			if byCopy {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ecowatch_uploads_stage"}, uploadColumns, &uploadIter{sc: sc, i: -1}); err != nil {
					return fmt.Errorf("uploads: copy: %w", err)
				}
				if _, err := tx.Exec(ctx, pgMergeStagedUploads); err != nil {
					return fmt.Errorf("uploads: merge: %w", err)
				}
			} else if _, err := tx.Exec(ctx, pgUpsertUploads, sc.mns, sc.cns, sc.times, sc.vals); err != nil {
				return fmt.Errorf("uploads: %w", err)
			}
			// Forwarding to upper platforms: the queue entries are
			// written in this transaction, so a committed upload is
			// never missing from a target's queue.
			if _, err := tx.Exec(ctx, pgEnqueueForward, sc.mns, sc.cns, sc.times); err != nil {
				return fmt.Errorf("forward queue: %w", err)
			}
		}
		if plain > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"raw_frames"}, rawColumns, &rawIter{frames: b.Raw, i: -1}); err != nil {
				return fmt.Errorf("raw frames: %w", err)
			}
		}
		if bus > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ecowatch_raw_stage"}, rawStageColumns, &rawIter{frames: b.Raw, i: -1, bus: true}); err != nil {
				return fmt.Errorf("raw frames: copy: %w", err)
			}
			if _, err := tx.Exec(ctx, pgMergeStagedRaw); err != nil {
				return fmt.Errorf("raw frames: merge: %w", err)
			}
		}
		if len(contacts) > 0 {
			s.contactArgs(sc, contacts)
			if _, err := tx.Exec(ctx, pgUpsertContacts, sc.mns, sc.times, sc.remotes, sc.cns); err != nil {
				return fmt.Errorf("contacts: %w", err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		if created {
			s.setStaged(pc) // only now: a rollback undoes the CREATE
		}
		return nil
	}
	err = conn.Raw(commit)
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "42P01" {
		// undefined_table: the session lost its staging tables (a pooler
		// in front, a DISCARD): create them again, once.
		_ = conn.Raw(func(dc any) error { s.forgetStaged(dc.(*stdlib.Conn).Conn()); return nil })
		err = conn.Raw(commit)
	}
	if err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

// uploadArgs fills the array parameters in key order: concurrent batches
// then lock rows in the same order and cannot deadlock.
func (s *pgStore) uploadArgs(sc *pgScratch, ups []model.Upload) {
	sc.order = sc.order[:0]
	for i := range ups {
		sc.order = append(sc.order, i)
	}
	slices.SortFunc(sc.order, func(a, b int) int {
		x, y := &ups[a], &ups[b]
		return cmp.Or(strings.Compare(x.MN, y.MN), strings.Compare(x.CN, y.CN), x.DataTime.Compare(y.DataTime))
	})
	sc.mns, sc.cns, sc.vals, sc.times = sc.mns[:0], sc.cns[:0], sc.vals[:0], sc.times[:0]
	for _, i := range sc.order {
		u := &ups[i]
		sc.mns = append(sc.mns, cleanText(u.MN))
		sc.cns = append(sc.cns, cleanText(u.CN))
		sc.times = append(sc.times, u.DataTime)
		sc.buf = appendValuesJSON(sc.buf[:0], u.Values)
		sc.vals = append(sc.vals, string(sc.buf))
	}
}

func (s *pgStore) contactArgs(sc *pgScratch, cs []model.Contact) {
	slices.SortFunc(cs, func(a, b model.Contact) int { return strings.Compare(a.MN, b.MN) })
	sc.mns, sc.cns, sc.remotes, sc.times = sc.mns[:0], sc.cns[:0], sc.remotes[:0], sc.times[:0]
	for i := range cs {
		sc.mns = append(sc.mns, cleanText(cs[i].MN))
		sc.times = append(sc.times, cs[i].At)
		sc.remotes = append(sc.remotes, cleanText(cs[i].Remote))
		sc.cns = append(sc.cns, cleanText(cs[i].CN))
	}
}

// rawIter feeds raw frames to COPY without building all rows first:
// with bus set, those with a BusSeq (and their position, for the staging
// table), else the others.
type rawIter struct {
	frames []model.RawFrame
	i      int
	bus    bool
	row    [11]any
	buf    []byte
}

func (it *rawIter) Next() bool {
	for it.i++; it.i < len(it.frames); it.i++ {
		if (it.frames[it.i].BusSeq != 0) == it.bus {
			return true
		}
	}
	return false
}
func (it *rawIter) Err() error { return nil }
func (it *rawIter) Values() ([]any, error) {
	f := &it.frames[it.i]
	dev := "[]"
	if len(f.Deviations) > 0 {
		it.buf = appendJSONStrings(it.buf[:0], f.Deviations)
		dev = string(it.buf)
	}
	raw := f.Raw
	if raw == nil {
		raw = []byte{}
	}
	if it.bus {
		it.row = [11]any{int32(it.i), f.ReceivedAt, cleanText(f.Remote), cleanText(f.MN), cleanText(f.CN), cleanText(f.QN),
			f.Status, cleanText(f.Reason), dev, raw, f.BusSeq}
		return it.row[:], nil
	}
	it.row = [11]any{f.ReceivedAt, cleanText(f.Remote), cleanText(f.MN), cleanText(f.CN), cleanText(f.QN),
		f.Status, cleanText(f.Reason), dev, raw}
	return it.row[:9], nil
}

// uploadIter feeds the uploads prepared by uploadArgs to COPY.
type uploadIter struct {
	sc  *pgScratch
	i   int
	row [4]any
}

func (it *uploadIter) Next() bool { it.i++; return it.i < len(it.sc.mns) }
func (it *uploadIter) Err() error { return nil }
func (it *uploadIter) Values() ([]any, error) {
	sc := it.sc
	it.row = [4]any{sc.mns[it.i], sc.cns[it.i], sc.times[it.i], sc.vals[it.i]}
	return it.row[:], nil
}

var (
	_ pgx.CopyFromSource = (*rawIter)(nil)
	_ pgx.CopyFromSource = (*uploadIter)(nil)
	_ Store              = (*pgStore)(nil)
	_ Store              = (*sqliteStore)(nil)
)
