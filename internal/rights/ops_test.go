package rights

import (
	"testing"
	"time"
)

func TestMonthsAndFees(t *testing.T) {
	months := []struct {
		from, until time.Time
		want        int
	}{
		{cst(2024, 3, 1, 9), cst(2029, 3, 1, 9), 60},
		{cst(2024, 3, 1, 9), cst(2029, 3, 1, 10), 61}, // an hour into a month counts as the month
		{cst(2024, 3, 1, 9), cst(2024, 3, 1, 9), 0},
		{cst(2024, 3, 2, 0), cst(2024, 3, 1, 0), 0},
		{cst(2024, 1, 31, 0), cst(2024, 2, 29, 0), 1}, // clamped month end
		{cst(2024, 1, 31, 0), cst(2024, 3, 1, 0), 2},
		{cst(2021, 9, 1, 0), cst(2026, 9, 1, 0), 60},
		{cst(2024, 3, 1, 9), cst(2026, 9, 1, 0), 30}, // 29 months and 30 days
		{cst(2024, 12, 31, 23), cst(2025, 1, 1, 0), 1},
	}
	for _, m := range months {
		if got := MonthsRemaining(m.from, m.until); got != m.want {
			t.Errorf("MonthsRemaining(%s, %s) = %d, want %d", m.from, m.until, got, m.want)
		}
	}
	if got := AddMonths(cst(2024, 1, 31, 8), 1); !got.Equal(cst(2024, 2, 29, 8)) {
		t.Errorf("AddMonths Jan 31 + 1 = %s", got)
	}
	if got := AddMonths(cst(2024, 3, 31, 0), -13); !got.Equal(cst(2023, 2, 28, 0)) {
		t.Errorf("AddMonths Mar 31 - 13 = %s", got)
	}
	// 2024-12-31 20:00 UTC is 2025-01-01 04:00 in China: months count there.
	if got := AddMonths(time.Date(2024, 12, 31, 20, 0, 0, 0, time.UTC), 1); !got.Equal(cst(2025, 2, 1, 4)) {
		t.Errorf("AddMonths across the CST new year = %s", got)
	}

	fees := []struct {
		q, price int64
		months   int
		want     int64
	}{
		{50 * t1, 400_000, 60, 100_000_000}, // 50 t × 4,000 yuan × 5 years = 1,000,000 yuan
		{50 * t1, 400_000, 30, 50_000_000},
		{1, 400_000, 60, 2},              // 1 g for five years: 2 fen
		{1, 400_000, 1, 0},               // 0.033 fen rounds down
		{15, 100_000, 12, 2},             // 1.5 fen rounds half up
		{5, 100_000, 12, 1},              // 0.5 fen rounds half up
		{4, 100_000, 12, 0},              // 0.4 fen rounds down
		{maxQuantity, maxPrice, 1200, 0}, // overflows: refused below
	}
	for _, f := range fees[:len(fees)-1] {
		if got, ok := Fee(f.q, f.price, f.months); !ok || got != f.want {
			t.Errorf("Fee(%d, %d, %d) = %d %v, want %d", f.q, f.price, f.months, got, ok, f.want)
		}
	}
	if _, ok := Fee(maxQuantity, maxPrice, 1200); ok {
		t.Error("Fee did not report an overflow")
	}
	if _, ok := Fee(-1, 1, 1); ok {
		t.Error("Fee accepted a negative quantity")
	}
	if v, ok := TradeValue(3*t1+500_000, 1_000_001); !ok || v != 3_500_004 { // 3.5 t × 10,000.01 yuan = 35,000.035 yuan
		t.Errorf("TradeValue = %d %v", v, ok)
	}
	if v, ok := TradeValue(maxQuantity, 1_000_000_000); !ok || v != 1_000_000_000_000_000_000 {
		t.Errorf("TradeValue of 10^9 t at 10^7 yuan = %d %v", v, ok)
	}
	if _, ok := TradeValue(maxQuantity, maxPrice); ok {
		t.Error("TradeValue did not report an overflow")
	}
}

