package rights

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/golden"
)

// scenario is a small year of the reservoir and the market with fixed
// times: the golden export, the tamper tests and the trace test use it.
func scenario(t testing.TB) *ledger {
	l := newLedger(t)
	l.apply(AllocatePermit{Meta: Meta{Key: "permit-A-NOx", Actor: "市局", Doc: "91371500MA3C000001001P"},
		Permit: "91371500MA3C000001001P", Enterprise: entA, County: dongchangfu, Pollutant: "NOx", Quantity: 100 * t1,
		ValidFrom: cst(2024, 1, 1, 0), Paid: true})
	l.now = l.now.Add(24 * time.Hour)
	l.apply(DeclareReduction{Meta: Meta{Key: "declare-CR1", Actor: "91371500MA3C000003"}, Credit: "CR1", Enterprise: entC,
		County: dongchangfu, Pollutant: "NOx", Quantity: 30 * t1, Measure: MeasureClosure, Effective: cst(2024, 2, 1, 0),
		Evidence: []string{"排污许可证注销通知书", "关停验收意见"}})
	l.apply(ReviewReduction{Meta: Meta{Key: "review-CR1", Actor: "东昌府分局"}, Credit: "CR1", Approve: true, Note: "现场核查属实"})
	l.apply(ConfirmReduction{Meta: Meta{Key: "confirm-CR1", Actor: "市局", Doc: "聊环核〔2024〕3号"}, Credit: "CR1", Approve: true})
	l.now = l.now.Add(24 * time.Hour)
	l.apply(Agreement{Meta: Meta{Key: "agreement-HT1", Actor: "总量控制中心", Doc: "HT-2024-001"}, Contract: "HT-2024-001",
		Seller: accA, Buyer: entB, Pollutant: "NOx", Quantity: 20 * t1, Price: 2_500_000})
	l.apply(ReserveAllocation{Meta: Meta{Key: "reserve-A1", Actor: "东昌府分局"}, Allocation: "A1", EIA: "聊环审〔2024〕8号",
		Project: entC, Region: dongchangfu, Pollutant: "NOx", Attainment: NonAttain, Year: 2024, ProjectType: "steel",
		Need: 5 * t1, Credits: []string{"CR1"}})
	l.apply(LockAllocation{Meta: Meta{Key: "lock-A1"}, Allocation: "A1"})
	l.now = l.now.Add(24 * time.Hour)
	l.apply(GrantAllocation{Meta: Meta{Key: "grant-A1", Doc: "聊环审〔2024〕8号"}, Allocation: "A1", Paid: true})
	l.apply(WriteOffAllocation{Meta: Meta{Key: "writeoff-A1"}, Allocation: "A1"})
	l.apply(PlaceOrder{Meta: Meta{Key: "order-S1"}, Order: "S1", Side: Sell, Owner: accB, Pollutant: "NOx", Quantity: 8 * t1, Price: 2_800_000})
	l.now = l.now.Add(time.Hour)
	l.apply(PlaceOrder{Meta: Meta{Key: "order-B1"}, Order: "B1", Side: Buy, Owner: accC, Pollutant: "NOx", Quantity: 5 * t1, Price: 3_000_000})
	l.apply(BuyBack{Meta: Meta{Key: "buyback-B", Doc: "聊环回〔2024〕1号"}, Enterprise: entB, Pollutant: "NOx", Quantity: 10 * t1, Price: 2_000_000})
	l.apply(Retire{Meta: Meta{Key: "retire-1"}, Account: Reserve, Pollutant: "NOx", Quantity: 10 * t1, Reason: "区域削减"})
	return l
}

func TestGoldenExport(t *testing.T) {
	l := scenario(t)
	var buf bytes.Buffer
	if err := Export(&buf, l.entries); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "scenario.jsonl")
	golden.Check(t, path, buf.Bytes())
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Anyone can check the export alone.
	es, err := Import(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyHead(es, l.s.Head()); err != nil {
		t.Fatal(err)
	}
	s, err := Replay(es)
	if err != nil {
		t.Fatal(err)
	}
	if s.dump() != l.s.dump() {
		t.Fatalf("imported replay differs:\n%s", diffLines(l.s.dump(), s.dump()))
	}
}

