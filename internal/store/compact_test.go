package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

func TestDecimalRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"0", true}, {"12.345", true}, {"-0.5", true}, {"0.50", true}, {"100", true}, {"0.000", true},
		{"-12", true}, {"999999999999999999", true},
		{"-0", false}, {"-0.00", false}, {"007", false}, {"+1", false}, {"1.", false}, {".5", false},
		{"1e5", false}, {"", false}, {"N", false}, {"1.2.3", false}, {"9999999999999999999", false}, {" 1", false},
	} {
		m, sc, ok := decimal(tc.s)
		if ok != tc.ok {
			t.Errorf("decimal(%q) ok = %v, want %v", tc.s, ok, tc.ok)
			continue
		}
		if ok {
			if got := string(appendDecimal(nil, m, sc)); got != tc.s {
				t.Errorf("decimal(%q) = %d, %d, written back as %q", tc.s, m, sc, got)
			}
		}
	}
}

// testUploadsDay returns a day of minute uploads of one device with the
// values devices send, plus strings that are no plain decimal.
func testUploadsDay(mn string, day time.Time, every time.Duration, rng *rand.Rand) []model.Upload {
	var ups []model.Upload
	odd := []string{"N", "-0", "007", "1e5", "", "中文", "1.", "D", "-0.00"}
	for at := day; at.Before(day.Add(24 * time.Hour)); at = at.Add(every) {
		u := model.Upload{MN: mn, CN: "2051", DataTime: at.UTC()}
		for _, f := range []string{"a21026", "a21002", "a34013"} {
			avg := 10 + rng.Float64()*40
			u.Values = append(u.Values,
				model.Value{Factor: f, Field: "Avg", Value: strconv.FormatFloat(avg, 'f', 3, 64)},
				model.Value{Factor: f, Field: "Min", Value: strconv.FormatFloat(avg*0.9, 'f', 2, 64)},
				model.Value{Factor: f, Field: "Max", Value: strconv.FormatFloat(avg*1.1, 'f', 4, 64)},
				model.Value{Factor: f, Field: "Cou", Value: strconv.FormatFloat(avg*60, 'f', 1, 64)},
				model.Value{Factor: f, Field: "Flag", Value: "N"})
		}
		if rng.IntN(10) == 0 {
			u.Values = append(u.Values, model.Value{Field: "RestartTime", Value: odd[rng.IntN(len(odd))]})
			u.Values = append(u.Values, model.Value{Factor: "w01018", Field: "Rtd", Value: odd[rng.IntN(len(odd))]})
		}
		sortValues(u.Values)
		ups = append(ups, u)
	}
	return ups
}

func TestUploadBlockRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	day := cstDay(t0)
	ups := testUploadsDay("MN1", day, time.Minute, rng)
	block := encodeUploads(ups)
	got, err := decodeUploads(nil, block, "MN1", "2051", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ups) {
		t.Fatalf("round trip differs")
	}
	t.Logf("%d uploads of 15-17 values: %d bytes, %.1f per upload", len(ups), len(block), float64(len(block))/float64(len(ups)))
	// A range: the hour from 10:00.
	from := day.Add(10 * time.Hour)
	got, err = decodeUploads(nil, block, "MN1", "2051", from, from.Add(time.Hour))
	if err != nil || len(got) != 60 || !got[0].DataTime.Equal(from) {
		t.Fatalf("range: %d uploads, err %v", len(got), err)
	}
	// Damage anywhere is refused.
	for _, i := range []int{0, len(block) / 2, len(block) - 1} {
		bad := bytes.Clone(block)
		bad[i] ^= 0x40
		if _, err := decodeUploads(nil, bad, "MN1", "2051", time.Time{}, time.Time{}); err == nil {
			t.Errorf("damaged byte %d accepted", i)
		}
	}
}

