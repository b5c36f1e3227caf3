package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Roll-ups: the store keeps hour and day aggregates of each
// device's minute data (HJ 212-2017 CN 2051, DataTime the start of the
// minute, §6.3.3) so that reports over months and years read a few rows
// per day instead of 1440 uploads. CommitBatch marks the CST hours whose
// minute data it changed (rollup_dirty) in its own transaction; RollUp
// recomputes those hours from the minute rows, then their days from the
// hours, and removes the marks, all in one transaction, so a crash never
// loses a mark and a recomputation can run any number of times.
//
// Per factor, from the fields of HJ 212-2017 table 4 (§6.3.3): a minute
// counts when its -Flag is absent or "N" (normal, table 8: the other
// flags F, M, S, D, C, T, B mark stopped, maintained, set by hand,
// faulty, calibrating, over-range or disconnected instruments; an empty
// -Flag is taken as absent, as devices send empty fields they do not
// fill); N and Avg are the count and mean of the counted minutes' -Avg,
// Min and Max the extremes of their -Min and -Max (their -Avg where a
// minute lacks one), Cou the sum of their -Cou. A day's Avg is the mean
// over all its counted minutes (hours weighted by their N).
//
// The enterprises' data marks count too: a minute covered by a mark in
// force (not rejected, not late) whose type makes data invalid or not due
// (equipment fault, maintenance, calibration, commissioning, stopped;
// production stopped) is excluded like a flagged one — 《污染物排放自动监
// 测设备标记规则》 (MEE announcement 2022 No. 21): data marked invalid is
// not a basis for judging exceedances, and the hour and day values are
// what reports and judgements read (marking.Judge, Verdict.Valid; the
// rule data is marking.DefaultRules). Start-up and shut-down marks leave
// the data valid (it is excluded from judgement only, and its emissions
// count). A mark made, corrected or reviewed marks its hours for
// recomputation (PutMark), so a rejected mark's minutes count again.

// RollupQuery selects roll-ups. Step is required; other zero values mean
// "any", and From/To bound Start as [From, To).
type RollupQuery struct {
	MNs      []string
	Factor   string
	Step     string // model.RollupHour or model.RollupDay
	From, To time.Time
	Limit    int // 0 means 10000
}

// RollupStore keeps roll-ups and applies retention.
type RollupStore interface {
	// RollUp recomputes the roll-ups of every hour marked since the last
	// run, and of their days, and returns the number of marked
	// device-hours it processed (0: nothing to do). Concurrent calls (several processes) are safe: in
	// PostgreSQL one runs and the others return 0 at once.
	RollUp(ctx context.Context) (int, error)
	// Rollups returns roll-ups ordered by (MN, Start, Factor).
	Rollups(ctx context.Context, q RollupQuery) ([]model.Rollup, error)
	// PurgeUploadsBefore removes uploads whose DataTime is before t and
	// returns how many (see purge.go for PostgreSQL's month granularity).
	// Roll-ups are kept.
	PurgeUploadsBefore(ctx context.Context, t time.Time) (int64, error)
	// PurgeRollupsBefore removes roll-ups of step that start before t.
	PurgeRollupsBefore(ctx context.Context, step string, t time.Time) (int64, error)
}

const (
	cnMinute = "2051"
	// rollupBatch bounds the marks one RollUp transaction takes, so that
	// it holds its locks briefly and a large backlog commits in steps.
	rollupBatch = 1000
)

// devPeriod is one device's hour or day.
type devPeriod struct {
	mn    string
	start time.Time // UTC
}

func comparePeriod(a, b devPeriod) int {
	return cmp.Or(strings.Compare(a.mn, b.mn), a.start.Compare(b.start))
}

// cstDay is the start of the China Standard Time day holding t.
func cstDay(t time.Time) time.Time {
	c := t.In(cst)
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, cst).UTC()
}

// rollAcc accumulates one factor over a period.
type rollAcc struct {
	n, excl                int
	sum, min, max, cou     float64
	hasMin, hasMax, hasCou bool
}