// rehash recomputes Seq, Prev and Hash from entry i on, as a forger who
// controls the export would.
func rehash(es []Entry) {
	var prev Digest
	var buf []byte
	for i := range es {
		es[i].Seq = int64(i + 1)
		es[i].Prev = prev
		es[i].Hash, buf = hashEntry(&es[i], buf)
		prev = es[i].Hash
	}
}

func find(es []Entry, cmd, op string) int {
	for i := range es {
		if es[i].Cmd == cmd && es[i].Op == op {
			return i
		}
	}
	panic("no " + cmd + " " + op)
}

func TestTamperDetected(t *testing.T) {
	l := scenario(t)
	orig := l.entries
	head := l.s.Head()
	deliver := find(orig, "agreement", OpDeliver)
	escrow := find(orig, "place_order", OpEscrow)
	fill := find(orig[escrow:], "place_order", OpDeliver) + escrow
	cases := []struct {
		name   string
		tamper func([]Entry) []Entry
		want   error
	}{
		{"changed amount", func(es []Entry) []Entry { es[deliver].Amount++; return es }, ErrTampered},
		{"changed money", func(es []Entry) []Entry { es[deliver+1].Amount = 1; return es }, ErrTampered},
		{"changed account", func(es []Entry) []Entry { es[deliver].To = accC; return es }, ErrTampered},
		{"changed time", func(es []Entry) []Entry { es[5].Time = es[5].Time.Add(time.Microsecond); return es }, ErrTampered},
		{"changed ratio rule", func(es []Entry) []Entry { es[0].Detail = es[0].Detail[:len(es[0].Detail)-1] + " }"; return es }, ErrTampered},
		{"changed hash", func(es []Entry) []Entry { es[3].Hash[0] ^= 1; return es }, ErrTampered},
		{"removed entry", func(es []Entry) []Entry { return append(es[:deliver:deliver], es[deliver+1:]...) }, ErrTampered},
		{"removed first entry", func(es []Entry) []Entry { return es[1:] }, ErrTampered},
		{"reordered entries", func(es []Entry) []Entry { es[4], es[5] = es[5], es[4]; return es }, ErrTampered},
		{"duplicated entry", func(es []Entry) []Entry { return append(es, es[len(es)-1]) }, ErrTampered},
		// A forger who rewrites the hashes too still breaks the invariants.
		{"rehashed: more than the seller held", func(es []Entry) []Entry { es[deliver].Amount += 100 * t1; rehash(es); return es }, ErrDoubleSpend},
		{"rehashed: issue inflated", func(es []Entry) []Entry { es[find(es, "allocate_permit", OpIssue)].Amount *= 2; rehash(es); return es }, ErrInvariant},
		{"rehashed: escrow to the wrong account", func(es []Entry) []Entry { es[escrow].From = accA; rehash(es); return es }, ErrDoubleSpend},
		{"rehashed: escrow removed", func(es []Entry) []Entry { es = append(es[:escrow:escrow], es[escrow+1:]...); rehash(es); return es }, ErrDoubleSpend},
		{"rehashed: fill before escrow", func(es []Entry) []Entry { es[escrow], es[fill] = es[fill], es[escrow]; rehash(es); return es }, ErrDoubleSpend},
		{"rehashed: rights spent twice", func(es []Entry) []Entry {
			dup := es[deliver]
			dup.Key, dup.Time = "again", es[len(es)-1].Time
			es = append(es, dup)
			rehash(es)
			return es
		}, ErrDoubleSpend},
		{"rehashed: key used twice", func(es []Entry) []Entry {
			i := find(es, "retire", OpRetire)
			es[i].Key = "permit-A-NOx"
			rehash(es)
			return es
		}, ErrKeyReused},
		{"rehashed: write-off before grant", func(es []Entry) []Entry {
			i := find(es, "lock_allocation", EvAllocStatus)
			es[i].Status = AllocWrittenOff
			rehash(es)
			return es
		}, ErrState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es := tc.tamper(clone(orig))
			err := Verify(es)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Seq <= 0 {
				t.Fatalf("error %v does not name the entry", err)
			}
			t.Log(err)
		})
	}
	// A forger who rewrites the chain can tell a different but consistent
	// story (B got a tonne more from A); only the published head tells, as
	// it does for a ledger cut short.
	shifted := clone(orig)
	shifted[deliver].Amount += t1
	rehash(shifted)
	if err := Verify(shifted); err != nil {
		t.Fatalf("a consistent rewrite: %v", err)
	}
	if err := VerifyHead(shifted, head); !errors.Is(err, ErrTampered) {
		t.Fatalf("VerifyHead of a rewritten ledger = %v", err)
	}
	short := clone(orig[:len(orig)-1])
	if err := Verify(short); err != nil {
		t.Fatal(err)
	}
	if err := VerifyHead(short, head); !errors.Is(err, ErrTampered) {
		t.Fatalf("VerifyHead of a truncated ledger = %v", err)
	}
	if err := Verify(orig); err != nil {
		t.Fatalf("the original no longer verifies: %v", err)
	}
}

