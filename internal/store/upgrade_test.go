package store

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/pgtest"
	"github.com/ecowatch/ecowatch/internal/rights"
)

// The upgrade fixtures are small databases of each released schema
// version: testdata/schema/vNNNN.db holds the schema of migrations 1..N
// and representative rows of what each of those versions added (seedAt).
// They are frozen: a released version's data does not change. Regenerate
// them only to add the fixture of a newly released version:
//
//	go test ./internal/store -run TestUpgradeFixtures -update-fixtures
//
// which writes the missing files and leaves existing ones alone.
var updateFixtures = flag.Bool("update-fixtures", false, "write the missing upgrade fixtures (testdata/schema/vNNNN.db)")

// fixtureVersions are the released schema versions that have a fixture.
const fixtureVersions = 9

func fixturePath(v int) string {
	return filepath.Join("testdata", "schema", fmt.Sprintf("v%04d.db", v))
}

// Fixed values of the seeded rows, checked after the upgrade.
const (
	fxCounty = "371502"
	fxUSCC   = "91371500MA3C000001"
	fxOutlet = "91371500MA3C000001-DA001"
	fxMN     = "FIX0A890000000000000001"
	fxUser   = "fx-user"
	fxToken  = "fxtokenhash"
	fxDT     = int64(1764547200000000) // 2025-12-01T00:00:00Z in µs
)

// seedAt inserts the representative rows of what schema version v added,
// in the SQLite dialect of that version (frozen with the fixtures).
func seedAt(t *testing.T, db *sql.DB, v int) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("seed v%d: %s: %v", v, q, err)
		}
	}
	switch v {
	case 1:
		exec(`INSERT INTO counties (code, name, name_en) VALUES (?, '东昌府区', 'Dongchangfu')`, fxCounty)
		exec(`INSERT INTO enterprises (uscc, name, county, industry, lat, lon) VALUES (?, '测试热电有限公司', ?, '热电', 36.45, 115.98)`, fxUSCC, fxCounty)
		exec(`INSERT INTO outlets (id, enterprise, name, kind, limits) VALUES (?, ?, '1号排口', 'air', '[{"pollutant":"a21026","unit":"mg/m3","kind":"converted","period":"hour","max":100}]')`, fxOutlet, fxUSCC)
		exec(`INSERT INTO devices (mn, password, protocol, outlet, st, tolerances) VALUES (?, '123456', '2017', ?, '31', '[]')`, fxMN, fxOutlet)
		exec(`INSERT INTO uploads (mn, cn, data_time, vals) VALUES (?, '2051', ?, '{"a21026-Avg":"12.5","a21026-Flag":"N"}')`, fxMN, fxDT)
		exec(`INSERT INTO raw_frames (received_at, remote, mn, cn, qn, status, reason, deviations, raw) VALUES (?, '127.0.0.1:5000', ?, '2051', '20251201080000000', 'accepted', '', '[]', ?)`,
			fxDT+1000, fxMN, []byte("##0101QN=20251201080000000;ST=31;CN=2051;...\r\n"))
		exec(`INSERT INTO contacts (mn, at, remote, cn) VALUES (?, ?, '127.0.0.1:5000', '2051')`, fxMN, fxDT+1000)
	case 2:
		exec(`INSERT INTO air_stations (code, name, county, level, lat, lon, city_eval, county_eval, mn) VALUES ('1370A', '市监测站', ?, 'national', 36.45, 115.98, 1, 0, '')`, fxCounty)
		exec(`INSERT INTO air_targets (year, area, pm25, good_ratio) VALUES (2026, ?, 38.0, 0.75)`, fxCounty)
	case 3:
		exec(`INSERT INTO water_items (kind, code, seq, doc) VALUES ('section', 'S001', 1, '{"code":"S001","name":"徒骇河入境"}')`)
		exec(`INSERT INTO water_samples (point, item, time, value, below_dl, source) VALUES ('S001', 'w01018', ?, '18.2', 0, 'lab')`, fxDT)
	case 4:
		_, cmds := rightsScript(t)
		b := &sqlBase{r: db, w: db}
		for _, es := range cmds {
			if err := b.AppendRights(ctx, es, nil); err != nil {
				t.Fatalf("seed v4: %v", err)
			}
		}
	case 5:
		exec(`INSERT INTO users (id, name, role, county, enterprise, password_hash, disabled, created_at) VALUES (?, '张伟', 'county', ?, '', '$argon2id$fixture', 0, ?)`, fxUser, fxCounty, fxDT)
		exec(`INSERT INTO api_tokens (hash, name, user_id, created_at, expires_at) VALUES (?, 'screen', ?, ?, 0)`, fxToken, fxUser, fxDT)
		exec(`INSERT INTO attachments (hash, type, size, name, created_by, created_at) VALUES (?, 'image/png', 608, 'photo.png', ?, ?)`,
			strings.Repeat("ab", 32), fxUser, fxDT)
		exec(`INSERT INTO audit_log (at, actor, role, action, target) VALUES (?, ?, 'county', 'user.add', ?)`, fxDT, fxUser, fxUser)
	case 6:
		exec(`INSERT INTO acc_schemes (version, doc) VALUES ('2024', '{"version":"2024"}')`)
	case 7:
		exec(`INSERT INTO rollups (mn, step, period_start, factor, n, excluded, avg, min, max, cou) VALUES (?, 'hour', ?, 'a21026', 60, 0, 12.5, 10, 15, NULL)`, fxMN, fxDT)
	case 8:
		exec(`UPDATE devices SET networks = '["10.1.0.0/16"]' WHERE mn = ?`, fxMN)
	case 9:
		exec(`UPDATE api_tokens SET revoked_at = ?, revoked_why = 'password changed' WHERE hash = ?`, fxDT+5, fxToken)
	default:
		t.Fatalf("no seed for schema version %d", v)
	}
}

