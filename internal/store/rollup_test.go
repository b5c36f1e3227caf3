package store

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
)

var cstTest = chinatime.Zone

// at is a China Standard Time instant on 2026-03-<day>.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 3, day, hour, minute, 0, 0, cstTest)
}

func busFrame(seq int64, mn string) model.RawFrame {
	f := rawFrame(mn, t0, model.RawAccepted)
	f.BusSeq = seq
	return f
}

// A raw frame with a BusSeq is stored once however often it is committed
// (also twice in one batch); frames without one are stored each time.
func testRawFramesBusSeq(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	b := &Batch{Raw: []model.RawFrame{busFrame(7, "M1"), rawFrame("M0", t0, model.RawAccepted), busFrame(8, "M2"), busFrame(8, "M2")}}
	mustCommit(t, s, b)
	mustCommit(t, s, b) // a redelivered bus message
	mustCommit(t, s, &Batch{Raw: []model.RawFrame{busFrame(9, "M3"), busFrame(7, "M1")}})
	var got []string
	for _, f := range allRaw(t, s) {
		got = append(got, fmt.Sprintf("%s/%d", f.MN, f.BusSeq))
	}
	slices.Sort(got)
	want := []string{"M0/0", "M0/0", "M1/7", "M2/8", "M3/9"}
	if !slices.Equal(got, want) {
		t.Fatalf("raw frames %v, want %v", got, want)
	}
}

// fmtRollup renders a roll-up for comparison with hand-computed rows.
func fmtRollup(r model.Rollup) string {
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.6g", *p)
	}
	return fmt.Sprintf("%s %s %s n=%d x=%d avg=%s min=%s max=%s cou=%s", r.MN, r.Factor,
		r.Start.In(cstTest).Format("01-02T15"), r.N, r.Excluded, f(r.Avg), f(r.Min), f(r.Max), f(r.Cou))
}

func rollupRows(t *testing.T, s Store, q RollupQuery) []string {
	t.Helper()
	rs, err := s.Rollups(context.Background(), q)
	if err != nil {
		t.Fatalf("Rollups(%+v): %v", q, err)
	}
	out := []string{}
	for _, r := range rs {
		if r.Step != q.Step {
			t.Errorf("roll-up of step %q in a %q query", r.Step, q.Step)
		}
		out = append(out, fmtRollup(r))
	}
	return out
}

func mustRollUp(t *testing.T, s Store, want int) {
	t.Helper()
	n, err := s.RollUp(context.Background())
	if err != nil {
		t.Fatalf("RollUp: %v", err)
	}
	if n != want {
		t.Fatalf("RollUp recomputed %d hours, want %d", n, want)
	}
}

func checkRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// testRollups checks hour and day roll-ups against hand-computed values:
// flags exclude values, factors without measured fields and non-minute
// uploads are left out, days are China Standard Time days, and late data
// (a new minute, a flag added by a retransmission) re-rolls its hour and
// day.
// Converted concentrations (ZsAvg, ZsMin, ZsMax) roll up as "<code>-Zs",
// under their minute's flag.
func testRollupsConverted(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	mustCommit(t, s, &Batch{Uploads: []model.Upload{
		upload("M5", "2051", at(14, 9, 0), "a21026-Avg", "10", "a21026-ZsAvg", "20", "a21026-ZsMin", "15", "a21026-Flag", "N"),
		upload("M5", "2051", at(14, 9, 1), "a21026-Avg", "30", "a21026-ZsAvg", "40", "a21026-ZsMax", "48"),
		upload("M5", "2051", at(14, 9, 2), "a21026-Avg", "500", "a21026-ZsAvg", "1000", "a21026-Flag", "D"),
	}})
	mustRollUp(t, s, 1)
	checkRows(t, "hours", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), []string{
		"M5 a21026 03-14T09 n=2 x=1 avg=20 min=10 max=30 cou=-",
		"M5 a21026-Zs 03-14T09 n=2 x=1 avg=30 min=15 max=48 cou=-",
	})
	checkRows(t, "converted only", rollupRows(t, s, RollupQuery{Step: model.RollupDay, Factor: "a21026-Zs"}), []string{
		"M5 a21026-Zs 03-14T00 n=2 x=1 avg=30 min=15 max=48 cou=-",
	})
}