func clone(es []Entry) []Entry { return append([]Entry(nil), es...) }

// Every unit can be followed from its creation to its end, and each move
// starts where the previous one ended.
func TestTraceUnit(t *testing.T) {
	l := scenario(t)
	type move struct {
		op       string
		from, to Account
	}
	paths := []struct {
		serial int64
		want   []move
	}{
		// Serial 1 of NOx: issued to A, sold to B, listed by B (first in,
		// first out), bought by C on the exchange.
		{1, []move{{OpIssue, Issuance, accA}, {OpDeliver, accA, accB}, {OpEscrow, accB, escrowOf("order/S1")},
			{OpDeliver, escrowOf("order/S1"), accC}}},
		// The listing took B's first 8 t; the buy-back took the next 10 t,
		// which the reserve then retired.
		{8*t1 + 1, []move{{OpIssue, Issuance, accA}, {OpDeliver, accA, accB}, {OpBuyBack, accB, Reserve},
			{OpRetire, Reserve, Retired}}},
		// Never sold: still with A.
		{20*t1 + 1, []move{{OpIssue, Issuance, accA}}},
	}
	for _, p := range paths {
		tr := Trace(l.entries, "NOx", p.serial)
		got := make([]move, len(tr))
		for i, e := range tr {
			got[i] = move{e.Op, e.From, e.To}
		}
		if len(got) != len(p.want) {
			t.Errorf("serial %d: %v, want %v", p.serial, got, p.want)
			continue
		}
		for i := range got {
			if got[i] != p.want[i] {
				t.Errorf("serial %d move %d: %v, want %v", p.serial, i, got[i], p.want[i])
			}
		}
	}
	// The first unit of the credit: minted, reserved for the project, granted.
	first := l.s.Issued("NOx") - 30*t1 + 1
	tr := Trace(l.entries, "NOx", first)
	if len(tr) != 3 || tr[0].Op != OpMint || tr[0].Ref != "CR1" || tr[1].Op != OpEscrow || tr[2].Op != OpGrant || tr[2].To != accC {
		t.Fatalf("credit unit trace %+v", tr)
	}
	for _, serial := range []int64{1, 20 * t1, 20*t1 + 1, first + 5*t1, first + 10*t1 - 1, l.s.Issued("NOx")} {
		checkTrace(t, l.entries, "NOx", serial)
	}
}

func checkTrace(t testing.TB, es []Entry, p string, serial int64) {
	t.Helper()
	tr := Trace(es, p, serial)
	if len(tr) == 0 || tr[0].From.kind() != kindSource {
		t.Fatalf("%s serial %d: no creation", p, serial)
	}
	for i := 1; i < len(tr); i++ {
		if tr[i].From != tr[i-1].To {
			t.Fatalf("%s serial %d: move %d leaves %s but the unit was in %s", p, serial, tr[i].Seq, tr[i].From, tr[i-1].To)
		}
		if tr[i-1].To.kind() == kindSink {
			t.Fatalf("%s serial %d moved out of %s", p, serial, tr[i-1].To)
		}
	}
}