func testRawDay(mn string, day time.Time, n int, firstID int64, rng *rand.Rand) []model.RawFrame {
	var fs []model.RawFrame
	id := firstID
	for i := range n {
		at := day.Add(time.Duration(i) * 24 * time.Hour / time.Duration(n)).Add(time.Duration(rng.IntN(900)) * time.Millisecond)
		raw := fmt.Sprintf("##0312QN=%s;ST=31;CN=2051;PW=123456;MN=%s;Flag=5;CP=&&DataTime=%s;a21026-Avg=%.3f,a21026-Flag=N&&%04X\r\n",
			at.In(cst).Format("20060102150405.000"), mn, at.In(cst).Format("20060102150405"), rng.Float64()*50, rng.IntN(65536))
		f := model.RawFrame{ID: id, ReceivedAt: at.UTC().Truncate(time.Microsecond), Remote: "10.0.0." + strconv.Itoa(1+i/500) + ":40000",
			MN: mn, CN: "2051", QN: at.In(cst).Format("20060102150405000"), Status: model.RawAccepted, Raw: []byte(raw)}
		if i%97 == 0 {
			f.Deviations = []string{"CRC mismatch", "field \"x\""}
			f.Raw = append(f.Raw, 0, 0xff, '\r')
		}
		if i%50 == 0 {
			f.BusSeq = int64(1000 + i)
		}
		fs = append(fs, f)
		id += 1 + int64(rng.IntN(500))
	}
	return fs
}

func TestRawBlockRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fs := testRawDay("MN1", cstDay(t0), 1440, 7, rng)
	block := encodeRaw(fs)
	got, err := decodeRaw(nil, block, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fs) {
		t.Fatalf("round trip differs")
	}
	var raw int
	for i := range fs {
		raw += len(fs[i].Raw)
	}
	t.Logf("%d frames of %d raw bytes: block %d bytes (%.1f per frame)", len(fs), raw, len(block), float64(len(block))/float64(len(fs)))
	bad := bytes.Clone(block)
	bad[len(bad)/3] ^= 1
	if _, err := decodeRaw(nil, bad, nil); err == nil {
		t.Error("damaged block accepted")
	}
}

func FuzzDecodeBlocks(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	f.Add(encodeUploads(testUploadsDay("M", cstDay(t0), time.Hour, rng)))
	f.Add(encodeRaw(testRawDay("M", cstDay(t0), 20, 1, rng)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Either an error or a result: never a panic, never a hang.
		if ups, err := decodeUploads(nil, b, "M", "2051", time.Time{}, time.Time{}); err == nil {
			if again, err := decodeUploads(nil, encodeUploads(ups), "M", "2051", time.Time{}, time.Time{}); err != nil || len(again) != len(ups) {
				t.Fatalf("re-encoded block: %d of %d, %v", len(again), len(ups), err)
			}
		}
		decodeRaw(nil, b, nil)
		// Also the encodings without the seal (flate and CRC) around them.
		decodeUploads(nil, sealBlock(b), "M", "2051", time.Time{}, time.Time{})
		decodeRaw(nil, sealBlock(b), nil)
	})
}

// compactFixture fills s with three devices' data over three days (two
// closed, one current) and returns what the store returns before any
// compaction.
type compactFixture struct {
	now     time.Time
	uploads []model.Upload
	raw     []model.RawFrame
}