// TestUpgradeFixtures writes the missing fixtures with -update-fixtures,
// and checks that each fixture is at its version.
func TestUpgradeFixtures(t *testing.T) {
	ctx := context.Background()
	for v := 1; v <= fixtureVersions; v++ {
		p := fixturePath(v)
		if _, err := os.Stat(p); err != nil {
			if !*updateFixtures {
				t.Fatalf("fixture %s is missing: %v (go test ./internal/store -run TestUpgradeFixtures -update-fixtures)", p, err)
			}
			writeFixture(t, v, p)
		}
		in, err := Inspect(ctx, "sqlite:"+p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := in.SchemaVersion(ctx)
		in.Close()
		if err != nil || got != v {
			t.Fatalf("%s: schema version %d (%v), want %d", p, got, err, v)
		}
	}
}

func writeFixture(t *testing.T, v int, p string) {
	t.Helper()
	ctx := context.Background()
	tmp := filepath.Join(t.TempDir(), "f.db")
	// Small pages keep the committed files small.
	db, err := sql.Open("sqlite", "file:"+tmp+"?_pragma=page_size(1024)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := migrateTo(ctx, db, sqliteMigrate, v); err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= v; s++ {
		seedAt(t, db, s)
	}
	os.MkdirAll(filepath.Dir(p), 0o750)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, p); err != nil {
		t.Fatal(err)
	}
	out, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := out.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", p)
}

// fixtureRows reads every row of every table of a SQLite database, keyed
// by table, each row as column → value.
func fixtureRows(t *testing.T, db *sql.DB) map[string][]map[string]any {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string][]map[string]any{}
	for _, tb := range tables {
		out[tb] = selectAll(t, db, tb)
	}
	return out
}

func selectAll(t *testing.T, db *sql.DB, table string) []map[string]any {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out
}

func copyFixture(t *testing.T, v int) string {
	t.Helper()
	in, err := os.Open(fixturePath(v))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p := filepath.Join(t.TempDir(), "ecowatch.db")
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return p
}

