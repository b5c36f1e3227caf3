package marksvc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/store"
)

// How long a device's day count is reused. The rates of a month are the
// sum of its days, and a closed day's count changes only when a mark over
// it is made, corrected or reviewed (the service forgets those days
// then), or when a device back-fills it (HJ 212 history data, usually
// within hours of a reconnection): so today's count is at most
// TodayMaxAge old, the counts of the last BackfillWindow at most
// SettleMaxAge, and older days are kept until a mark touches them.
const (
	TodayMaxAge    = 5 * time.Minute
	SettleMaxAge   = time.Hour
	BackfillWindow = 72 * time.Hour
)

// rateCache holds one count per device and China day; a month's rates are
// summed from it. Filling is single-flight: one goroutine queries the
// store for the missing (device, day) cells while the others wait for it
// and then find their cells filled.
type rateCache struct {
	mu    sync.Mutex
	cells map[cellKey]cell
	// first is each device's first hourly value (the start of its due
	// hours); a device without data is asked again after TodayMaxAge.
	first map[string]firstSeen
	fill  sync.Mutex // single flight of the store queries
	// queries counts the device queries of fills, for tests.
	queries int

	// The marks written through other processes (syncMarks): when the
	// store was last asked, the newest version's time seen, and the
	// versions already applied (id/version → At), kept for markSlack.
	synced, seenAt time.Time
	applied        map[string]time.Time
}

// MarkSync is how often a process asks the store for the mark versions
// written since its last look, to forget the counts they change: each
// web process of a scaled-out deployment keeps its own counts, and a mark
// made, corrected or reviewed through one of them reaches the others'
// figures within MarkSync. markSlack re-reads that much before the newest
// version seen, as versions carry the clock of the process that wrote
// them (a late clock, a transaction committed after a newer one).
const (
	MarkSync  = 10 * time.Second
	markSlack = 5 * time.Minute
)

type cellKey struct {
	mn  string
	day int64 // Unix time of the day's start (China time)
}

type cell struct {
	c    marking.Count
	at   time.Time // when it was counted (the service's clock)
	upTo time.Time // the end of its due hours: the day's end, or the current hour today
}

type firstSeen struct {
	t  time.Time // zero: no hourly data yet
	at time.Time
}

// fresh reports whether a day's count e may still be used at now, when
// the current hour is hour.
func fresh(day time.Time, e cell, now, hour time.Time) bool {
	end := day.AddDate(0, 0, 1)
	if !e.upTo.Equal(minTime(end, hour)) {
		return false // counted for other due hours (today, an hour ago)
	}
	at := e.at
	switch {
	case now.Before(end):
		return now.Sub(at) < TodayMaxAge
	case now.Sub(end) < BackfillWindow:
		return now.Sub(at) < SettleMaxAge
	default:
		return true
	}
}

// forget drops the counts a mark over [from, to) of device mn may change.
func (c *rateCache) forget(mn string, from, to time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for d := dayStart(from); d.Before(to); d = d.AddDate(0, 0, 1) {
		delete(c.cells, cellKey{mn, d.Unix()})
	}
}

// forgetMark drops the days of a mark (every version's period: a
// correction may move it).
func (s *Service) forgetMark(ms ...marking.Mark) {
	for _, m := range ms {
		s.cache.forget(m.MN, m.From, m.To)
		s.cache.mu.Lock()
		if s.cache.applied == nil {
			s.cache.applied = map[string]time.Time{}
		}
		s.cache.applied[versionKey(m)] = m.At
		s.cache.mu.Unlock()
	}
}

func versionKey(m marking.Mark) string { return fmt.Sprintf("%s/%d", m.ID, m.Version) }

// syncMarks forgets the counts that mark versions written through other
// processes change, at most every MarkSync. A version after the first
// also forgets the days of the earlier versions (a correction may move
// the period). Errors are logged: the rates are then as old as the
// counts' own ages allow (TodayMaxAge, SettleMaxAge).
func (s *Service) syncMarks(ctx context.Context) {
	clock := s.now()
	c := &s.cache
	c.mu.Lock()
	if !c.synced.IsZero() && clock.Sub(c.synced) < MarkSync {
		c.mu.Unlock()
		return
	}
	since := c.seenAt.Add(-markSlack)
	if c.seenAt.IsZero() {
		since = clock.Add(-markSlack) // nothing counted yet before this
	}
	c.synced = clock
	c.mu.Unlock()
	vs, err := s.St.MarkVersionsSince(ctx, since, 10000)
	if err != nil {
		s.log().Warn("marking: marks written elsewhere, for the rates", "err", err)
		return
	}
	for _, m := range vs {
		c.mu.Lock()
		if c.applied == nil {
			c.applied = map[string]time.Time{}
		}
		_, done := c.applied[versionKey(m)]
		if m.At.After(c.seenAt) {
			c.seenAt = m.At
		}
		c.mu.Unlock()
		if done {
			continue
		}
		forget := []marking.Mark{m}
		if m.Version > 1 {
			if all, err := s.St.MarkVersions(ctx, m.ID); err == nil {
				forget = all
			}
		}
		s.forgetMark(forget...)
	}
	c.mu.Lock()
	for k, at := range c.applied {
		if at.Before(c.seenAt.Add(-2 * markSlack)) {
			delete(c.applied, k)
		}
	}
	c.mu.Unlock()
}

func dayStart(t time.Time) time.Time {
	t = t.In(cst)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, cst)
}

// aligned reports whether t is a China midnight (the rates' periods are
// days and months; any other period is counted without the cache).
func aligned(t time.Time) bool { return dayStart(t).Equal(t) }