func fillCompactFixture(t *testing.T, s Store) compactFixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	now := cstDay(t0).Add(30 * time.Hour) // 14:00 CST the next day
	for d := -2; d <= 0; d++ {
		day := cstDay(now).AddDate(0, 0, d)
		for _, mn := range []string{"MN-A", "MN-B", "MN-C"} {
			ups := testUploadsDay(mn, day, 10*time.Minute, rng)
			if d == 0 {
				ups = ups[:len(ups)/2] // the current day so far
			}
			raws := testRawDay(mn, day, len(ups), 0, rng)
			for i := range raws {
				raws[i].ID = 0
				if i%40 == 3 {
					raws[i].Status = model.RawQuarantined
				}
				if d == 0 && raws[i].ReceivedAt.After(now) {
					raws = raws[:i]
					break
				}
			}
			for len(ups) > 0 {
				n := min(len(ups), 50)
				b := &Batch{Uploads: ups[:n], Raw: raws[:min(n, len(raws))]}
				raws = raws[min(n, len(raws)):]
				mustCommit(t, s, b)
				ups = ups[n:]
			}
		}
	}
	// A device whose clock sends a rejected frame with no MN.
	mustCommit(t, s, &Batch{Raw: []model.RawFrame{{ReceivedAt: now.Add(-36 * time.Hour), Remote: "x", Status: model.RawRejected, Raw: []byte("junk")}}})
	return compactFixture{now: now, uploads: allUploads(t, s), raw: allRaw(t, s)}
}