func testRollups(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	mustCommit(t, s, &Batch{Uploads: []model.Upload{
		upload("M1", "2051", at(14, 9, 0), "a21026-Avg", "10", "a21026-Min", "8", "a21026-Max", "12", "a21026-Cou", "1.5",
			"a21026-Flag", "N", "w00000-Cou", "3", "SB1-RS", "1", "RestartTime", "20260314085900"),
		upload("M1", "2051", at(14, 9, 1), "a21026-Avg", "20", "a21026-Min", "18", "a21026-Max", "25", "a21026-Cou", "2.5"),
		// D: instrument fault (HJ 212-2017 table 8): not counted.
		upload("M1", "2051", at(14, 9, 2), "a21026-Avg", "1000", "a21026-Min", "900", "a21026-Max", "1100", "a21026-Cou", "100", "a21026-Flag", "D"),
		// No Min/Max: the Avg stands for them.
		upload("M1", "2051", at(14, 9, 3), "a21026-Avg", "30", "a21026-Flag", "N"),
		upload("M1", "2051", at(14, 10, 0), "a21026-Avg", "40", "a21026-Min", "35", "a21026-Max", "45"),
		// The last minute of the CST day (15:59 UTC) and the first of the
		// next (16:00 UTC, the same UTC day).
		upload("M1", "2051", at(14, 23, 59), "a21026-Avg", "50"),
		upload("M1", "2051", at(15, 0, 0), "a21026-Avg", "60"),
		// Hour data sent by the device is not minute data.
		upload("M1", "2061", at(14, 9, 0), "a21026-Avg", "999"),
		// C: calibrating; the hour has a row with nothing counted.
		upload("M2", "2051", at(14, 9, 0), "a21026-Avg", "7", "a21026-Flag", "C"),
		// Not a number.
		upload("M2", "2051", at(14, 9, 1), "a21026-Avg", "bad", "a21026-Flag", "N"),
	}})
	mustRollUp(t, s, 5)
	mustRollUp(t, s, 0) // marks were removed with the roll-up

	hour := RollupQuery{Step: model.RollupHour}
	day := RollupQuery{Step: model.RollupDay}
	checkRows(t, "hours", rollupRows(t, s, hour), []string{
		"M1 a21026 03-14T09 n=3 x=1 avg=20 min=8 max=30 cou=4",
		"M1 w00000 03-14T09 n=0 x=0 avg=- min=- max=- cou=3",
		"M1 a21026 03-14T10 n=1 x=0 avg=40 min=35 max=45 cou=-",
		"M1 a21026 03-14T23 n=1 x=0 avg=50 min=50 max=50 cou=-",
		"M1 a21026 03-15T00 n=1 x=0 avg=60 min=60 max=60 cou=-",
		"M2 a21026 03-14T09 n=0 x=1 avg=- min=- max=- cou=-",
	})
	checkRows(t, "days", rollupRows(t, s, day), []string{
		"M1 a21026 03-14T00 n=5 x=1 avg=30 min=8 max=50 cou=4",
		"M1 w00000 03-14T00 n=0 x=0 avg=- min=- max=- cou=3",
		"M1 a21026 03-15T00 n=1 x=0 avg=60 min=60 max=60 cou=-",
		"M2 a21026 03-14T00 n=0 x=1 avg=- min=- max=- cou=-",
	})
	rs, err := s.Rollups(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	if want := at(14, 0, 0).UTC(); !rs[0].Start.Equal(want) || rs[0].Start.Location() != time.UTC {
		t.Fatalf("day start %v, want %v in UTC", rs[0].Start, want)
	}

	// Late data: a new minute, and a retransmission adding a flag to a
	// stored minute (storage adds missing keys), re-roll hour 09 and its day.
	mustCommit(t, s, &Batch{Uploads: []model.Upload{
		upload("M1", "2051", at(14, 9, 4), "a21026-Avg", "50", "a21026-Max", "55"),
		upload("M1", "2051", at(14, 9, 1), "a21026-Avg", "20", "a21026-Flag", "M"),
	}})
	mustRollUp(t, s, 1)
	checkRows(t, "hours after late data", rollupRows(t, s, RollupQuery{Step: model.RollupHour, MNs: []string{"M1"}, Factor: "a21026", To: at(14, 10, 0)}),
		[]string{"M1 a21026 03-14T09 n=3 x=2 avg=30 min=8 max=55 cou=1.5"})
	checkRows(t, "days after late data", rollupRows(t, s, day), []string{
		"M1 a21026 03-14T00 n=5 x=2 avg=36 min=8 max=55 cou=1.5",
		"M1 w00000 03-14T00 n=0 x=0 avg=- min=- max=- cou=3",
		"M1 a21026 03-15T00 n=1 x=0 avg=60 min=60 max=60 cou=-",
		"M2 a21026 03-14T00 n=0 x=1 avg=- min=- max=- cou=-",
	})

	// Queries: a CST day's hours of one device, a limit, an unknown step.
	checkRows(t, "15 March's hours", rollupRows(t, s, RollupQuery{Step: model.RollupHour, MNs: []string{"M1", "M3"}, From: at(15, 0, 0), To: at(16, 0, 0)}),
		[]string{"M1 a21026 03-15T00 n=1 x=0 avg=60 min=60 max=60 cou=-"})
	checkRows(t, "limit", rollupRows(t, s, RollupQuery{Step: model.RollupHour, Limit: 2}), []string{
		"M1 a21026 03-14T09 n=3 x=2 avg=30 min=8 max=55 cou=1.5",
		"M1 w00000 03-14T09 n=0 x=0 avg=- min=- max=- cou=3",
	})
	if _, err := s.Rollups(context.Background(), RollupQuery{Step: "week"}); err == nil {
		t.Fatal("step week accepted")
	}

	// Retention of roll-ups, by step.
	n, err := s.PurgeRollupsBefore(context.Background(), model.RollupHour, at(14, 10, 0))
	if err != nil || n != 3 {
		t.Fatalf("PurgeRollupsBefore = %d, %v; want 3 rows", n, err)
	}
	if got := rollupRows(t, s, hour); len(got) != 3 {
		t.Fatalf("hours after purge: %v", got)
	}
	if got := rollupRows(t, s, day); len(got) != 4 {
		t.Fatalf("days after purging hours: %v", got)
	}
	if _, err := s.PurgeRollupsBefore(context.Background(), "", at(14, 10, 0)); err == nil {
		t.Fatal("empty step accepted")
	}
}

// testPurgeUploads checks retention of uploads at a CST month boundary
// (where PostgreSQL's dropping of whole partitions and SQLite's row
// deletes agree), that roll-ups outlive their minute data, and that an
// hour marked after its minutes were purged keeps its roll-ups.
func testPurgeUploads(t *testing.T, tg target) {
	dsn := tg.dsn(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	jan := time.Date(2026, 1, 31, 23, 30, 0, 0, cstTest) // 15:30 UTC: January in CST
	feb := time.Date(2026, 2, 28, 23, 59, 0, 0, cstTest)
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, cstTest) // 2026-02-28 16:00 UTC
	mustCommit(t, s, &Batch{Uploads: []model.Upload{
		upload("M1", "2051", jan, "a21026-Avg", "1"),
		upload("M1", "2051", feb, "a21026-Avg", "2"),
		upload("M1", "2051", mar, "a21026-Avg", "3"),
		upload("M1", "2031", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), "a21026-Avg", "4"), // a reset clock
	}})
	mustRollUp(t, s, 3)
	// A change to January's minute marks its hour again, and retention
	// runs before the next roll-up.
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", jan, "a21026-Max", "9")}})
	if tg.ph(1) == "$1" {
		// The partitions' row counts come from the statistics.
		if _, err := tg.raw(t, dsn).Exec(`ANALYZE uploads`); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PurgeUploadsBefore(ctx, mar)
	if err != nil || n != 3 {
		t.Fatalf("PurgeUploadsBefore = %d, %v; want 3", n, err)
	}
	got := allUploads(t, s)
	if len(got) != 1 || !got[0].DataTime.Equal(mar) {
		t.Fatalf("uploads after purge: %+v", got)
	}
	mustRollUp(t, s, 1)
	checkRows(t, "hours after purge", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), []string{
		"M1 a21026 01-31T23 n=1 x=0 avg=1 min=1 max=1 cou=-",
		"M1 a21026 02-28T23 n=1 x=0 avg=2 min=2 max=2 cou=-",
		"M1 a21026 03-01T00 n=1 x=0 avg=3 min=3 max=3 cou=-",
	})
	// Uploads of a purged month can be stored again.
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", jan, "a21026-Avg", "5")}})
	if got := allUploads(t, s); len(got) != 2 {
		t.Fatalf("uploads after storing into a purged month: %+v", got)
	}
}