// TestUpgradeSQLite opens a copy of each fixture with the current binary
// (which migrates it to the latest schema) and checks that every row of
// the old schema is still there with its values, and that the store reads
// the old data through its API.
func TestUpgradeSQLite(t *testing.T) {
	for v := 1; v <= fixtureVersions; v++ {
		t.Run(fmt.Sprintf("v%04d", v), func(t *testing.T) {
			ctx := context.Background()
			p := copyFixture(t, v)
			old, err := sql.Open("sqlite", p)
			if err != nil {
				t.Fatal(err)
			}
			before := fixtureRows(t, old)
			old.Close()
			st, err := Open(ctx, "sqlite:"+p, Options{})
			if err != nil {
				t.Fatalf("upgrade from schema %d: %v", v, err)
			}
			defer st.Close()
			checkUpgraded(t, st, v)
			now, err := sql.Open("sqlite", p)
			if err != nil {
				t.Fatal(err)
			}
			defer now.Close()
			for table, rows := range before {
				if table == "schema_migrations" {
					continue
				}
				after := selectAll(t, now, table)
				if len(after) != len(rows) {
					t.Errorf("table %s: %d rows after the upgrade, %d before", table, len(after), len(rows))
					continue
				}
				for i, r := range rows {
					for c, want := range r {
						if got, ok := after[i][c]; ok && fmt.Sprint(got) != fmt.Sprint(want) {
							t.Errorf("table %s row %d column %s: %v after the upgrade, %v before", table, i, c, got, want)
						}
					}
				}
			}
		})
	}
}

// TestUpgradePostgres builds each earlier schema on PostgreSQL by applying
// the migrations up to it, copies the fixture's rows into it, then opens
// it with the current binary (migrating to the latest schema) and checks
// the data through the store's API and by row counts.
func TestUpgradePostgres(t *testing.T) {
	for v := 1; v <= fixtureVersions; v++ {
		t.Run(fmt.Sprintf("v%04d", v), func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.Database(t, "ecowatch_upgrade")
			pg := rawPG(t, dsn)
			if _, err := migrateTo(ctx, pg, postgresMigrate, v); err != nil {
				t.Fatal(err)
			}
			old, err := sql.Open("sqlite", copyFixture(t, v))
			if err != nil {
				t.Fatal(err)
			}
			before := fixtureRows(t, old)
			old.Close()
			copyRowsToPG(t, pg, before)
			st, err := Open(ctx, dsn, Options{})
			if err != nil {
				t.Fatalf("upgrade from schema %d: %v", v, err)
			}
			defer st.Close()
			checkUpgraded(t, st, v)
			for table, rows := range before {
				if table == "schema_migrations" {
					continue
				}
				var n int
				if err := pg.QueryRow(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != len(rows) {
					t.Errorf("table %s: %d rows after the upgrade, %d before", table, n, len(rows))
				}
			}
		})
	}
}

