package accountsvc

import (
	"errors"
	"os"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// Kinds are the account subcommands of the command line.
var Kinds = []string{"load", "assess", "compensate", "triggers", "bulletin", "warnings add", "warnings list", "warnings check",
	"warnings entries", "soil plots", "soil reviews", "soil duties", "projects list"}

// Args are the command line's values of an account subcommand (Kind).
type Args struct {
	Kind, Period, Warning, Samples, Lang string
	Year                                 int
	OpenCases                            bool
}

// Query checks what the subcommand needs and builds its query, without
// its samples (ReadSamplesFile): every error is the command line's and
// names the flag at fault.
func (a Args) Query() (Query, error) {
	lang, err := workbook.ParseLang(a.Lang)
	if err != nil {
		return Query{}, err
	}
	q := Query{Kind: a.Kind, Year: a.Year, OpenCases: a.OpenCases, Warning: a.Warning, Lang: lang}
	switch a.Kind {
	case "assess", "compensate", "triggers", "bulletin":
		if a.Period == "" {
			return q, errors.New("--period is required")
		}
		if q.Period, err = chinatime.ParsePeriod(a.Period); err != nil {
			return q, err
		}
	case "warnings check":
		if a.Warning == "" || a.Samples == "" {
			return q, errors.New("warnings check needs --id, --year and --samples")
		}
		fallthrough
	case "soil duties", "warnings entries":
		if a.Year < 2000 || a.Year > 2100 {
			return q, errors.New("--year is required (2000-2100)")
		}
	}
	return q, nil
}

// ReadSamplesFile is ReadSamples of the file at path.
func ReadSamplesFile(path string) (map[string]Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadSamples(f, path)
}
