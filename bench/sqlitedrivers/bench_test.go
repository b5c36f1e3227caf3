package sqlitedrivers

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The schema is the one internal/store uses for SQLite (times as unix
// microseconds, values as JSON text).
const schema = `
CREATE TABLE uploads (
	id INTEGER PRIMARY KEY,
	mn TEXT NOT NULL, cn TEXT NOT NULL, data_time INTEGER NOT NULL,
	vals TEXT NOT NULL,
	UNIQUE (mn, cn, data_time)
);
CREATE TABLE raw_frames (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at INTEGER NOT NULL, remote TEXT NOT NULL,
	mn TEXT NOT NULL, cn TEXT NOT NULL, qn TEXT NOT NULL,
	status TEXT NOT NULL, reason TEXT NOT NULL, deviations TEXT NOT NULL,
	raw BLOB NOT NULL
);
CREATE INDEX raw_frames_mn ON raw_frames (mn, received_at);
CREATE INDEX raw_frames_status ON raw_frames (status, received_at);
CREATE TABLE contacts (
	mn TEXT PRIMARY KEY, at INTEGER NOT NULL, remote TEXT NOT NULL, cn TEXT NOT NULL
);`

const (
	devices = 10000
	factors = 8
)

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type frame struct {
	mn, cn, qn, remote string
	dataTime, recv     int64
	vals               string
	raw                []byte
}

// makeFrame builds the k-th frame of the stream: devices report in turn,
// each a minute (2051) upload of 8 factors x 5 fields (~1 KB of JSON) and
// a ~400-byte raw frame.
func makeFrame(k int) frame {
	dev := k % devices
	minute := k / devices
	mn := fmt.Sprintf("88888880%06d", dev)
	var sb strings.Builder
	sb.WriteByte('[')
	for f := range factors {
		for i, field := range []string{"Min", "Avg", "Max", "Cou", "Flag"} {
			if f > 0 || i > 0 {
				sb.WriteByte(',')
			}
			v := "N"
			if field != "Flag" {
				v = strconv.FormatFloat(float64(k%997)/7+float64(i), 'f', 3, 64)
			}
			fmt.Fprintf(&sb, `["a2%04d","%s","%s"]`, 1000+f, field, v)
		}
	}
	sb.WriteByte(']')
	raw := []byte("##0400QN=20260101000000000;ST=31;CN=2051;PW=123456;MN=" + mn + ";Flag=5;CP=&&DataTime=20260101000000;")
	for len(raw) < 396 {
		raw = append(raw, "a21026-Avg=12.345,a21026-Flag=N;"...)
	}
	raw = append(raw[:396], "&&4A3B\r\n"...)
	return frame{
		mn: mn, cn: "2051", qn: "20260101000000000", remote: "127.0.0.1:40000",
		dataTime: base.Add(time.Duration(minute) * time.Minute).UnixMicro(),
		recv:     base.Add(time.Duration(k) * time.Millisecond).UnixMicro(),
		vals:     sb.String(), raw: raw,
	}
}

func openDB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open(driverName, dsn(filepath.Join(tb.TempDir(), "bench.db"), "FULL"))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Exec(schema); err != nil {
		tb.Fatal(err)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		tb.Fatalf("journal_mode = %q, %v", mode, err)
	}
	return db
}

