package marking

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Hour is one hour of one device's hourly data (HJ 212 CN 2061) as the
// rates count it: whether it arrived and the worst of its factors' flags.
type Hour struct {
	Start    time.Time
	Received bool
	Flag     byte // the first abnormal flag of its factors, 0 when all are normal
}

// Count is the arithmetic of the effective transmission rate of one
// subject (outlet, enterprise, county, city) over a period.
type Count struct {
	Due      int `json:"due"`      // hours due: the period's hours less those marked not due
	Received int `json:"received"` // due hours whose data arrived
	Valid    int `json:"valid"`    // received hours whose data is valid
}

// Add sums counts.
func (c Count) Add(o Count) Count {
	return Count{c.Due + o.Due, c.Received + o.Received, c.Valid + o.Valid}
}

// Transmission is the transmission rate (传输率): received / due; 1 when
// nothing was due.
func (c Count) Transmission() float64 {
	if c.Due == 0 {
		return 1
	}
	return float64(c.Received) / float64(c.Due)
}

// Validity is the validity rate (有效率): valid / received; 1 when nothing
// was received and nothing was due, 0 when something was due.
func (c Count) Validity() float64 {
	if c.Received == 0 {
		if c.Due == 0 {
			return 1
		}
		return 0
	}
	return float64(c.Valid) / float64(c.Received)
}

// Effective is the effective transmission rate (传输有效率): the product of
// the two rates, which is valid / due.
func (c Count) Effective() float64 { return c.Transmission() * c.Validity() }

// Arithmetic writes the computation out, e.g.
// "传输率 718/720 = 99.72%，有效率 700/718 = 97.49%，传输有效率 = 99.72% × 97.49% = 97.22%".
func (c Count) Arithmetic(lang string) string {
	if lang == "en" {
		return fmt.Sprintf("transmission %d/%d = %.2f%%, validity %d/%d = %.2f%%, effective = %.2f%% × %.2f%% = %.2f%%",
			c.Received, c.Due, 100*c.Transmission(), c.Valid, c.Received, 100*c.Validity(), 100*c.Transmission(), 100*c.Validity(), 100*c.Effective())
	}
	return fmt.Sprintf("传输率 %d/%d = %.2f%%，有效率 %d/%d = %.2f%%，传输有效率 = %.2f%% × %.2f%% = %.2f%%",
		c.Received, c.Due, 100*c.Transmission(), c.Valid, c.Received, 100*c.Validity(), 100*c.Transmission(), 100*c.Validity(), 100*c.Effective())
}

// CountDevice counts one device's hours in [from, to) against its marks:
// every hour is due unless a mark in force makes it not due; a due hour
// that arrived is received; a received hour whose data the device's flag
// and the marks leave valid (Judge) is valid. hours need not be complete:
// a missing hour did not arrive.
func CountDevice(r *RuleSet, mn string, from, to time.Time, hours []Hour, marks []Mark) Count {
	got := make(map[int64]Hour, len(hours))
	for _, h := range hours {
		if h.Received {
			got[h.Start.Unix()] = h
		}
	}
	var c Count
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		h, ok := got[t.Unix()]
		v := Judge(r, mn, "", t, h.Flag, marks)
		if !v.Due() {
			continue
		}
		c.Due++
		if !ok {
			continue
		}
		c.Received++
		if v.Valid() {
			c.Valid++
		}
	}
	return c
}

// Row is one ranked subject.
type Row struct {
	Key   string `json:"key"` // outlet ID, USCC, county code, or "city"
	Name  string `json:"name"`
	Count Count  `json:"count"`
	Rank  int    `json:"rank"`            // 1 = best effective rate
	Below bool   `json:"below,omitempty"` // under the threshold
}

// Rank orders rows by effective rate, highest first (ties by key), numbers
// them (equal rates share a rank) and flags those below threshold.
func Rank(rows []Row, threshold float64) []Row {
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(b.Count.Effective(), a.Count.Effective()), cmp.Compare(a.Key, b.Key))
	})
	for i := range rows {
		rows[i].Rank = i + 1
		if i > 0 && rows[i].Count.Effective() == rows[i-1].Count.Effective() {
			rows[i].Rank = rows[i-1].Rank
		}
		rows[i].Below = rows[i].Count.Effective() < threshold
	}
	return rows
}

// DefaultThreshold is the effective transmission rate below which an
// outlet opens a case (provincial requirement: not below 90 %).
const DefaultThreshold = 0.90
