package trace

import (
	"math"
	"time"
)

// Series is a regular time series: Values[i] is the value at
// Start + i·Step (an hourly series has Step = time.Hour). NaN marks a
// missing value. A zero Series has no data.
type Series struct {
	Start  time.Time
	Step   time.Duration
	Values []float64
}

// index returns the position of the sample nearest to t, which may be
// outside Values.
func (s *Series) index(t time.Time) int {
	d := t.Sub(s.Start)
	if d >= 0 {
		return int((d + s.Step/2) / s.Step)
	}
	return -int((-d + s.Step/2) / s.Step)
}

// At returns the value at the sample nearest to t, or NaN outside the
// series.
func (s Series) At(t time.Time) float64 {
	if s.Step <= 0 || len(s.Values) == 0 {
		return math.NaN()
	}
	i := s.index(t)
	if i < 0 || i >= len(s.Values) {
		return math.NaN()
	}
	return s.Values[i]
}

// sample fills dst[j] with the value at start + j·step (nearest sample),
// NaN where there is none, and returns the number of values found.
func (s *Series) sample(dst []float64, start time.Time, step time.Duration) int {
	if s.Step <= 0 || len(s.Values) == 0 {
		for j := range dst {
			dst[j] = math.NaN()
		}
		return 0
	}
	n := 0
	if s.Step == step {
		// Same grid spacing: one index computation, then a copy.
		i := s.index(start)
		for j := range dst {
			if k := i + j; k >= 0 && k < len(s.Values) {
				dst[j] = finite(s.Values[k])
				if !math.IsNaN(dst[j]) {
					n++
				}
			} else {
				dst[j] = math.NaN()
			}
		}
		return n
	}
	for j := range dst {
		dst[j] = finite(s.At(start.Add(time.Duration(j) * step)))
		if !math.IsNaN(dst[j]) {
			n++
		}
	}
	return n
}

// Data is where the engine reads the time series it weighs as evidence.
// Each method is asked for the window [from, to] it needs (already shifted
// by the travel time); it may return a longer series, and a zero Series
// when it has no data. Concentrations are in mg/L (the same unit at the
// sections and the outfalls for a factor), flows in m³/s, so that a load
// Q·C is in g/s. An error aborts the query.
type Data interface {
	SectionSeries(section, factor string, from, to time.Time) (Series, error)
	// SectionFlow is the river discharge at the section; a zero Series
	// makes the engine use the reach's mean Flow.
	SectionFlow(section string, from, to time.Time) (Series, error)
	OutfallSeries(outfall, factor string, from, to time.Time) (Series, error)
	OutfallFlow(outfall string, from, to time.Time) (Series, error)
	// OutfallLimit is the outfall's own discharge limit for the factor
	// (排放限值, from its permit or standard).
	OutfallLimit(outfall, factor string) (float64, bool)
}

// Key names a series by point id and factor.
type Key struct {
	ID, Factor string
}

// MapData is a Data held in maps, for tests and for callers that fetch
// everything up front. Series are returned whole.
type MapData struct {
	Sections     map[Key]Series
	SectionFlows map[string]Series
	Outfalls     map[Key]Series
	OutfallFlows map[string]Series
	Limits       map[Key]float64
}

// SectionSeries implements Data.
func (m *MapData) SectionSeries(id, factor string, _, _ time.Time) (Series, error) {
	return m.Sections[Key{id, factor}], nil
}

// SectionFlow implements Data.
func (m *MapData) SectionFlow(id string, _, _ time.Time) (Series, error) {
	return m.SectionFlows[id], nil
}

// OutfallSeries implements Data.
func (m *MapData) OutfallSeries(id, factor string, _, _ time.Time) (Series, error) {
	return m.Outfalls[Key{id, factor}], nil
}

// OutfallFlow implements Data.
func (m *MapData) OutfallFlow(id string, _, _ time.Time) (Series, error) {
	return m.OutfallFlows[id], nil
}

// OutfallLimit implements Data.
func (m *MapData) OutfallLimit(id, factor string) (float64, bool) {
	v, ok := m.Limits[Key{id, factor}]
	return v, ok
}

// finite turns ±Inf (a broken instrument or a division by zero upstream)
// into a missing value.
func finite(x float64) float64 {
	if math.IsInf(x, 0) {
		return math.NaN()
	}
	return x
}
