package rights

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// gen produces random, mostly plausible commands over a small world so that
// they collide: few enterprises, two counties, three pollutants, prices
// close together so the book crosses.
type gen struct {
	r        *rand.Rand
	l        *ledger
	n        int
	credits  []string
	allocs   []string
	orders   []string
	auctions []string
	applied  []Command
}

var (
	genEnts      = []string{entA, entB, entC, "91371500MA3C000004", "91371500MA3C000005"}
	genCounties  = []string{dongchangfu, chiping}
	genPols      = []string{"NOx", "COD", "SO2"}
	genAttain    = []string{Attain, NonAttain}
	genGovAccts  = []Account{CountyReservoir(dongchangfu), CountyReservoir(chiping), City, Reserve}
	genMeasures  = measures[:]
	genProjTypes = []string{"steel", "chemical", "power"}
)

func (g *gen) pick(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return xs[g.r.IntN(len(xs))]
}

func (g *gen) ent() string  { return g.pick(genEnts) }
func (g *gen) pol() string  { return g.pick(genPols) }
func (g *gen) qty() int64   { return g.r.Int64N(15*t1) + 1 }
func (g *gen) price() int64 { return 1_000_000 + g.r.Int64N(8)*250_000 }
func (g *gen) gov() Account { return genGovAccts[g.r.IntN(len(genGovAccts))] }
func (g *gen) id(p string) string {
	g.n++
	return fmt.Sprintf("%s%d", p, g.n)
}

func (g *gen) holder() Account {
	if g.r.IntN(3) == 0 {
		return g.gov()
	}
	return Enterprise(g.ent())
}

// allocIn picks, most of the time, an allocation with the given status, so
// that the lifecycle commands are exercised; otherwise any id.
func (g *gen) allocIn(status string) string {
	var ok []string
	for _, id := range g.allocs {
		if a := g.l.s.allocs[id]; a != nil && a.Status == status {
			ok = append(ok, id)
		}
	}
	if len(ok) > 0 && g.r.IntN(5) != 0 {
		return g.pick(ok)
	}
	return g.pick(g.allocs)
}

func (g *gen) creditIn(status string) string {
	var ok []string
	for _, id := range g.credits {
		if c := g.l.s.credits[id]; c != nil && c.Status == status {
			ok = append(ok, id)
		}
	}
	if len(ok) > 0 && g.r.IntN(5) != 0 {
		return g.pick(ok)
	}
	return g.pick(g.credits)
}

