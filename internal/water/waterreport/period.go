package waterreport

import (
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/water"
)

// cst is China Standard Time: months and years are calendar months of
// China.
var cst = chinatime.Zone

// Kinds are the periods the surface water is evaluated on: a month, a
// quarter or a year (the 2011 evaluation method, 环办〔2011〕22号, and the
// CWQI ranking, 环办监测〔2017〕51号); a half-year is not among them. Read
// a period with chinatime.ParsePeriod(s, Kinds...).
var Kinds = []chinatime.Kind{chinatime.Month, chinatime.Quarter, chinatime.Year}

// months is the first and the last month of p, whose monthly means make
// the period's mean (water.PeriodMean).
func months(p chinatime.Period) (first, last water.YearMonth) {
	f, l := p.MonthSpan()
	return water.YearMonth{Year: p.Year, Month: f}, water.YearMonth{Year: p.Year, Month: l}
}
