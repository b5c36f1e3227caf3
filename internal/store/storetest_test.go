package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// target is one store implementation under the shared suite.
type target struct {
	// dsn names a fresh database without data for one test, migrated or
	// not; empty names one with no schema either (for the migrations'
	// test).
	dsn, empty func(t *testing.T) string
	// raw opens the database of dsn directly, for what the Store API
	// cannot do (tamper with schema_migrations, look at row versions).
	raw func(t *testing.T, dsn string) *sql.DB
	// ph returns the i-th (1-based) placeholder of the dialect.
	ph func(i int) string
}

var t0 = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

func openStore(t *testing.T, dsn string) Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func upload(mn, cn string, at time.Time, kv ...string) model.Upload {
	u := model.Upload{MN: mn, CN: cn, DataTime: at}
	for i := 0; i+1 < len(kv); i += 2 {
		f, fl := splitValueKey(kv[i])
		u.Values = append(u.Values, model.Value{Factor: f, Field: fl, Value: kv[i+1]})
	}
	return u
}

// sorted returns u with its values in the order the stores return them.
func sorted(us ...model.Upload) []model.Upload {
	out := make([]model.Upload, len(us))
	for i, u := range us {
		u.Values = append([]model.Value(nil), u.Values...)
		sortValues(u.Values)
		u.DataTime = u.DataTime.UTC()
		out[i] = u
	}
	return out
}

func mustCommit(t *testing.T, s Store, b *Batch) {
	t.Helper()
	if err := s.CommitBatch(context.Background(), b); err != nil {
		t.Fatalf("CommitBatch: %v", err)
	}
}

func allUploads(t *testing.T, s Store) []model.Upload {
	t.Helper()
	us, err := s.Uploads(context.Background(), UploadQuery{})
	if err != nil {
		t.Fatalf("Uploads: %v", err)
	}
	return us
}

func allRaw(t *testing.T, s Store) []model.RawFrame {
	t.Helper()
	fs, err := s.RawFrames(context.Background(), RawQuery{Limit: 100000})
	if err != nil {
		t.Fatalf("RawFrames: %v", err)
	}
	return fs
}

func rawFrame(mn string, at time.Time, status string) model.RawFrame {
	return model.RawFrame{
		ReceivedAt: at, Remote: "10.1.2.3:50000", MN: mn, CN: "2051", QN: "20260314092600000",
		Status: status, Raw: []byte("##0000QN=...;MN=" + mn + "&&ABCD\r\n"),
	}
}

func runSuite(t *testing.T, tg target) {
	tests := []struct {
		name string
		fn   func(t *testing.T, tg target)
	}{
		{"Migrations", testMigrations},
		{"Registry", testRegistry},
		{"RegistryAllOrNothing", testRegistryAllOrNothing},
		{"UploadRoundTrip", testUploadRoundTrip},
		{"UploadIdempotent", testUploadIdempotent},
		{"UploadMergeKeepsStored", testUploadMergeKeepsStored},
		{"UploadDuplicatesInBatch", testUploadDuplicatesInBatch},
		{"UploadQueries", testUploadQueries},
		{"RawFramesPaging", testRawFramesPaging},
		{"RawFramesRetention", testRawFramesRetention},
		{"RawFramesBytesAndText", testRawFramesBytesAndText},
		{"ContactsLatestWins", testContactsLatestWins},
		{"Atomicity", testAtomicity},
		{"TimesUTC", testTimesUTC},
		{"ConcurrentReaders", testConcurrentReaders},
		{"RawFramesBusSeq", testRawFramesBusSeq},
		{"Rollups", testRollups},
		{"RollupsConverted", testRollupsConverted},
		{"RollupsMarks", testRollupsMarks},
		{"RollUpConcurrent", testRollUpConcurrent},
		{"PurgeUploads", testPurgeUploads},
		{"ReadReplica", testReadReplica},
		{"Compact", runCompactSuite},
		{"AirHoursRoundTrip", testAirHoursRoundTrip},
		{"AirHoursIdempotent", testAirHoursIdempotent},
		{"AirHoursCorrection", testAirHoursCorrection},
		{"AirHoursAllOrNothing", testAirHoursAllOrNothing},
		{"AirDaysQuery", testAirDaysQuery},
		{"AirTargets", testAirTargets},
		{"Water", runWaterSuite},
		{"Rights", runRightsSuite},
		{"Cases", runCasesSuite},
		{"Accountability", runAccountabilitySuite},
		{"Forward", runForwardSuite},
		{"Marks", testMarks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, tg) })
	}
}

