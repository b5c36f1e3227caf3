package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Compaction keeps closed days small. Today's data stays in rows (the
// write path is unchanged); a day that has ended (China Standard Time) is
// moved, one device and day per transaction, into blocks (blockcodec.go):
//
//   - upload_blocks: one row per (MN, CN, day) holding every upload of it;
//   - raw_blocks: one row per (MN, day of receipt) holding the accepted raw
//     frames of it, every byte as received (quarantined, rejected and
//     duplicate frames stay rows: they have their own retention and are
//     looked at one by one).
//
// Each step writes the block and deletes the rows it holds in one
// transaction: a crash loses nothing and leaves nothing half written, and
// the next run goes on where the last stopped. Data that arrives for a
// compacted day (a back-fill) is written as rows as usual; readers merge
// block and rows (the block's values first: they were stored first), and
// the next compaction folds the rows into the block.

// CompactStats counts what one Compact call moved.
type CompactStats struct {
	UploadBlocks int   `json:"upload_blocks"` // blocks written
	Uploads      int64 `json:"uploads"`       // upload rows moved into blocks
	RawBlocks    int   `json:"raw_blocks"`
	RawFrames    int64 `json:"raw_frames"`
}

// Compactor is implemented by both stores.
type Compactor interface {
	// Compact moves uploads with DataTime before the China Standard Time
	// day that holds before, and accepted raw frames received before it,
	// into per-device, per-day blocks. before is normally now: only
	// closed days are compacted.
	Compact(ctx context.Context, before time.Time) (CompactStats, error)
}

// compactHook, in tests, is called at named points of a compaction step
// (after the block is written, before the rows are deleted; before the
// commit): a test kills the process there.
var compactHook func(point string)

func hook(point string) {
	if compactHook != nil {
		compactHook(point)
	}
}