func (a *rollAcc) lo(v float64) {
	if !a.hasMin || v < a.min {
		a.min, a.hasMin = v, true
	}
}

func (a *rollAcc) hi(v float64) {
	if !a.hasMax || v > a.max {
		a.max, a.hasMax = v, true
	}
}

func (a *rollAcc) addCou(v float64) { a.cou += v; a.hasCou = true }

// periodAgg aggregates the factors of one device's period.
type periodAgg struct {
	acc     map[string]*rollAcc
	rows    int // minute rows (or hour rows) seen
	scratch []minuteFactor
	// marks are the device's marks in force over the period whose type
	// makes data invalid (or not due): their minutes are excluded.
	marks []marking.Mark
}

// markedInvalid reports whether a mark in force makes the factor's value
// at t invalid data (see the package comment on roll-ups).
func (p *periodAgg) markedInvalid(t time.Time, factor []byte) bool {
	if len(p.marks) == 0 {
		return false
	}
	f := string(bytes.TrimSuffix(factor, []byte(zsSuffix)))
	for i := range p.marks {
		if p.marks[i].Covers(t, f) {
			return true
		}
	}
	return false
}

func (p *periodAgg) get(f string) *rollAcc {
	if p.acc == nil {
		p.acc = map[string]*rollAcc{}
	}
	a := p.acc[f]
	if a == nil {
		a = &rollAcc{}
		p.acc[f] = a
	}
	return a
}