// commitRowByRow is the store's path: prepared statements reused within
// one transaction, one Exec per row.
func commitRowByRow(ctx context.Context, db *sql.DB, frames []frame) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	up, err := tx.PrepareContext(ctx, `INSERT INTO uploads (mn, cn, data_time, vals) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	raw, err := tx.PrepareContext(ctx, `INSERT INTO raw_frames (received_at, remote, mn, cn, qn, status, reason, deviations, raw) VALUES (?, ?, ?, ?, ?, 'accepted', '', '', ?)`)
	if err != nil {
		return err
	}
	ct, err := tx.PrepareContext(ctx, `INSERT INTO contacts (mn, at, remote, cn) VALUES (?, ?, ?, ?)
		ON CONFLICT (mn) DO UPDATE SET at = excluded.at, remote = excluded.remote, cn = excluded.cn WHERE excluded.at >= contacts.at`)
	if err != nil {
		return err
	}
	for i := range frames {
		f := &frames[i]
		res, err := up.ExecContext(ctx, f.mn, f.cn, f.dataTime, f.vals)
		if err != nil {
			return err
		}
		if _, err := res.RowsAffected(); err != nil {
			return err
		}
		if _, err := raw.ExecContext(ctx, f.recv, f.remote, f.mn, f.cn, f.qn, f.raw); err != nil {
			return err
		}
		if _, err := ct.ExecContext(ctx, f.mn, f.recv, f.remote, f.cn); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// commitMultiRow sends up to chunk rows per INSERT statement.
func commitMultiRow(ctx context.Context, db *sql.DB, frames []frame, chunk int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := map[string]*sql.Stmt{}
	prep := func(q string) (*sql.Stmt, error) {
		if s, ok := stmts[q]; ok {
			return s, nil
		}
		s, err := tx.PrepareContext(ctx, q)
		stmts[q] = s
		return s, err
	}
	rows := func(n int, tuple string) string {
		return strings.TrimSuffix(strings.Repeat(tuple+",", n), ",")
	}
	args := make([]any, 0, chunk*6)
	for lo := 0; lo < len(frames); lo += chunk {
		hi := min(lo+chunk, len(frames))
		part := frames[lo:hi]
		s, err := prep(`INSERT INTO uploads (mn, cn, data_time, vals) VALUES ` + rows(len(part), "(?,?,?,?)") + ` ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, f := range part {
			args = append(args, f.mn, f.cn, f.dataTime, f.vals)
		}
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return err
		}
		s, err = prep(`INSERT INTO raw_frames (received_at, remote, mn, cn, qn, status, reason, deviations, raw) VALUES ` + rows(len(part), "(?,?,?,?,?,'accepted','','',?)"))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, f := range part {
			args = append(args, f.recv, f.remote, f.mn, f.cn, f.qn, f.raw)
		}
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return err
		}
		s, err = prep(`INSERT INTO contacts (mn, at, remote, cn) VALUES ` + rows(len(part), "(?,?,?,?)") + `
			ON CONFLICT (mn) DO UPDATE SET at = excluded.at, remote = excluded.remote, cn = excluded.cn WHERE excluded.at >= contacts.at`)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, f := range part {
			args = append(args, f.mn, f.recv, f.remote, f.cn)
		}
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func benchIngest(b *testing.B, rows int, commit func(context.Context, *sql.DB, []frame) error) {
	db := openDB(b)
	ctx := context.Background()
	// Frames are built outside the timer; each op commits the next rows.
	all := make([]frame, rows*b.N)
	for k := range all {
		all[k] = makeFrame(k)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := commit(ctx, db, all[i*rows:(i+1)*rows]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkIngest(b *testing.B) {
	for _, rows := range []int{500, 2000} {
		b.Run(fmt.Sprintf("%s/rowbyrow/tx=%d", driverLabel, rows), func(b *testing.B) {
			benchIngest(b, rows, commitRowByRow)
		})
		b.Run(fmt.Sprintf("%s/multirow64/tx=%d", driverLabel, rows), func(b *testing.B) {
			benchIngest(b, rows, func(ctx context.Context, db *sql.DB, f []frame) error {
				return commitMultiRow(ctx, db, f, 64)
			})
		})
	}
}

// BenchmarkRetransmit commits frames whose uploads are all stored already:
// the conflict path, which must not write upload rows.
func BenchmarkRetransmit(b *testing.B) {
	const rows = 2000
	b.Run(driverLabel+"/rowbyrow/tx=2000", func(b *testing.B) {
		db := openDB(b)
		ctx := context.Background()
		frames := make([]frame, rows)
		for k := range frames {
			frames[k] = makeFrame(k)
		}
		if err := commitRowByRow(ctx, db, frames); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := commitRowByRow(ctx, db, frames); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(0, "ns/op")
	})
}

// BenchmarkRangeRead reads one device's day of minute data (1440 rows)
// out of 20 devices' days, as the query API and back-fill do.
func BenchmarkRangeRead(b *testing.B) {
	b.Run(driverLabel+"/day=1440", func(b *testing.B) {
		db := openDB(b)
		ctx := context.Background()
		const devs = 20
		frames := make([]frame, 0, devices*1440/50)
		for minute := range 1440 {
			for d := range devs {
				frames = append(frames, makeFrame(minute*devices+d))
			}
		}
		for lo := 0; lo < len(frames); lo += 2000 {
			if err := commitRowByRow(ctx, db, frames[lo:min(lo+2000, len(frames))]); err != nil {
				b.Fatal(err)
			}
		}
		q, err := db.PrepareContext(ctx, `SELECT data_time, vals FROM uploads WHERE mn = ? AND cn = ? AND data_time >= ? AND data_time < ? ORDER BY data_time`)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		from, to := base.UnixMicro(), base.Add(24*time.Hour).UnixMicro()
		b.ResetTimer()
		total := 0
		for i := 0; i < b.N; i++ {
			rows, err := q.QueryContext(ctx, frames[i%devs].mn, "2051", from, to)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var t int64
				var v string
				if err := rows.Scan(&t, &v); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
			if n != 1440 {
				b.Fatalf("read %d rows, want 1440", n)
			}
			total += n
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
	})
}

// TestWorkload checks the workload does what the benchmarks claim: new
// frames insert, a retransmission inserts no upload row.
func TestWorkload(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	frames := make([]frame, 100)
	for k := range frames {
		frames[k] = makeFrame(k)
	}
	for _, commit := range []func() error{
		func() error { return commitRowByRow(ctx, db, frames) },
		func() error { return commitMultiRow(ctx, db, frames, 64) },
	} {
		if err := commit(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM uploads`).Scan(&n); err != nil || n != 100 {
			t.Fatalf("uploads = %d, %v; want 100", n, err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM raw_frames`).Scan(&n); err != nil || n != 200 {
		t.Fatalf("raw_frames = %d, %v; want 200", n, err)
	}
	if len(frames[0].raw) != 404 || len(frames[0].vals) < 900 {
		t.Fatalf("raw %d bytes, vals %d bytes", len(frames[0].raw), len(frames[0].vals))
	}
}
