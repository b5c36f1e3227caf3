package accountability

import (
	"math"
	"sort"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// ProjectKind is a kind of governance task (治理任务).
type ProjectKind string

// Kinds.
const (
	UltraLow       ProjectKind = "ultra-low-emission" // 超低排放改造
	VOCsSubstitute ProjectKind = "vocs-substitution"  // VOCs 源头替代 (低VOCs原辅材料)
	Other          ProjectKind = "other"
)

// Project is one governance task with a target and progress; it maps to
// governance_projects. For VOCs substitution Target and Progress are the
// substituted share of raw materials in percent (e.g. target 100, progress
// 65); for a retrofit the count of units or 100 for the whole.
type Project struct {
	ID         string      `json:"id"`
	County     string      `json:"county"`
	Enterprise string      `json:"enterprise,omitempty"`
	Kind       ProjectKind `json:"kind"`
	Name       string      `json:"name"`
	Unit       string      `json:"unit"`
	Target     float64     `json:"target"`
	Progress   float64     `json:"progress"`
	Due        time.Time   `json:"due"`                // a day: complete by its end
	Completed  time.Time   `json:"completed,omitzero"` // day accepted as complete (验收)
}

// Ratio is progress over target (0..1, capped).
func (p Project) Ratio() float64 {
	if p.Target <= 0 {
		return 0
	}
	return math.Min(1, p.Progress/p.Target)
}

// Done reports whether the project was accepted complete by the end of day
// at (progress must have reached the target).
func (p Project) Done(at time.Time) bool {
	return !p.Completed.IsZero() && p.Completed.Before(at.AddDate(0, 0, 1)) && p.Progress >= p.Target
}

// Completion is a county's governance completion rate for period p: the
// share (%) of its projects due in or before p that were done by their due
// day. Counties with no project due are absent (the scheme's rule then
// finds no value and refuses: a rate is not guessed).
func Completion(projects []Project, p chinatime.Period) map[string]float64 {
	due, done := map[string]int{}, map[string]int{}
	end := p.End()
	for _, x := range projects {
		if x.Due.IsZero() || !x.Due.Before(end) {
			continue
		}
		due[x.County]++
		if x.Done(x.Due) {
			done[x.County]++
		}
	}
	out := map[string]float64{}
	keys := make([]string, 0, len(due))
	for k := range due {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = math.Round(float64(done[k])*1000/float64(due[k])) / 10
	}
	return out
}