// parseNum parses a value as sent (HJ 212 "N14.2": sign, digits, point);
// anything else, including NaN and infinities, is not a number.
func parseNum(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// zsSuffix marks the roll-ups of a factor's converted concentrations.
const zsSuffix = "-Zs"

// minuteFactor is one factor's fields in one minute upload.
type minuteFactor struct {
	factor                 []byte
	avg, lo, hi, cou, flag []byte
	hasAvg, hasLo, hasHi   bool
	hasCou                 bool
}

// addMinute adds one minute upload of data time t, its values as stored
// (a flat JSON object of CP keys to strings).
func (p *periodAgg) addMinute(t time.Time, raw []byte) error {
	p.rows++
	fs := p.scratch[:0]
	err := scanValuesJSON(raw, func(key, val []byte) {
		dash := bytes.IndexByte(key, '-')
		if dash <= 0 {
			return // keys without a factor (RestartTime, ...)
		}
		factor, field := key[:dash], key[dash+1:]
		if len(field) > 2 && field[0] == 'Z' && field[1] == 's' {
			// Converted (折算) concentrations, ZsAvg/ZsMin/ZsMax (HJ
			// 212-2017 table of data fields): rolled up as a factor of
			// their own, "<code>-Zs", since limits on gas outlets apply
			// to them. Their minute's -Flag is copied over below.
			factor, field = append(append([]byte(nil), factor...), zsSuffix...), field[2:]
		}
		var e *minuteFactor
		for i := range fs {
			if bytes.Equal(fs[i].factor, factor) {
				e = &fs[i]
				break
			}
		}
		if e == nil {
			fs = append(fs, minuteFactor{factor: factor})
			e = &fs[len(fs)-1]
		}
		switch string(field) {
		case "Avg":
			e.avg, e.hasAvg = val, true
		case "Min":
			e.lo, e.hasLo = val, true
		case "Max":
			e.hi, e.hasHi = val, true
		case "Cou":
			e.cou, e.hasCou = val, true
		case "Flag":
			e.flag = bytes.TrimSpace(val)
		}
	})
	p.scratch = fs
	if err != nil {
		return err
	}
	for i := range fs {
		if base, ok := bytes.CutSuffix(fs[i].factor, []byte(zsSuffix)); ok {
			for j := range fs {
				if bytes.Equal(fs[j].factor, base) {
					fs[i].flag = fs[j].flag
				}
			}
		}
	}
	for i := range fs {
		p.addFactor(t, &fs[i])
	}
	clear(p.scratch)
	return nil
}

func (p *periodAgg) addFactor(t time.Time, e *minuteFactor) {
	// Factors without measured fields (SB1-RS facility states,
	// SampleTime, ...) are not rolled up.
	if !(e.hasAvg || e.hasLo || e.hasHi || e.hasCou) {
		return
	}
	a := p.acc[string(e.factor)]
	if a == nil {
		a = p.get(string(e.factor))
	}
	if len(e.flag) > 0 && string(e.flag) != "N" || p.markedInvalid(t, e.factor) {
		a.excl++
		return
	}
	av, okAvg := parseNum(e.avg)
	if e.hasAvg && okAvg {
		a.n++
		a.sum += av
	}
	if v, ok := parseNum(e.lo); e.hasLo && ok {
		a.lo(v)
	} else if okAvg {
		a.lo(av)
	}
	if v, ok := parseNum(e.hi); e.hasHi && ok {
		a.hi(v)
	} else if okAvg {
		a.hi(av)
	}
	if v, ok := parseNum(e.cou); e.hasCou && ok {
		a.addCou(v)
	}
}

// scanValuesJSON calls fn with each key and value of a stored values
// object: the flat object of strings appendValuesJSON writes, or its
// jsonb rendering by PostgreSQL (with spaces). It reads it in place; an
// object with escapes in it is decoded by encoding/json instead.
func scanValuesJSON(b []byte, fn func(key, val []byte)) error {
	ws := func(i int) int {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
		return i
	}
	str := func(i int) ([]byte, int, bool) {
		if i >= len(b) || b[i] != '"' {
			return nil, i, false
		}
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '"':
				return b[i+1 : j], j + 1, true
			case '\\':
				return nil, i, false
			}
		}
		return nil, i, false
	}
	slow := func() error {
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("decode stored values: %w", err)
		}
		for k, v := range m {
			fn([]byte(k), []byte(v))
		}
		return nil
	}
	i := ws(0)
	if i >= len(b) || b[i] != '{' {
		return slow()
	}
	// Keys and values go to fn only once the whole object scanned, so
	// that a fallback never reports a key twice.
	type kv struct{ k, v []byte }
	var buf [64]kv
	pairs := buf[:0]
	i = ws(i + 1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		k, j, ok := str(ws(i))
		if !ok {
			return slow()
		}
		j = ws(j)
		if j >= len(b) || b[j] != ':' {
			return slow()
		}
		v, j2, ok := str(ws(j + 1))
		if !ok {
			return slow()
		}
		pairs = append(pairs, kv{k, v})
		i = ws(j2)
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == '}' {
			break
		}
		return slow()
	}
	for _, p := range pairs {
		fn(p.k, p.v)
	}
	return nil
}

// addHour adds an hour's roll-up to a day.
func (p *periodAgg) addHour(r *model.Rollup) {
	p.rows++
	a := p.get(r.Factor)
	a.excl += r.Excluded
	if r.Avg != nil && r.N > 0 {
		a.n += r.N
		a.sum += *r.Avg * float64(r.N)
	}
	if r.Min != nil {
		a.lo(*r.Min)
	}
	if r.Max != nil {
		a.hi(*r.Max)
	}
	if r.Cou != nil {
		a.addCou(*r.Cou)
	}
}

// appendRollups appends the period's roll-ups, by factor.
func (p *periodAgg) appendRollups(dst []model.Rollup, k devPeriod, step string) []model.Rollup {
	start := len(dst)
	for f, a := range p.acc {
		r := model.Rollup{MN: k.mn, Factor: f, Step: step, Start: k.start, N: a.n, Excluded: a.excl}
		if a.n > 0 {
			avg := a.sum / float64(a.n)
			r.Avg = &avg
		}
		if a.hasMin {
			r.Min = new(a.min)
		}
		if a.hasMax {
			r.Max = new(a.max)
		}
		if a.hasCou {
			r.Cou = new(a.cou)
		}
		dst = append(dst, r)
	}
	slices.SortFunc(dst[start:], func(x, y model.Rollup) int { return strings.Compare(x.Factor, y.Factor) })
	return dst
}