func TestPermitFee(t *testing.T) {
	l := newLedger(t) // now: 2024-03-01 09:00 CST
	cases := []struct {
		pollutant string
		from      time.Time
		q         int64
		fee       int64
	}{
		{"COD", l.now, 50 * t1, 100_000_000},             // full five years at 4,000 yuan/t·a
		{"COD", cst(2021, 9, 1, 0), 50 * t1, 50_000_000}, // 30 months left of a 2021 permit
		{"COD", cst(2024, 6, 1, 0), 12 * t1, 24_000_000}, // starting later: five years from the start
		{"SO2", l.now, 1, 3},                             // 1 g × 5,000 yuan/t·a × 5 = 2.5 fen, half up
	}
	for i, c := range cases {
		uscc := []string{entA, entB, entC, entA}[i]
		r := l.apply(AllocatePermit{Meta: Meta{Key: l.key("p")}, Permit: "PW-fee-" + l.key("n"), Enterprise: uscc,
			County: dongchangfu, Pollutant: c.pollutant, Quantity: c.q, ValidFrom: c.from, Paid: true})
		if r.Money != c.fee || r.Rights != c.q {
			t.Errorf("case %d: fee %d rights %d, want %d %d", i, r.Money, r.Rights, c.fee, c.q)
		}
	}
	if got := l.s.MoneyBalance(Treasury); got != 100_000_000+50_000_000+24_000_000+3 {
		t.Errorf("treasury %d", got)
	}
	// Prices per year: NOx has its own 2025 row.
	l.now = cst(2025, 2, 1, 0)
	r := l.apply(AllocatePermit{Meta: Meta{Key: "nox25"}, Permit: "PW-NOX", Enterprise: entA, County: dongchangfu,
		Pollutant: "NOx", Quantity: t1, ValidFrom: l.now, Paid: true})
	if r.Money != 3_500_000 { // 7,000 yuan × 5
		t.Errorf("2025 NOx fee %d", r.Money)
	}
	// The permit's rights end with its validity.
	b := l.s.Blocks(accA, "NOx")
	if len(b) != 1 || time.UnixMicro(b[0].ValidUntil).UTC() != cst(2030, 2, 1, 0).UTC() || !b[0].Paid || b[0].Origin != "PW-NOX" {
		t.Errorf("blocks %+v", b)
	}
	l.replayed()
}

func TestCreditFlow(t *testing.T) {
	l := newLedger(t)
	d := DeclareReduction{Meta: Meta{Key: "d"}, Credit: "JN-2024-001", Enterprise: entC, County: chiping, Pollutant: "NOx",
		Quantity: 120 * t1, Measure: MeasureClosure, Effective: cst(2024, 1, 1, 0),
		Evidence: []string{"排污许可证注销 91371500MA3C000003", "关停验收报告 2023-12"}}
	if r := l.apply(d); r.Status != CreditDeclared || r.Rights != 0 {
		t.Fatalf("declare: %+v", r)
	}
	if l.s.Balance(CountyReservoir(chiping), "NOx") != 0 {
		t.Fatal("a declared credit is not spendable")
	}
	if r := l.apply(ReviewReduction{Meta: Meta{Key: "r", Actor: "茌平分局"}, Credit: d.Credit, Approve: true}); r.Status != CreditReviewed {
		t.Fatalf("review: %+v", r)
	}
	r := l.apply(ConfirmReduction{Meta: Meta{Key: "c", Actor: "市局"}, Credit: d.Credit, Approve: true, Quantity: 100 * t1})
	if r.Status != CreditConfirmed || r.Rights != 100*t1 {
		t.Fatalf("confirm: %+v", r)
	}
	c, _ := l.s.Credit(d.Credit)
	if c.Confirmed != 100*t1 || !c.Expires.Equal(cst(2029, 1, 1, 0)) || len(c.Evidence) != 2 {
		t.Fatalf("credit %+v", c)
	}
	if got := l.s.Balance(CountyReservoir(chiping), "NOx"); got != 100*t1 {
		t.Fatalf("reservoir holds %d", got)
	}
	if got := l.s.Balance(Reduction, "NOx"); got != -100*t1 {
		t.Fatalf("sys:reduction %d", got)
	}
	// The city can also reject after the county approved.
	l.apply(DeclareReduction{Meta: Meta{Key: "d2"}, Credit: "X", Enterprise: entC, County: chiping, Pollutant: "NOx",
		Quantity: t1, Measure: MeasureCleanProduction, Effective: l.now, Evidence: []string{"审核报告"}})
	l.apply(ReviewReduction{Meta: Meta{Key: "r2"}, Credit: "X", Approve: true})
	if r := l.apply(ConfirmReduction{Meta: Meta{Key: "c2"}, Credit: "X", Approve: false, Note: "基准外"}); r.Status != CreditRejected || r.Rights != 0 {
		t.Fatalf("reject: %+v", r)
	}
	l.replayed()
}

