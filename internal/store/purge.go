package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// PurgeUploadsBefore implements RollupStore for SQLite: it deletes the
// uploads before t in chunks, each its own transaction, walking the table
// once in rowid order (an index on data_time would slow every insert for
// a daily job).
func (s *sqliteStore) PurgeUploadsBefore(ctx context.Context, t time.Time) (int64, error) {
	total, err := s.purgeUploadBlocks(ctx, t)
	if err != nil {
		return total, fmt.Errorf("purge uploads before %s: %w", t.Format(time.RFC3339), err)
	}
	var after int64
	for {
		var ids []any
		err := s.query(ctx, `SELECT id FROM uploads WHERE id > ? AND data_time < ? ORDER BY id LIMIT `+strconv.Itoa(purgeChunk),
			[]any{after, s.t(t)}, func(rows *sql.Rows) error {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
				after = id
				return nil
			})
		if err != nil {
			return total, fmt.Errorf("purge uploads before %s: %w", t.Format(time.RFC3339), err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		for len(ids) > 0 {
			n := min(len(ids), 500)
			res, err := s.w.ExecContext(ctx, multiRow(`DELETE FROM uploads WHERE id IN (`, `?`, n, `)`), ids[:n]...)
			if err != nil {
				return total, fmt.Errorf("purge uploads before %s: %w", t.Format(time.RFC3339), err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return total, fmt.Errorf("purge uploads: %w", err)
			}
			total += k
			ids = ids[n:]
		}
	}
}

var partitionName = regexp.MustCompile(`^uploads_y(\d{4})m(\d{2})$`)

// PurgeUploadsBefore implements RollupStore for PostgreSQL: monthly
// partitions that end at or before t are dropped whole (DROP TABLE: no
// row-by-row delete, no dead rows to vacuum), and rows before t in the
// default partition are deleted. A month that t cuts keeps all its rows
// until a later call: retention is month-granular here. The count of a
// dropped partition's rows is the planner's (pg_class.reltuples, exact
// after ANALYZE; 0 if never analyzed): counting them would read the
// month being dropped.
func (s *pgStore) PurgeUploadsBefore(ctx context.Context, t time.Time) (int64, error) {
	type part struct {
		name string
		key  int
		rows float64
		ends time.Time
	}
	var parts []part
	err := s.query(ctx, `SELECT c.relname, c.reltuples FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'uploads'::regclass ORDER BY c.relname`, nil, func(rows *sql.Rows) error {
		var p part
		if err := rows.Scan(&p.name, &p.rows); err != nil {
			return err
		}
		m := partitionName.FindStringSubmatch(p.name)
		if m == nil {
			return nil // uploads_default
		}
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		p.key = y*12 + mo - 1
		p.ends = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, cst).AddDate(0, 1, 0)
		if !p.ends.After(t) {
			parts = append(parts, p)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge uploads: list partitions: %w", err)
	}
	total, err := s.purgeUploadBlocks(ctx, t)
	if err != nil {
		return total, fmt.Errorf("purge uploads before %s: %w", t.Format(time.RFC3339), err)
	}
	for _, p := range parts {
		if err := s.dropPartition(ctx, p.name); err != nil {
			return total, fmt.Errorf("purge uploads: %w", err)
		}
		s.pmu.Lock()
		delete(s.parts, p.key)
		s.pmu.Unlock()
		total += int64(max(p.rows, 0))
		s.log.Info("uploads partition dropped by retention", "partition", p.name, "rows_estimate", int64(max(p.rows, 0)))
	}
	for {
		res, err := s.w.ExecContext(ctx, `DELETE FROM uploads_default WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM uploads_default WHERE data_time < $1 LIMIT `+strconv.Itoa(purgeChunk)+`))`, s.t(t))
		if err != nil {
			return total, fmt.Errorf("purge uploads before %s: %w", t.Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge uploads: %w", err)
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}

// dropPartition drops one monthly partition under the partition lock of
// createPartition, so that no process attaches or moves rows meanwhile.
func (s *pgStore) dropPartition(ctx context.Context, name string) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("drop partition %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(212212213)`); err != nil {
		return fmt.Errorf("drop partition %s: lock: %w", name, err)
	}
	// DROP locks the parent table exclusively: while it waits for a long
	// report to finish, every commit queues behind it. Give up instead
	// after a while; the next run drops the partition.
	if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
		return fmt.Errorf("drop partition %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+name); err != nil {
		return fmt.Errorf("drop partition %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("drop partition %s: commit: %w", name, err)
	}
	return nil
}