// checkSame compares every read of the store with the fixture's.
func checkSame(t *testing.T, s Store, fx compactFixture) {
	t.Helper()
	ctx := context.Background()
	if got := allUploads(t, s); !reflect.DeepEqual(got, fx.uploads) {
		t.Fatalf("Uploads after compaction: %d uploads, want %d (first difference at %d)", len(got), len(fx.uploads), firstDiff(got, fx.uploads))
	}
	if got := allRaw(t, s); !reflect.DeepEqual(got, fx.raw) {
		t.Fatalf("RawFrames after compaction: %d frames, want %d", len(got), len(fx.raw))
	}
	// Ranges across the day boundary, limits, one device.
	day := cstDay(fx.now).AddDate(0, 0, -1)
	q := UploadQuery{MNs: []string{"MN-B"}, CN: "2051", From: day.Add(-time.Hour), To: day.Add(time.Hour), Limit: 7}
	got, err := s.Uploads(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var want []model.Upload
	for _, u := range fx.uploads {
		if u.MN == "MN-B" && !u.DataTime.Before(q.From) && u.DataTime.Before(q.To) && len(want) < 7 {
			want = append(want, u)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Uploads(%+v): %d, want %d", q, len(got), len(want))
	}
	times, err := s.UploadTimes(ctx, "MN-C", "2051", day.Add(-2*time.Hour), day.Add(26*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var wantT []time.Time
	for _, u := range fx.uploads {
		if u.MN == "MN-C" && !u.DataTime.Before(day.Add(-2*time.Hour)) && u.DataTime.Before(day.Add(26*time.Hour)) {
			wantT = append(wantT, u.DataTime)
		}
	}
	if !reflect.DeepEqual(times, wantT) {
		t.Fatalf("UploadTimes: %d, want %d", len(times), len(wantT))
	}
	// Raw pages, newest first, by device, status and time.
	for _, rq := range []RawQuery{
		{Limit: 5}, {MN: "MN-A", Limit: 30}, {Status: model.RawAccepted, Limit: 100},
		{Status: model.RawQuarantined, Limit: 100}, {MN: "MN-C", From: day, To: day.Add(3 * time.Hour), Limit: 1000},
		{BeforeID: fx.raw[len(fx.raw)/2].ID, Limit: 40}, {MN: "MN-B", BeforeID: fx.raw[len(fx.raw)/3].ID, Limit: 3},
	} {
		got, err := s.RawFrames(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		var want []model.RawFrame
		for _, f := range fx.raw {
			if (rq.MN == "" || f.MN == rq.MN) && (rq.Status == "" || f.Status == rq.Status) &&
				(rq.From.IsZero() || !f.ReceivedAt.Before(rq.From)) && (rq.To.IsZero() || f.ReceivedAt.Before(rq.To)) &&
				(rq.BeforeID == 0 || f.ID < rq.BeforeID) && len(want) < rq.Limit {
				want = append(want, f)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("RawFrames(%+v): %d frames, want %d", rq, len(got), len(want))
		}
	}
}

func firstDiff(a, b []model.Upload) int {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}

func runCompactSuite(t *testing.T, tg target) {
	t.Run("ReadsUnchanged", func(t *testing.T) {
		s := openStore(t, tg.dsn(t))
		fx := fillCompactFixture(t, s)
		st, err := s.Compact(context.Background(), fx.now)
		if err != nil {
			t.Fatal(err)
		}
		// Two closed days of three devices; the raw frames of the
		// current day and the quarantined ones stay rows.
		if st.UploadBlocks != 6 || st.RawBlocks != 6 || st.Uploads != 6*144 {
			t.Fatalf("stats %+v", st)
		}
		checkSame(t, s, fx)
		// Again: nothing left to do.
		if st, err := s.Compact(context.Background(), fx.now); err != nil || st != (CompactStats{}) {
			t.Fatalf("second run %+v, %v", st, err)
		}
		checkSame(t, s, fx)
	})
	t.Run("LateDataMerged", func(t *testing.T) {
		s := openStore(t, tg.dsn(t))
		ctx := context.Background()
		fx := fillCompactFixture(t, s)
		if _, err := s.Compact(ctx, fx.now); err != nil {
			t.Fatal(err)
		}
		rb, ok := s.(RollupStore)
		if !ok {
			t.Skip("no roll-ups")
		}
		if _, err := rb.RollUp(ctx); err != nil {
			t.Fatal(err)
		}
		hour := cstDay(fx.now).AddDate(0, 0, -1).Add(5 * time.Hour)
		before, err := rb.Rollups(ctx, RollupQuery{MNs: []string{"MN-A"}, Step: model.RollupHour, From: hour, To: hour.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// A back-fill into the compacted day: a value the block has
		// (kept: the first received wins), a new field of a stored
		// minute, and a minute not stored before.
		at := hour.Add(10 * time.Minute)
		late := []model.Upload{
			upload("MN-A", "2051", at, "a21026-Avg", "999", "a99999-Avg", "5.5"),
			upload("MN-A", "2051", hour.Add(15*time.Minute), "a21026-Avg", "1.000", "a21026-Flag", "N"),
		}
		mustCommit(t, s, &Batch{Uploads: late})
		check := func() {
			t.Helper()
			got, err := s.Uploads(ctx, UploadQuery{MNs: []string{"MN-A"}, From: at, To: hour.Add(16 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("after back-fill: %d uploads, want 2", len(got))
			}
			var stored model.Upload
			for _, u := range fx.uploads {
				if u.MN == "MN-A" && u.DataTime.Equal(at) {
					stored = u
				}
			}
			want := sorted(model.Upload{MN: "MN-A", CN: "2051", DataTime: at,
				Values: append(slices.Clone(stored.Values), model.Value{Factor: "a99999", Field: "Avg", Value: "5.5"})})[0]
			if !reflect.DeepEqual(got[0], want) {
				t.Fatalf("merged upload %+v, want %+v", got[0], want)
			}
			if !reflect.DeepEqual(got[1], sorted(late[1])[0]) {
				t.Fatalf("new minute %+v", got[1])
			}
		}
		check()
		if _, err := rb.RollUp(ctx); err != nil {
			t.Fatal(err)
		}
		after, err := rb.Rollups(ctx, RollupQuery{MNs: []string{"MN-A"}, Step: model.RollupHour, From: hour, To: hour.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// The hour now counts 7 minutes of a21026 (6 stored + 1 new),
		// not only the back-filled ones.
		n := func(rs []model.Rollup) int {
			for _, r := range rs {
				if r.Factor == "a21026" {
					return r.N
				}
			}
			return -1
		}
		if n(before) != 6 || n(after) != 7 {
			t.Fatalf("roll-up of a21026: %d minutes before, %d after the back-fill; want 6, 7", n(before), n(after))
		}
		// The next compaction folds the rows into the block.
		st, err := s.Compact(ctx, fx.now)
		if err != nil || st.UploadBlocks != 1 || st.Uploads != 2 {
			t.Fatalf("second compaction %+v, %v", st, err)
		}
		check()
	})
	t.Run("Purge", func(t *testing.T) {
		s := openStore(t, tg.dsn(t))
		ctx := context.Background()
		fx := fillCompactFixture(t, s)
		if _, err := s.Compact(ctx, fx.now); err != nil {
			t.Fatal(err)
		}
		cut := cstDay(fx.now).AddDate(0, 0, -1).Add(7*time.Hour + 5*time.Minute)
		if _, err := s.PurgeRawBefore(ctx, cut); err != nil {
			t.Fatal(err)
		}
		for _, f := range allRaw(t, s) {
			if f.ReceivedAt.Before(cut) {
				t.Fatalf("raw frame of %s kept", f.ReceivedAt)
			}
		}
		var want int
		for _, f := range fx.raw {
			if !f.ReceivedAt.Before(cut) {
				want++
			}
		}
		if got := len(allRaw(t, s)); got != want {
			t.Fatalf("%d raw frames after purge, want %d", got, want)
		}
		if p, ok := s.(interface {
			PurgeUploadsBefore(context.Context, time.Time) (int64, error)
		}); ok && tg.ph(1) == "?" { // PostgreSQL purges whole months
			if _, err := p.PurgeUploadsBefore(ctx, cut); err != nil {
				t.Fatal(err)
			}
			var wantU []model.Upload
			for _, u := range fx.uploads {
				if !u.DataTime.Before(cut) {
					wantU = append(wantU, u)
				}
			}
			if got := allUploads(t, s); !reflect.DeepEqual(got, wantU) {
				t.Fatalf("%d uploads after purge, want %d", len(got), len(wantU))
			}
		}
	})
	t.Run("KilledMidway", func(t *testing.T) { testCompactKilled(t, tg) })
}

// testCompactKilled kills a process at each point of a compaction step
// (SIGKILL: no deferred code runs) and checks that the store reads the
// same afterwards, and that a later compaction completes.
func testCompactKilled(t *testing.T, tg target) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	for _, point := range []string{"uploads:block-written", "uploads:before-commit", "raw:block-written", "raw:before-commit"} {
		t.Run(point, func(t *testing.T) {
			dsn := tg.dsn(t)
			s := openStore(t, dsn)
			fx := fillCompactFixture(t, s)
			// The first step of each kind completes; the third dies.
			cmd := exec.Command(os.Args[0], "-test.run=^TestCompactChild$")
			cmd.Env = append(os.Environ(), "ECOWATCH_COMPACT_CHILD="+dsn, "ECOWATCH_COMPACT_KILL="+point,
				"ECOWATCH_COMPACT_NOW="+fx.now.Format(time.RFC3339Nano))
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed: %v\n%s", err, out)
			}
			checkSame(t, s, fx)
			if _, err := s.Compact(context.Background(), fx.now); err != nil {
				t.Fatal(err)
			}
			checkSame(t, s, fx)
			if st, err := s.Compact(context.Background(), fx.now); err != nil || st != (CompactStats{}) {
				t.Fatalf("after recovery: %+v, %v", st, err)
			}
		})
	}
}

// TestCompactChild is the process testCompactKilled kills.
func TestCompactChild(t *testing.T) {
	dsn := os.Getenv("ECOWATCH_COMPACT_CHILD")
	if dsn == "" {
		t.Skip("run by testCompactKilled")
	}
	point := os.Getenv("ECOWATCH_COMPACT_KILL")
	now, err := time.Parse(time.RFC3339Nano, os.Getenv("ECOWATCH_COMPACT_NOW"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	compactHook = func(p string) {
		if p == point {
			if n++; n == 3 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	_, err = s.Compact(context.Background(), now)
	t.Fatalf("compaction finished without reaching %s: %v", point, err)
}
