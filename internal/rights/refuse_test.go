package rights

import (
	"errors"
	"testing"
	"time"
)

// refusalLedger prepares a ledger with something to refuse against.
func refusalLedger(t *testing.T) *ledger {
	l := newLedger(t)
	l.permit(entA, "NOx", 100*t1)
	l.credit("CR1", dongchangfu, "NOx", 50*t1)
	l.apply(DeclareReduction{Meta: Meta{Key: "d-cr2"}, Credit: "CR2", Enterprise: entC, County: dongchangfu,
		Pollutant: "NOx", Quantity: 10 * t1, Measure: MeasureRetrofit, Effective: l.now, Evidence: []string{"验收报告"}})
	l.apply(DeclareReduction{Meta: Meta{Key: "d-cr3"}, Credit: "CR3", Enterprise: entC, County: dongchangfu,
		Pollutant: "NOx", Quantity: 10 * t1, Measure: MeasureRetrofit, Effective: l.now, Evidence: []string{"验收报告"}})
	l.apply(ReviewReduction{Meta: Meta{Key: "r-cr3"}, Credit: "CR3", Approve: true})
	l.apply(DeclareReduction{Meta: Meta{Key: "d-cr4"}, Credit: "CR4", Enterprise: entC, County: dongchangfu,
		Pollutant: "NOx", Quantity: 10 * t1, Measure: MeasureRetrofit, Effective: l.now, Evidence: []string{"验收报告"}})
	l.apply(ReviewReduction{Meta: Meta{Key: "r-cr4"}, Credit: "CR4", Approve: false, Note: "监测数据不支持"})
	l.apply(DeclareReduction{Meta: Meta{Key: "d-cr5"}, Credit: "CR5", Enterprise: entC, County: dongchangfu,
		Pollutant: "NOx", Quantity: 10 * t1, Measure: MeasureClosure, Effective: l.now.AddDate(0, 2, 0), Evidence: []string{"关停计划"}})
	l.apply(ReviewReduction{Meta: Meta{Key: "r-cr5"}, Credit: "CR5", Approve: true})
	l.apply(ConfirmReduction{Meta: Meta{Key: "c-cr5"}, Credit: "CR5", Approve: true})
	l.credit("CRCOD", dongchangfu, "COD", 5*t1)
	l.apply(ReserveAllocation{Meta: Meta{Key: "res-A1"}, Allocation: "A1", EIA: "聊环审〔2024〕1号", Project: entB,
		Region: dongchangfu, Pollutant: "NOx", Attainment: NonAttain, Year: 2024, ProjectType: "steel", Need: 1 * t1,
		Credits: []string{"CR1"}})
	l.apply(Agreement{Meta: Meta{Key: "ag-1"}, Contract: "HT-1", Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: t1, Price: 100})
	l.apply(PlaceOrder{Meta: Meta{Key: "o-S1"}, Order: "S1", Side: Sell, Owner: accA, Pollutant: "NOx", Quantity: t1, Price: 900})
	l.apply(PlaceOrder{Meta: Meta{Key: "o-B1"}, Order: "B1", Side: Buy, Owner: accB, Pollutant: "NOx", Quantity: t1, Price: 900})
	l.apply(OpenAuction{Meta: Meta{Key: "au-1"}, Auction: "AU1", Seller: accA, Pollutant: "NOx", Quantity: 5 * t1,
		StartPrice: 1000, Closes: l.now.Add(72 * time.Hour)})
	return l
}