// countingStore counts the calls that reach a store.
type countingStore struct {
	Store
	mu    sync.Mutex
	calls map[string]int
}

func counting(s Store) *countingStore { return &countingStore{Store: s, calls: map[string]int{}} }

func (c *countingStore) count(m string) {
	c.mu.Lock()
	c.calls[m]++
	c.mu.Unlock()
}

func (c *countingStore) got() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

func (c *countingStore) CommitBatch(ctx context.Context, b *Batch) error {
	c.count("CommitBatch")
	return c.Store.CommitBatch(ctx, b)
}
func (c *countingStore) Registry(ctx context.Context) (*model.Registry, error) {
	c.count("Registry")
	return c.Store.Registry(ctx)
}
func (c *countingStore) RollUp(ctx context.Context) (int, error) {
	c.count("RollUp")
	return c.Store.RollUp(ctx)
}
func (c *countingStore) Uploads(ctx context.Context, q UploadQuery) ([]model.Upload, error) {
	c.count("Uploads")
	return c.Store.Uploads(ctx, q)
}
func (c *countingStore) UploadTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error) {
	c.count("UploadTimes")
	return c.Store.UploadTimes(ctx, mn, cn, from, to)
}
func (c *countingStore) RawFrames(ctx context.Context, q RawQuery) ([]model.RawFrame, error) {
	c.count("RawFrames")
	return c.Store.RawFrames(ctx, q)
}
func (c *countingStore) Contacts(ctx context.Context) ([]model.Contact, error) {
	c.count("Contacts")
	return c.Store.Contacts(ctx)
}
func (c *countingStore) Rollups(ctx context.Context, q RollupQuery) ([]model.Rollup, error) {
	c.count("Rollups")
	return c.Store.Rollups(ctx, q)
}
func (c *countingStore) WaterSamples(ctx context.Context, q WaterSampleQuery) ([]model.WaterSample, error) {
	c.count("WaterSamples")
	return c.Store.WaterSamples(ctx, q)
}
func (c *countingStore) Ping(ctx context.Context) error {
	c.count("Ping")
	return c.Store.Ping(ctx)
}
func (c *countingStore) Close() error {
	c.count("Close")
	return c.Store.Close()
}

