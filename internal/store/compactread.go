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

// Readers of compacted days: every query over uploads and raw frames
// reads the rows and the blocks and merges them (compact.go).

// blockUploads returns up to limit uploads from the blocks matching q,
// in (MN, CN, DataTime) order.
func (s *sqlBase) blockUploads(ctx context.Context, q UploadQuery, limit int) ([]model.Upload, error) {
	// A block overlaps [From, To) when its last time is at or after From
	// and its first before To.
	where, args := s.uploadWhere(q, "last_time", "first_time")
	query := `SELECT mn, cn, data FROM upload_blocks` + where + " ORDER BY mn, cn, day"
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Upload
	for rows.Next() && len(out) < limit {
		var mn, cn string
		var data []byte
		if err := rows.Scan(&mn, &cn, &data); err != nil {
			return nil, err
		}
		if out, err = decodeUploads(out, data, mn, cn, q.From, q.To); err != nil {
			return nil, fmt.Errorf("block of %s/%s: %w", mn, cn, err)
		}
	}
	return out, rows.Err()
}

// uploadWhere is the WHERE clause of q ("" when it selects everything)
// and its arguments, for the rows (one time column) and the blocks (from
// and to name the columns compared with q.From, >=, and q.To, <).
func (s *sqlBase) uploadWhere(q UploadQuery, from, to string) (string, []any) {
	var where []string
	var args []any
	if len(q.MNs) > 0 {
		c, a := inList("mn", q.MNs)
		where, args = append(where, c), append(args, a...)
	}
	if q.CN != "" {
		where = append(where, "cn = ?")
		args = append(args, q.CN)
	}
	w, a := s.timeWhere(q.From, q.To, from, to)
	return whereClause(append(where, w...)), append(args, a...)
}

// rawWhere is uploadWhere for raw frames; id names the column compared
// with q.BeforeID (<).
func (s *sqlBase) rawWhere(q RawQuery, from, to, id string) (string, []any) {
	var where []string
	var args []any
	if q.MN != "" {
		where = append(where, "mn = ?")
		args = append(args, q.MN)
	}
	if q.Status != "" {
		where = append(where, "status = ?")
		args = append(args, q.Status)
	}
	w, a := s.timeWhere(q.From, q.To, from, to)
	where, args = append(where, w...), append(args, a...)
	if q.BeforeID > 0 {
		where = append(where, id+" < ?")
		args = append(args, q.BeforeID)
	}
	return whereClause(where), args
}

// timeWhere bounds the column fromCol below by from and toCol above by
// to (exclusive); a zero time leaves its end open.
func (s *sqlBase) timeWhere(from, to time.Time, fromCol, toCol string) ([]string, []any) {
	var where []string
	var args []any
	if !from.IsZero() {
		where = append(where, fromCol+" >= ?")
		args = append(args, s.t(from))
	}
	if !to.IsZero() {
		where = append(where, toCol+" < ?")
		args = append(args, s.t(to))
	}
	return where, args
}

// inList is the condition "col IN (?,?,...)" matching any of vals, and
// its arguments. vals must not be empty: "IN ()" is not SQL, and a caller
// with nothing to match leaves the condition out.
func inList[T any](col string, vals []T) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return multiRow(col+" IN (", "?", len(vals), ")"), args
}

// whereClause joins conditions into " WHERE a AND b" ("" for none).
func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// mergeSorted merges rows into block uploads (both in key order) and
// keeps the first limit: an upload in both keeps the block's values and
// gains those of the row it lacks. The merge sorts by Go's byte order,
// which the database's collation of MNs may not follow.
func mergeSorted(blocks, rows []model.Upload, limit int) []model.Upload {
	all := append(blocks, rows...)
	slices.SortStableFunc(all, func(a, b model.Upload) int { return compareUpload(&a, &b) })
	out := all[:0]
	for i := range all {
		if n := len(out); n > 0 && compareUpload(&out[n-1], &all[i]) == 0 {
			if merged, added := mergeValues(slices.Clip(out[n-1].Values), all[i].Values); added {
				sortValues(merged)
				out[n-1].Values = merged
			}
			continue
		}
		out = append(out, all[i])
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// blockTimes returns the DataTimes of the blocks of mn and cn within
// [from, to) (zero: open), ascending.
func (s *sqlBase) blockTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error) {
	ups, err := s.blockUploads(ctx, UploadQuery{MNs: []string{mn}, CN: cn, From: from, To: to}, 1<<62)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, len(ups))
	for i := range ups {
		out[i] = ups[i].DataTime
	}
	return out, nil
}