func TestRefusals(t *testing.T) {
	reserve := func(key string, mod func(*ReserveAllocation)) ReserveAllocation {
		c := ReserveAllocation{Meta: Meta{Key: key}, Allocation: "A-" + key, EIA: "聊环审〔2024〕9号", Project: entB,
			Region: dongchangfu, Pollutant: "NOx", Attainment: NonAttain, Year: 2024, ProjectType: "steel", Need: t1,
			Credits: []string{"CR1"}}
		mod(&c)
		return c
	}
	permit := func(key string, mod func(*AllocatePermit)) AllocatePermit {
		c := AllocatePermit{Meta: Meta{Key: key}, Permit: "PW-" + key, Enterprise: entA, County: dongchangfu,
			Pollutant: "SO2", Quantity: t1, ValidFrom: cst(2024, 1, 1, 0)}
		mod(&c)
		return c
	}
	ag := func(key string, mod func(*Agreement)) Agreement {
		c := Agreement{Meta: Meta{Key: key}, Contract: "HT-" + key, Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: t1, Price: 1000}
		mod(&c)
		return c
	}
	cases := []struct {
		name  string
		cmd   Command
		err   error
		field string
	}{
		// Idempotency and time.
		{"no key", Retire{Account: accA, Pollutant: "NOx", Quantity: 1}, ErrInvalid, "key"},
		{"key with a space", Retire{Meta: Meta{Key: "a b"}, Account: accA, Pollutant: "NOx", Quantity: 1}, ErrInvalid, "key"},
		{"key reused, different body", ag("ag-1", func(c *Agreement) { c.Contract = "HT-1"; c.Price = 101 }), ErrKeyReused, "key"},
		{"key reused by another command", Retire{Meta: Meta{Key: "ag-1"}, Account: accA, Pollutant: "NOx", Quantity: 1}, ErrKeyReused, "key"},
		// Configuration.
		{"ratio attainment", Configure{Meta: Meta{Key: "cfg-x"}, Ratios: []RatioRule{{Region: "*", Pollutant: "NOx", Attainment: "bad", ProjectType: "*", Num: 1, Den: 1}}}, ErrInvalid, "ratios[0].attainment"},
		{"ratio below 1:1", Configure{Meta: Meta{Key: "cfg-y"}, Ratios: []RatioRule{{Region: "*", Pollutant: "NOx", Attainment: Attain, ProjectType: "*", Num: 1, Den: 2}}}, ErrInvalid, ""},
		{"pollutant named CNY", Configure{Meta: Meta{Key: "cfg-z"}, Pollutants: []Pollutant{{Code: Money}}}, ErrInvalid, ""},
		// 确权.
		{"permit unknown pollutant", permit("p1", func(c *AllocatePermit) { c.Pollutant = "Hg" }), ErrInvalid, "pollutant"},
		{"permit zero quantity", permit("p2", func(c *AllocatePermit) { c.Quantity = 0 }), ErrInvalid, "quantity"},
		{"permit negative quantity", permit("p3", func(c *AllocatePermit) { c.Quantity = -5 }), ErrInvalid, "quantity"},
		{"permit bad USCC", permit("p4", func(c *AllocatePermit) { c.Enterprise = "" }), ErrInvalid, "enterprise"},
		{"permit no start", permit("p5", func(c *AllocatePermit) { c.ValidFrom = time.Time{} }), ErrInvalid, "valid_from"},
		{"permit already expired", permit("p6", func(c *AllocatePermit) { c.ValidFrom = cst(2018, 1, 1, 0) }), ErrExpired, "valid_from"},
		{"permit paid without a price", permit("p7", func(c *AllocatePermit) { c.Pollutant = "PM"; c.Paid = true }), ErrNoPrice, "pollutant"},
		{"permit twice", permit("p8", func(c *AllocatePermit) { c.Permit = "PW-" + entA + "-1"; c.Pollutant = "NOx" }), ErrDuplicate, "permit"},
		// Banking reductions.
		{"declare without evidence", DeclareReduction{Meta: Meta{Key: "d1"}, Credit: "X1", Enterprise: entC, County: dongchangfu, Pollutant: "NOx", Quantity: t1, Measure: MeasureClosure, Effective: cst(2024, 1, 1, 0)}, ErrInvalid, "evidence"},
		{"declare empty evidence", DeclareReduction{Meta: Meta{Key: "d2"}, Credit: "X1", Enterprise: entC, County: dongchangfu, Pollutant: "NOx", Quantity: t1, Measure: MeasureClosure, Effective: cst(2024, 1, 1, 0), Evidence: []string{"a", ""}}, ErrInvalid, "evidence[1]"},
		{"declare unknown measure", DeclareReduction{Meta: Meta{Key: "d3"}, Credit: "X1", Enterprise: entC, County: dongchangfu, Pollutant: "NOx", Quantity: t1, Measure: "wishful", Effective: cst(2024, 1, 1, 0), Evidence: []string{"a"}}, ErrInvalid, "measure"},
		{"declare existing credit", DeclareReduction{Meta: Meta{Key: "d4"}, Credit: "CR1", Enterprise: entC, County: dongchangfu, Pollutant: "NOx", Quantity: t1, Measure: MeasureClosure, Effective: cst(2024, 1, 1, 0), Evidence: []string{"a"}}, ErrDuplicate, "credit"},
		{"review unknown credit", ReviewReduction{Meta: Meta{Key: "rv1"}, Credit: "nope", Approve: true}, ErrNotFound, "credit"},
		{"review a confirmed credit", ReviewReduction{Meta: Meta{Key: "rv2"}, Credit: "CR1", Approve: true}, ErrState, "credit"},
		{"review a rejected credit", ReviewReduction{Meta: Meta{Key: "rv3"}, Credit: "CR4", Approve: true}, ErrState, "credit"},
		{"confirm before county review", ConfirmReduction{Meta: Meta{Key: "cf1"}, Credit: "CR2", Approve: true}, ErrState, "credit"},
		{"confirm more than declared", ConfirmReduction{Meta: Meta{Key: "cf2"}, Credit: "CR3", Approve: true, Quantity: 11 * t1}, ErrInvalid, "quantity"},
		// Allocation to projects.
		{"missing ratio rule", reserve("r1", func(c *ReserveAllocation) { c.Pollutant = "SO2" }), ErrNoRatioRule, "project_type"},
		{"missing ratio rule for attainment", reserve("r2", func(c *ReserveAllocation) {
			c.Pollutant = "COD"
			c.Attainment = NonAttain
			c.Credits = []string{"CRCOD"}
		}), ErrNoRatioRule, "project_type"},
		{"unverified credit (declared)", reserve("r3", func(c *ReserveAllocation) { c.Credits = []string{"CR2"} }), ErrUnverified, "credits[0]"},
		{"unverified credit (county-reviewed only)", reserve("r4", func(c *ReserveAllocation) { c.Credits = []string{"CR1", "CR3"} }), ErrUnverified, "credits[1]"},
		{"rejected credit", reserve("r5", func(c *ReserveAllocation) { c.Credits = []string{"CR4"} }), ErrUnverified, "credits[0]"},
		{"credit not yet effective", reserve("r6", func(c *ReserveAllocation) { c.Credits = []string{"CR5"} }), ErrUnverified, "credits[0]"},
		{"unknown credit", reserve("r7", func(c *ReserveAllocation) { c.Credits = []string{"CR9"} }), ErrNotFound, "credits[0]"},
		{"credit of another pollutant", reserve("r8", func(c *ReserveAllocation) { c.Credits = []string{"CRCOD"} }), ErrInvalid, "credits[0]"},
		{"credit listed twice", reserve("r9", func(c *ReserveAllocation) { c.Credits = []string{"CR1", "CR1"} }), ErrInvalid, "credits[1]"},
		{"overdraft", reserve("r10", func(c *ReserveAllocation) {
			c.Pollutant, c.Attainment, c.Credits, c.Need = "COD", Attain, []string{"CRCOD"}, 5*t1+1 // under the 10 t water sum
		}), ErrOverdraft, "need"},
		// The city's trading rules in force on the application's date.
		{"must trade: air sum 10 t", reserve("r10a", func(c *ReserveAllocation) { c.Additions = map[string]int64{"NOx": t1, "SO2": 9 * t1} }), ErrMustTrade, "additions"},
		{"must trade: need alone 10 t", reserve("r10b", func(c *ReserveAllocation) { c.Need = 10 * t1 }), ErrMustTrade, "need"},
		{"additions below the need", reserve("r10c", func(c *ReserveAllocation) { c.Additions = map[string]int64{"NOx": t1 - 1} }), ErrInvalid, "additions"},
		{"negative addition", reserve("r10d", func(c *ReserveAllocation) { c.Additions = map[string]int64{"NOx": t1, "SO2": -1} }), ErrInvalid, "additions"},
		{"applied after today", reserve("r10e", func(c *ReserveAllocation) { c.Applied = cst(2024, 3, 2, 0) }), ErrInvalid, "applied"},
		{"applied before any rules", reserve("r10f", func(c *ReserveAllocation) { c.Applied = cst(2023, 9, 23, 0) }), ErrInvalid, "applied"},
		{"no credits", reserve("r11", func(c *ReserveAllocation) { c.Credits = nil }), ErrInvalid, "credits"},
		{"existing allocation", reserve("r12", func(c *ReserveAllocation) { c.Allocation = "A1" }), ErrDuplicate, "allocation"},
		{"grant before lock", GrantAllocation{Meta: Meta{Key: "g1"}, Allocation: "A1"}, ErrState, "allocation"},
		{"write off before grant", WriteOffAllocation{Meta: Meta{Key: "w1"}, Allocation: "A1"}, ErrState, "allocation"},
		{"lock unknown allocation", LockAllocation{Meta: Meta{Key: "lk1"}, Allocation: "A9"}, ErrNotFound, "allocation"},
		// Trading.
		{"agreement overdraft", ag("a1", func(c *Agreement) { c.Quantity = 200 * t1 }), ErrOverdraft, "quantity"},
		{"agreement with oneself", ag("a2", func(c *Agreement) { c.Buyer = entA }), ErrInvalid, "buyer"},
		{"agreement contract reused", ag("a3", func(c *Agreement) { c.Contract = "HT-1" }), ErrDuplicate, "contract"},
		{"agreement negative price", ag("a4", func(c *Agreement) { c.Price = -1 }), ErrInvalid, "price"},
		{"agreement from a system account", ag("a5", func(c *Agreement) { c.Seller = Issuance }), ErrInvalid, "seller"},
		{"listing overdraft", PlaceOrder{Meta: Meta{Key: "o1"}, Order: "S9", Side: Sell, Owner: accB, Pollutant: "NOx", Quantity: 50 * t1, Price: 1}, ErrOverdraft, "quantity"},
		{"order side", PlaceOrder{Meta: Meta{Key: "o2"}, Order: "S9", Side: "hold", Owner: accA, Pollutant: "NOx", Quantity: t1, Price: 1}, ErrInvalid, "side"},
		{"bid by a reservoir", PlaceOrder{Meta: Meta{Key: "o3"}, Order: "B9", Side: Buy, Owner: City, Pollutant: "NOx", Quantity: t1, Price: 1}, ErrInvalid, "owner"},
		{"order id reused", PlaceOrder{Meta: Meta{Key: "o4"}, Order: "S1", Side: Sell, Owner: accA, Pollutant: "NOx", Quantity: t1, Price: 1}, ErrDuplicate, "order"},
		{"cancel a filled order", CancelOrder{Meta: Meta{Key: "o5"}, Order: "S1"}, ErrState, "order"},
		{"cancel unknown order", CancelOrder{Meta: Meta{Key: "o6"}, Order: "S404"}, ErrNotFound, "order"},
		{"auction closing in the past", OpenAuction{Meta: Meta{Key: "au1"}, Auction: "AU9", Seller: accA, Pollutant: "NOx", Quantity: t1, Closes: cst(2024, 1, 1, 0)}, ErrInvalid, "closes"},
		{"auction bid below start", BidAuction{Meta: Meta{Key: "au2"}, Auction: "AU1", Bid: "b1", Bidder: entB, Quantity: t1, Price: 999}, ErrInvalid, "price"},
		{"auction bid above lot", BidAuction{Meta: Meta{Key: "au3"}, Auction: "AU1", Bid: "b1", Bidder: entB, Quantity: 6 * t1, Price: 1000}, ErrInvalid, "quantity"},
		{"auction bid by seller", BidAuction{Meta: Meta{Key: "au4"}, Auction: "AU1", Bid: "b1", Bidder: entA, Quantity: t1, Price: 1000}, ErrInvalid, "bidder"},
		{"auction closed early", CloseAuction{Meta: Meta{Key: "au5"}, Auction: "AU1"}, ErrState, "auction"},
		// Administration.
		{"transfer from an enterprise", Transfer{Meta: Meta{Key: "t1"}, From: accA, To: City, Pollutant: "NOx", Quantity: 1}, ErrInvalid, "from"},
		{"transfer overdraft", Transfer{Meta: Meta{Key: "t2"}, From: CountyReservoir(dongchangfu), To: City, Pollutant: "NOx", Quantity: 59 * t1}, ErrOverdraft, "quantity"},
		{"buy-back overdraft", BuyBack{Meta: Meta{Key: "bb1"}, Enterprise: entC, Pollutant: "NOx", Quantity: 1}, ErrOverdraft, "quantity"},
		{"buy-back into an enterprise", BuyBack{Meta: Meta{Key: "bb2"}, Enterprise: entA, Pollutant: "NOx", Quantity: 1, To: accB}, ErrInvalid, "to"},
		{"retire from a sink", Retire{Meta: Meta{Key: "rt1"}, Account: Retired, Pollutant: "NOx", Quantity: 1}, ErrInvalid, "account"},
		{"retire overdraft", Retire{Meta: Meta{Key: "rt2"}, Account: accB, Pollutant: "NOx", Quantity: 3 * t1}, ErrOverdraft, "quantity"},
		{"unknown command", unknownCmd{Meta{Key: "u1"}}, ErrInvalid, ""},
	}
	l := refusalLedger(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l.t = t
			r := l.refuse(tc.cmd, tc.err, tc.field)
			if r.Reason == "" {
				t.Errorf("refusal without a reason: %v", r)
			}
		})
	}
	l.t = t
	l.replayed()
}

