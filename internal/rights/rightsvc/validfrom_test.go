package rightsvc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// A permit allocated before its valid_from is held but not spendable: a
// listing is refused with nothing written, the balances say so, and a
// reopened service (which rebuilds the state from the stored ledger)
// refuses it too, until the clock reaches valid_from.
func TestPermitNotValidYetOnStore(t *testing.T) { storetest.Run(t, testPermitNotValidYetOnStore) }

func testPermitNotValidYetOnStore(t *testing.T, st store.Store) {
	c := newClock()
	svc := open(t, st, c)
	mustApply(t, svc, config())
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	mustApply(t, svc, rights.AllocatePermit{Meta: rights.Meta{Key: "permit-future"}, Permit: "PW-F", Enterprise: uscc(0),
		County: "371502", Pollutant: "NOx", Quantity: 5 * t1, ValidFrom: start, Paid: true})
	sell := func(key string) rights.PlaceOrder {
		return rights.PlaceOrder{Meta: rights.Meta{Key: key}, Order: key, Side: rights.Sell, Owner: rights.Enterprise(uscc(0)),
			Pollutant: "NOx", Quantity: t1, Price: 600_000}
	}
	refused := func(svc *Service, key string) {
		t.Helper()
		before := svc.Fingerprint()
		_, err := svc.Apply(context.Background(), sell(key))
		var rf *rights.Refusal
		if !errors.As(err, &rf) || !errors.Is(err, rights.ErrNotYetValid) || rf.Field != "quantity" {
			t.Fatalf("listing before valid_from: %v, want a refusal ErrNotYetValid on quantity", err)
		}
		if svc.Fingerprint() != before {
			t.Fatal("a refused listing changed the ledger")
		}
	}
	refused(svc, "S1")
	h := svc.Balances(rights.Enterprise(uscc(0)), "NOx")
	if len(h) != 1 || h[0].Balance != 5*t1 || h[0].Spendable != 0 {
		t.Fatalf("holdings %+v: want balance 5 t, spendable 0 before valid_from", h)
	}
	svc.Close()
	again := open(t, st, c)
	refused(again, "S2")
	again.Close()

	c.t = start.Add(-time.Millisecond) // the next reading is valid_from exactly
	third := open(t, st, c)
	mustApply(t, third, sell("S3"))
	audit(t, third, st)
}