// Compact implements Compactor.
func (s *sqlBase) Compact(ctx context.Context, before time.Time) (CompactStats, error) {
	var st CompactStats
	cut := cstDay(before)
	devs, err := s.distinctKeys(ctx, `uploads`, `mn, cn`)
	if err != nil {
		return st, fmt.Errorf("compact: list devices: %w", err)
	}
	for _, d := range devs {
		for {
			var t dbTime
			err := s.w.QueryRowContext(ctx, s.q(`SELECT min(data_time) FROM uploads WHERE mn = ? AND cn = ? AND data_time < ?`),
				d[0], d[1], s.t(cut)).Scan(nullTime{&t})
			if err != nil {
				return st, fmt.Errorf("compact uploads of %s/%s: %w", d[0], d[1], err)
			}
			if !(nullTime{&t}).valid() {
				break
			}
			day := cstDay(time.Time(t))
			n, err := s.compactUploadDay(ctx, d[0], d[1], day)
			if err != nil {
				return st, fmt.Errorf("compact uploads of %s/%s on %s: %w", d[0], d[1], day.In(cst).Format(time.DateOnly), err)
			}
			st.UploadBlocks++
			st.Uploads += n
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
	}
	mns, err := s.distinctKeys(ctx, `raw_frames`, `mn`)
	if err != nil {
		return st, fmt.Errorf("compact: list devices of raw frames: %w", err)
	}
	for _, m := range mns {
		mn := m[0]
		if mn == "" {
			continue
		}
		from := time.Time{}
		for {
			var t dbTime
			q := `SELECT min(received_at) FROM raw_frames` + s.byDevice() + ` WHERE mn = ? AND status = 'accepted' AND received_at < ?`
			args := []any{mn, s.t(cut)}
			if !from.IsZero() {
				q += ` AND received_at >= ?`
				args = append(args, s.t(from))
			}
			if err := s.w.QueryRowContext(ctx, s.q(q), args...).Scan(nullTime{&t}); err != nil {
				return st, fmt.Errorf("compact raw frames of %s: %w", mn, err)
			}
			if !(nullTime{&t}).valid() {
				break
			}
			day := cstDay(time.Time(t))
			n, err := s.compactRawDay(ctx, mn, day)
			if err != nil {
				return st, fmt.Errorf("compact raw frames of %s on %s: %w", mn, day.In(cst).Format(time.DateOnly), err)
			}
			st.RawBlocks++
			st.RawFrames += n
			from = day.Add(24 * time.Hour)
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// nullTime scans a time that may be NULL (an aggregate over no rows).
type nullTime struct{ t *dbTime }

func (n nullTime) Scan(src any) error {
	if src == nil {
		*n.t = dbTime{}
		return nil
	}
	return n.t.Scan(src)
}

func (n nullTime) valid() bool { return !time.Time(*n.t).IsZero() }

// distinctKeys lists the distinct values of cols (one or two columns that
// lead an index of table) by skipping through the index, one seek per
// key, rather than reading every row.
func (s *sqlBase) distinctKeys(ctx context.Context, table, cols string) ([][2]string, error) {
	two := strings.Contains(cols, ",")
	var out [][2]string
	var last [2]string
	first := true
	for {
		q := `SELECT ` + cols + ` FROM ` + table
		var args []any
		switch {
		case first:
		case two:
			// A row value, which both planners turn into one index seek.
			q += ` WHERE (mn, cn) > (?, ?)`
			args = []any{last[0], last[1]}
		default:
			q += ` WHERE mn > ?`
			args = []any{last[0]}
		}
		q += ` ORDER BY ` + cols + ` LIMIT 1`
		var k [2]string
		dest := []any{&k[0]}
		if two {
			dest = append(dest, &k[1])
		}
		err := s.w.QueryRowContext(ctx, s.q(q), args...).Scan(dest...)
		if err == sql.ErrNoRows {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, k)
		last, first = k, false
	}
}

// compactUploadDay moves the upload rows of one device, CN and day into
// its block (merged with the block already there), in one transaction.
func (s *sqlBase) compactUploadDay(ctx context.Context, mn, cn string, day time.Time) (n int64, err error) {
	end := day.Add(24 * time.Hour)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	rows, err := s.uploadRows(ctx, tx, mn, cn, day, end)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, tx.Commit()
	}
	var block []byte
	err = tx.QueryRowContext(ctx, s.q(`SELECT data FROM upload_blocks WHERE mn = ? AND cn = ? AND day = ?`), mn, cn, s.t(day)).Scan(&block)
	if err != nil && err != sql.ErrNoRows {
		return 0, fmt.Errorf("read block: %w", err)
	}
	var all []model.Upload
	if block != nil {
		if all, err = decodeUploads(nil, block, mn, cn, time.Time{}, time.Time{}); err != nil {
			return 0, err
		}
	}
	all = mergeUploads(all, rows)
	enc := encodeUploads(all)
	first, last := all[0].DataTime, all[len(all)-1].DataTime
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO upload_blocks (mn, cn, day, first_time, last_time, n, data) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (mn, cn, day) DO UPDATE SET first_time = excluded.first_time, last_time = excluded.last_time,
			n = excluded.n, data = excluded.data`),
		mn, cn, s.t(day), s.t(first), s.t(last), len(all), enc); err != nil {
		return 0, fmt.Errorf("write block: %w", err)
	}
	hook("uploads:block-written")
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM uploads WHERE mn = ? AND cn = ? AND data_time >= ? AND data_time < ?`),
		mn, cn, s.t(day), s.t(end))
	if err != nil {
		return 0, fmt.Errorf("delete rows: %w", err)
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, err
	}
	if n != int64(len(rows)) {
		return 0, fmt.Errorf("deleted %d rows, read %d", n, len(rows))
	}
	hook("uploads:before-commit")
	return n, tx.Commit()
}

// uploadRows reads the upload rows of one device and CN in [from, to).
func (s *sqlBase) uploadRows(ctx context.Context, tx *sql.Tx, mn, cn string, from, to time.Time) ([]model.Upload, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT data_time, vals FROM uploads WHERE mn = ? AND cn = ? AND data_time >= ? AND data_time < ? ORDER BY data_time`),
		mn, cn, s.t(from), s.t(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Upload
	for rows.Next() {
		u := model.Upload{MN: mn, CN: cn}
		var t dbTime
		var vals []byte
		if err := rows.Scan(&t, &vals); err != nil {
			return nil, err
		}
		u.DataTime = time.Time(t)
		if u.Values, err = parseValuesJSON(nil, vals); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// mergeUploads merges two lists of one device's uploads, each sorted by
// (MN, CN, DataTime): an upload in both keeps a's values and gains those
// of b it lacks (a was stored first).
func mergeUploads(a, b []model.Upload) []model.Upload {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]model.Upload, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b):
			out = append(out, a[i])
			i++
		case i == len(a):
			out = append(out, b[j])
			j++
		default:
			c := compareUpload(&a[i], &b[j])
			switch {
			case c < 0:
				out = append(out, a[i])
				i++
			case c > 0:
				out = append(out, b[j])
				j++
			default:
				u := a[i]
				if merged, added := mergeValues(slices.Clip(u.Values), b[j].Values); added {
					sortValues(merged)
					u.Values = merged
				}
				out = append(out, u)
				i++
				j++
			}
		}
	}
	return out
}

func compareUpload(x, y *model.Upload) int {
	return cmp.Or(strings.Compare(x.MN, y.MN), strings.Compare(x.CN, y.CN), x.DataTime.Compare(y.DataTime))
}

// compactRawDay moves the accepted raw frames of one device received on
// one day into its block, in one transaction.
func (s *sqlBase) compactRawDay(ctx context.Context, mn string, day time.Time) (n int64, err error) {
	end := day.Add(24 * time.Hour)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	frames, err := s.rawRows(ctx, tx, s.byDevice()+` WHERE mn = ? AND status = 'accepted' AND received_at >= ? AND received_at < ?`,
		[]any{mn, s.t(day), s.t(end)})
	if err != nil {
		return 0, err
	}
	if len(frames) == 0 {
		return 0, tx.Commit()
	}
	var block []byte
	err = tx.QueryRowContext(ctx, s.q(`SELECT data FROM raw_blocks WHERE mn = ? AND day = ? AND status = 'accepted'`), mn, s.t(day)).Scan(&block)
	if err != nil && err != sql.ErrNoRows {
		return 0, fmt.Errorf("read block: %w", err)
	}
	all := frames
	if block != nil {
		old, err := decodeRaw(nil, block, nil)
		if err != nil {
			return 0, err
		}
		all = append(old, frames...)
		slices.SortFunc(all, func(a, b model.RawFrame) int { return cmp.Compare(a.ID, b.ID) })
	}
	enc := encodeRaw(all)
	minAt, maxAt := all[0].ReceivedAt, all[0].ReceivedAt
	for i := range all {
		minAt = minTime(minAt, all[i].ReceivedAt)
		if all[i].ReceivedAt.After(maxAt) {
			maxAt = all[i].ReceivedAt
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO raw_blocks (mn, day, status, min_id, max_id, first_at, last_at, n, data)
		VALUES (?, ?, 'accepted', ?, ?, ?, ?, ?, ?)
		ON CONFLICT (mn, day, status) DO UPDATE SET min_id = excluded.min_id, max_id = excluded.max_id,
			first_at = excluded.first_at, last_at = excluded.last_at, n = excluded.n, data = excluded.data`),
		mn, s.t(day), all[0].ID, all[len(all)-1].ID, s.t(minAt), s.t(maxAt), len(all), enc); err != nil {
		return 0, fmt.Errorf("write block: %w", err)
	}
	hook("raw:block-written")
	ids := make([]int64, len(frames))
	for i := range frames {
		ids[i] = frames[i].ID
	}
	if n, err = s.deleteRawIDs(ctx, tx, ids); err != nil {
		return 0, fmt.Errorf("delete rows: %w", err)
	}
	if n != int64(len(frames)) {
		return 0, fmt.Errorf("deleted %d raw frames, read %d", n, len(frames))
	}
	hook("raw:before-commit")
	return n, tx.Commit()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (s *sqlBase) deleteRawIDs(ctx context.Context, tx *sql.Tx, ids []int64) (int64, error) {
	var total int64
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i := range n {
			args[i] = ids[i]
		}
		res, err := tx.ExecContext(ctx, s.q(multiRow(`DELETE FROM raw_frames WHERE id IN (`, `?`, n, `)`)), args...)
		if err != nil {
			return total, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += k
		ids = ids[n:]
	}
	return total, nil
}

