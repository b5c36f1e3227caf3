package accountability

import (
	"github.com/ecowatch/ecowatch/internal/air"
)

// AirIndicators turns a county's period statistics and those of the same
// period last year (internal/air) into the assessment's air indicators:
// PM2.5 period mean, good-day ratio, comprehensive index and its change
// rate. A statistic that is incomplete (GB 3095 table 4 completeness) or an
// index that cannot be formed is refused rather than used.
func AirIndicators(county string, cur, last *air.PeriodStats) (map[Indicator]float64, error) {
	if cur == nil || last == nil {
		return nil, refuse("value", county, "air statistics of the period and of the same period last year are both needed")
	}
	if !cur.Pollutants[air.PM25].Complete {
		return nil, refuse("value", county, "PM2.5 data incomplete for the period")
	}
	if !cur.Index.Valid || !last.Index.Valid {
		return nil, refuse("value", county, "comprehensive index not available for both years")
	}
	if cur.AQIDays == 0 {
		return nil, refuse("value", county, "no daily AQI: no good-day ratio")
	}
	chg, ok := air.ChangeRate(cur.Index.Sum, last.Index.Sum)
	if !ok {
		return nil, refuse("value", county, "last year's index is not positive")
	}
	return map[Indicator]float64{
		PM25:           float64(cur.Pollutants[air.PM25].Mean) / air.Scale,
		GoodDays:       cur.GoodRatio,
		AirIndex:       cur.Index.Sum,
		AirIndexChange: chg,
	}, nil
}