// mergeTimes merges two ascending lists, dropping repeats.
func mergeTimes(a, b []time.Time) []time.Time {
	if len(a) == 0 {
		return b
	}
	all := append(a, b...)
	slices.SortFunc(all, time.Time.Compare)
	return slices.CompactFunc(all, time.Time.Equal)
}

// blockRaw adds to got (rows, newest first) the raw frames of blocks that
// match q and belong among the newest limit, and returns the newest
// limit of all.
func (s *sqlBase) blockRaw(ctx context.Context, q RawQuery, got []model.RawFrame, limit int) ([]model.RawFrame, error) {
	// A block may hold a frame of the page when its span overlaps [From,
	// To) and its smallest ID is below BeforeID.
	where, args := s.rawWhere(q, "last_at", "first_at", "min_id")
	query := `SELECT max_id, data FROM raw_blocks` + where + " ORDER BY max_id DESC"
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keep := func(f *model.RawFrame) bool {
		return (q.From.IsZero() || !f.ReceivedAt.Before(q.From)) && (q.To.IsZero() || f.ReceivedAt.Before(q.To)) &&
			(q.BeforeID <= 0 || f.ID < q.BeforeID)
	}
	out := got
	sorted := true
	for rows.Next() {
		var maxID int64
		var data []byte
		if err := rows.Scan(&maxID, &data); err != nil {
			return nil, err
		}
		if len(out) >= limit {
			if !sorted {
				slices.SortFunc(out, func(a, b model.RawFrame) int { return cmp.Compare(b.ID, a.ID) })
				out, sorted = out[:limit], true
			}
			if maxID < out[limit-1].ID {
				break // this block and all after it are older than the page
			}
		}
		if out, err = decodeRaw(out, data, keep); err != nil {
			return nil, fmt.Errorf("raw block: %w", err)
		}
		sorted = false
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !sorted {
		slices.SortFunc(out, func(a, b model.RawFrame) int { return cmp.Compare(b.ID, a.ID) })
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// blockMinutes recomputes, for the hours of closed days that have a
// compacted block, the aggregates from the block and the rows merged
// (the rows alone are only what arrived after compaction).
func (s *sqlBase) blockMinutes(ctx context.Context, tx *sql.Tx, hours []devPeriod, aggs []periodAgg, today time.Time) error {
	var last devPeriod
	var dayUps []model.Upload
	var have bool
	for k, h := range hours {
		day := devPeriod{h.mn, cstDay(h.start)}
		if !day.start.Before(today) {
			continue
		}
		if day != last {
			last, have, dayUps = day, false, dayUps[:0]
			var data []byte
			err := tx.QueryRowContext(ctx, s.q(`SELECT data FROM upload_blocks WHERE mn = ? AND cn = '`+cnMinute+`' AND day = ?`),
				h.mn, s.t(day.start)).Scan(&data)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return fmt.Errorf("read block of %s: %w", h.mn, err)
			}
			if dayUps, err = decodeUploads(dayUps, data, h.mn, cnMinute, time.Time{}, time.Time{}); err != nil {
				return fmt.Errorf("block of %s: %w", h.mn, err)
			}
			have = true
		}
		if !have {
			continue
		}
		end := h.start.Add(time.Hour)
		i := slices.IndexFunc(dayUps, func(u model.Upload) bool { return !u.DataTime.Before(h.start) })
		if i < 0 {
			i = len(dayUps)
		}
		j := i
		for j < len(dayUps) && dayUps[j].DataTime.Before(end) {
			j++
		}
		rows, err := s.uploadRows(ctx, tx, h.mn, cnMinute, h.start, end)
		if err != nil {
			return fmt.Errorf("minute rows of %s: %w", h.mn, err)
		}
		merged := mergeUploads(slices.Clone(dayUps[i:j]), rows)
		aggs[k] = periodAgg{marks: aggs[k].marks}
		var buf []byte
		for m := range merged {
			buf = appendValuesJSON(buf[:0], merged[m].Values)
			if err := aggs[k].addMinute(merged[m].DataTime, buf); err != nil {
				return err
			}
		}
	}
	return nil
}

// purgeUploadBlocks deletes the upload blocks that end before t and
// rewrites one that t cuts, keeping its uploads from t on.
func (s *sqlBase) purgeUploadBlocks(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		var mn, cn string
		var day dbTime
		var n int64
		err := s.w.QueryRowContext(ctx, s.q(`SELECT mn, cn, day, n FROM upload_blocks WHERE first_time < ? LIMIT 1`), s.t(t)).
			Scan(&mn, &cn, &day, &n)
		if err == sql.ErrNoRows {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		k, err := s.trimUploadBlock(ctx, mn, cn, time.Time(day), t)
		if err != nil {
			return total, fmt.Errorf("block of %s/%s: %w", mn, cn, err)
		}
		total += k
	}
}

func (s *sqlBase) trimUploadBlock(ctx context.Context, mn, cn string, day, t time.Time) (n int64, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var data []byte
	if err := tx.QueryRowContext(ctx, s.q(`SELECT data FROM upload_blocks WHERE mn = ? AND cn = ? AND day = ?`), mn, cn, s.t(day)).Scan(&data); err != nil {
		return 0, err
	}
	all, err := decodeUploads(nil, data, mn, cn, time.Time{}, time.Time{})
	if err != nil {
		return 0, err
	}
	keep, _ := decodeUploads(nil, data, mn, cn, t, time.Time{})
	if len(keep) == 0 {
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM upload_blocks WHERE mn = ? AND cn = ? AND day = ?`), mn, cn, s.t(day))
	} else {
		_, err = tx.ExecContext(ctx, s.q(`UPDATE upload_blocks SET first_time = ?, last_time = ?, n = ?, data = ? WHERE mn = ? AND cn = ? AND day = ?`),
			s.t(keep[0].DataTime), s.t(keep[len(keep)-1].DataTime), len(keep), encodeUploads(keep), mn, cn, s.t(day))
	}
	if err != nil {
		return 0, err
	}
	return int64(len(all) - len(keep)), tx.Commit()
}

// purgeRawBlocks deletes the raw frames of blocks of the statuses
// received before t (whole blocks, or the part of a block t cuts).
func (s *sqlBase) purgeRawBlocks(ctx context.Context, t time.Time, statuses []string) (int64, error) {
	var total int64
	for _, st := range statuses {
		for {
			var mn string
			var day dbTime
			err := s.w.QueryRowContext(ctx, s.q(`SELECT mn, day FROM raw_blocks WHERE status = ? AND first_at < ? LIMIT 1`), st, s.t(t)).
				Scan(&mn, &day)
			if err == sql.ErrNoRows {
				break
			}
			if err != nil {
				return total, err
			}
			k, err := s.trimRawBlock(ctx, mn, st, time.Time(day), t)
			if err != nil {
				return total, fmt.Errorf("raw block of %s: %w", mn, err)
			}
			total += k
		}
	}
	return total, nil
}

func (s *sqlBase) trimRawBlock(ctx context.Context, mn, status string, day, t time.Time) (n int64, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var data []byte
	if err := tx.QueryRowContext(ctx, s.q(`SELECT data FROM raw_blocks WHERE mn = ? AND day = ? AND status = ?`), mn, s.t(day), status).Scan(&data); err != nil {
		return 0, err
	}
	all, err := decodeRaw(nil, data, nil)
	if err != nil {
		return 0, err
	}
	keep, _ := decodeRaw(nil, data, func(f *model.RawFrame) bool { return !f.ReceivedAt.Before(t) })
	if len(keep) == 0 {
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM raw_blocks WHERE mn = ? AND day = ? AND status = ?`), mn, s.t(day), status)
	} else {
		minAt, maxAt := keep[0].ReceivedAt, keep[0].ReceivedAt
		for i := range keep {
			minAt = minTime(minAt, keep[i].ReceivedAt)
			if keep[i].ReceivedAt.After(maxAt) {
				maxAt = keep[i].ReceivedAt
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE raw_blocks SET min_id = ?, max_id = ?, first_at = ?, last_at = ?, n = ?, data = ?
			WHERE mn = ? AND day = ? AND status = ?`),
			keep[0].ID, keep[len(keep)-1].ID, s.t(minAt), s.t(maxAt), len(keep), encodeRaw(keep), mn, s.t(day), status)
	}
	if err != nil {
		return 0, err
	}
	return int64(len(all) - len(keep)), tx.Commit()
}
