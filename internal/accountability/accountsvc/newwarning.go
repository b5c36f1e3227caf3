package accountsvc

import (
	"errors"
	"fmt"
	"strings"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// NewWarning is a heavy-pollution warning as the command line gives it:
// level yellow, orange or red; start and end in RFC 3339 or China time
// (chinatime.ParseTime); counties comma-separated, none for the whole
// city. Every error names the flag at fault.
func NewWarning(id, level, start, end, counties string) (acc.Warning, error) {
	w := acc.Warning{ID: id}
	if id == "" || level == "" || start == "" || end == "" {
		return w, errors.New("warnings add needs --id, --level, --start and --end")
	}
	if err := w.Level.UnmarshalText([]byte(level)); err != nil {
		return w, err
	}
	var err error
	if w.Start, err = chinatime.ParseTime(start); err != nil {
		return w, fmt.Errorf("--start %w", err)
	}
	if w.End, err = chinatime.ParseTime(end); err != nil {
		return w, fmt.Errorf("--end %w", err)
	}
	if counties != "" {
		w.Counties = strings.Split(counties, ",")
	}
	return w, nil
}
