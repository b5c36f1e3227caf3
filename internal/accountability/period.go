package accountability

import (
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Kind is the length of an assessment period (chinatime's).
type Kind = chinatime.Kind

// Period kinds.
const (
	Month   = chinatime.Month
	Quarter = chinatime.Quarter
	Half    = chinatime.Half
	Year    = chinatime.Year
)

// Period is an assessment period: a calendar period in China time.
type Period = chinatime.Period

// CST returns China Standard Time, the time of every period and deadline.
func CST() *time.Location { return chinatime.Zone }
