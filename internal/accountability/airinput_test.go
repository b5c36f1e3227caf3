package accountability

import (
	"errors"
	"testing"

	"github.com/ecowatch/ecowatch/internal/air"
)

func TestAirIndicators(t *testing.T) {
	stats := func(pm25 air.Conc, complete bool, sum float64, good float64) *air.PeriodStats {
		st := &air.PeriodStats{AQIDays: 90, GoodRatio: good}
		st.Pollutants[air.PM25] = air.PollutantStats{Mean: pm25, Complete: complete}
		st.Index = air.CompositeIndex{Valid: true, Sum: sum}
		return st
	}
	got, err := AirIndicators("371581", stats(58*air.Scale, true, 5.58, 52.2), stats(60*air.Scale, true, 5.36, 55.6))
	if err != nil {
		t.Fatal(err)
	}
	// (5.58 − 5.36)/5.36 = +4.1%
	if got[PM25] != 58 || got[GoodDays] != 52.2 || got[AirIndex] != 5.58 || got[AirIndexChange] != 4.1 {
		t.Fatalf("%v", got)
	}
	for name, c := range map[string][2]*air.PeriodStats{
		"incomplete": {stats(58*air.Scale, false, 5.58, 52.2), stats(60*air.Scale, true, 5.36, 55.6)},
		"no-last":    {stats(58*air.Scale, true, 5.58, 52.2), nil},
		"zero-last":  {stats(58*air.Scale, true, 5.58, 52.2), stats(60*air.Scale, true, 0, 55.6)},
	} {
		if _, err := AirIndicators("371581", c[0], c[1]); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
