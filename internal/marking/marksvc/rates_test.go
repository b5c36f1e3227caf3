package marksvc

import (
	"context"
	"fmt"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/marking"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/marking/markstest"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// A device that sent 20 of a day's 24 hourly values, one of them flagged
// for maintenance: 20/24 received, 19/20 valid, 79.17 % effective, under
// 90 %: one case for the outlet, once.
func TestRatesAndBelowThresholdCase(t *testing.T) { storetest.Run(t, testRatesAndBelowThresholdCase) }

func testRatesAndBelowThresholdCase(t *testing.T, st store.Store) {
	ctx := context.Background()
	storetest.Import(t, st, markstest.Plant())
	day := time.Date(2026, 3, 15, 0, 0, 0, 0, cst)
	var b store.Batch
	for h := 0; h < 24; h++ {
		if h >= 10 && h < 14 {
			continue // four hours never arrived
		}
		flag := "N"
		if h == 20 {
			flag = "M"
		}
		b.Uploads = append(b.Uploads, model.Upload{MN: "MN1", CN: "2061", DataTime: day.Add(time.Duration(h) * time.Hour).UTC(),
			Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: "10"}, {Factor: "a21026", Field: "Flag", Value: flag}}})
	}
	if err := st.CommitBatch(ctx, &b); err != nil {
		t.Fatal(err)
	}
	now := day.AddDate(0, 0, 2)
	ms := &Service{St: st, Cases: &casesvc.Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return now }}, Now: func() time.Time { return now }}
	opened, err := ms.CheckRates(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(opened) != 1 || opened[0].ProblemType != "transmission-rate" || opened[0].Description[:len("传输率 20/24")] != "传输率 20/24" {
		t.Fatalf("opened %+v", opened)
	}
	// The case speaks both languages, as stored: the English title and
	// description without a Han character beside the outlet's name.
	stored, err := st.Case(ctx, opened[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(stored.Description, "= 79.17%；依据环境保护部污染源监控中心") {
		t.Errorf("Chinese description %q (want 依据 and the centre's name without a space)", stored.Description)
	}
	if !strings.Contains(stored.TitleEN, ": effective transmission rate 79.17% below 90% (") || !strings.HasPrefix(stored.DescriptionEN, "transmission 20/24 = 83.33%") {
		t.Errorf("English %q / %q", stored.TitleEN, stored.DescriptionEN)
	}
	name := strings.TrimSuffix(stored.TitleEN[:strings.Index(stored.TitleEN, ": effective")], " ")
	golden.CheckLanguage(t, "en", stored.TitleEN+"\n"+stored.DescriptionEN, name)
	if again, _ := ms.CheckRates(ctx, day, day.AddDate(0, 0, 1)); len(again) != 0 {
		t.Fatalf("a second check opened %d more", len(again))
	}
	rep, err := ms.Rates(ctx, day, day.AddDate(0, 0, 1), casesvc.AlertSystem)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.City.Count.Arithmetic("zh"); got != "传输率 20/24 = 83.33%，有效率 19/20 = 95.00%，传输有效率 = 83.33% × 95.00% = 79.17%" {
		t.Errorf("arithmetic %s", got)
	}
	// Today: only the hours up to now are due.
	now = day.Add(5 * time.Hour)
	rep, _ = ms.Rates(ctx, day, day.AddDate(0, 0, 1), casesvc.AlertSystem)
	if rep.City.Count.Due != 5 {
		t.Errorf("due so far today: %d, want 5", rep.City.Count.Due)
	}
}

// rateFixture is a store with n devices (one outlet each) sending every
// hourly value of `days` days from day, all valid.
func rateFixture(tb testing.TB, n, days int, day time.Time) store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "m.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	reg := markstest.Plant() // its county and enterprise, with n outlets of their own
	reg.Outlets, reg.Devices = nil, nil
	for i := range n {
		id := fmt.Sprintf("E1-DA%03d", i)
		reg.Outlets = append(reg.Outlets, model.Outlet{ID: id, Enterprise: "E1", Name: id, Kind: model.OutletAir})
		reg.Devices = append(reg.Devices, model.Device{MN: fmt.Sprintf("MN%03d", i), Password: "p", Protocol: "2017", Outlet: id})
	}
	storetest.Import(tb, st, reg)
	for d := range days {
		var b store.Batch
		for _, dev := range reg.Devices {
			for h := range 24 {
				b.Uploads = append(b.Uploads, model.Upload{MN: dev.MN, CN: "2061", DataTime: day.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour).UTC(),
					Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: "10"}, {Factor: "a21026", Field: "Flag", Value: "N"}}})
			}
		}
		if err := st.CommitBatch(ctx, &b); err != nil {
			tb.Fatal(err)
		}
	}
	return st
}

