package accountsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
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

// LoadFile is Load of the file at path.
func LoadFile(ctx context.Context, st store.AccountabilityStore, path string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return Load(ctx, st, f, path, out)
}

// AddWarning stores w (refused when it overlaps a stored warning in a
// shared area) and says so on out, its times in China time.
func AddWarning(ctx context.Context, st store.AccountabilityStore, w acc.Warning, out io.Writer) error {
	if err := st.AddWarning(ctx, w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "warning %s (%s) %s – %s added\n", w.ID, w.Level, w.Start.In(chinatime.Zone).Format("2006-01-02 15:04"), w.End.In(chinatime.Zone).Format("2006-01-02 15:04"))
	return err
}