func (g *gen) next() Command {
	m := Meta{Key: g.id("k"), Actor: "prop"}
	switch k := g.r.IntN(100); {
	case k < 10:
		return AllocatePermit{Meta: m, Permit: g.id("PW"), Enterprise: g.ent(), County: g.pick(genCounties), Pollutant: g.pol(),
			Quantity: 10*t1 + g.qty(), ValidFrom: g.l.now.AddDate(0, -g.r.IntN(40), 0), Paid: g.r.IntN(2) == 0}
	case k < 16:
		id := g.id("CR")
		g.credits = append(g.credits, id)
		return DeclareReduction{Meta: m, Credit: id, Enterprise: g.ent(), County: g.pick(genCounties), Pollutant: g.pol(),
			Quantity: 5*t1 + g.qty(), Measure: g.pick(genMeasures), Effective: g.l.now.AddDate(0, g.r.IntN(3)-1, 0),
			Evidence: []string{"doc-" + id}}
	case k < 21:
		return ReviewReduction{Meta: m, Credit: g.creditIn(CreditDeclared), Approve: g.r.IntN(8) != 0}
	case k < 26:
		var q int64
		if g.r.IntN(4) == 0 {
			q = g.qty()
		}
		return ConfirmReduction{Meta: m, Credit: g.creditIn(CreditReviewed), Approve: g.r.IntN(8) != 0, Quantity: q}
	case k < 32:
		id := g.id("AL")
		g.allocs = append(g.allocs, id)
		p := g.pol()
		var cs []string
		for range 1 + g.r.IntN(3) {
			// Mostly spendable credits of the right pollutant, sometimes any.
			c := g.pick(g.credits)
			if g.r.IntN(5) != 0 {
				var ok []string
				for _, id := range g.credits {
					if cr := g.l.s.credits[id]; cr.Status == CreditConfirmed && cr.Pollutant == p && !slices.Contains(cs, id) {
						ok = append(ok, id)
					}
				}
				c = g.pick(ok)
			}
			cs = append(cs, c)
		}
		return ReserveAllocation{Meta: m, Allocation: id, EIA: "EIA-" + id, Project: g.ent(), Region: g.pick(genCounties),
			Pollutant: p, Attainment: g.pick(genAttain), Year: 2024 + g.r.IntN(3), ProjectType: g.pick(genProjTypes),
			Need: g.qty() / 3, Credits: cs}
	case k < 35:
		return LockAllocation{Meta: m, Allocation: g.allocIn(AllocReserved)}
	case k < 38:
		return GrantAllocation{Meta: m, Allocation: g.allocIn(AllocLocked), Paid: g.r.IntN(2) == 0}
	case k < 40:
		return WriteOffAllocation{Meta: m, Allocation: g.allocIn(AllocGranted)}
	case k < 42:
		return ReleaseAllocation{Meta: m, Allocation: g.allocIn([]string{AllocReserved, AllocLocked}[g.r.IntN(2)])}
	case k < 54:
		id := g.id("O")
		g.orders = append(g.orders, id)
		if g.r.IntN(2) == 0 {
			return PlaceOrder{Meta: m, Order: id, Side: Sell, Owner: g.holder(), Pollutant: g.pol(), Quantity: g.qty(), Price: g.price()}
		}
		return PlaceOrder{Meta: m, Order: id, Side: Buy, Owner: Enterprise(g.ent()), Pollutant: g.pol(), Quantity: g.qty(), Price: g.price()}
	case k < 57:
		return CancelOrder{Meta: m, Order: g.pick(g.orders)}
	case k < 59:
		id := g.id("AU")
		g.auctions = append(g.auctions, id)
		return OpenAuction{Meta: m, Auction: id, Seller: g.holder(), Pollutant: g.pol(), Quantity: g.qty(), StartPrice: g.price() / 2,
			Closes: g.l.now.Add(time.Duration(1+g.r.IntN(72)) * time.Hour)}
	case k < 64:
		var open []string
		for _, id := range g.auctions {
			if a := g.l.s.auctions[id]; a != nil && a.Status == AuctionOpen && g.l.now.Before(a.Closes) {
				open = append(open, id)
			}
		}
		q := g.qty()/4 + 1
		if len(open) > 0 && g.r.IntN(5) != 0 {
			q = min(q, g.l.s.auctions[open[0]].Quantity)
			return BidAuction{Meta: m, Auction: open[0], Bid: g.id("b"), Bidder: g.ent(), Quantity: q, Price: g.price()}
		}
		return BidAuction{Meta: m, Auction: g.pick(g.auctions), Bid: g.id("b"), Bidder: g.ent(), Quantity: q, Price: g.price()}
	case k < 67:
		return CloseAuction{Meta: m, Auction: g.pick(g.auctions)}
	case k < 75:
		return Agreement{Meta: m, Contract: g.id("HT"), Seller: g.holder(), Buyer: g.ent(), Pollutant: g.pol(), Quantity: g.qty(), Price: g.price()}
	case k < 78:
		return Transfer{Meta: m, From: g.gov(), To: g.gov(), Pollutant: g.pol(), Quantity: g.qty()}
	case k < 81:
		return BuyBack{Meta: m, Enterprise: g.ent(), Pollutant: g.pol(), Quantity: g.qty() / 2, Price: g.price()}
	case k < 83:
		return Retire{Meta: m, Account: g.holder(), Pollutant: g.pol(), Quantity: g.qty() / 4}
	case k < 85:
		return Expire{Meta: m}
	case k < 90 && len(g.applied) > 0:
		// A retry of something already applied: must be a no-op.
		return g.applied[g.r.IntN(len(g.applied))]
	case k < 92 && len(g.applied) > 0:
		// The same key with another body: must be refused.
		c := g.applied[g.r.IntN(len(g.applied))]
		return Retire{Meta: c.meta(), Account: Reserve, Pollutant: "NOx", Quantity: 1}
	}
	return Transfer{Meta: m, From: g.gov(), To: g.gov(), Pollutant: g.pol(), Quantity: g.qty() / 5}
}

