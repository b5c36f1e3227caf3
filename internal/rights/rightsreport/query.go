package rightsreport

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ecowatch/ecowatch/internal/rights"
)

// Query names one report (ecowatch rights report): its kind —
// reservoir, projects, trades or statement — and its filters.
type Query struct {
	Kind              string
	Year              int
	County, Pollutant string
	Account           string // statement
	From, To          string // YYYY-MM-DD, To included (trades, statement)
}

// applies lists the reports each filter applies to: a filter given to a
// report it does not apply to is an error, not silently ignored (a
// "county" trade report that shows the whole city misleads).
var applies = map[string][]string{"county": {"reservoir", "projects"}, "account": {"statement"},
	"from": {"trades", "statement"}, "to": {"trades", "statement"}}

// Check checks q without the ledger.
func (q Query) Check() (Range, error) {
	if !slices.Contains([]string{"reservoir", "projects", "trades", "statement"}, q.Kind) {
		return Range{}, fmt.Errorf("unknown report %q: want reservoir, projects, trades or statement", q.Kind)
	}
	for i, v := range []string{q.Account, q.County, q.From, q.To} {
		name := []string{"account", "county", "from", "to"}[i]
		if v != "" && !slices.Contains(applies[name], q.Kind) {
			return Range{}, fmt.Errorf("--%s does not apply to the %s report", name, q.Kind)
		}
	}
	switch {
	case q.Kind == "statement" && q.Account == "":
		return Range{}, errors.New("statement needs --account")
	case q.Year > 0 && (q.From != "" || q.To != ""):
		return Range{}, errors.New("give --year or --from/--to, not both")
	}
	return DayRange(q.Year, q.From, q.To)
}

// Build builds the report of q from the ledger's entries, which the
// caller has verified.
func Build(es []rights.Entry, q Query) (Report, error) {
	period, err := q.Check()
	if err != nil {
		return nil, err
	}
	switch q.Kind {
	case "reservoir":
		return Reservoir(es, ReservoirFilter{Year: q.Year, County: q.County, Pollutant: q.Pollutant}), nil
	case "projects":
		r, err := Projects(es, ProjectFilter{Year: q.Year, County: q.County, Pollutant: q.Pollutant})
		if err != nil {
			return nil, err
		}
		return r, nil
	case "trades":
		r, err := Trades(es, TradeFilter{Pollutant: q.Pollutant, Period: period})
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return Statement(es, rights.Account(q.Account), period), nil
}
