package accountsvc

import (
	"context"
	"fmt"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/cases"
)

// Series are an enterprise's samples during a warning: production power
// (kW) from its electricity sub-meters and its emission rate from online
// monitoring (the unit of its reduction entry's NormalRate).
type Series struct {
	Electricity []acc.Sample `json:"electricity,omitempty"`
	Online      []acc.Sample `json:"online,omitempty"`
}

// CheckWarning checks every enterprise of the year's emergency reduction
// list against the stored warning id (accountability.CheckCompliance) with
// the given series by enterprise (an enterprise without series has nothing
// to check). With open set, each breach opens a case once (its ID is
// deterministic). It returns the breaches and the cases this call opened.
func (s *Service) CheckWarning(ctx context.Context, id string, year int, series map[string]Series, open bool) ([]acc.Breach, []cases.Case, error) {
	ws, err := s.St.Warnings(ctx)
	if err != nil {
		return nil, nil, err
	}
	var w *acc.Warning
	for i := range ws {
		if ws[i].ID == id {
			w = &ws[i]
		}
	}
	if w == nil {
		return nil, nil, &acc.Error{What: "warning", Key: id, Reason: "no such warning"}
	}
	es, err := s.St.ReductionEntries(ctx, year)
	if err != nil {
		return nil, nil, err
	}
	if len(es) == 0 {
		return nil, nil, &acc.Error{What: "reduction list", Key: fmt.Sprint(year), Reason: "no emergency reduction list stored for the year"}
	}
	var breaches []acc.Breach
	for _, e := range es {
		sr, ok := series[e.Enterprise]
		if !ok {
			continue
		}
		bs, err := acc.CheckCompliance(*w, e, sr.Electricity, sr.Online)
		if err != nil {
			return nil, nil, err
		}
		breaches = append(breaches, bs...)
	}
	if !open {
		return breaches, nil, nil
	}
	if s.Cases == nil {
		return breaches, nil, fmt.Errorf("check warning %s: cases are not configured", id)
	}
	var opened []cases.Case
	for _, b := range breaches {
		c, ok, err := s.openOnce(ctx, b.Case(w.Level))
		if err != nil {
			return breaches, opened, err
		}
		if ok {
			opened = append(opened, c)
		}
	}
	return breaches, opened, nil
}
