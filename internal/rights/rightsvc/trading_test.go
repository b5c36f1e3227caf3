package rightsvc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestTradingRulesOnStore(t *testing.T) { storetest.Run(t, testTradingRulesOnStore) }

// testTradingRulesOnStore: through the service, a reservoir allocation is
// classified by the trading rules in force on its application date (the
// day before and the day of 2026-06-01); a must-trade project is refused
// with nothing written; an exempt one is written off by the county on its
// grant; the decision is stored in the ledger and read back unchanged by a
// reopened service, and the ledger's invariants hold.
func testTradingRulesOnStore(t *testing.T, st store.Store) {
	c := &clock{t: time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)} // 2026-06-01 10:00 in China
	svc := open(t, st, c)
	mustApply(t, svc, config())
	mustApply(t, svc, rights.DeclareReduction{Meta: rights.Meta{Key: "decl"}, Credit: "CR1", Enterprise: uscc(9), County: "371502",
		Pollutant: "NOx", Quantity: 20 * t1, Measure: rights.MeasureClosure, Effective: c.t, Evidence: []string{"关停验收意见"}})
	mustApply(t, svc, rights.ReviewReduction{Meta: rights.Meta{Key: "rev"}, Credit: "CR1", Approve: true})
	mustApply(t, svc, rights.ConfirmReduction{Meta: rights.Meta{Key: "conf"}, Credit: "CR1", Approve: true})
	cst := time.FixedZone("CST", 8*3600)
	dayBefore, dayOf := time.Date(2026, 5, 31, 23, 0, 0, 0, cst), time.Date(2026, 6, 1, 0, 0, 0, 0, cst)
	reserve := func(id string, applied time.Time, adds map[string]int64) rights.ReserveAllocation {
		return rights.ReserveAllocation{Meta: rights.Meta{Key: "res-" + id}, Allocation: id, EIA: "聊环审〔2026〕" + id, Project: uscc(1),
			Region: "371502", Pollutant: "NOx", Attainment: rights.NonAttain, Year: 2026, ProjectType: "power", Need: adds["NOx"],
			Credits: []string{"CR1"}, Applied: applied, Additions: adds}
	}
	// 0.2 t of NOx: below the 2023 rules' 10 t, above the 2025 rules' 0.1 t.
	before := svc.Fingerprint()
	_, err := svc.Apply(context.Background(), reserve("A-NEW", dayOf, map[string]int64{"NOx": t1 / 5}))
	var rf *rights.Refusal
	if !errors.As(err, &rf) || !errors.Is(err, rights.ErrMustTrade) || rf.Field != "additions" ||
		!strings.Contains(rf.Reason, "聊城市排污权有偿使用和交易管理办法") || !strings.Contains(rf.Reason, "NOx adds 200000 g/a (0.200000 t/a) > 100000 g/a") {
		t.Fatalf("0.2 t applied on 2026-06-01: %v, want ErrMustTrade on additions naming the 2025 rules, NOx and 0.2 t", err)
	}
	if svc.Fingerprint() != before {
		t.Fatal("a refused allocation changed the ledger")
	}
	mustApply(t, svc, reserve("A-OLD", dayBefore, map[string]int64{"NOx": t1 / 5}))
	// Exactly 0.1 t of NOx and 0.01 t of NH3-N on the day of: exempt, the
	// county writes the replacement off on the grant.
	mustApply(t, svc, reserve("A-SMALL", dayOf, map[string]int64{"NOx": t1 / 10, "NH3-N": t1 / 100}))
	mustApply(t, svc, rights.LockAllocation{Meta: rights.Meta{Key: "lock"}, Allocation: "A-SMALL"})
	r := mustApply(t, svc, rights.GrantAllocation{Meta: rights.Meta{Key: "grant"}, Allocation: "A-SMALL"})
	if r.Status != rights.AllocWrittenOff || r.Rights != 2*(t1/10) {
		t.Errorf("grant of the exempt allocation: %+v, want written off, 0.1 t granted and 0.1 t written off", r)
	}
	audit(t, svc, st)
	svc.Close()

	again := open(t, st, c)
	want := map[string]struct {
		o       rights.Obligation
		applied string
		status  string
	}{
		"A-OLD":   {rights.TotalSystem, "2026-05-31", rights.AllocReserved},
		"A-SMALL": {rights.CountyWriteOff, "2026-06-01", rights.AllocWrittenOff},
	}
	again.Read(func(s *rights.State) {
		for id, w := range want {
			a, ok := s.Allocation(id)
			if !ok || a.Trading.Obligation != w.o || a.Trading.Applied != w.applied || a.Status != w.status {
				t.Errorf("%s after a reopen: %+v, want %s applied %s, %s", id, a, w.o, w.applied, w.status)
			}
		}
		if _, ok := s.Allocation("A-NEW"); ok {
			t.Error("the refused allocation was stored")
		}
	})
	audit(t, again, st)
}
