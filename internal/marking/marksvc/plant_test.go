package marksvc

import (
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking/markstest"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// plantService imports markstest's plant into st and returns a marking
// service that opens its cases through a case service, both on clock.
func plantService(t *testing.T, st store.Store, clock func() time.Time) *Service {
	t.Helper()
	storetest.Import(t, st, markstest.Plant())
	return &Service{St: st, Cases: &casesvc.Service{St: st, DataDir: t.TempDir(), Now: clock}, Now: clock}
}

// plantExceedance is an hourly exceedance of factor (52 against a limit
// of 35) at the plant's outlet, from since to at.
func plantExceedance(factor string, since, at time.Time) Exceedance {
	return Exceedance{MN: markstest.MN, Outlet: markstest.Outlet, Enterprise: markstest.Enterprise, County: markstest.County,
		Factor: factor, Period: model.PeriodHour, Since: since, At: at, Value: 52, Limit: 35}
}