// testReadReplica checks WithReadReplica's routing twice: with two
// separate databases (what is read comes from the replica's, what is
// written goes to the primary's), and by counting the calls that reach
// each store.
func testReadReplica(t *testing.T, tg target) {
	ctx := context.Background()
	primaryDSN, replicaDSN := tg.dsn(t), tg.dsn(t)
	p, err := Open(ctx, primaryDSN, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, replicaDSN, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cp, cr := counting(p), counting(r)
	s := WithReadReplica(cp, cr)
	b := &Batch{
		Uploads:  []model.Upload{upload("M1", "2051", t0, "a21026-Avg", "1")},
		Raw:      []model.RawFrame{rawFrame("M1", t0, model.RawAccepted)},
		Contacts: []model.Contact{{MN: "M1", At: t0, Remote: "r", CN: "2051"}},
	}
	mustCommit(t, s, b)
	mustRollUp(t, s, 1)
	reads := func() (ups, raws, contacts, rolls, times int) {
		t.Helper()
		u, err1 := s.Uploads(ctx, UploadQuery{})
		f, err2 := s.RawFrames(ctx, RawQuery{})
		c, err3 := s.Contacts(ctx)
		rs, err4 := s.Rollups(ctx, RollupQuery{Step: model.RollupHour})
		ts, err5 := s.UploadTimes(ctx, "M1", "2051", time.Time{}, time.Time{})
		if err := firstErr(err1, err2, err3, err4, err5); err != nil {
			t.Fatal(err)
		}
		return len(u), len(f), len(c), len(rs), len(ts)
	}
	// The replica's database has nothing yet: the reads come from it.
	if u, f, c, rs, ts := reads(); u+f+c+rs+ts != 0 {
		t.Fatalf("reads through the replica store saw the primary's data: %d %d %d %d %d", u, f, c, rs, ts)
	}
	// Replication, by hand.
	mustCommit(t, r, b)
	mustRollUp(t, r, 1)
	if u, f, c, rs, ts := reads(); u != 1 || f != 1 || c != 1 || rs != 1 || ts != 1 {
		t.Fatalf("reads after replication: %d %d %d %d %d, want one of each", u, f, c, rs, ts)
	}
	if _, err := s.Registry(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaterSamples(ctx, WaterSampleQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantPrimary := map[string]int{"CommitBatch": 1, "RollUp": 1, "Registry": 1, "Ping": 1, "Close": 1}
	wantReplica := map[string]int{"Uploads": 2, "RawFrames": 2, "Contacts": 2, "Rollups": 2, "UploadTimes": 2, "WaterSamples": 1, "Ping": 1, "Close": 1}
	if got := cp.got(); fmt.Sprint(got) != fmt.Sprint(wantPrimary) {
		t.Errorf("primary calls %v, want %v", got, wantPrimary)
	}
	if got := cr.got(); fmt.Sprint(got) != fmt.Sprint(wantReplica) {
		t.Errorf("replica calls %v, want %v", got, wantReplica)
	}
	// Both are closed.
	if err := p.Ping(ctx); err == nil {
		t.Error("primary still open after Close")
	}
	if err := r.Ping(ctx); err == nil {
		t.Error("replica still open after Close")
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// testRollUpConcurrent commits minute data in random order while RollUp
// runs in a loop (two of them at once): once the writers are done and a
// last RollUp ran, every hour and day is what the whole data gives. A
// mark lost to a race (a commit between RollUp's read of the marks and
// their removal) would leave an hour short.
func testRollUpConcurrent(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	const devices, minutes = 4, 120
	base := at(20, 10, 0)
	done := make(chan struct{})
	var rollers sync.WaitGroup
	for range 2 {
		rollers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.RollUp(ctx); err != nil {
					t.Errorf("RollUp: %v", err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for d := range devices {
		writers.Go(func() {
			order := rand.New(rand.NewPCG(uint64(d), 9)).Perm(minutes)
			for len(order) > 0 {
				n := min(len(order), 5)
				var b Batch
				for _, m := range order[:n] {
					b.Uploads = append(b.Uploads, upload(fmt.Sprintf("M%d", d), "2051", base.Add(time.Duration(m)*time.Minute),
						"a21026-Avg", fmt.Sprint(m)))
				}
				order = order[n:]
				if err := s.CommitBatch(ctx, &b); err != nil {
					t.Errorf("CommitBatch: %v", err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(done)
	rollers.Wait()
	if _, err := s.RollUp(ctx); err != nil {
		t.Fatal(err)
	}
	var wantHours, wantDays []string
	for d := range devices {
		wantHours = append(wantHours,
			fmt.Sprintf("M%d a21026 03-20T10 n=60 x=0 avg=29.5 min=0 max=59 cou=-", d),
			fmt.Sprintf("M%d a21026 03-20T11 n=60 x=0 avg=89.5 min=60 max=119 cou=-", d))
		wantDays = append(wantDays, fmt.Sprintf("M%d a21026 03-20T00 n=120 x=0 avg=59.5 min=0 max=119 cou=-", d))
	}
	checkRows(t, "hours", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), wantHours)
	checkRows(t, "days", rollupRows(t, s, RollupQuery{Step: model.RollupDay}), wantDays)
}

// scanValuesJSON reads what both stores hand back: the compact object
// appendValuesJSON writes, PostgreSQL's jsonb rendering, and (through
// encoding/json) objects with escapes; it refuses what is not an object.
func TestScanValuesJSON(t *testing.T) {
	cases := []struct {
		in   string
		want string
		err  bool
	}{
		{`{}`, ``, false},
		{`{"a21026-Avg":"1.5","a21026-Flag":"N"}`, `a21026-Avg=1.5 a21026-Flag=N`, false},
		{`{"a21026-Avg": "1.5", "a21026-Flag": "N"}`, `a21026-Avg=1.5 a21026-Flag=N`, false},
		{` { "x" : "" } `, `x=`, false},
		{`{"a\"b-Avg":"1","c-Avg":"\u0032"}`, `a"b-Avg=1 c-Avg=2`, false},
		{`{"a-Avg":1}`, ``, true},
		{`{"a-Avg":"1"`, ``, true},
		{`[]`, ``, true},
		{``, ``, true},
	}
	for _, c := range cases {
		var got []string
		err := scanValuesJSON([]byte(c.in), func(k, v []byte) { got = append(got, string(k)+"="+string(v)) })
		slices.Sort(got)
		if (err != nil) != c.err || strings.Join(got, " ") != c.want {
			t.Errorf("scanValuesJSON(%s) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
	}
}

// testRollupsMarks: minutes under a mark in force whose type makes data
// invalid are excluded from the hour and day roll-ups like flagged ones
// (MEE announcement 2022 No. 21: data marked invalid is not a basis for
// judging exceedances); a start-up mark (excluded from judgement only), a
// late mark and a mark of another factor leave them counted; a mark made
// or reviewed re-rolls its hours, so a rejected mark's minutes count
// again.
func testRollupsMarks(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	var ups []model.Upload
	for i, v := range []string{"10", "20", "30", "40", "50", "60"} {
		ups = append(ups, upload("M6", "2051", at(14, 9, i), "a21026-Avg", v, "a21026-ZsAvg", v, "a21026-Flag", "N"))
	}
	mustCommit(t, s, &Batch{Uploads: ups})
	mustRollUp(t, s, 1)
	all := []string{
		"M6 a21026 03-14T09 n=6 x=0 avg=35 min=10 max=60 cou=-",
		"M6 a21026-Zs 03-14T09 n=6 x=0 avg=35 min=10 max=60 cou=-",
	}
	checkRows(t, "hours before marks", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), all)

	mark := func(id string, version int, typ, factor string, from, to time.Time, late bool, status marking.Status) {
		t.Helper()
		m := marking.Mark{ID: id, Version: version, MN: "M6", Outlet: "O6", Enterprise: "E6", County: "371502", Type: typ, Factor: factor,
			From: from, To: to, Reason: "测试", At: at(14, 10, 0), MarkedAt: at(14, 10, 0), Late: late, Status: status}
		if err := s.PutMark(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Marks that leave the data counted: a start-up (valid, only not
	// judged), a late maintenance mark, a fault of another factor.
	mark("k1", 1, "startup", "", at(14, 9, 0), at(14, 9, 2), false, marking.StatusPending)
	mark("k2", 1, "eq-maintenance", "", at(14, 9, 4), at(14, 9, 6), true, marking.StatusPending)
	mark("k3", 1, "eq-fault", "a21002", at(14, 9, 0), at(14, 9, 6), false, marking.StatusPending)
	mustRollUp(t, s, 1)
	checkRows(t, "hours under marks that keep the data", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), all)

	// Maintenance over 09:02–09:04, in time: its two minutes (30, 40) are
	// invalid, measured and converted.
	mark("k4", 1, "eq-maintenance", "", at(14, 9, 2), at(14, 9, 4), false, marking.StatusPending)
	mustRollUp(t, s, 1)
	marked := []string{
		"M6 a21026 03-14T09 n=4 x=2 avg=35 min=10 max=60 cou=-",
		"M6 a21026-Zs 03-14T09 n=4 x=2 avg=35 min=10 max=60 cou=-",
	}
	checkRows(t, "hours under a maintenance mark", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), marked)
	// The last minute, 09:05 (60), stopped production (not due) with the
	// factor named: excluded too.
	mark("k5", 1, "stopped", "a21026", at(14, 9, 5), at(14, 9, 6), false, marking.StatusAccepted)
	mustRollUp(t, s, 1)
	checkRows(t, "day under marks", rollupRows(t, s, RollupQuery{Step: model.RollupDay}), []string{
		"M6 a21026 03-14T00 n=3 x=3 avg=26.6667 min=10 max=50 cou=-",
		"M6 a21026-Zs 03-14T00 n=3 x=3 avg=26.6667 min=10 max=50 cou=-",
	})

	// The bureau rejects both (a new version each): the minutes count again.
	mark("k4", 2, "eq-maintenance", "", at(14, 9, 2), at(14, 9, 4), false, marking.StatusRejected)
	mark("k5", 2, "stopped", "a21026", at(14, 9, 5), at(14, 9, 6), false, marking.StatusRejected)
	mustRollUp(t, s, 1)
	checkRows(t, "hours after the rejections", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), all)

	// A compacted day (its minutes in a block): a fault mark over 09:00
	// (10) still excludes its minute.
	if st, err := s.Compact(ctx, at(16, 0, 0)); err != nil || st.Uploads != 6 {
		t.Fatalf("compaction %+v, %v: want the 6 minutes in a block", st, err)
	}
	mark("k6", 1, "eq-fault", "", at(14, 9, 0), at(14, 9, 1), false, marking.StatusPending)
	mustRollUp(t, s, 1)
	checkRows(t, "hours of a compacted day under a fault mark", rollupRows(t, s, RollupQuery{Step: model.RollupHour}), []string{
		"M6 a21026 03-14T09 n=5 x=1 avg=40 min=20 max=60 cou=-",
		"M6 a21026-Zs 03-14T09 n=5 x=1 avg=40 min=20 max=60 cou=-",
	})
}