// dayCounts returns, for every device of mns, its count over the days of
// [from, end) and whether its due hours began before from. now is the
// current hour: nothing after it is due.
func (s *Service) dayCounts(ctx context.Context, mns []string, from, end, now time.Time) (map[string]marking.Count, map[string]bool, error) {
	var days []time.Time
	for d := from; d.Before(end) && d.Before(now); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	s.syncMarks(ctx)
	clock := s.now()
	sum := func() (map[string]marking.Count, map[string]bool, bool) {
		s.cache.mu.Lock()
		defer s.cache.mu.Unlock()
		counts, whole := map[string]marking.Count{}, map[string]bool{}
		for _, mn := range mns {
			f, ok := s.cache.first[mn]
			if !ok || (f.t.IsZero() && clock.Sub(f.at) >= TodayMaxAge) {
				return nil, nil, false
			}
			whole[mn] = !f.t.IsZero() && !f.t.After(from)
			for _, d := range days {
				c, ok := s.cache.cells[cellKey{mn, d.Unix()}]
				if !ok || !fresh(d, c, clock, now) {
					return nil, nil, false
				}
				counts[mn] = counts[mn].Add(c.c)
			}
		}
		return counts, whole, true
	}
	if counts, whole, ok := sum(); ok {
		return counts, whole, nil
	}
	s.cache.fill.Lock()
	defer s.cache.fill.Unlock()
	// Another caller may have filled the cells while this one waited.
	if counts, whole, ok := sum(); ok {
		return counts, whole, nil
	}
	if err := s.fillCells(ctx, mns, days, now, clock); err != nil {
		return nil, nil, err
	}
	counts, whole, _ := sum()
	return counts, whole, nil
}

// fillCells counts the missing or stale (device, day) cells: one query of
// hourly data per device over the span of its missing days, one query of
// the marks over all of them.
func (s *Service) fillCells(ctx context.Context, mns []string, days []time.Time, now, clock time.Time) error {
	if len(days) == 0 {
		days = nil
	}
	c := &s.cache
	c.mu.Lock()
	if c.cells == nil {
		c.cells, c.first = map[cellKey]cell{}, map[string]firstSeen{}
	}
	missing := map[string][]time.Time{}
	var askFirst []string
	for _, mn := range mns {
		if f, ok := c.first[mn]; !ok || (f.t.IsZero() && clock.Sub(f.at) >= TodayMaxAge) {
			askFirst = append(askFirst, mn)
		}
		for _, d := range days {
			if e, ok := c.cells[cellKey{mn, d.Unix()}]; !ok || !fresh(d, e, clock, now) {
				missing[mn] = append(missing[mn], d)
			}
		}
	}
	c.mu.Unlock()
	for _, mn := range askFirst {
		us, err := s.St.Uploads(ctx, store.UploadQuery{MNs: []string{mn}, CN: cnHour, Limit: 1})
		if err != nil {
			return fmt.Errorf("first hourly data of %s: %w", mn, err)
		}
		f := firstSeen{at: clock}
		if len(us) > 0 {
			f.t = us[0].DataTime
		}
		c.mu.Lock()
		c.first[mn] = f
		c.queries++
		c.mu.Unlock()
	}
	if len(missing) == 0 {
		return nil
	}
	spanFrom, spanTo := days[len(days)-1], days[0]
	for _, ds := range missing {
		spanFrom, spanTo = minTime(spanFrom, ds[0]), maxTime(spanTo, ds[len(ds)-1])
	}
	spanTo = spanTo.AddDate(0, 0, 1)
	marks, err := s.St.Marks(ctx, store.MarkQuery{From: spanFrom, To: spanTo, Limit: 100000})
	if err != nil {
		return fmt.Errorf("marks for the rates: %w", err)
	}
	byMN := map[string][]marking.Mark{}
	for _, m := range marks {
		byMN[m.MN] = append(byMN[m.MN], m)
	}
	for mn, ds := range missing {
		c.mu.Lock()
		first := c.first[mn].t
		c.mu.Unlock()
		counts := make([]marking.Count, len(ds))
		if !first.IsZero() {
			hours, err := s.hourlyData(ctx, mn, maxTime(ds[0], first.Truncate(time.Hour)), minTime(ds[len(ds)-1].AddDate(0, 0, 1), now))
			if err != nil {
				return err
			}
			for i, d := range ds {
				from, to := maxTime(d, first.Truncate(time.Hour)), minTime(d.AddDate(0, 0, 1), now)
				if from.Before(to) {
					counts[i] = marking.CountDevice(s.rules(), mn, from, to, hours, byMN[mn])
				}
			}
		}
		c.mu.Lock()
		for i, d := range ds {
			c.cells[cellKey{mn, d.Unix()}] = cell{c: counts[i], at: clock, upTo: minTime(d.AddDate(0, 0, 1), now)}
		}
		c.queries++
		c.mu.Unlock()
	}
	return nil
}

// hourlyData reads a device's hourly values in [from, to), page by page.
func (s *Service) hourlyData(ctx context.Context, mn string, from, to time.Time) ([]marking.Hour, error) {
	var hours []marking.Hour
	if !from.Before(to) {
		return nil, nil
	}
	q := store.UploadQuery{MNs: []string{mn}, CN: cnHour, From: from, To: to, Limit: 5000}
	for {
		us, err := s.St.Uploads(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("hourly data of %s: %w", mn, err)
		}
		for _, u := range us {
			hours = append(hours, marking.Hour{Start: u.DataTime, Received: true, Flag: worstFlag(u.Values)})
		}
		if len(us) < q.Limit {
			return hours, nil
		}
		q.From = us[len(us)-1].DataTime.Add(time.Second)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
