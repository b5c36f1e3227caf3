package rights

import (
	"strings"
	"testing"
	"time"
)

// A permit's rights may not be sold, transferred or bought back before the
// permit's valid_from, as a banked reduction may not be spent before its
// effective date; at valid_from exactly they may.
func TestPermitNotValidYet(t *testing.T) {
	l := newLedger(t)
	start := l.now.Add(30 * 24 * time.Hour)
	l.apply(AllocatePermit{Meta: Meta{Key: "p-future"}, Permit: "PW-FUTURE", Enterprise: entA, County: dongchangfu,
		Pollutant: "NOx", Quantity: 5 * t1, ValidFrom: start, Paid: true})
	if got := l.s.Balance(accA, "NOx"); got != 5*t1 {
		t.Fatalf("the permit's rights are held from its allocation: balance %d", got)
	}
	l.apply(PlaceOrder{Meta: Meta{Key: "bid"}, Order: "B1", Side: Buy, Owner: accB, Pollutant: "NOx", Quantity: t1, Price: 900})

	sell := func(key string) PlaceOrder {
		return PlaceOrder{Meta: Meta{Key: key}, Order: "S-" + key, Side: Sell, Owner: accA, Pollutant: "NOx", Quantity: t1, Price: 900}
	}
	refusals := []struct {
		name string
		cmd  Command
	}{
		{"listing", sell("s1")},
		{"agreement", Agreement{Meta: Meta{Key: "ag"}, Contract: "HT-1", Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: t1, Price: 900}},
		{"auction", OpenAuction{Meta: Meta{Key: "au"}, Auction: "AU1", Seller: accA, Pollutant: "NOx", Quantity: t1,
			StartPrice: 900, Closes: l.now.Add(72 * time.Hour)}},
		{"buy-back", BuyBack{Meta: Meta{Key: "bb"}, Enterprise: entA, Pollutant: "NOx", Quantity: t1, Price: 900}},
		{"retire", Retire{Meta: Meta{Key: "rt"}, Account: accA, Pollutant: "NOx", Quantity: t1}},
	}
	for _, c := range refusals {
		r := l.refuse(c.cmd, ErrNotYetValid, "quantity")
		if !strings.Contains(r.Reason, start.UTC().Format(time.RFC3339)) {
			t.Errorf("%s: the refusal should name the date the rights become valid: %s", c.name, r.Reason)
		}
	}

	// One microsecond before valid_from: still refused.
	l.now = start.Add(-time.Microsecond)
	l.refuse(sell("s2"), ErrNotYetValid, "quantity")

	// A valid permit beside the future one: what is valid now is sold; more
	// than that is refused naming the future rights, beyond all of it is an
	// overdraft.
	l.apply(AllocatePermit{Meta: Meta{Key: "p-now"}, Permit: "PW-NOW", Enterprise: entA, County: dongchangfu,
		Pollutant: "NOx", Quantity: t1, ValidFrom: l.now})
	two := sell("s3")
	two.Quantity = 2 * t1
	l.refuse(two, ErrNotYetValid, "quantity")
	all := sell("s4")
	all.Quantity = 7 * t1
	l.refuse(all, ErrOverdraft, "quantity")
	if r := l.apply(sell("s5")); len(r.Trades) != 1 {
		t.Fatalf("the valid permit's ton should trade with the bid: %+v", r)
	}
	if got := l.s.Blocks(accB, "NOx"); len(got) != 1 || got[0].Origin != "PW-NOW" {
		t.Fatalf("the buyer should hold the valid permit's units: %+v", got)
	}

	// At valid_from exactly the rights are valid.
	l.now = start
	l.apply(sell("s6"))
	l.apply(Agreement{Meta: Meta{Key: "ag2"}, Contract: "HT-2", Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: t1, Price: 900})
	l.replayed()
}

// A permit valid from its allocation time carries no valid_from on its
// units, so they merge with later transfers as before.
func TestPermitValidFromNow(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "NOx", 3*t1)
	for _, b := range l.s.Blocks(accA, "NOx") {
		if b.ValidFrom != 0 {
			t.Fatalf("block %+v: valid_from at allocation should be 0", b)
		}
	}
	l.apply(Agreement{Meta: Meta{Key: "ag"}, Contract: "HT-1", Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: t1, Price: 900})
}
