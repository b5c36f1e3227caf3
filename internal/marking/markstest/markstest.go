// Package markstest holds the fixtures of the data-mark tests that more
// than one package runs: marksvc's own (rates, judging again after a
// correction) and the alert service's judging of exceedances by the
// marks. It imports no marking service, so that marksvc's in-package
// tests can use it.
package markstest

import (
	"context"
	"testing"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The plant of Plant.
const (
	County     = "371502"
	Enterprise = "E1"
	Outlet     = "E1-DA001"
	MN         = "MN1"
)

// Plant is a registry of one power plant in 东昌府区: enterprise E1
// (某热电), its boiler's air outlet E1-DA001 and the outlet's device MN1.
func Plant() *model.Registry {
	return &model.Registry{
		Counties:    []model.County{{Code: County, Name: "东昌府区"}},
		Enterprises: []model.Enterprise{{USCC: Enterprise, Name: "某热电", County: County, Industry: "power"}},
		Outlets:     []model.Outlet{{ID: Outlet, Enterprise: Enterprise, Name: "1号锅炉排口", Kind: model.OutletAir}},
		Devices:     []model.Device{{MN: MN, Password: "p", Protocol: "2017", Outlet: Outlet}},
	}
}

// EnterpriseUser is a signed-in user of the enterprise uscc of county:
// who marks the enterprise's data.
func EnterpriseUser(user, uscc, county string) auth.Principal {
	return auth.Principal{User: user, Role: model.RoleEnterprise, Enterprise: uscc, County: county, Via: "session"}
}

// Cases lists the enterprise's cases that keep selects (nil: all), in
// the store's order.
func Cases(tb testing.TB, st store.Store, enterprise string, keep func(cases.Case) bool) []cases.Case {
	tb.Helper()
	cs, err := st.Cases(context.Background(), store.CaseQuery{Enterprise: enterprise})
	if err != nil {
		tb.Fatal(err)
	}
	var out []cases.Case
	for _, c := range cs {
		if keep == nil || keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// Problem keeps the cases of one problem type (for Cases).
func Problem(problemType string) func(cases.Case) bool {
	return func(c cases.Case) bool { return c.ProblemType == problemType }
}
