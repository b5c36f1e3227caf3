package air

import "time"

type timeT = time.Time

const hourDur = time.Hour

func parseTimeCST(s string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02T15:04:05", s, CST)
}