func TestAllocationLifecycle(t *testing.T) {
	l := newLedger(t)
	l.credit("CR1", dongchangfu, "NOx", 3*t1)
	l.credit("CR2", chiping, "NOx", 10*t1)
	l.apply(Transfer{Meta: Meta{Key: "to-city"}, From: CountyReservoir(chiping), To: City, Pollutant: "NOx", Quantity: 4 * t1})

	// 2:1 where the air misses the standard: 4 t need → 8 t from CR1 (3 t) then CR2 (5 t, county first).
	r := l.apply(ReserveAllocation{Meta: Meta{Key: "res"}, Allocation: "A1", EIA: "聊环审〔2024〕12号", Project: entA,
		Region: dongchangfu, Pollutant: "NOx", Attainment: NonAttain, Year: 2024, ProjectType: "steel", Need: 4 * t1,
		Credits: []string{"CR1", "CR2"}})
	a, _ := l.s.Allocation("A1")
	if r.Status != AllocReserved || a.Offset != 8*t1 || a.Rule.Num != 2 || a.Rule.Basis == "" {
		t.Fatalf("reserve: %+v %+v", r, a)
	}
	if l.s.Balance(CountyReservoir(dongchangfu), "NOx") != 0 || l.s.Balance(CountyReservoir(chiping), "NOx") != t1 ||
		l.s.Balance(City, "NOx") != 4*t1 {
		t.Fatalf("draws: %d %d %d", l.s.Balance(CountyReservoir(dongchangfu), "NOx"),
			l.s.Balance(CountyReservoir(chiping), "NOx"), l.s.Balance(City, "NOx"))
	}
	l.apply(LockAllocation{Meta: Meta{Key: "lock"}, Allocation: "A1"})
	r = l.apply(GrantAllocation{Meta: Meta{Key: "grant"}, Allocation: "A1"})
	if r.Status != AllocGranted || r.Rights != 4*t1 || l.s.Balance(accA, "NOx") != 4*t1 {
		t.Fatalf("grant: %+v, project holds %d", r, l.s.Balance(accA, "NOx"))
	}
	for _, b := range l.s.Blocks(accA, "NOx") {
		if time.UnixMicro(b.ValidUntil).UTC() != AddMonths(l.now, 60).UTC() || b.Paid {
			t.Fatalf("granted block %+v", b)
		}
	}
	r = l.apply(WriteOffAllocation{Meta: Meta{Key: "wo"}, Allocation: "A1"})
	if r.Status != AllocWrittenOff || r.Rights != 4*t1 || l.s.Balance(WrittenOff, "NOx") != 4*t1 {
		t.Fatalf("write-off: %+v", r)
	}

	// The most specific rule wins: 3:2 for chemical projects in 茌平 in 2024.
	l.credit("CR3", chiping, "NOx", 20*t1)
	l.apply(ReserveAllocation{Meta: Meta{Key: "res2"}, Allocation: "A2", EIA: "E2", Project: entB, Region: chiping,
		Pollutant: "NOx", Attainment: NonAttain, Year: 2024, ProjectType: "chemical", Need: 3*t1 + 1, Credits: []string{"CR2", "CR3"}})
	a, _ = l.s.Allocation("A2")
	if a.Offset != 4_500_002 { // ceil(3,000,001 × 3 / 2)
		t.Fatalf("offset %d", a.Offset)
	}
	// CR2 had 1 t left in 茌平 and 4 t in the city: the draw took both.
	if l.s.Balance(CountyReservoir(chiping), "NOx") != 20*t1 || l.s.Balance(City, "NOx") != 500_000-2 {
		t.Fatalf("A2 draws: chiping %d city %d", l.s.Balance(CountyReservoir(chiping), "NOx"), l.s.Balance(City, "NOx"))
	}
	// Release returns each unit where it came from.
	r = l.apply(ReleaseAllocation{Meta: Meta{Key: "rel"}, Allocation: "A2", Reason: "项目取消"})
	if r.Status != AllocReleased || r.Rights != 0 {
		t.Fatalf("release: %+v", r)
	}
	if l.s.Balance(CountyReservoir(chiping), "NOx") != 21*t1 || l.s.Balance(City, "NOx") != 4*t1 {
		t.Fatalf("after release: chiping %d city %d", l.s.Balance(CountyReservoir(chiping), "NOx"), l.s.Balance(City, "NOx"))
	}
	l.refuse(LockAllocation{Meta: Meta{Key: "lock2"}, Allocation: "A2"}, ErrState, "allocation")
	l.replayed()
}

