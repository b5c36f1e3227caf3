package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Defaults of the queries (see UploadQuery and RawQuery).
const (
	defaultUploadLimit = 10000
	defaultRawLimit    = 1000
	purgeChunk         = 5000
)

// sqlBase holds what both dialects share: the read and write pools and
// the queries, written with `?` placeholders and rebound for PostgreSQL.
type sqlBase struct {
	r, w     *sql.DB
	postgres bool
}

// q rebinds `?` placeholders to `$n` for PostgreSQL. The shared SQL has no
// `?` elsewhere (no jsonb `?` operators, no literals containing it).
func (s *sqlBase) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// t is a time as the dialect stores it: unix microseconds for SQLite,
// time.Time (timestamptz, microseconds) for PostgreSQL.
func (s *sqlBase) t(t time.Time) any {
	if s.postgres {
		return t.UTC().Truncate(time.Microsecond)
	}
	return t.UnixMicro()
}

// dbTime scans either representation into a UTC time.
type dbTime time.Time

func (d *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*d = dbTime(time.UnixMicro(v).UTC())
	case time.Time:
		*d = dbTime(v.UTC())
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

// cleanText makes s storable as text in both databases: PostgreSQL
// refuses invalid UTF-8 and NUL in text, and one such string from a
// hostile device must not fail a whole batch. Valid text is returned
// unchanged without allocating.
func cleanText(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 || s[i] >= utf8.RuneSelf {
			if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
				return s
			}
			return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
		}
	}
	return s
}

func appendJSONStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

func (s *sqlBase) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("ping store read pool: %w", err)
		}
	}
	return nil
}