type unknownCmd struct{ Meta }

func (unknownCmd) name() string { return "unknown" }

func TestRefuseClockBackwards(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "NOx", t1)
	l.now = l.now.Add(-time.Second)
	l.refuse(Retire{Meta: Meta{Key: "rt"}, Account: accA, Pollutant: "NOx", Quantity: 1}, ErrClock, "")
}

// Expired rights and credits cannot be spent, and nothing is written when
// that is tried.
func TestRefuseExpired(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "NOx", 10*t1)
	l.credit("CR1", dongchangfu, "NOx", 10*t1)
	l.apply(ReserveAllocation{Meta: Meta{Key: "res"}, Allocation: "A1", EIA: "E1", Project: entB, Region: dongchangfu,
		Pollutant: "NOx", Attainment: Attain, Year: 2024, ProjectType: "steel", Need: t1, Credits: []string{"CR1"}})
	l.apply(LockAllocation{Meta: Meta{Key: "lock"}, Allocation: "A1"})
	l.now = AddMonths(l.now, 60) // the permit's and the credit's five years are over

	l.refuse(Agreement{Meta: Meta{Key: "ag"}, Contract: "HT", Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: t1, Price: 1},
		ErrOverdraft, "quantity")
	r := l.refuse(ReserveAllocation{Meta: Meta{Key: "res2"}, Allocation: "A2", EIA: "E2", Project: entB, Region: dongchangfu,
		Pollutant: "NOx", Attainment: Attain, Year: 2029, ProjectType: "steel", Need: t1, Credits: []string{"CR1"},
		Applied: cst(2026, 5, 31, 0)}, ErrExpired, "credits[0]") // applied under the 2023 rules: 1 t need not be traded
	t.Log(r)
	l.refuse(GrantAllocation{Meta: Meta{Key: "grant"}, Allocation: "A1"}, ErrExpired, "allocation")
	// Releasing returns the expired units to the reservoir; expiry then sweeps them.
	l.apply(ReleaseAllocation{Meta: Meta{Key: "rel"}, Allocation: "A1", Reason: "EIA withdrawn"})
	res := l.apply(Expire{Meta: Meta{Key: "sweep"}})
	if res.Rights != 20*t1 {
		t.Errorf("expired %d, want %d", res.Rights, 20*t1)
	}
	if c, _ := l.s.Credit("CR1"); c.Status != CreditExpired {
		t.Errorf("credit status %s", c.Status)
	}
	if got := l.s.Balance(Expired, "NOx"); got != 20*t1 {
		t.Errorf("sys:expired holds %d", got)
	}
	l.refuse(ConfirmReduction{Meta: Meta{Key: "cf"}, Credit: "CR1", Approve: true}, ErrState, "credit")
	// A credit whose five years ran out before the city confirmed it.
	l.apply(DeclareReduction{Meta: Meta{Key: "d-old"}, Credit: "OLD", Enterprise: entC, County: dongchangfu, Pollutant: "NOx",
		Quantity: t1, Measure: MeasureClosure, Effective: cst(2023, 1, 1, 0), Evidence: []string{"x"}})
	l.apply(ReviewReduction{Meta: Meta{Key: "r-old"}, Credit: "OLD", Approve: true})
	l.refuse(ConfirmReduction{Meta: Meta{Key: "c-old"}, Credit: "OLD", Approve: true}, ErrExpired, "credit")
	l.replayed()
}