func testMigrations(t *testing.T, tg target) {
	dsn := tg.empty(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", t0, "a21026-Avg", "1.5")}})
	s.Close()
	// Reopening applies nothing again and keeps the data.
	s = openStore(t, dsn)
	if got := allUploads(t, s); len(got) != 1 {
		t.Fatalf("after reopen: %d uploads, want 1", len(got))
	}
	db := tg.raw(t, dsn)
	var n, v int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	known, err := loadMigrations(map[bool]string{true: "postgres", false: "sqlite"}[strings.HasPrefix(dsn, "postgres")])
	if err != nil {
		t.Fatal(err)
	}
	if n != len(known) || v != len(known) {
		t.Fatalf("schema_migrations: %d rows, version %d; want %d", n, v, len(known))
	}
	// A database migrated by a newer binary is refused.
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (`+tg.ph(1)+`, 'future', 'x')`, len(known)+1); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, dsn, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("Open of a newer schema: err = %v, want ErrSchemaTooNew", err)
	}
}

func ptr(f float64) *float64 { return &f }

func demoRegistry() *model.Registry {
	return &model.Registry{
		Counties: []model.County{
			{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu"},
			{Code: "371521", Name: "阳谷县", NameEN: "Yanggu"},
		},
		Enterprises: []model.Enterprise{
			{USCC: "91371500MA3C000001", Name: "聊城热电有限公司", County: "371502", Industry: "4411", Lat: 36.45, Lon: 115.98},
			{USCC: "91371500MA3C000002", Name: "阳谷化工", County: "371521", Industry: "2614"},
		},
		Outlets: []model.Outlet{
			{ID: "91371500MA3C000001-DA001", Enterprise: "91371500MA3C000001", Name: "1号锅炉烟囱", Kind: model.OutletAir,
				Limits: []model.Limit{
					{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: ptr(35)},
					{Pollutant: "a34013", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: ptr(5)},
				}},
			{ID: "91371500MA3C000002-DW001", Enterprise: "91371500MA3C000002", Name: "总排口", Kind: model.OutletWater,
				Limits: []model.Limit{{Pollutant: "w01001", Unit: "", Kind: model.LimitMeasured, Period: model.PeriodDay, Min: ptr(6), Max: ptr(9)}}},
		},
		Devices: []model.Device{
			{MN: "88888880000001", Password: "123456", Protocol: "2017", Outlet: "91371500MA3C000001-DA001", ST: "31",
				Tolerances: []string{model.ToleranceModbusCRC}, Networks: []string{"10.20.0.0/16", "2001:db8:1::/48"},
				// Analysers (migration 0013): a range with a detection
				// limit, a range only, a detection limit with a range
				// that does not start at zero.
				Factors: []model.DeviceFactor{
					{Factor: "a21026", Unit: "mg/m3", RangeMax: ptr(200), DetectionLimit: ptr(1)},
					{Factor: "a34013", Unit: "mg/m3", RangeMax: ptr(50)},
					{Factor: "a01014", Unit: "%", RangeMin: 0.5, RangeMax: ptr(40.25), DetectionLimit: ptr(0.1)},
				}},
			{MN: "88888880000002", Password: "pw'\"2", Protocol: "2005", Outlet: "91371500MA3C000002-DW001", ST: "32"},
			{MN: "AIRSTATION0001", Password: "x", Protocol: "2025", ST: "22"}, // a station: no outlet
		},
		Stations: []model.Station{
			{Code: "371501A", Name: "市监测站", County: "371502", Level: model.StationNational, Lat: 36.456, Lon: 115.985,
				CityEval: true, CountyEval: true, MN: "AIRSTATION0001"},
			{Code: "371521A", Name: "阳谷县环保局", County: "371521", Level: model.StationProvincial, Lat: 36.114, Lon: 115.791, CountyEval: true},
		},
	}
}

func testRegistry(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	r := demoRegistry()
	if err := s.ImportRegistry(ctx, r); err != nil {
		t.Fatalf("ImportRegistry: %v", err)
	}
	got, err := s.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("registry round trip:\n got %+v\nwant %+v", got, r)
	}
	// A second import upserts what it names and keeps the rest; a device
	// imported without analysers has none (the import replaces them).
	r2 := &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区(新)", NameEN: "Dongchangfu"}},
		Devices: []model.Device{{MN: "88888880000002", Password: "new", Protocol: "2017", ST: "32",
			Factors: []model.DeviceFactor{{Factor: "w01018", Unit: "mg/L", RangeMax: ptr(500), DetectionLimit: ptr(4)}}}},
	}
	if err := s.ImportRegistry(ctx, r2); err != nil {
		t.Fatal(err)
	}
	got, err = s.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := demoRegistry()
	want.Counties[0].Name = "东昌府区(新)"
	want.Devices[1] = r2.Devices[0]
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after upsert:\n got %+v\nwant %+v", got, want)
	}
}

func testRegistryAllOrNothing(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	r := demoRegistry()
	// The last outlet names an enterprise that does not exist.
	r.Outlets = append(r.Outlets, model.Outlet{ID: "X-DA001", Enterprise: "NOSUCH", Name: "x", Kind: model.OutletAir})
	if err := s.ImportRegistry(ctx, r); err == nil || !strings.Contains(err.Error(), "X-DA001") {
		t.Fatalf("ImportRegistry with a dangling outlet: err = %v, want an error naming X-DA001", err)
	}
	got, err := s.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Counties) + len(got.Enterprises) + len(got.Outlets) + len(got.Devices); n != 0 {
		t.Fatalf("a failed import left %d items: %+v", n, got)
	}
}

func testUploadRoundTrip(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	u := upload("88888880000001", "2051", t0,
		"a21026-Min", "10.1", "a21026-Avg", "12.30", "a21026-Max", "15", "a21026-Flag", "N",
		"a34013-ZsAvg", "1.000", "SB1-RS", "1", "RestartTime", "20260314090000",
		"i12001-Info", "仪器故障 \"quoted\" \\ back\nslash", "e-Data", "1e-3")
	mustCommit(t, s, &Batch{Uploads: []model.Upload{u}})
	got := allUploads(t, s)
	if want := sorted(u); !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// Decimals are kept as sent (evidence), not reparsed.
	for _, v := range got[0].Values {
		if v.Factor == "a21026" && v.Field == "Avg" && v.Value != "12.30" {
			t.Fatalf("a21026-Avg = %q, want 12.30 as sent", v.Value)
		}
	}
}

func testUploadIdempotent(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	b := &Batch{
		Uploads: []model.Upload{
			upload("M1", "2051", t0, "a21026-Avg", "1", "a21026-Flag", "N"),
			upload("M1", "2061", t0, "a21026-Avg", "2"),
			upload("M2", "2051", t0, "w01018-Avg", "30.5"),
		},
		Raw:      []model.RawFrame{rawFrame("M1", t0, model.RawAccepted)},
		Contacts: []model.Contact{{MN: "M1", At: t0, Remote: "r1", CN: "2051"}},
	}
	mustCommit(t, s, b)
	first := allUploads(t, s)
	mustCommit(t, s, b)
	if got := allUploads(t, s); !reflect.DeepEqual(got, first) {
		t.Fatalf("same batch twice changed the uploads:\n got %+v\nwant %+v", got, first)
	}
	if want := sorted(b.Uploads[0], b.Uploads[1], b.Uploads[2]); !reflect.DeepEqual(first, want) {
		t.Fatalf("uploads:\n got %+v\nwant %+v", first, want)
	}
	// Every received frame is archived, retransmissions included.
	if n := len(allRaw(t, s)); n != 2 {
		t.Fatalf("raw frames = %d, want 2", n)
	}
}

func testUploadMergeKeepsStored(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", t0, "a21026-Avg", "1.0", "a21026-Flag", "N")}})
	// A retransmission with a changed value and one more field: only the
	// new field is added; the stored value is evidence and stays.
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", t0, "a21026-Avg", "9.9", "a21026-Flag", "N", "a21026-Max", "2.0")}})
	want := sorted(upload("M1", "2051", t0, "a21026-Avg", "1.0", "a21026-Flag", "N", "a21026-Max", "2.0"))
	if got := allUploads(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("merge:\n got %+v\nwant %+v", got, want)
	}
	// The second packet of a split upload (PNUM/PNO) lands in the same upload.
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", t0, "a34013-Avg", "0.5")}})
	want = sorted(upload("M1", "2051", t0, "a21026-Avg", "1.0", "a21026-Flag", "N", "a21026-Max", "2.0", "a34013-Avg", "0.5"))
	if got := allUploads(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("split packet merge:\n got %+v\nwant %+v", got, want)
	}
}

func testUploadDuplicatesInBatch(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	first := upload("M1", "2051", t0, "a21026-Avg", "1.0")
	again := upload("M1", "2051", t0.Add(300*time.Nanosecond), "a21026-Avg", "7.0", "a21026-Flag", "D")
	callerVals := append([]model.Value(nil), first.Values...)
	mustCommit(t, s, &Batch{Uploads: []model.Upload{first, again, first}})
	want := sorted(upload("M1", "2051", t0, "a21026-Avg", "1.0", "a21026-Flag", "D"))
	if got := allUploads(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("duplicates in one batch:\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(first.Values, callerVals) {
		t.Fatalf("CommitBatch modified the caller's values: %+v", first.Values)
	}
}

func testUploadQueries(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	var ups []model.Upload
	for _, mn := range []string{"M1", "M2", "M3"} {
		for m := range 5 {
			ups = append(ups, upload(mn, "2051", t0.Add(time.Duration(m)*time.Minute), "a21026-Avg", fmt.Sprint(m)))
		}
		ups = append(ups, upload(mn, "2061", t0, "a21026-Avg", "h"))
	}
	rand.Shuffle(len(ups), func(i, j int) { ups[i], ups[j] = ups[j], ups[i] })
	mustCommit(t, s, &Batch{Uploads: ups})

	cases := []struct {
		name string
		q    UploadQuery
		want int
	}{
		{"all", UploadQuery{}, 18},
		{"mns", UploadQuery{MNs: []string{"M1", "M3"}}, 12},
		{"cn", UploadQuery{CN: "2061"}, 3},
		{"range", UploadQuery{MNs: []string{"M2"}, CN: "2051", From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, 2},
		{"limit", UploadQuery{Limit: 4}, 4},
	}
	for _, c := range cases {
		got, err := s.Uploads(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != c.want {
			t.Fatalf("%s: %d uploads, want %d", c.name, len(got), c.want)
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if a.MN > b.MN || a.MN == b.MN && (a.CN > b.CN || a.CN == b.CN && !a.DataTime.Before(b.DataTime)) {
				t.Fatalf("%s: not ordered by (MN, CN, DataTime) at %d", c.name, i)
			}
		}
	}
	times, err := s.UploadTimes(ctx, "M2", "2051", t0.Add(time.Minute), t0.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(3 * time.Minute), t0.Add(4 * time.Minute)}
	if !reflect.DeepEqual(times, want) {
		t.Fatalf("UploadTimes = %v, want %v", times, want)
	}
}

func testRawFramesPaging(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	var raws []model.RawFrame
	for i := range 25 {
		mn, st := "M1", model.RawAccepted
		if i%5 == 4 {
			mn, st = "UNKNOWN", model.RawQuarantined
		}
		raws = append(raws, rawFrame(mn, t0.Add(time.Duration(i)*time.Second), st))
	}
	mustCommit(t, s, &Batch{Raw: raws[:10]})
	mustCommit(t, s, &Batch{Raw: raws[10:]})

	// Page through all, newest first.
	var seen []model.RawFrame
	before := int64(0)
	for pages := 0; ; pages++ {
		page, err := s.RawFrames(ctx, RawQuery{BeforeID: before, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
		seen = append(seen, page...)
		before = page[len(page)-1].ID
	}
	if len(seen) != 25 {
		t.Fatalf("paged %d frames, want 25", len(seen))
	}
	for i := range seen {
		if i > 0 && seen[i].ID >= seen[i-1].ID {
			t.Fatalf("ids not strictly decreasing at %d", i)
		}
		if want := t0.Add(time.Duration(24-i) * time.Second); !seen[i].ReceivedAt.Equal(want) {
			t.Fatalf("frame %d received %v, want %v (newest first)", i, seen[i].ReceivedAt, want)
		}
	}
	cases := []struct {
		name string
		q    RawQuery
		want int
	}{
		{"mn", RawQuery{MN: "UNKNOWN"}, 5},
		{"status", RawQuery{Status: model.RawAccepted}, 20},
		{"range", RawQuery{From: t0.Add(5 * time.Second), To: t0.Add(10 * time.Second)}, 5},
		{"mn+status+range", RawQuery{MN: "M1", Status: model.RawAccepted, From: t0.Add(5 * time.Second), To: t0.Add(10 * time.Second)}, 4},
		{"limit", RawQuery{Limit: 3}, 3},
	}
	for _, c := range cases {
		got, err := s.RawFrames(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != c.want {
			t.Fatalf("%s: %d frames, want %d", c.name, len(got), c.want)
		}
	}
}

func testRawFramesRetention(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	var raws []model.RawFrame
	statuses := []string{model.RawAccepted, model.RawQuarantined, model.RawRejected, model.RawDuplicate}
	for i := range 40 {
		raws = append(raws, rawFrame("M1", t0.Add(time.Duration(i)*time.Minute), statuses[i%4]))
	}
	mustCommit(t, s, &Batch{Raw: raws})
	// The rejected and quarantined frames have their own retention: only
	// they go before t0+20m.
	n, err := s.PurgeRawStatusBefore(ctx, t0.Add(20*time.Minute), model.RawRejected, model.RawQuarantined)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Fatalf("purged %d rejected and quarantined frames, want 10", n)
	}
	for _, f := range allRaw(t, s) {
		if f.ReceivedAt.Before(t0.Add(20*time.Minute)) && (f.Status == model.RawRejected || f.Status == model.RawQuarantined) {
			t.Fatalf("%s frame received %v survived the purge", f.Status, f.ReceivedAt)
		}
	}
	n, err = s.PurgeRawBefore(ctx, t0.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 20 {
		t.Fatalf("purged %d, want the 20 others before t0+30m", n)
	}
	left := allRaw(t, s)
	if len(left) != 10 {
		t.Fatalf("%d frames left, want 10", len(left))
	}
	for _, f := range left {
		if f.ReceivedAt.Before(t0.Add(30 * time.Minute)) {
			t.Fatalf("frame received %v survived the purge", f.ReceivedAt)
		}
	}
	// IDs are never reused after a purge.
	maxID := left[0].ID
	mustCommit(t, s, &Batch{Raw: []model.RawFrame{rawFrame("M1", t0, model.RawAccepted)}})
	if got := allRaw(t, s)[0].ID; got <= maxID {
		t.Fatalf("new frame id %d, want > %d", got, maxID)
	}
}

func testRawFramesBytesAndText(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	f := model.RawFrame{
		ReceivedAt: t0, Remote: "[::1]:6000", MN: "M1", CN: "2011", QN: "",
		Status: model.RawRejected, Reason: "CRC 校验错误: 期望 4A3B", Deviations: []string{"lowercase-crc", "lf-only"},
		Raw: all,
	}
	empty := model.RawFrame{ReceivedAt: t0, Remote: "r", Status: model.RawRejected, Raw: []byte{}}
	mustCommit(t, s, &Batch{Raw: []model.RawFrame{f, empty}})
	got := allRaw(t, s)
	if len(got) != 2 {
		t.Fatalf("%d frames, want 2", len(got))
	}
	g := got[1]
	f.ID = g.ID
	if !reflect.DeepEqual(g, f) {
		t.Fatalf("raw frame round trip:\n got %+v\nwant %+v", g, f)
	}
	if len(got[0].Raw) != 0 || got[0].Raw == nil {
		t.Fatalf("empty raw frame came back as %#v", got[0].Raw)
	}
	// Text that neither database can hold as text (NUL, invalid UTF-8)
	// is stored with U+FFFD instead of failing the batch.
	bad := rawFrame("M\x00\xff", t0, model.RawRejected)
	mustCommit(t, s, &Batch{Raw: []model.RawFrame{bad}, Uploads: []model.Upload{upload("M1", "2011", t0, "i-Info", "a\x00b\xfe")}})
	if got := allRaw(t, s)[0].MN; got != "M\uFFFD\uFFFD" {
		t.Fatalf("MN with NUL and invalid UTF-8 stored as %q", got)
	}
	us := allUploads(t, s)
	if len(us) != 1 || us[0].Values[0].Value != "a\uFFFDb\uFFFD" {
		t.Fatalf("value with NUL and invalid UTF-8 stored as %+v", us)
	}
}

func testContactsLatestWins(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	steps := []struct {
		in   []model.Contact
		want model.Contact
	}{
		{[]model.Contact{{MN: "M1", At: t0.Add(2 * time.Second), Remote: "a", CN: "2011"}}, model.Contact{MN: "M1", At: t0.Add(2 * time.Second), Remote: "a", CN: "2011"}},
		// An older contact (a late batch) does not win.
		{[]model.Contact{{MN: "M1", At: t0, Remote: "old", CN: "2051"}}, model.Contact{MN: "M1", At: t0.Add(2 * time.Second), Remote: "a", CN: "2011"}},
		// Within a batch the latest wins, wherever it is.
		{[]model.Contact{
			{MN: "M1", At: t0.Add(5 * time.Second), Remote: "c", CN: "2061"},
			{MN: "M1", At: t0.Add(3 * time.Second), Remote: "b", CN: "2051"},
		}, model.Contact{MN: "M1", At: t0.Add(5 * time.Second), Remote: "c", CN: "2061"}},
	}
	for i, st := range steps {
		mustCommit(t, s, &Batch{Contacts: st.in})
		got, err := s.Contacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], st.want) {
			t.Fatalf("step %d: contacts %+v, want %+v", i, got, st.want)
		}
	}
	mustCommit(t, s, &Batch{Contacts: []model.Contact{{MN: "M0", At: t0, Remote: "z", CN: "2011"}}})
	got, err := s.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].MN != "M0" || got[1].MN != "M1" {
		t.Fatalf("contacts = %+v, want M0 and M1 ordered by MN", got)
	}
}

func testAtomicity(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	var ups []model.Upload
	var raws []model.RawFrame
	for i := range 150 { // several insert chunks before the failure
		ups = append(ups, upload(fmt.Sprintf("M%03d", i), "2051", t0, "a21026-Avg", "1"))
		raws = append(raws, rawFrame(fmt.Sprintf("M%03d", i), t0, model.RawAccepted))
	}
	raws[140].Status = "bogus" // refused by the schema, after everything else was written
	b := &Batch{Uploads: ups, Raw: raws, Contacts: []model.Contact{{MN: "M1", At: t0, Remote: "r", CN: "2051"}}}
	if err := s.CommitBatch(context.Background(), b); err == nil {
		t.Fatal("a batch with an invalid raw frame status committed")
	}
	assertEmpty := func(when string) {
		t.Helper()
		c, err := s.Contacts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n, m := len(allUploads(t, s)), len(allRaw(t, s)); n+m+len(c) != 0 {
			t.Fatalf("%s: %d uploads, %d raw frames, %d contacts left", when, n, m, len(c))
		}
	}
	assertEmpty("failed batch")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raws[140].Status = model.RawAccepted
	if err := s.CommitBatch(ctx, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled CommitBatch: err = %v, want context.Canceled", err)
	}
	assertEmpty("cancelled batch")

	// The store is still usable and the same batch commits whole.
	mustCommit(t, s, b)
	if n := len(allUploads(t, s)); n != 150 {
		t.Fatalf("%d uploads after a good commit, want 150", n)
	}
}

func testTimesUTC(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	cstZone := chinatime.Zone
	// Microsecond precision round-trips exactly; a DataTime in China
	// Standard Time comes back as the same instant in UTC.
	dt := time.Date(2026, 1, 1, 0, 30, 0, 0, cstZone) // still 2025 in UTC
	recv := time.Date(2026, 3, 14, 9, 26, 53, 123456000, cstZone)
	mustCommit(t, s, &Batch{
		Uploads:  []model.Upload{upload("M1", "2051", dt, "a21026-Avg", "1")},
		Raw:      []model.RawFrame{rawFrame("M1", recv, model.RawAccepted)},
		Contacts: []model.Contact{{MN: "M1", At: recv.Add(789 * time.Nanosecond), Remote: "r", CN: "2051"}},
	})
	us := allUploads(t, s)
	if !us[0].DataTime.Equal(dt) || us[0].DataTime.Location() != time.UTC {
		t.Fatalf("DataTime = %v, want %v in UTC", us[0].DataTime, dt.UTC())
	}
	rf := allRaw(t, s)
	if !rf[0].ReceivedAt.Equal(recv) || rf[0].ReceivedAt.Location() != time.UTC {
		t.Fatalf("ReceivedAt = %v, want %v in UTC", rf[0].ReceivedAt, recv.UTC())
	}
	cs, err := s.Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Nanoseconds below the microsecond are dropped (both stores).
	if !cs[0].At.Equal(recv) || cs[0].At.Location() != time.UTC {
		t.Fatalf("contact At = %v, want %v (truncated to µs) in UTC", cs[0].At, recv.UTC())
	}
	times, err := s.UploadTimes(context.Background(), "M1", "2051", dt, dt.Add(time.Second))
	if err != nil || len(times) != 1 || !times[0].Equal(dt) {
		t.Fatalf("UploadTimes = %v, %v; want [%v]", times, err, dt.UTC())
	}
}

func testConcurrentReaders(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	const batches, per = 30, 40
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0
			for !done.Load() {
				us, err := s.Uploads(ctx, UploadQuery{CN: "2051", Limit: 100000})
				if err != nil {
					errs <- err
					return
				}
				// A batch is visible whole or not at all, and never goes away.
				if len(us)%per != 0 || len(us) < last {
					errs <- fmt.Errorf("reader %d saw %d uploads after %d", r, len(us), last)
					return
				}
				last = len(us)
				if _, err := s.RawFrames(ctx, RawQuery{MN: "M007", Limit: 5}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range batches {
		b := &Batch{}
		for j := range per {
			mn := fmt.Sprintf("M%03d", j)
			at := t0.Add(time.Duration(i) * time.Minute)
			b.Uploads = append(b.Uploads, upload(mn, "2051", at, "a21026-Avg", fmt.Sprint(i)))
			b.Raw = append(b.Raw, rawFrame(mn, at, model.RawAccepted))
			b.Contacts = append(b.Contacts, model.Contact{MN: mn, At: at, Remote: "r", CN: "2051"})
		}
		if err := s.CommitBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(allUploads(t, s)); n != batches*per {
		t.Fatalf("%d uploads, want %d", n, batches*per)
	}
}

// TestAppendValuesJSON checks the stored form: CP keys as HJ 212 writes
// them, first value of a repeated key kept, escaping valid for jsonb.
func TestAppendValuesJSON(t *testing.T) {
	cases := []struct {
		name string
		in   model.Upload
		want string
	}{
		{"plain", upload("", "", t0, "a21026-Avg", "1.0", "RestartTime", "20260101000000"), `{"a21026-Avg":"1.0","RestartTime":"20260101000000"}`},
		{"dup keeps first", upload("", "", t0, "a-Rtd", "1", "b-Rtd", "2", "a-Rtd", "3"), `{"a-Rtd":"1","b-Rtd":"2"}`},
		{"escapes", upload("", "", t0, "i-Info", "\"\\\n\t\x01\x00中"), `{"i-Info":"\"\\\n\t\u0001\ufffd中"}`},
		{"invalid utf8", upload("", "", t0, "x\xff-Rtd", "\xfe"), `{"x\ufffd-Rtd":"\ufffd"}`},
		{"empty", upload("", "", t0), `{}`},
	}
	for _, c := range cases {
		got := string(appendValuesJSON(nil, c.in.Values))
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	// Many values with one duplicate far apart: the Bloom filter must not
	// hide it.
	var vals []model.Value
	for i := range 300 {
		vals = append(vals, model.Value{Factor: fmt.Sprintf("f%03d", i), Field: "Avg", Value: "1"})
	}
	vals = append(vals, model.Value{Factor: "f007", Field: "Avg", Value: "2"})
	parsed, err := parseValuesJSON(nil, appendValuesJSON(nil, vals))
	if err != nil || len(parsed) != 300 {
		t.Fatalf("300 keys + 1 duplicate: %d values, %v", len(parsed), err)
	}
	for _, v := range parsed {
		if v.Value != "1" {
			t.Fatalf("duplicate overrode the first value: %+v", v)
		}
	}
}

// TestInList checks the one builder of "col IN (...)": a marker and an
// argument per value, in order, with the values' own type kept (the
// drivers convert a named string type such as cases.State).
func TestInList(t *testing.T) {
	cond, args := inList("d.mn", []string{"M1", "M2", "M3"})
	if cond != "d.mn IN (?,?,?)" || fmt.Sprint(args) != "[M1 M2 M3]" {
		t.Fatalf("three: %q %v", cond, args)
	}
	if cond, args := inList("state", []cases.State{cases.StateClosed}); cond != "state IN (?)" || len(args) != 1 || args[0] != cases.StateClosed {
		t.Fatalf("one: %q %v", cond, args)
	}
}