const rawSelect = `SELECT id, received_at, remote, mn, cn, qn, status, reason, deviations, raw, COALESCE(bus_seq, 0) FROM raw_frames`

// byDevice makes SQLite read raw frames through the (mn, received_at)
// index: its planner would otherwise take (status, received_at), which
// walks every device's frames of the day for each device.
func (s *sqlBase) byDevice() string {
	if s.postgres {
		return ""
	}
	return ` INDEXED BY raw_frames_mn`
}

// rawRows reads raw frame rows matching where (a WHERE clause, which an
// INDEXED BY may precede), in ID order.
func (s *sqlBase) rawRows(ctx context.Context, tx *sql.Tx, where string, args []any) ([]model.RawFrame, error) {
	rows, err := tx.QueryContext(ctx, s.q(rawSelect+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.RawFrame
	for rows.Next() {
		f, err := scanRaw(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// StorageBytes is the space the measurement data takes, by table (each
// with its indexes; PostgreSQL's with its TOAST too).
type StorageBytes struct {
	Uploads      int64 `json:"uploads"`
	RawFrames    int64 `json:"raw_frames"`
	UploadBlocks int64 `json:"upload_blocks"`
	RawBlocks    int64 `json:"raw_blocks"`
	// Free is SQLite's free pages (kept in the file for reuse by later
	// rows); PostgreSQL reports 0 (its dead rows are within the tables'
	// sizes until vacuumed).
	Free int64 `json:"free"`
}

// MeasureStorage reports StorageBytes of st (a store opened by Open).
func MeasureStorage(ctx context.Context, st Store) (StorageBytes, error) {
	var b StorageBytes
	var base *sqlBase
	switch s := st.(type) {
	case *sqliteStore:
		base = &s.sqlBase
	case *pgStore:
		base = &s.sqlBase
	default:
		return b, fmt.Errorf("measure storage: unsupported store %T", st)
	}
	if base.postgres {
		err := base.w.QueryRowContext(ctx, `SELECT
			COALESCE((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'uploads'::regclass), 0)::bigint,
			pg_total_relation_size('raw_frames'), pg_total_relation_size('upload_blocks'), pg_total_relation_size('raw_blocks')`).
			Scan(&b.Uploads, &b.RawFrames, &b.UploadBlocks, &b.RawBlocks)
		if err != nil {
			return b, fmt.Errorf("measure storage: %w", err)
		}
		return b, nil
	}
	rows, err := base.w.QueryContext(ctx, `SELECT tbl_name, sum(pgsize) FROM dbstat JOIN sqlite_schema ON dbstat.name = sqlite_schema.name
		WHERE tbl_name IN ('uploads', 'raw_frames', 'upload_blocks', 'raw_blocks') GROUP BY tbl_name`)
	if err != nil {
		return b, fmt.Errorf("measure storage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return b, fmt.Errorf("measure storage: %w", err)
		}
		switch name {
		case "uploads":
			b.Uploads = n
		case "raw_frames":
			b.RawFrames = n
		case "upload_blocks":
			b.UploadBlocks = n
		case "raw_blocks":
			b.RawBlocks = n
		}
	}
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("measure storage: %w", err)
	}
	var free, page int64
	if err := base.w.QueryRowContext(ctx, `SELECT * FROM pragma_freelist_count, pragma_page_size`).Scan(&free, &page); err != nil {
		return b, fmt.Errorf("measure storage: %w", err)
	}
	b.Free = free * page
	return b, nil
}