func rawPG(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// copyRowsToPG inserts SQLite rows into the same tables of PostgreSQL,
// converting by the PostgreSQL column's type (microseconds to timestamptz,
// 0/1 to boolean); columns PostgreSQL lacks (SQLite's rowid aliases) are
// left out.
func copyRowsToPG(t *testing.T, pg *sql.DB, tables map[string][]map[string]any) {
	t.Helper()
	order := []string{"counties", "enterprises", "outlets", "devices", "air_stations", "users"}
	var names []string
	for n := range tables {
		if n != "schema_migrations" && !slices.Contains(order, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, table := range append(order, names...) {
		rows := tables[table]
		if len(rows) == 0 {
			continue
		}
		types := map[string]string{}
		ident := false
		rs, err := pg.Query(`SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var c, ty, id string
			rs.Scan(&c, &ty, &id)
			types[c] = ty
			ident = ident || id == "YES"
		}
		rs.Close()
		for _, r := range rows {
			var cols, ph []string
			var args []any
			for c, v := range r {
				ty, ok := types[c]
				if !ok {
					continue
				}
				switch ty {
				case "timestamp with time zone":
					if n, ok := v.(int64); ok {
						v = time.UnixMicro(n).UTC()
					}
				case "boolean":
					if n, ok := v.(int64); ok {
						v = n != 0
					}
				case "bytea":
					if s, ok := v.(string); ok {
						v = []byte(s)
					}
				}
				cols = append(cols, `"`+c+`"`)
				args = append(args, v)
				ph = append(ph, fmt.Sprintf("$%d", len(args)))
			}
			over := ""
			if ident {
				over = " OVERRIDING SYSTEM VALUE"
			}
			q := `INSERT INTO "` + table + `" (` + strings.Join(cols, ", ") + `)` + over + ` VALUES (` + strings.Join(ph, ", ") + `)`
			if _, err := pg.Exec(q, args...); err != nil {
				t.Fatalf("copy into %s: %v", table, err)
			}
		}
	}
}

// checkUpgraded reads the seeded data of schema versions 1..v through the
// store's API.
func checkUpgraded(t *testing.T, st Store, v int) {
	t.Helper()
	ctx := context.Background()
	reg, err := st.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Devices) != 1 || reg.Devices[0].MN != fxMN || reg.Devices[0].Outlet != fxOutlet || len(reg.Outlets) != 1 || len(reg.Outlets[0].Limits) != 1 {
		t.Fatalf("registry after the upgrade: %+v", reg)
	}
	ups, err := st.Uploads(ctx, UploadQuery{CN: "2051"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || !ups[0].DataTime.Equal(time.UnixMicro(fxDT)) || fmt.Sprint(ups[0].Values) != "[{a21026 Avg 12.5} {a21026 Flag N}]" {
		t.Fatalf("uploads after the upgrade: %+v", ups)
	}
	raws, err := st.RawFrames(ctx, RawQuery{})
	if err != nil || len(raws) != 1 || !strings.HasPrefix(string(raws[0].Raw), "##0101") {
		t.Fatalf("raw frames after the upgrade: %+v %v", raws, err)
	}
	if v >= 2 && len(reg.Stations) != 1 {
		t.Fatalf("air stations after the upgrade: %+v", reg.Stations)
	}
	if v >= 3 {
		ws, err := st.WaterSamples(ctx, WaterSampleQuery{})
		if err != nil || len(ws) != 1 || ws[0].Value != "18.2" {
			t.Fatalf("water samples after the upgrade: %+v %v", ws, err)
		}
	}
	if v >= 4 {
		n, head, err := st.RightsHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var es []rights.Entry
		if err := st.RightsEntries(ctx, RightsQuery{}, func(e *rights.Entry) error { es = append(es, *e); return nil }); err != nil {
			t.Fatal(err)
		}
		if n == 0 || int64(len(es)) != n {
			t.Fatalf("ledger after the upgrade: head %d, %d entries", n, len(es))
		}
		if err := rights.VerifyHead(es, head); err != nil {
			t.Fatalf("ledger after the upgrade: %v", err)
		}
	}
	if v >= 5 {
		u, err := st.User(ctx, fxUser)
		if err != nil || u.Name != "张伟" {
			t.Fatalf("user after the upgrade: %+v %v", u, err)
		}
		tok, err := st.APIToken(ctx, fxToken)
		if err != nil || tok.User != fxUser {
			t.Fatalf("token after the upgrade: %+v %v", tok, err)
		}
		if v >= 9 && tok.RevokedAt.IsZero() {
			t.Fatalf("token revocation lost in the upgrade: %+v", tok)
		}
		if _, err := st.Attachment(ctx, strings.Repeat("ab", 32)); err != nil {
			t.Fatalf("attachment after the upgrade: %v", err)
		}
	}
	if v >= 7 {
		rus, err := st.Rollups(ctx, RollupQuery{MNs: []string{fxMN}, Step: "hour"})
		if err != nil || len(rus) != 1 {
			t.Fatalf("roll-ups after the upgrade: %+v %v", rus, err)
		}
	}
	if v >= 8 && fmt.Sprint(reg.Devices[0].Networks) != "[10.1.0.0/16]" {
		t.Fatalf("device networks after the upgrade: %+v", reg.Devices[0])
	}
}