func TestOrderBookPriceTime(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "SO2", 10*t1)
	l.permit(entB, "SO2", 10*t1)
	sell := func(id string, owner Account, q, price int64) {
		l.now = l.now.Add(time.Minute)
		l.apply(PlaceOrder{Meta: Meta{Key: "k-" + id}, Order: id, Side: Sell, Owner: owner, Pollutant: "SO2", Quantity: q, Price: price})
	}
	sell("S1", accA, 2*t1, 5_000_000) // 50,000 yuan/t
	sell("S2", accB, 2*t1, 4_000_000) // cheaper, later
	sell("S3", accA, 2*t1, 4_000_000) // same price as S2, later still
	sell("S4", accB, 2*t1, 6_000_000) // above the bid
	asks, _ := l.s.Book("SO2")
	if ids := orderIDs(asks); ids != "S2 S3 S1 S4" {
		t.Fatalf("asks %s", ids)
	}
	// A bid for 5 t at 50,000 takes S2, S3, then 1 t of S1, at the listings' prices.
	l.now = l.now.Add(time.Minute)
	r := l.apply(PlaceOrder{Meta: Meta{Key: "k-B1"}, Order: "B1", Side: Buy, Owner: accC, Pollutant: "SO2", Quantity: 5 * t1, Price: 5_000_000})
	want := []Trade{
		{Buy: "B1", Sell: "S2", Buyer: accC, Seller: accB, Pollutant: "SO2", Quantity: 2 * t1, Price: 4_000_000, Amount: 8_000_000},
		{Buy: "B1", Sell: "S3", Buyer: accC, Seller: accA, Pollutant: "SO2", Quantity: 2 * t1, Price: 4_000_000, Amount: 8_000_000},
		{Buy: "B1", Sell: "S1", Buyer: accC, Seller: accA, Pollutant: "SO2", Quantity: 1 * t1, Price: 5_000_000, Amount: 5_000_000},
	}
	if len(r.Trades) != len(want) {
		t.Fatalf("trades %+v", r.Trades)
	}
	for i := range want {
		if r.Trades[i] != want[i] {
			t.Errorf("trade %d: %+v, want %+v", i, r.Trades[i], want[i])
		}
	}
	if r.Status != OrderFilled || l.s.Balance(accC, "SO2") != 5*t1 || l.s.MoneyBalance(accC) != -21_000_000 {
		t.Fatalf("bid %+v, C holds %d, paid %d", r, l.s.Balance(accC, "SO2"), l.s.MoneyBalance(accC))
	}
	if o, _ := l.s.Order("S1"); o.Remaining != t1 || o.Status != OrderOpen {
		t.Fatalf("S1 %+v", o)
	}
	// A bid that does not cross rests; a later listing at or below it trades
	// at the bid's price. A's own bid is never matched with A's listing.
	l.now = l.now.Add(time.Minute)
	l.apply(PlaceOrder{Meta: Meta{Key: "k-B2"}, Order: "B2", Side: Buy, Owner: accA, Pollutant: "SO2", Quantity: 3 * t1, Price: 4_500_000})
	l.apply(PlaceOrder{Meta: Meta{Key: "k-B3"}, Order: "B3", Side: Buy, Owner: accC, Pollutant: "SO2", Quantity: t1, Price: 4_400_000})
	_, bids := l.s.Book("SO2")
	if ids := orderIDs(bids); ids != "B2 B3" {
		t.Fatalf("bids %s", ids)
	}
	l.now = l.now.Add(time.Minute)
	r = l.apply(PlaceOrder{Meta: Meta{Key: "k-S5"}, Order: "S5", Side: Sell, Owner: accA, Pollutant: "SO2", Quantity: 2 * t1, Price: 4_000_000})
	if len(r.Trades) != 1 || r.Trades[0].Buy != "B3" || r.Trades[0].Price != 4_400_000 || r.Trades[0].Quantity != t1 {
		t.Fatalf("S5 trades %+v", r.Trades)
	}
	if o, _ := l.s.Order("S5"); o.Remaining != t1 || o.Status != OrderOpen {
		t.Fatalf("S5 %+v", o)
	}
	// Cancelling returns the escrowed rest.
	aBefore := l.s.Balance(accA, "SO2")
	if r := l.apply(CancelOrder{Meta: Meta{Key: "k-cS5"}, Order: "S5"}); r.Status != OrderCancelled {
		t.Fatalf("cancel %+v", r)
	}
	if l.s.Balance(accA, "SO2") != aBefore+t1 {
		t.Fatalf("cancel returned %d", l.s.Balance(accA, "SO2")-aBefore)
	}
	l.replayed()
}