// RollUp implements RollupStore.
func (s *sqlBase) RollUp(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := s.rollUpOnce(ctx)
		total += n
		if err != nil {
			return total, fmt.Errorf("roll up: %w", err)
		}
		if !more {
			return total, nil
		}
	}
}

// rollUpOnce recomputes up to rollupBatch marks in one transaction and
// reports whether more may be waiting.
func (s *sqlBase) rollUpOnce(ctx context.Context) (int, bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if s.postgres {
		// One roll-up at a time across processes: two would each rebuild
		// a day from the hours they see and the later commit would drop
		// the other's hours. Whoever finds it taken leaves the work to
		// the one running.
		var ok bool
		if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(212212214)`).Scan(&ok); err != nil {
			return 0, false, fmt.Errorf("lock: %w", err)
		}
		if !ok {
			return 0, false, nil
		}
	}
	hours, ids, more, err := s.readMarks(ctx, tx)
	if err != nil {
		return 0, false, fmt.Errorf("read marks: %w", err)
	}
	if len(hours) == 0 {
		return 0, false, nil
	}
	aggs := make([]periodAgg, len(hours))
	if err := s.invalidMarks(ctx, tx, hours, aggs); err != nil {
		return 0, false, fmt.Errorf("data marks: %w", err)
	}
	var raw sql.RawBytes
	var dt dbTime
	var scratch []minuteFactor
	err = s.eachPeriodRow(ctx, tx, minuteRowsSQL, hours, []any{&dt, &raw}, func(k int) error {
		aggs[k].scratch = scratch
		err := aggs[k].addMinute(time.Time(dt), raw)
		scratch, aggs[k].scratch = aggs[k].scratch, nil
		if err != nil {
			return fmt.Errorf("minute data of %s at %s: %w", hours[k].mn, hours[k].start.Format(time.RFC3339), err)
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("read minute data: %w", err)
	}
	// Hours of compacted days: the block and the rows merged.
	if err := s.blockMinutes(ctx, tx, hours, aggs, cstDay(time.Now().Add(24*time.Hour))); err != nil {
		return 0, false, fmt.Errorf("read compacted minute data: %w", err)
	}
	// An hour without minute rows keeps its roll-ups: its minutes were
	// purged by retention (roll-ups outlive them), not changed.
	var redo, days []devPeriod
	var rows []model.Rollup
	for k := range hours {
		if aggs[k].rows == 0 {
			continue
		}
		redo = append(redo, hours[k])
		rows = aggs[k].appendRollups(rows, hours[k], model.RollupHour)
		if d := (devPeriod{hours[k].mn, cstDay(hours[k].start)}); len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d) // hours are sorted, so equal days are adjacent
		}
	}
	if err := s.replaceRollups(ctx, tx, model.RollupHour, redo, rows); err != nil {
		return 0, false, fmt.Errorf("hours: %w", err)
	}
	daggs := make([]periodAgg, len(days))
	var sc rollupScan
	err = s.eachPeriodRow(ctx, tx, hourRowsSQL, days, sc.dest(), func(k int) error {
		r := sc.rollup()
		daggs[k].addHour(&r)
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("read hours: %w", err)
	}
	rows = rows[:0]
	for k := range days {
		rows = daggs[k].appendRollups(rows, days[k], model.RollupDay)
	}
	if err := s.replaceRollups(ctx, tx, model.RollupDay, days, rows); err != nil {
		return 0, false, fmt.Errorf("days: %w", err)
	}
	if err := s.deleteMarks(ctx, tx, hours, ids); err != nil {
		return 0, false, fmt.Errorf("delete marks: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("commit: %w", err)
	}
	return len(hours), more, nil
}

// invalidMarks gives each hour's aggregate the device's marks in force
// over it whose type makes data invalid or not due (one query for all
// the hours' devices, latest versions only).
func (s *sqlBase) invalidMarks(ctx context.Context, tx *sql.Tx, hours []devPeriod, aggs []periodAgg) error {
	mns := map[string]bool{}
	from, to := hours[0].start, hours[0].start
	for _, h := range hours {
		mns[h.mn] = true
		from, to = minTime(from, h.start), maxTime(to, h.start)
	}
	marks, err := s.marksTx(ctx, tx, slices.Sorted(maps.Keys(mns)), from, to.Add(time.Hour))
	if err != nil {
		return err
	}
	if len(marks) == 0 {
		return nil
	}
	rules := marking.DefaultRules()
	byMN := map[string][]marking.Mark{}
	for _, m := range marks {
		ty, ok := rules.Type(m.Type)
		if !ok || !m.InForce() || (marking.Verdict{Effect: ty.Effect}).Valid() {
			continue
		}
		byMN[m.MN] = append(byMN[m.MN], m)
	}
	for k, h := range hours {
		for _, m := range byMN[h.mn] {
			if m.From.Before(h.start.Add(time.Hour)) && m.To.After(h.start) {
				aggs[k].marks = append(aggs[k].marks, m)
			}
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// readMarks returns the marked hours, sorted and distinct, and for
// PostgreSQL the ids of the marks read (its log may hold an hour twice).
func (s *sqlBase) readMarks(ctx context.Context, tx *sql.Tx) ([]devPeriod, []int64, bool, error) {
	query := `SELECT 0, mn, hour FROM rollup_dirty ORDER BY mn, hour LIMIT ?`
	if s.postgres {
		query = `SELECT id, mn, hour FROM rollup_dirty ORDER BY id LIMIT $1`
	}
	rows, err := tx.QueryContext(ctx, query, rollupBatch)
	if err != nil {
		return nil, nil, false, err
	}
	defer rows.Close()
	var hours []devPeriod
	var ids []int64
	for rows.Next() {
		var id int64
		var k devPeriod
		var t dbTime
		if err := rows.Scan(&id, &k.mn, &t); err != nil {
			return nil, nil, false, err
		}
		k.start = time.Time(t)
		ids = append(ids, id)
		hours = append(hours, k)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, err
	}
	more := len(ids) == rollupBatch
	slices.SortFunc(hours, comparePeriod)
	hours = slices.Compact(hours)
	return hours, ids, more, nil
}

func (s *sqlBase) deleteMarks(ctx context.Context, tx *sql.Tx, hours []devPeriod, ids []int64) error {
	if s.postgres {
		// Exactly the marks read: one appended since by a commit is kept.
		_, err := tx.ExecContext(ctx, `DELETE FROM rollup_dirty WHERE id = ANY($1::bigint[])`, ids)
		return err
	}
	st, err := tx.PrepareContext(ctx, `DELETE FROM rollup_dirty WHERE mn = ? AND hour = ?`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, k := range hours {
		if _, err := st.ExecContext(ctx, k.mn, s.t(k.start)); err != nil {
			return err
		}
	}
	return nil
}

// periodSQL is a per-period read: sqlite reads one period per query
// (cheap in-process), PostgreSQL all of them in one round trip.
type periodSQL struct {
	sqlite   string // args: mn, start, end
	postgres string // args: mns, starts; first column the 1-based period index
	length   time.Duration
}

var (
	minuteRowsSQL = periodSQL{
		sqlite: `SELECT data_time, vals FROM uploads WHERE mn = ? AND cn = '` + cnMinute + `' AND data_time >= ? AND data_time < ? ORDER BY data_time`,
		postgres: `SELECT d.k, u.data_time, u.vals FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS d(mn, h, k)
			JOIN uploads u ON u.mn = d.mn AND u.cn = '` + cnMinute + `' AND u.data_time >= d.h AND u.data_time < d.h + interval '1 hour'
			ORDER BY d.k, u.data_time`,
		length: time.Hour,
	}
	hourRowsSQL = periodSQL{
		sqlite: `SELECT factor, n, excluded, avg, min, max, cou FROM rollups
			WHERE mn = ? AND step = 'hour' AND period_start >= ? AND period_start < ? ORDER BY period_start, factor`,
		// 24 hours, not '1 day': a China Standard Time day, whatever the
		// session's time zone.
		postgres: `SELECT d.k, r.factor, r.n, r.excluded, r.avg, r.min, r.max, r.cou
			FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS d(mn, s, k)
			JOIN rollups r ON r.mn = d.mn AND r.step = 'hour' AND r.period_start >= d.s AND r.period_start < d.s + interval '24 hours'
			ORDER BY d.k, r.period_start, r.factor`,
		length: 24 * time.Hour,
	}
)

// eachPeriodRow runs q for each period of keys, scans each row into
// dest and calls fn with the period's index.
func (s *sqlBase) eachPeriodRow(ctx context.Context, tx *sql.Tx, q periodSQL, keys []devPeriod, dest []any, fn func(k int) error) error {
	if len(keys) == 0 {
		return nil
	}
	if !s.postgres {
		st, err := tx.PrepareContext(ctx, q.sqlite)
		if err != nil {
			return err
		}
		defer st.Close()
		for k, key := range keys {
			if err := eachRow(ctx, st, nil, []any{key.mn, s.t(key.start), s.t(key.start.Add(q.length))}, dest, func() error {
				return fn(k)
			}); err != nil {
				return err
			}
		}
		return nil
	}
	mns := make([]string, len(keys))
	starts := make([]time.Time, len(keys))
	for i, k := range keys {
		mns[i], starts[i] = k.mn, k.start
	}
	var idx int64
	return eachRow(ctx, nil, tx, []any{q.postgres, mns, starts}, append([]any{&idx}, dest...), func() error {
		if idx < 1 || idx > int64(len(keys)) {
			return fmt.Errorf("period index %d out of range", idx)
		}
		return fn(int(idx - 1))
	})
}

// eachRow runs the prepared st, or on tx the query that is args[0], scans
// each row into dest and calls fn.
func eachRow(ctx context.Context, st *sql.Stmt, tx *sql.Tx, args, dest []any, fn func() error) error {
	var rows *sql.Rows
	var err error
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = tx.QueryContext(ctx, args[0].(string), args[1:]...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rollupScan scans a roll-up's factor and values.
type rollupScan struct {
	factor             string
	n, excl            int
	avg, min, max, cou sql.NullFloat64
}

func (r *rollupScan) dest() []any {
	return []any{&r.factor, &r.n, &r.excl, &r.avg, &r.min, &r.max, &r.cou}
}

func rollupFloat(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return new(f.Float64)
}

func (r *rollupScan) rollup() model.Rollup {
	return model.Rollup{Factor: r.factor, N: r.n, Excluded: r.excl,
		Avg: rollupFloat(r.avg), Min: rollupFloat(r.min), Max: rollupFloat(r.max), Cou: rollupFloat(r.cou)}
}

// replaceRollups replaces the roll-ups of step of the periods keys by rows.
func (s *sqlBase) replaceRollups(ctx context.Context, tx *sql.Tx, step string, keys []devPeriod, rows []model.Rollup) error {
	if len(keys) == 0 {
		return nil
	}
	if s.postgres {
		mns := make([]string, len(keys))
		starts := make([]time.Time, len(keys))
		for i, k := range keys {
			mns[i], starts[i] = k.mn, k.start
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rollups r USING unnest($2::text[], $3::timestamptz[]) AS d(mn, s)
			WHERE r.mn = d.mn AND r.step = $1 AND r.period_start = d.s`, step, mns, starts); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		var a struct {
			mn, factor         []string
			start              []time.Time
			n, excl            []int32
			avg, min, max, cou []*float64
		}
		for i := range rows {
			r := &rows[i]
			a.mn, a.factor, a.start = append(a.mn, r.MN), append(a.factor, cleanText(r.Factor)), append(a.start, r.Start)
			a.n, a.excl = append(a.n, int32(r.N)), append(a.excl, int32(r.Excluded))
			a.avg, a.min, a.max, a.cou = append(a.avg, r.Avg), append(a.min, r.Min), append(a.max, r.Max), append(a.cou, r.Cou)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO rollups (mn, step, period_start, factor, n, excluded, avg, min, max, cou)
			SELECT m, $1, t, f, n, e, a, lo, hi, c FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::int[], $6::int[],
				$7::float8[], $8::float8[], $9::float8[], $10::float8[]) AS x(m, t, f, n, e, a, lo, hi, c)`,
			step, a.mn, a.start, a.factor, a.n, a.excl, a.avg, a.min, a.max, a.cou)
		return err
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM rollups WHERE mn = ? AND step = ? AND period_start = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, k := range keys {
		if _, err := del.ExecContext(ctx, k.mn, step, s.t(k.start)); err != nil {
			return err
		}
	}
	for len(rows) > 0 {
		n := min(len(rows), maxChunk)
		args := make([]any, 0, 10*n)
		for i := range rows[:n] {
			r := &rows[i]
			args = append(args, r.MN, step, s.t(r.Start), cleanText(r.Factor), r.N, r.Excluded, r.Avg, r.Min, r.Max, r.Cou)
		}
		rows = rows[n:]
		if _, err := tx.ExecContext(ctx, cachedSQL("rollup", n, sqlInsertRollups), args...); err != nil {
			return err
		}
	}
	return nil
}

var sqlInsertRollups = func(n int) string {
	return multiRow(`INSERT INTO rollups (mn, step, period_start, factor, n, excluded, avg, min, max, cou) VALUES `,
		`(?,?,?,?,?,?,?,?,?,?)`, n, ``)
}

// Rollups implements RollupStore.
func (s *sqlBase) Rollups(ctx context.Context, q RollupQuery) ([]model.Rollup, error) {
	if q.Step != model.RollupHour && q.Step != model.RollupDay {
		return nil, fmt.Errorf("query roll-ups: step %q: want hour or day", q.Step)
	}
	where := []string{"step = ?"}
	args := []any{q.Step}
	if len(q.MNs) > 0 {
		c, a := inList("mn", q.MNs)
		where, args = append(where, c), append(args, a...)
	}
	if q.Factor != "" {
		where = append(where, "factor = ?")
		args = append(args, q.Factor)
	}
	if !q.From.IsZero() {
		where = append(where, "period_start >= ?")
		args = append(args, s.t(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "period_start < ?")
		args = append(args, s.t(q.To))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultUploadLimit
	}
	query := `SELECT mn, period_start, factor, n, excluded, avg, min, max, cou FROM rollups WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY mn, period_start, factor LIMIT ` + strconv.Itoa(limit)
	var out []model.Rollup
	var sc rollupScan
	var mn string
	var start dbTime
	dest := append([]any{&mn, &start}, sc.dest()...)
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r := sc.rollup()
		r.MN, r.Step, r.Start = mn, q.Step, time.Time(start)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query roll-ups: %w", err)
	}
	return out, nil
}

// PurgeRollupsBefore implements RollupStore, in chunks as PurgeRawBefore.
func (s *sqlBase) PurgeRollupsBefore(ctx context.Context, step string, t time.Time) (int64, error) {
	if step != model.RollupHour && step != model.RollupDay {
		return 0, fmt.Errorf("purge roll-ups: step %q: want hour or day", step)
	}
	query := `DELETE FROM rollups WHERE rowid IN (SELECT rowid FROM rollups WHERE step = ? AND period_start < ? LIMIT ` + strconv.Itoa(purgeChunk) + `)`
	if s.postgres {
		query = `DELETE FROM rollups WHERE ctid = ANY(ARRAY(SELECT ctid FROM rollups WHERE step = $1 AND period_start < $2 LIMIT ` + strconv.Itoa(purgeChunk) + `))`
	}
	var total int64
	for {
		res, err := s.w.ExecContext(ctx, query, step, s.t(t))
		if err != nil {
			return total, fmt.Errorf("purge %s roll-ups before %s: %w", step, t.Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge roll-ups: %w", err)
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}