func TestIdempotentRepeat(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "NOx", 10*t1)
	cmd := Agreement{Meta: Meta{Key: "ag-7", Actor: "中心"}, Contract: "HT-7", Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: 2 * t1, Price: 1_234_567}
	first := l.apply(cmd)
	n := len(l.entries)
	fp := l.s.Fingerprint()
	l.now = l.now.Add(time.Hour) // a retry later returns the same answer
	es, again, err := Apply(&l.s, cmd, l.now)
	if err != nil || len(es) != 0 {
		t.Fatalf("repeat: %d entries, %v", len(es), err)
	}
	if !equalResults(first, again) {
		t.Fatalf("repeat result %+v, want %+v", again, first)
	}
	if l.s.Fingerprint() != fp || len(l.entries) != n {
		t.Fatal("a repeat changed the state")
	}
	// After a restart (Replay) the key is still known with its result.
	s, err := Replay(l.entries)
	if err != nil {
		t.Fatal(err)
	}
	es, again, err = Apply(&s, cmd, l.now)
	if err != nil || len(es) != 0 || !equalResults(first, again) {
		t.Fatalf("repeat after replay: %d entries, %+v, %v", len(es), again, err)
	}
	// The same key with another body is refused, even a different actor.
	other := cmd
	other.Actor = "someone else"
	l.refuse(other, ErrKeyReused, "key")
	// A refused command does not consume its key.
	bad := Retire{Meta: Meta{Key: "rt-1"}, Account: accA, Pollutant: "NOx", Quantity: 100 * t1}
	l.refuse(bad, ErrOverdraft, "quantity")
	bad.Quantity = t1
	l.apply(bad)
	if first.Money != 2_469_134 { // 2 t × 12,345.67 yuan/t
		t.Errorf("money %d", first.Money)
	}
}