func orderIDs(os []Order) string {
	s := ""
	for i, o := range os {
		if i > 0 {
			s += " "
		}
		s += o.ID
	}
	return s
}

func TestAuction(t *testing.T) {
	l := newLedger(t)
	l.credit("CR1", dongchangfu, "VOCs", 10*t1)
	l.apply(Transfer{Meta: Meta{Key: "tr"}, From: CountyReservoir(dongchangfu), To: Reserve, Pollutant: "VOCs", Quantity: 10 * t1})
	l.apply(OpenAuction{Meta: Meta{Key: "open"}, Auction: "PM-2024-01", Seller: Reserve, Pollutant: "VOCs", Quantity: 6 * t1,
		StartPrice: 1_000_000, Closes: l.now.Add(7 * 24 * time.Hour)})
	bid := func(id, who string, q, p int64) {
		l.now = l.now.Add(time.Hour)
		l.apply(BidAuction{Meta: Meta{Key: "bid-" + id}, Auction: "PM-2024-01", Bid: id, Bidder: who, Quantity: q, Price: p})
	}
	bid("b1", entA, 3*t1, 1_200_000)
	bid("b2", entB, 4*t1, 1_500_000)
	bid("b3", entC, 3*t1, 1_200_000) // same price as b1, later: gets what is left after b1
	l.now = l.now.Add(7 * 24 * time.Hour)
	l.refuse(BidAuction{Meta: Meta{Key: "late"}, Auction: "PM-2024-01", Bid: "b4", Bidder: entC, Quantity: t1, Price: 9_000_000}, ErrState, "auction")
	r := l.apply(CloseAuction{Meta: Meta{Key: "close"}, Auction: "PM-2024-01"})
	// b2 4 t at its price, b1 2 t of its 3, b3 nothing; each pays its own price to the treasury.
	if r.Status != AuctionClosed || len(r.Trades) != 2 || r.Trades[0].Buy != "b2" || r.Trades[0].Quantity != 4*t1 ||
		r.Trades[1].Buy != "b1" || r.Trades[1].Quantity != 2*t1 || r.Money != 6_000_000+2_400_000 {
		t.Fatalf("close %+v", r)
	}
	if l.s.MoneyBalance(Treasury) != 8_400_000 || l.s.Balance(Reserve, "VOCs") != 4*t1 || l.s.Balance(accC, "VOCs") != 0 {
		t.Fatalf("treasury %d reserve %d C %d", l.s.MoneyBalance(Treasury), l.s.Balance(Reserve, "VOCs"), l.s.Balance(accC, "VOCs"))
	}
	// An undersubscribed auction returns the rest to the seller.
	l.apply(OpenAuction{Meta: Meta{Key: "open2"}, Auction: "PM-2024-02", Seller: Reserve, Pollutant: "VOCs", Quantity: 4 * t1,
		StartPrice: 1, Closes: l.now.Add(time.Hour)})
	l.apply(BidAuction{Meta: Meta{Key: "bid2"}, Auction: "PM-2024-02", Bid: "x", Bidder: entC, Quantity: t1, Price: 2})
	l.now = l.now.Add(time.Hour)
	l.apply(CloseAuction{Meta: Meta{Key: "close2"}, Auction: "PM-2024-02"})
	if l.s.Balance(Reserve, "VOCs") != 3*t1 || l.s.Balance(accC, "VOCs") != t1 {
		t.Fatalf("reserve %d C %d", l.s.Balance(Reserve, "VOCs"), l.s.Balance(accC, "VOCs"))
	}
	l.replayed()
}

