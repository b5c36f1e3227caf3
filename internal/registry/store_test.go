package registry

import (
	"context"
	"testing"

	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The round trip through the real stores, both of them.
func TestRoundTripStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		roundTripThroughStore(t, func(t *testing.T) Store { return storetest.Open(t, b) })
	})
}

// A store's own constraints are a second line of defence; Import must not
// get that far with an invalid registry. After a rejected import the real
// store holds exactly what it held before.
func TestImportAtomicity(t *testing.T) { storetest.Run(t, testImportAtomicity) }

func testImportAtomicity(t *testing.T, st store.Store) {
	ctx := context.Background()
	if err := Import(ctx, st, baseRegistry(), nil); err != nil {
		t.Fatal(err)
	}
	before, err := Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	r := DemoCity(1)
	r.Outlets[len(r.Outlets)-1].Kind = "gas"
	if err := Import(ctx, st, r, nil); err == nil {
		t.Fatal("invalid import accepted")
	}
	after, err := Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Enterprises) != len(before.Enterprises) || len(after.Devices) != len(before.Devices) || len(after.Outlets) != len(before.Outlets) {
		t.Fatalf("store changed: %d/%d/%d enterprises/outlets/devices, want %d/%d/%d",
			len(after.Enterprises), len(after.Outlets), len(after.Devices),
			len(before.Enterprises), len(before.Outlets), len(before.Devices))
	}
}