func (s *sqlBase) Close() error {
	var errs []error
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// ImportRegistry implements Store.
func (s *sqlBase) ImportRegistry(ctx context.Context, r *model.Registry) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import registry: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Parents first: the foreign keys are checked per statement.
	for _, c := range r.Counties {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO counties (code, name, name_en) VALUES (?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en`),
			c.Code, c.Name, c.NameEN); err != nil {
			return fmt.Errorf("import registry: county %q: %w", c.Code, err)
		}
	}
	for _, e := range r.Enterprises {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO enterprises (uscc, name, county, industry, lat, lon) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, county = excluded.county,
				industry = excluded.industry, lat = excluded.lat, lon = excluded.lon`),
			e.USCC, e.Name, nullIfEmpty(e.County), e.Industry, e.Lat, e.Lon); err != nil {
			return fmt.Errorf("import registry: enterprise %q: %w", e.USCC, err)
		}
	}
	for _, o := range r.Outlets {
		limits := o.Limits
		if limits == nil {
			limits = []model.Limit{}
		}
		lj, err := json.Marshal(limits)
		if err != nil {
			return fmt.Errorf("import registry: outlet %q limits: %w", o.ID, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO outlets (id, enterprise, name, kind, limits) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET enterprise = excluded.enterprise, name = excluded.name,
				kind = excluded.kind, limits = excluded.limits`),
			o.ID, o.Enterprise, o.Name, o.Kind, string(lj)); err != nil {
			return fmt.Errorf("import registry: outlet %q: %w", o.ID, err)
		}
	}
	for _, d := range r.Devices {
		tol := appendJSONStrings(nil, d.Tolerances)
		nets := appendJSONStrings(nil, d.Networks)
		factors := d.Factors
		if factors == nil {
			factors = []model.DeviceFactor{}
		}
		fj, err := json.Marshal(factors)
		if err != nil {
			return fmt.Errorf("import registry: device %q factors: %w", d.MN, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO devices (mn, password, protocol, outlet, st, tolerances, networks, factors) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (mn) DO UPDATE SET password = excluded.password, protocol = excluded.protocol,
				outlet = excluded.outlet, st = excluded.st, tolerances = excluded.tolerances, networks = excluded.networks,
				factors = excluded.factors`),
			d.MN, d.Password, d.Protocol, nullIfEmpty(d.Outlet), d.ST, string(tol), string(nets), string(fj)); err != nil {
			// The error names the MN only: never the password.
			return fmt.Errorf("import registry: device %q: %w", d.MN, err)
		}
	}
	// Stations after the counties they are in (foreign key).
	if err := s.importStations(ctx, tx, r.Stations); err != nil {
		return fmt.Errorf("import registry: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import registry: commit: %w", err)
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Registry implements Store.
func (s *sqlBase) Registry(ctx context.Context) (*model.Registry, error) {
	r := &model.Registry{
		Counties: []model.County{}, Enterprises: []model.Enterprise{},
		Outlets: []model.Outlet{}, Devices: []model.Device{},
	}
	err := s.query(ctx, `SELECT code, name, name_en FROM counties ORDER BY code`, nil, func(rows *sql.Rows) error {
		var c model.County
		if err := rows.Scan(&c.Code, &c.Name, &c.NameEN); err != nil {
			return err
		}
		r.Counties = append(r.Counties, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read counties: %w", err)
	}
	err = s.query(ctx, `SELECT uscc, name, COALESCE(county, ''), industry, lat, lon FROM enterprises ORDER BY uscc`, nil, func(rows *sql.Rows) error {
		var e model.Enterprise
		if err := rows.Scan(&e.USCC, &e.Name, &e.County, &e.Industry, &e.Lat, &e.Lon); err != nil {
			return err
		}
		r.Enterprises = append(r.Enterprises, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read enterprises: %w", err)
	}
	err = s.query(ctx, `SELECT id, enterprise, name, kind, limits FROM outlets ORDER BY id`, nil, func(rows *sql.Rows) error {
		var o model.Outlet
		var limits []byte
		if err := rows.Scan(&o.ID, &o.Enterprise, &o.Name, &o.Kind, &limits); err != nil {
			return err
		}
		if err := json.Unmarshal(limits, &o.Limits); err != nil {
			return fmt.Errorf("outlet %q limits: %w", o.ID, err)
		}
		if len(o.Limits) == 0 {
			o.Limits = nil
		}
		r.Outlets = append(r.Outlets, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outlets: %w", err)
	}
	err = s.query(ctx, `SELECT mn, password, protocol, COALESCE(outlet, ''), st, tolerances, networks, factors FROM devices ORDER BY mn`, nil, func(rows *sql.Rows) error {
		var d model.Device
		var tol, nets, factors []byte
		if err := rows.Scan(&d.MN, &d.Password, &d.Protocol, &d.Outlet, &d.ST, &tol, &nets, &factors); err != nil {
			return err
		}
		if err := json.Unmarshal(factors, &d.Factors); err != nil {
			return fmt.Errorf("device %q factors: %w", d.MN, err)
		}
		if len(d.Factors) == 0 {
			d.Factors = nil
		}
		if err := json.Unmarshal(tol, &d.Tolerances); err != nil {
			return fmt.Errorf("device %q tolerances: %w", d.MN, err)
		}
		if len(d.Tolerances) == 0 {
			d.Tolerances = nil
		}
		if err := json.Unmarshal(nets, &d.Networks); err != nil {
			return fmt.Errorf("device %q networks: %w", d.MN, err)
		}
		if len(d.Networks) == 0 {
			d.Networks = nil
		}
		r.Devices = append(r.Devices, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read devices: %w", err)
	}
	if r.Stations, err = s.readStations(ctx); err != nil {
		return nil, fmt.Errorf("read air stations: %w", err)
	}
	return r, nil
}

// query runs a read on the read pool and calls fn for each row.
func (s *sqlBase) query(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	return queryRows(ctx, s.r, s.q(query), args, fn)
}

// Uploads implements Store.
func (s *sqlBase) Uploads(ctx context.Context, q UploadQuery) ([]model.Upload, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultUploadLimit
	}
	where, args := s.uploadWhere(q, "data_time", "data_time")
	query := `SELECT mn, cn, data_time, vals FROM uploads` + where
	query += " ORDER BY mn, cn, data_time LIMIT " + strconv.Itoa(limit)
	var out []model.Upload
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		var u model.Upload
		var t dbTime
		var vals []byte
		if err := rows.Scan(&u.MN, &u.CN, &t, &vals); err != nil {
			return err
		}
		u.DataTime = time.Time(t)
		var err error
		if u.Values, err = parseValuesJSON(nil, vals); err != nil {
			return fmt.Errorf("upload %s/%s/%s: %w", u.MN, u.CN, u.DataTime.Format(time.RFC3339), err)
		}
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query uploads: %w", err)
	}
	// Closed days may be compacted into blocks (compact.go).
	blocks, err := s.blockUploads(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("query uploads: %w", err)
	}
	if len(blocks) > 0 {
		out = mergeSorted(blocks, out, limit)
	}
	return out, nil
}

// UploadTimes implements Store. A zero from or to leaves that end open.
func (s *sqlBase) UploadTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error) {
	w, a := s.timeWhere(from, to, "data_time", "data_time")
	query := `SELECT data_time FROM uploads` + whereClause(append([]string{"mn = ?", "cn = ?"}, w...)) + " ORDER BY data_time"
	args := append([]any{mn, cn}, a...)
	var out []time.Time
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		var t dbTime
		if err := rows.Scan(&t); err != nil {
			return err
		}
		out = append(out, time.Time(t))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query upload times of %s/%s: %w", mn, cn, err)
	}
	bt, err := s.blockTimes(ctx, mn, cn, from, to)
	if err != nil {
		return nil, fmt.Errorf("query upload times of %s/%s: %w", mn, cn, err)
	}
	return mergeTimes(bt, out), nil
}

// RawFrames implements Store.
func (s *sqlBase) RawFrames(ctx context.Context, q RawQuery) ([]model.RawFrame, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultRawLimit
	}
	where, args := s.rawWhere(q, "received_at", "received_at", "id")
	query := rawSelect + where
	query += " ORDER BY id DESC LIMIT " + strconv.Itoa(limit)
	var out []model.RawFrame
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		f, err := scanRaw(rows)
		if err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query raw frames: %w", err)
	}
	// Closed days' accepted frames may be compacted (compact.go).
	if out, err = s.blockRaw(ctx, q, out, limit); err != nil {
		return nil, fmt.Errorf("query raw frames: %w", err)
	}
	return out, nil
}

// scanRaw scans a row of rawSelect.
func scanRaw(rows *sql.Rows) (model.RawFrame, error) {
	var f model.RawFrame
	var t dbTime
	var dev []byte
	if err := rows.Scan(&f.ID, &t, &f.Remote, &f.MN, &f.CN, &f.QN, &f.Status, &f.Reason, &dev, &f.Raw, &f.BusSeq); err != nil {
		return f, err
	}
	f.ReceivedAt = time.Time(t)
	if err := json.Unmarshal(dev, &f.Deviations); err != nil {
		return f, fmt.Errorf("raw frame %d deviations: %w", f.ID, err)
	}
	if len(f.Deviations) == 0 {
		f.Deviations = nil
	}
	if f.Raw == nil {
		f.Raw = []byte{}
	}
	return f, nil
}

// PurgeRawBefore implements Store. It deletes in chunks, each its own
// transaction, so that retention never holds the writer for long; it
// walks the (status, received_at) index once per status, which avoids a
// third index on the hot insert path.
func (s *sqlBase) PurgeRawBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.PurgeRawStatusBefore(ctx, t, model.RawAccepted, model.RawQuarantined, model.RawRejected, model.RawDuplicate)
}

// PurgeRawStatusBefore implements Store: PurgeRawBefore for the given
// statuses only (the rejected and quarantined frames have their own
// retention).
func (s *sqlBase) PurgeRawStatusBefore(ctx context.Context, t time.Time, statuses ...string) (int64, error) {
	total, err := s.purgeRawBlocks(ctx, t, statuses)
	if err != nil {
		return total, fmt.Errorf("purge raw frames before %s: %w", t.Format(time.RFC3339), err)
	}
	for _, st := range statuses {
		for {
			res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM raw_frames WHERE id IN (
				SELECT id FROM raw_frames WHERE status = ? AND received_at < ? LIMIT `+strconv.Itoa(purgeChunk)+`)`),
				st, s.t(t))
			if err != nil {
				return total, fmt.Errorf("purge raw frames before %s: %w", t.Format(time.RFC3339), err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return total, fmt.Errorf("purge raw frames: %w", err)
			}
			total += n
			if n < purgeChunk {
				break
			}
		}
	}
	return total, nil
}

// Contacts implements Store.
func (s *sqlBase) Contacts(ctx context.Context) ([]model.Contact, error) {
	var out []model.Contact
	err := s.query(ctx, `SELECT mn, at, remote, cn FROM contacts ORDER BY mn`, nil, func(rows *sql.Rows) error {
		var c model.Contact
		var t dbTime
		if err := rows.Scan(&c.MN, &t, &c.Remote, &c.CN); err != nil {
			return err
		}
		c.At = time.Time(t)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query contacts: %w", err)
	}
	return out, nil
}