// The day counts are computed once: a second request asks the store
// nothing; a mark over a closed day forgets that device's day (and only
// it), and the next request counts the mark; today's count is reused for
// TodayMaxAge, then recounted.
func TestRatesCache(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, cst)
	st := rateFixture(t, 3, 3, day)
	now := day.AddDate(0, 0, 2).Add(20*time.Hour + 30*time.Minute) // the third day, 20:30
	ms := &Service{St: st, Now: func() time.Time { return now }}
	month := func() Report {
		t.Helper()
		rep, err := ms.Rates(ctx, day, day.AddDate(0, 1, 0), casesvc.AlertSystem)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := month()
	if c := rep.City.Count; c != (marking.Count{Due: 3 * (48 + 20), Received: 3 * (48 + 20), Valid: 3 * (48 + 20)}) {
		t.Fatalf("month so far %+v", c)
	}
	q := ms.cache.queries
	if rep = month(); ms.cache.queries != q {
		t.Fatalf("a second request made %d device queries", ms.cache.queries-q)
	}
	// A production stop marked over the second day's last two hours, in
	// time (22.5 h after their start): those hours leave the due count.
	_, err := ms.Create(ctx, Input{MN: "MN001", Type: "stopped", From: day.Add(46 * time.Hour), To: day.Add(48 * time.Hour), Reason: "检修"},
		markstest.EnterpriseUser("ent", "E1", "371502"))
	if err != nil {
		t.Fatal(err)
	}
	rep = month()
	if got, want := rep.City.Count.Due, 3*(48+20)-2; got != want {
		t.Errorf("due after the mark %d, want %d", got, want)
	}
	if got := ms.cache.queries - q; got != 1 {
		t.Errorf("the mark made %d device queries, want 1 (the marked device's day)", got)
	}
	// Later today: the figure is reused for TodayMaxAge, then recounted
	// with the hours that became due.
	q = ms.cache.queries
	now = day.AddDate(0, 0, 2).Add(20*time.Hour + 30*time.Minute).Add(TodayMaxAge - time.Second)
	if month(); ms.cache.queries != q {
		t.Errorf("today's count recomputed before TodayMaxAge")
	}
	now = now.Add(2 * time.Second)
	if month(); ms.cache.queries == q {
		t.Errorf("today's count not recomputed after TodayMaxAge")
	}
	now = now.Add(time.Hour)
	rep = month()
	if got, want := rep.City.Count.Due, 3*(48+21)-2; got != want {
		t.Errorf("due an hour later %d, want %d", got, want)
	}
}

// Concurrent requests for the same period compute it once.
func TestRatesCacheSingleFlight(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, cst)
	st := rateFixture(t, 4, 2, day)
	now := day.AddDate(0, 0, 5)
	ms := &Service{St: st, Now: func() time.Time { return now }}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := ms.Rates(ctx, day, day.AddDate(0, 1, 0), casesvc.AlertSystem); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// 4 devices: one first-value query and one data query each.
	if ms.cache.queries != 8 {
		t.Errorf("%d device queries for 8 concurrent requests, want 8 (one computation)", ms.cache.queries)
	}
}

// BenchmarkRatesMonth measures a month's rates counted from the store
// (cold: what every request cost before the cache) against the cached
// day counts, and reports the ratio.
func BenchmarkRatesMonth(b *testing.B) {
	ctx := context.Background()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, cst)
	st := rateFixture(b, 40, 30, day)
	now := day.AddDate(0, 1, 0).Add(time.Hour)
	var cold, warm time.Duration
	for b.Loop() {
		ms := &Service{St: st, Now: func() time.Time { return now }}
		t0 := time.Now()
		if _, err := ms.Rates(ctx, day, day.AddDate(0, 1, 0), casesvc.AlertSystem); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := ms.Rates(ctx, day, day.AddDate(0, 1, 0), casesvc.AlertSystem); err != nil {
			b.Fatal(err)
		}
		cold, warm = cold+t1.Sub(t0), warm+time.Since(t1)
	}
	b.ReportMetric(float64(cold.Microseconds())/float64(b.N), "cold-µs/op")
	b.ReportMetric(float64(warm.Microseconds())/float64(b.N), "cached-µs/op")
	b.ReportMetric(float64(cold)/float64(warm), "cold/cached")
}

// Two web processes, each with its own counts: a mark made through one
// reaches the other's figures once MarkSync has passed (it reads the mark
// versions written since its last look and forgets the days they
// change); a review (a later version) through the first reaches the
// second too.
func TestRatesCacheAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, cst)
	st := rateFixture(t, 2, 3, day)
	now := day.AddDate(0, 0, 2).Add(20 * time.Hour)
	clock := func() time.Time { return now }
	a, b := &Service{St: st, Now: clock}, &Service{St: st, Now: clock}
	due := func(s *Service) int {
		t.Helper()
		rep, err := s.Rates(ctx, day, day.AddDate(0, 1, 0), casesvc.AlertSystem)
		if err != nil {
			t.Fatal(err)
		}
		return rep.City.Count.Due
	}
	all := 2 * (48 + 20)
	if da, db := due(a), due(b); da != all || db != all {
		t.Fatalf("due %d and %d, want %d", da, db, all)
	}
	m, err := a.Create(ctx, Input{MN: "MN001", Type: "stopped", From: day.Add(46 * time.Hour), To: day.Add(48 * time.Hour), Reason: "检修"},
		markstest.EnterpriseUser("ent", "E1", "371502"))
	if err != nil {
		t.Fatal(err)
	}
	if got := due(a); got != all-2 {
		t.Fatalf("the process that took the mark: due %d, want %d", got, all-2)
	}
	now = now.Add(MarkSync - time.Second)
	if got := due(b); got != all {
		t.Fatalf("the other process before MarkSync: due %d, want its count %d", got, all)
	}
	now = now.Add(time.Second)
	if got := due(b); got != all-2 {
		t.Fatalf("the other process after MarkSync: due %d, want %d", got, all-2)
	}
	// The bureau rejects the mark through a: b counts the hours again.
	county := auth.Principal{User: "c", Role: model.RoleCity, Via: "session"}
	if _, err := a.Review(ctx, m.ID, m.Version, false, "生产记录显示未停产", county); err != nil {
		t.Fatal(err)
	}
	now = now.Add(MarkSync)
	if got := due(b); got != all {
		t.Fatalf("the other process after the rejection: due %d, want %d", got, all)
	}
}