func TestBuyBackPaidAndFree(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "COD", 4*t1) // free (定额无偿)
	l.permit(entB, "COD", 10*t1)
	l.apply(Agreement{Meta: Meta{Key: "ag"}, Contract: "HT", Seller: accB, Buyer: entA, Pollutant: "COD", Quantity: 2 * t1, Price: 3_000_000})
	// A holds 4 t free (first) and 2 t paid; a 5 t buy-back takes 4 free + 1 paid.
	r := l.apply(BuyBack{Meta: Meta{Key: "bb"}, Enterprise: entA, Pollutant: "COD", Quantity: 5 * t1, Price: 2_000_000})
	if r.Rights != 5*t1 || r.Money != 2_000_000 {
		t.Fatalf("buy-back %+v", r)
	}
	if l.s.Balance(Reserve, "COD") != 5*t1 || l.s.Balance(accA, "COD") != t1 {
		t.Fatalf("reserve %d A %d", l.s.Balance(Reserve, "COD"), l.s.Balance(accA, "COD"))
	}
	if l.s.MoneyBalance(accA) != -6_000_000+2_000_000 || l.s.MoneyBalance(Treasury) != -2_000_000 {
		t.Fatalf("money A %d treasury %d", l.s.MoneyBalance(accA), l.s.MoneyBalance(Treasury))
	}
	r = l.apply(Retire{Meta: Meta{Key: "rt"}, Account: Reserve, Pollutant: "COD", Quantity: 5 * t1, Reason: "总量削减"})
	if r.Rights != 5*t1 || l.s.Balance(Retired, "COD") != 5*t1 {
		t.Fatalf("retire %+v", r)
	}
	l.replayed()
}

func TestExpireSweep(t *testing.T) {
	l := newLedger(t)
	l.permit(entA, "NOx", 10*t1)
	l.apply(PlaceOrder{Meta: Meta{Key: "s"}, Order: "S1", Side: Sell, Owner: accA, Pollutant: "NOx", Quantity: 4 * t1, Price: 10})
	l.now = AddMonths(l.now, 30)
	l.permit(entB, "NOx", 10*t1)
	if r := l.apply(Expire{Meta: Meta{Key: "e1"}}); r.Rights != 0 {
		t.Fatalf("nothing is due yet: %+v", r)
	}
	l.now = AddMonths(l.now, 30)
	r := l.apply(Expire{Meta: Meta{Key: "e2"}})
	if r.Rights != 10*t1 {
		t.Fatalf("sweep %+v", r)
	}
	if o, _ := l.s.Order("S1"); o.Status != OrderCancelled {
		t.Fatalf("listing %s", o.Status)
	}
	if l.s.Balance(accA, "NOx") != 0 || l.s.Balance(accB, "NOx") != 10*t1 || l.s.Spendable(accB, "NOx", l.now) != 10*t1 {
		t.Fatalf("A %d B %d", l.s.Balance(accA, "NOx"), l.s.Balance(accB, "NOx"))
	}
	l.replayed()
}