func TestPropertyRandomCommands(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	steps := 2500
	if testing.Short() {
		seeds, steps = seeds[:1], 800
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			l := newLedger(t)
			l.apply(Configure{Meta: Meta{Key: "ratios-prop"}, Ratios: []RatioRule{
				{Region: "*", Pollutant: "SO2", Attainment: NonAttain, ProjectType: "*", Num: 2, Den: 1},
				{Region: "*", Pollutant: "SO2", Attainment: Attain, ProjectType: "*", Num: 1, Den: 1},
				{Region: "*", Pollutant: "COD", Attainment: NonAttain, ProjectType: "chemical", Num: 3, Den: 2},
			}, Prices: []Price{{Pollutant: "NOx", Year: 2026, FenPerTonneYear: 650_000}}})
			g := &gen{r: rand.New(rand.NewPCG(seed, 0x5eed)), l: l}
			counts := map[string][2]int{}
			reasons := map[string]int{}
			for step := range steps {
				if g.r.IntN(3) == 0 {
					l.now = l.now.Add(time.Duration(g.r.IntN(72)) * time.Hour)
				}
				cmd := g.next()
				// The full fingerprint is costly; take it on a sample of steps.
				full := step%7 == 0
				var before Digest
				if full {
					before = l.s.Fingerprint()
				}
				seq, head := l.s.Seq(), l.s.Head()
				prior, known := l.s.idem[cmd.meta().Key]
				es, res, err := Apply(&l.s, cmd, l.now)
				c := counts[cmd.name()]
				if err != nil {
					var r *Refusal
					if !errors.As(err, &r) {
						t.Fatalf("step %d %T: %v is not a refusal", step, cmd, err)
					}
					if errors.Is(err, ErrInvariant) || errors.Is(err, ErrDoubleSpend) || errors.Is(err, ErrNegative) {
						t.Fatalf("step %d %T: the planner produced a bad entry: %v", step, cmd, err)
					}
					if len(es) != 0 || l.s.Seq() != seq || l.s.Head() != head || (full && l.s.Fingerprint() != before) {
						t.Fatalf("step %d %T refused (%v) but changed the state", step, cmd, err)
					}
					c[1]++
					counts[cmd.name()] = c
					reasons[cmd.name()+": "+r.Err.Error()]++
					continue
				}
				if known {
					if len(es) != 0 || !equalResults(res, *prior) || l.s.Seq() != seq || (full && l.s.Fingerprint() != before) {
						t.Fatalf("step %d: repeat of %q wrote %d entries or changed its result", step, cmd.meta().Key, len(es))
					}
					continue
				}
				c[0]++
				counts[cmd.name()] = c
				g.applied = append(g.applied, cmd)
				l.entries = append(l.entries, es...)
				if err := l.s.Check(); err != nil {
					t.Fatalf("step %d %T: %v", step, cmd, err)
				}
				if step%500 == 499 {
					l.replayed()
				}
			}
			l.replayed()
			if err := VerifyHead(l.entries, l.s.Head()); err != nil {
				t.Fatal(err)
			}
			for _, p := range genPols {
				for range 50 {
					if n := l.s.Issued(p); n > 0 {
						checkTrace(t, l.entries, p, 1+g.r.Int64N(n))
					}
				}
			}
			t.Logf("%d entries; accepted/refused per command: %v", len(l.entries), counts)
			t.Logf("refusals: %v", reasons)
			// Every kind of command must have been exercised, or the test
			// proves little.
			for _, name := range []string{"allocate_permit", "confirm_reduction", "reserve_allocation", "grant_allocation",
				"writeoff_allocation", "release_allocation", "place_order", "cancel_order", "close_auction", "agreement",
				"transfer", "buyback", "retire", "expire"} {
				if counts[name][0] == 0 {
					t.Errorf("no %s was accepted", name)
				}
			}
		})
	}
}
