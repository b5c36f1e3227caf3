package cases

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// RecurrenceResult is the result of the 建章立制 check.
type RecurrenceResult struct {
	Recurring bool     `json:"recurring"`
	Prior     []string `json:"prior,omitempty"` // ids of the earlier cases found, oldest first
}

// Recurrence looks in history for earlier cases of the same enterprise
// and problem type (the work line when the case has no problem type) that
// were registered at most days before c (inclusive: exactly days*24h before
// still counts). Rejected cases are not problems and do not count, nor does
// c itself. A case with no enterprise never recurs: the rule is about an
// enterprise that relapses. When it recurs, the caller flags the case with
// ActFlagReview for a rule-making review.
func Recurrence(history []Case, c Case, days int) RecurrenceResult {
	var r RecurrenceResult
	if c.Enterprise == "" || days < 0 {
		return r
	}
	window := time.Duration(days) * 24 * time.Hour
	key := problemKey(c)
	var prior []Case
	for _, h := range history {
		if h.ID == c.ID || h.Enterprise != c.Enterprise || h.State == StateRejected || problemKey(h) != key {
			continue
		}
		if d := c.CreatedAt.Sub(h.CreatedAt); d < 0 || d > window {
			continue
		}
		prior = append(prior, h)
	}
	sort.SliceStable(prior, func(i, j int) bool { return prior[i].CreatedAt.Before(prior[j].CreatedAt) })
	for _, h := range prior {
		r.Prior = append(r.Prior, h.ID)
	}
	r.Recurring = len(prior) > 0
	return r
}

// RecurrenceNote is the note that flags a recurrence for the rule-making
// review, in Chinese and English: the same enterprise's same kind of
// problem again within days, after the prior cases.
func RecurrenceNote(days int, prior []string) (zh, en string) {
	return fmt.Sprintf("同一企业同类问题%d日内再次发生：%s", days, strings.Join(prior, "、")),
		fmt.Sprintf("the same kind of problem recurred at the same enterprise within %d days: %s", days, strings.Join(prior, ", "))
}

func problemKey(c Case) string {
	if c.ProblemType != "" {
		return "t:" + c.ProblemType
	}
	return "l:" + c.Line
}

// LineYear counts problems found (registered) and closed on a work line in
// a calendar year (China Standard Time). A case found in one year and closed
// in the next counts as found in the first and closed in the second.
type LineYear struct {
	Line   string `json:"line"`
	Year   int    `json:"year"`
	Found  int    `json:"found"`
	Closed int    `json:"closed"`
}

// Summary is the statistics of a set of cases.
type Summary struct {
	Total    int            `json:"total"`
	BySource map[Source]int `json:"by_source"`
	ByLine   map[string]int `json:"by_line"`
	ByCounty map[string]int `json:"by_county"`
	ByState  map[State]int  `json:"by_state"`
	Overdue  int            `json:"overdue"` // open cases late at now

	Closed       int     `json:"closed"`
	ClosedOnTime int     `json:"closed_on_time"`
	OnTimeRate   float64 `json:"on_time_rate"` // ClosedOnTime / Closed; 0 when nothing is closed
	// MeanTimeToClose is the mean of ClosedAt - CreatedAt over closed cases.
	MeanTimeToClose time.Duration `json:"mean_time_to_close"`

	Petitions        int     `json:"petitions"`
	Rated            int     `json:"rated"`
	SatisfactionRate float64 `json:"satisfaction_rate"` // over rated petitions; 0 when none is rated

	Lines []LineYear `json:"lines"` // sorted by year, then line
}

// Summarize computes the statistics of cases at now, with the rules'
// policies for overdue. Rejected cases count in the totals by state but not
// as problems found.
func Summarize(cs []Case, r *Rules, now time.Time) Summary {
	s := Summary{
		BySource: map[Source]int{},
		ByLine:   map[string]int{},
		ByCounty: map[string]int{},
		ByState:  map[State]int{},
	}
	type ly struct {
		line string
		year int
	}
	lines := map[ly]*LineYear{}
	get := func(line string, year int) *LineYear {
		k := ly{line, year}
		if v := lines[k]; v != nil {
			return v
		}
		v := &LineYear{Line: line, Year: year}
		lines[k] = v
		return v
	}
	loc := cst()
	var total time.Duration
	var answers []Satisfaction
	for _, c := range cs {
		s.Total++
		s.BySource[c.Source]++
		s.ByLine[c.Line]++
		s.ByCounty[c.County]++
		s.ByState[c.State]++
		if c.Source == SourcePetition || c.Petition != "" {
			s.Petitions++
			answers = append(answers, c.Satisfaction)
		}
		if c.State.Open() && Overdue(c, r.Policy(c), now).Overdue {
			s.Overdue++
		}
		if c.State != StateRejected && !c.CreatedAt.IsZero() {
			get(c.Line, c.CreatedAt.In(loc).Year()).Found++
		}
		if c.State == StateClosed {
			s.Closed++
			if OnTime(c) {
				s.ClosedOnTime++
			}
			total += c.ClosedAt.Sub(c.CreatedAt)
			get(c.Line, c.ClosedAt.In(loc).Year()).Closed++
		}
	}
	if s.Closed > 0 {
		s.OnTimeRate = float64(s.ClosedOnTime) / float64(s.Closed)
		s.MeanTimeToClose = total / time.Duration(s.Closed)
	}
	s.SatisfactionRate, s.Rated, _ = SatisfactionRate(answers)
	for _, v := range lines {
		s.Lines = append(s.Lines, *v)
	}
	sort.Slice(s.Lines, func(i, j int) bool {
		if s.Lines[i].Year != s.Lines[j].Year {
			return s.Lines[i].Year < s.Lines[j].Year
		}
		return s.Lines[i].Line < s.Lines[j].Line
	})
	return s
}