func equalResults(a, b Result) bool {
	if len(a.Trades) != len(b.Trades) {
		return false
	}
	for i := range a.Trades {
		if a.Trades[i] != b.Trades[i] {
			return false
		}
	}
	a.Trades, b.Trades = nil, nil
	return a.Cmd == b.Cmd && a.Key == b.Key && a.Body == b.Body && a.Ref == b.Ref && a.First == b.First &&
		a.Last == b.Last && a.Status == b.Status && a.Rights == b.Rights && a.Money == b.Money
}

// A refusal deep inside a command (the third fill of a settlement) leaves
// nothing behind, although the first fills were already folded.
func TestRefusalRollsBackPartialWork(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "NOx", 10*t1)
	l.apply(OpenAuction{Meta: Meta{Key: "au"}, Auction: "AU", Seller: accA, Pollutant: "NOx", Quantity: 6 * t1,
		StartPrice: 100, Closes: AddMonths(l.now, 1)})
	for i, b := range []string{entB, entC} {
		l.apply(BidAuction{Meta: Meta{Key: "bid" + b}, Auction: "AU", Bid: "b" + b, Bidder: b, Quantity: 3 * t1, Price: int64(200 + i)})
	}
	// Past the permit's validity the lot cannot be delivered: the close is
	// refused as a whole and the auction stays open with its escrow intact.
	l.now = AddMonths(l.now, 61)
	l.refuse(CloseAuction{Meta: Meta{Key: "close"}, Auction: "AU"}, ErrExpired, "auction")
	if a, _ := l.s.Auction("AU"); a.Status != AuctionOpen || l.s.Balance(escrowOf("auction/AU"), "NOx") != 6*t1 {
		t.Fatalf("auction %s, escrow %d", a.Status, l.s.Balance(escrowOf("auction/AU"), "NOx"))
	}
	// Expiry cancels the auction and sweeps the lot.
	l.apply(Expire{Meta: Meta{Key: "exp"}})
	if a, _ := l.s.Auction("AU"); a.Status != AuctionCancelled {
		t.Fatalf("auction %s", a.Status)
	}
	if l.s.Balance(accA, "NOx") != 0 || l.s.Balance(Expired, "NOx") != 10*t1 {
		t.Fatalf("A %d expired %d", l.s.Balance(accA, "NOx"), l.s.Balance(Expired, "NOx"))
	}
	l.replayed()
	if !errors.Is(&Refusal{Err: ErrExpired}, ErrExpired) {
		t.Fatal("Refusal does not unwrap")
	}
}
