package rightsreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

const (
	t1   = 1_000_000 // one tonne per year, in g/a
	entA = "91371500MA3C000001"
	entB = "91371500MA3C000002"
	entC = "91371500MA3C000003"
	dcf  = "371502" // 东昌府区
	cp   = "371523" // 茌平区
)

var (
	accA = rights.Enterprise(entA)
	accB = rights.Enterprise(entB)
	accC = rights.Enterprise(entC)
)

// scenario is the rights package's golden ledger (a copy): a permit for A,
// a 30 t closure credit banked in 东昌府区, A sells 20 t to B by agreement
// at 25,000 yuan/t, a 2:1 allocation of 5 t to C's project (10 t drawn,
// 5 t granted, 5 t written off), B lists 8 t at 28,000 and C buys 5 t, the
// reserve buys 10 t back from B at 20,000 and retires them.
func scenario(t *testing.T) []rights.Entry {
	t.Helper()
	f, err := os.Open("testdata/scenario.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	es, err := rights.Import(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := rights.Verify(es); err != nil {
		t.Fatalf("the scenario fails verification: %v", err)
	}
	return es
}

func cstTime(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cst) }

// crossYear builds a ledger over 2024-2025 with Apply: a 30 t credit banked
// in 东昌府区 in 2024; in 2025 an allocation of 8 t reserved and released,
// a transfer of 5 t to the city, another allocation of 3 t (6 t drawn)
// granted, and the city's 5 t sold by agreement to A at 30,000 yuan/t.
func crossYear(t *testing.T) ([]rights.Entry, rights.State) {
	t.Helper()
	var st rights.State
	var es []rights.Entry
	apply := func(now time.Time, c rights.Command) {
		t.Helper()
		out, _, err := rights.Apply(&st, c, now)
		if err != nil {
			t.Fatalf("%T: %v", c, err)
		}
		es = append(es, out...)
	}
	m := func(k string) rights.Meta { return rights.Meta{Key: k, Actor: "test"} }
	d24 := cstTime(2024, 6, 1, 9)
	apply(d24, rights.Configure{Meta: m("cfg"),
		Pollutants: []rights.Pollutant{{Code: "NOx", Name: "氮氧化物", Medium: "air"}},
		Ratios:     []rights.RatioRule{{Region: "*", Pollutant: "NOx", Attainment: rights.NonAttain, ProjectType: "*", Num: 2, Den: 1}}})
	apply(d24, rights.DeclareReduction{Meta: m("decl"), Credit: "CR", Enterprise: entC, County: dcf, Pollutant: "NOx",
		Quantity: 30 * t1, Measure: rights.MeasureClosure, Effective: d24, Evidence: []string{"关停验收意见"}})
	apply(d24, rights.ReviewReduction{Meta: m("rev"), Credit: "CR", Approve: true})
	apply(d24, rights.ConfirmReduction{Meta: m("conf"), Credit: "CR", Approve: true})
	d25 := cstTime(2025, 1, 1, 0) // the first instant of 2025 in China: 2024-12-31 16:00 UTC
	apply(d25, rights.ReserveAllocation{Meta: m("res-1"), Allocation: "AL-1", EIA: "聊环审〔2025〕1号", Project: entB, Region: dcf,
		Pollutant: "NOx", Attainment: rights.NonAttain, Year: 2025, ProjectType: "power", Need: 4 * t1, Credits: []string{"CR"}})
	apply(d25, rights.ReleaseAllocation{Meta: m("rel-1"), Allocation: "AL-1", Reason: "项目取消"})
	apply(d25, rights.Transfer{Meta: m("tr"), From: rights.CountyReservoir(dcf), To: rights.City, Pollutant: "NOx", Quantity: 5 * t1})
	apply(d25, rights.ReserveAllocation{Meta: m("res-2"), Allocation: "AL-2", EIA: "聊环审〔2025〕2号", Project: entA, Region: dcf,
		Pollutant: "NOx", Attainment: rights.NonAttain, Year: 2025, ProjectType: "steel", Need: 3 * t1, Credits: []string{"CR"}})
	apply(d25, rights.LockAllocation{Meta: m("lock-2"), Allocation: "AL-2"})
	apply(d25, rights.GrantAllocation{Meta: m("grant-2"), Allocation: "AL-2"})
	apply(cstTime(2025, 2, 3, 10), rights.Agreement{Meta: m("ag"), Contract: "HT-1", Seller: rights.City, Buyer: entA,
		Pollutant: "NOx", Quantity: 5 * t1, Price: 3_000_000})
	if err := rights.Verify(es); err != nil {
		t.Fatal(err)
	}
	return es, st
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    int64
		g, f string
	}{
		{0, "0.000000", "0.00"},
		{1, "0.000001", "0.01"},
		{10_000, "0.010000", "100.00"},
		{12_500_000, "12.500000", "125000.00"},
		{-16_000_000, "-16.000000", "-160000.00"},
		{-5, "-0.000005", "-0.05"},
		{1_000_000_000_000_000, "1000000000.000000", "10000000000000.00"},
	} {
		if got := Grams(c.v).String(); got != c.g {
			t.Errorf("Grams(%d) = %s, want %s", c.v, got, c.g)
		}
		if got := Fen(c.v).String(); got != c.f {
			t.Errorf("Fen(%d) = %s, want %s", c.v, got, c.f)
		}
	}
	b, _ := json.Marshal(struct {
		Q Grams `json:"q"`
		M Fen   `json:"m"`
	}{12_500_000, 5})
	if string(b) != `{"q":"12.500000","m":"0.05"}` {
		t.Errorf("JSON: %s", b)
	}
}

func TestDayRange(t *testing.T) {
	for _, c := range []struct {
		year     int
		from, to string
		want     Range
		bad      bool
	}{
		{2024, "", "", Range{cstTime(2024, 1, 1, 0), cstTime(2025, 1, 1, 0)}, false},
		{0, "2024-03-04", "2024-03-04", Range{cstTime(2024, 3, 4, 0), cstTime(2024, 3, 5, 0)}, false},
		{0, "2024-03-04", "", Range{From: cstTime(2024, 3, 4, 0)}, false},
		{2024, "", "2024-06-30", Range{To: cstTime(2024, 7, 1, 0)}, false}, // explicit days win over the year
		{0, "2024-03-05", "2024-03-04", Range{}, true},
		{0, "2024/03/05", "", Range{}, true},
	} {
		got, err := DayRange(c.year, c.from, c.to)
		if (err != nil) != c.bad || (!c.bad && (!got.From.Equal(c.want.From) || !got.To.Equal(c.want.To))) {
			t.Errorf("DayRange(%d, %q, %q) = %+v, %v; want %+v (error %v)", c.year, c.from, c.to, got, err, c.want, c.bad)
		}
	}
}

func TestReservoirScenario(t *testing.T) {
	es := scenario(t)
	county := rights.CountyReservoir(dcf)
	for _, c := range []struct {
		name string
		f    ReservoirFilter
		want []ReservoirRow
	}{
		{"all", ReservoirFilter{}, []ReservoirRow{
			// 30 t banked, 10 t reserved for A1 (2:1 on a need of 5 t).
			{Account: county, County: dcf, Pollutant: "NOx", Year: 2024, Banked: 30 * t1, Allocated: 10 * t1, Closing: 20 * t1},
			// 10 t bought back from B and retired.
			{Account: rights.Reserve, County: "reserve", Pollutant: "NOx", Year: 2024, BoughtBack: 10 * t1, Retired: 10 * t1},
		}},
		{"county", ReservoirFilter{County: dcf, Pollutant: "NOx", Year: 2024}, []ReservoirRow{
			{Account: county, County: dcf, Pollutant: "NOx", Year: 2024, Banked: 30 * t1, Allocated: 10 * t1, Closing: 20 * t1},
		}},
		{"a later year carries the balance", ReservoirFilter{Year: 2026}, []ReservoirRow{
			{Account: county, County: dcf, Pollutant: "NOx", Year: 2026, Opening: 20 * t1, Closing: 20 * t1},
		}},
		{"other pollutant", ReservoirFilter{Pollutant: "COD"}, []ReservoirRow{}},
		{"other county", ReservoirFilter{County: cp}, []ReservoirRow{}},
	} {
		got := Reservoir(es, c.f)
		if !reflect.DeepEqual(got.Rows, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got.Rows, c.want)
		}
	}
}

func TestReservoirCrossYear(t *testing.T) {
	es, st := crossYear(t)
	county, city := rights.CountyReservoir(dcf), rights.City
	want := []ReservoirRow{
		{Account: county, County: dcf, Pollutant: "NOx", Year: 2024, Banked: 30 * t1, Closing: 30 * t1},
		{Account: city, County: "city", Pollutant: "NOx", Year: 2025, TransferIn: 5 * t1, Sold: 5 * t1},
		// AL-1 drew 8 t and gave them back; AL-2 drew 6 t; 5 t went to the city.
		{Account: county, County: dcf, Pollutant: "NOx", Year: 2025, Opening: 30 * t1, Returned: 8 * t1,
			Allocated: 14 * t1, TransferOut: 5 * t1, Closing: 19 * t1},
	}
	got := Reservoir(es, ReservoirFilter{})
	if !reflect.DeepEqual(got.Rows, want) {
		t.Fatalf("\n got %+v\nwant %+v", got.Rows, want)
	}
	// The last year's closing balances are the ledger's.
	for _, r := range got.Rows {
		if r.Year == 2025 && int64(r.Closing) != st.Balance(r.Account, r.Pollutant) {
			t.Errorf("%s closes at %d, the ledger holds %d", r.Account, r.Closing, st.Balance(r.Account, r.Pollutant))
		}
		if r.Closing != r.Opening+r.In()-r.Out() {
			t.Errorf("%s %d does not balance: %+v", r.Account, r.Year, r)
		}
	}
}

func TestProjects(t *testing.T) {
	rep, err := Projects(scenario(t), ProjectFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []ProjectRow{{County: dcf, Pollutant: "NOx", Year: 2024, Allocation: "A1", EIA: "聊环审〔2024〕8号", Project: accC,
		ProjectType: "steel", Attainment: rights.NonAttain, Ratio: "2:1", Basis: "环发〔2014〕197号",
		Need: 5 * t1, Offset: 10 * t1, Granted: 5 * t1, WrittenOff: 5 * t1, Credits: []string{"CR1"}, Status: rights.AllocWrittenOff}}
	if !reflect.DeepEqual(rep.Projects, want) {
		t.Errorf("projects:\n got %+v\nwant %+v", rep.Projects, want)
	}
	wantSum := []ProjectSummary{{County: dcf, Pollutant: "NOx", Year: 2024, Served: 1, Need: 5 * t1, Offset: 10 * t1}}
	if !reflect.DeepEqual(rep.Summary, wantSum) {
		t.Errorf("summary: got %+v, want %+v", rep.Summary, wantSum)
	}

	es, _ := crossYear(t)
	rep, err = Projects(es, ProjectFilter{Year: 2025, County: dcf})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Projects) != 2 || rep.Projects[0].Status != rights.AllocReleased || rep.Projects[1].Status != rights.AllocGranted ||
		rep.Projects[1].Granted != 3*t1 || rep.Projects[1].Offset != 6*t1 {
		t.Errorf("2025 projects: %+v", rep.Projects)
	}
	wantSum = []ProjectSummary{{County: dcf, Pollutant: "NOx", Year: 2025, Served: 1, Need: 3 * t1, Offset: 6 * t1, Released: 1}}
	if !reflect.DeepEqual(rep.Summary, wantSum) {
		t.Errorf("2025 summary: got %+v, want %+v", rep.Summary, wantSum)
	}
	for _, f := range []ProjectFilter{{Year: 2023}, {County: cp}, {Pollutant: "COD"}} {
		if rep, _ := Projects(es, f); len(rep.Projects) != 0 || len(rep.Summary) != 0 {
			t.Errorf("%+v: %+v", f, rep)
		}
	}
}

func TestTrades(t *testing.T) {
	es := scenario(t)
	rep, err := Trades(es, TradeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// 20 t at 25,000 yuan/t (500,000 yuan) and 5 t at 28,000 (140,000);
	// the buy-back is a payment, not a trade. Average (20×25,000 +
	// 5×28,000) / 25 = 25,600.
	want := []TradeRow{{Pollutant: "NOx", Month: "2024-03", Count: 2, OrderBook: 1, Agreements: 1, Quantity: 25 * t1,
		MinPrice: 2_500_000, AvgPrice: 2_560_000, MaxPrice: 2_800_000, Value: 64_000_000}}
	if len(rep.Rows) != 1 || !sameTrade(rep.Rows[0], want[0]) {
		t.Fatalf("got %+v, want %+v", rep.Rows, want)
	}
	for _, c := range []struct {
		name  string
		f     TradeFilter
		count int
		value Fen
	}{
		{"B is party to both", TradeFilter{Party: func(a rights.Account) bool { return a == accB }}, 2, 64_000_000},
		{"C only bought on the book", TradeFilter{Party: func(a rights.Account) bool { return a == accC }}, 1, 14_000_000},
		{"the reservoir traded nothing", TradeFilter{Party: func(a rights.Account) bool { return a == rights.Reserve }}, 0, 0},
		// 2024-03-04 00:00 China time: the agreement on the 3rd is out.
		{"from the 4th", TradeFilter{Period: Range{From: cstTime(2024, 3, 4, 0)}}, 1, 14_000_000},
		{"before the 4th", TradeFilter{Period: Range{To: cstTime(2024, 3, 4, 0)}}, 1, 50_000_000},
		{"SO2", TradeFilter{Pollutant: "SO2"}, 0, 0},
	} {
		rep, err := Trades(es, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		var v Fen
		for _, r := range rep.Rows {
			n += r.Count
			v += r.Value
		}
		if n != c.count || v != c.value {
			t.Errorf("%s: %d trades worth %s, want %d worth %s", c.name, n, v, c.count, c.value)
		}
	}

	// Across months and with a price that does not divide evenly.
	es2, _ := crossYear(t)
	rep, err = Trades(es2, TradeFilter{})
	if err != nil || len(rep.Rows) != 1 || rep.Rows[0].Month != "2025-02" || rep.Rows[0].Value != 15_000_000 {
		t.Errorf("cross-year trades: %+v %v", rep.Rows, err)
	}
}

func sameTrade(a, b TradeRow) bool {
	a.wHi, a.wLo, b.wHi, b.wLo = 0, 0, 0, 0
	return reflect.DeepEqual(a, b)
}

func TestAvgPriceRounding(t *testing.T) {
	// Two trades: 1 g at 1 fen/t and 2 g at 2 fen/t: (1+4)/3 = 1.67 → 2.
	mk := func(seq int64, q, p int64) rights.Entry {
		d, _ := json.Marshal(rights.Trade{Buyer: accA, Seller: accB, Pollutant: "NOx", Quantity: q, Price: p})
		return rights.Entry{Seq: seq, Time: cstTime(2025, 1, 2, 0), Kind: rights.KindMoney, Op: rights.OpTrade, Detail: string(d)}
	}
	rep, err := Trades([]rights.Entry{mk(1, 1, 1), mk(2, 2, 2)}, TradeFilter{})
	if err != nil || rep.Rows[0].AvgPrice != 2 || rep.Rows[0].MinPrice != 1 || rep.Rows[0].MaxPrice != 2 {
		t.Errorf("%+v %v", rep.Rows, err)
	}
	// Sums past 64 bits: 2 × 10^15 g at 10^12 and 10^12 − 2 fen/t average
	// 10^12 − 1.
	rep, err = Trades([]rights.Entry{mk(1, 1e15, 1e12), mk(2, 1e15, 1e12-2)}, TradeFilter{})
	if err != nil || rep.Rows[0].AvgPrice != 1e12-1 || rep.Rows[0].Quantity != 2e15 {
		t.Errorf("large: %+v %v", rep.Rows, err)
	}
	// A broken detail is an error, not a silent gap.
	bad := mk(3, 1, 1)
	bad.Detail = "{"
	if _, err := Trades([]rights.Entry{bad}, TradeFilter{}); err == nil {
		t.Error("a malformed trade detail passed")
	}
}

func TestStatement(t *testing.T) {
	es := scenario(t)
	st, err := rights.Replay(es)
	if err != nil {
		t.Fatal(err)
	}
	rep := Statement(es, accB, Range{})
	if len(rep.Rights) != 1 {
		t.Fatalf("rights sections: %+v", rep.Rights)
	}
	nox := rep.Rights[0]
	// B: +20 t from A, −8 t listed (escrow), −10 t bought back.
	if nox.Asset != "NOx" || nox.Opening != 0 || nox.In != 20*t1 || nox.Out != 18*t1 || nox.Closing != 2*t1 || len(nox.Lines) != 3 {
		t.Errorf("NOx section: %+v", nox)
	}
	wantLines := []struct {
		seq     int64
		other   rights.Account
		in, out Grams
		bal     Grams
	}{
		{10, accA, 20 * t1, 0, 20 * t1},
		{24, "escrow:order/S1", 0, 8 * t1, 12 * t1},
		{31, rights.Reserve, 0, 10 * t1, 2 * t1},
	}
	for i, w := range wantLines {
		l := nox.Lines[i]
		if l.Seq != w.seq || l.Counterparty != w.other || l.In != w.in || l.Out != w.out || l.Balance != w.bal {
			t.Errorf("line %d: %+v, want %+v", i, l, w)
		}
	}
	if int64(nox.Closing) != st.Balance(accB, "NOx") {
		t.Errorf("closing %d, ledger %d", nox.Closing, st.Balance(accB, "NOx"))
	}
	// Money: −500,000 yuan to A, +140,000 from C, +200,000 buy-back.
	if m := rep.Money; m.Out != 50_000_000 || m.In != 34_000_000 || m.Closing != -16_000_000 || len(m.Lines) != 3 ||
		int64(m.Closing) != st.MoneyBalance(accB) {
		t.Errorf("money: %+v (ledger %d)", m, st.MoneyBalance(accB))
	}

	// From 4 March (China time): the purchase on the 3rd is the opening.
	rep = Statement(es, accB, Range{From: cstTime(2024, 3, 4, 0)})
	if n := rep.Rights[0]; n.Opening != 20*t1 || n.Closing != 2*t1 || len(n.Lines) != 2 || n.Lines[0].Seq != 24 {
		t.Errorf("from the 4th: %+v", n)
	}
	if m := rep.Money; m.Opening != -50_000_000 || m.Closing != -16_000_000 || len(m.Lines) != 2 {
		t.Errorf("money from the 4th: %+v", m)
	}
	// Up to the 4th: only the purchase.
	rep = Statement(es, accB, Range{To: cstTime(2024, 3, 4, 0)})
	if n := rep.Rights[0]; n.Closing != 20*t1 || len(n.Lines) != 1 {
		t.Errorf("to the 4th: %+v", n)
	}
	// An account with nothing.
	rep = Statement(es, rights.Enterprise("NOBODY"), Range{})
	if len(rep.Rights) != 0 || len(rep.Money.Lines) != 0 || rep.Money.Closing != 0 {
		t.Errorf("empty account: %+v", rep)
	}
	// JSON carries exact strings.
	b, _ := json.Marshal(Statement(es, accB, Range{}))
	for _, s := range []string{`"closing":"2.000000"`, `"closing":"-160000.00"`, `"counterparty":"escrow:order/S1"`} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("statement JSON lacks %s: %s", s, b)
		}
	}
}

// TestXLSX writes every report into one workbook, opens it back with
// excelize and checks the headers, the cells and their number formats.
func TestXLSX(t *testing.T) {
	es := scenario(t)
	proj, err := Projects(es, ProjectFilter{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Trades(es, TradeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, workbook.Chinese, Reservoir(es, ReservoirFilter{Year: 2024}), proj, tr, Statement(es, accB, Range{})); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"调蓄库收支", "项目配置", "项目配置汇总", "交易统计", "账户对账单"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	for _, c := range []struct {
		sheet, cell, want, format string
	}{
		{"调蓄库收支", "A2", "年度", ""},
		{"调蓄库收支", "F2", "减排入库", ""},
		{"调蓄库收支", "C3", "区县调蓄库 371502", ""},
		{"调蓄库收支", "F3", "30", fmtTonnes}, // banked
		{"调蓄库收支", "K3", "10", fmtTonnes}, // allocated
		{"调蓄库收支", "Q3", "20", fmtTonnes}, // closing
		{"调蓄库收支", "H4", "10", fmtTonnes}, // the reserve's buy-back
		{"项目配置", "E3", "聊环审〔2024〕8号", ""},
		{"项目配置", "I3", "2:1", ""},
		{"项目配置", "L3", "10", fmtTonnes},
		{"项目配置汇总", "D3", "1", ""},
		{"交易统计", "B3", "2024-03", ""},
		{"交易统计", "G3", "25", fmtTonnes},
		{"交易统计", "I3", "25600", fmtYuan},
		{"交易统计", "K3", "640000", fmtYuan},
		{"账户对账单", "D3", "期初余额", ""},
		{"账户对账单", "B4", "10", ""},
		{"账户对账单", "I4", "20", fmtTonnes},
		{"账户对账单", "H5", "托管 order/S1", ""},
		{"账户对账单", "K7", "2", fmtTonnes},      // NOx closing
		{"账户对账单", "K12", "-160000", fmtYuan}, // money closing
	} {
		raw, err := f.GetCellValue(c.sheet, c.cell, excelize.Options{RawCellValue: true})
		if err != nil || raw != c.want {
			t.Errorf("%s!%s = %q (%v), want %q", c.sheet, c.cell, raw, err, c.want)
		}
		if c.format == "" {
			continue
		}
		id, err := f.GetCellStyle(c.sheet, c.cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != c.format {
			t.Errorf("%s!%s: style %+v, want format %s", c.sheet, c.cell, st, c.format)
		}
	}
	// Each language throughout: titles, headers and words in the cells
	// (accounts, pollutants, commands, operations, statuses); references,
	// document numbers, bases and credit codes are data.
	word := regexp.MustCompile(`\b[A-Za-z]{2,}\b`)
	han := regexp.MustCompile(`\p{Han}`)
	for _, l := range []workbook.Lang{workbook.Chinese, workbook.English} {
		var b bytes.Buffer
		if err := WriteXLSX(&b, l, Reservoir(es, ReservoirFilter{Year: 2024}), proj, tr, Statement(es, accB, Range{})); err != nil {
			t.Fatal(err)
		}
		g, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range g.GetSheetList() {
			rows, _ := g.GetRows(sh)
			data := map[int]bool{}
			for i, h := range rows[1] {
				switch h {
				case "对象", "ref", "文号", "document", "环评批复文号", "EIA approval", "依据", "basis", "配置编号", "allocation", "来源减排量", "credits", "项目类型", "project type":
					data[i] = true
				}
			}
			for i, row := range rows {
				for j, c := range row {
					if i > 1 && data[j] {
						continue
					}
					if l == workbook.Chinese && word.MatchString(c) && !strings.Contains(c, "order/") {
						t.Errorf("Chinese %s!%d,%d: %q", sh, i+1, j+1, c)
					}
					if l == workbook.English && han.MatchString(c) {
						t.Errorf("English %s!%d,%d: %q", sh, i+1, j+1, c)
					}
				}
			}
		}
		g.Close()
	}

	// A fraction of a gram's worth of tonnes survives the trip.
	buf.Reset()
	if err := WriteXLSX(&buf, workbook.Chinese, ReservoirReport{Rows: []ReservoirRow{{Account: rights.City, Closing: 123_456_789_012_345}}}); err != nil {
		t.Fatal(err)
	}
	f2, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if raw, _ := f2.GetCellValue("调蓄库收支", "Q3", excelize.Options{RawCellValue: true}); raw != "123456789.012345" {
		t.Errorf("large quantity: %q", raw)
	}
}

// TestAgainstReplay checks the reports against the ledger state on a
// generated ledger of 100 enterprises, four county reservoirs, projects
// and thousands of agreements over two years: every reservoir's last
// closing and every enterprise's statement equal the replayed balances,
// each row balances, and the trade report's value is every settlement's.
func TestAgainstReplay(t *testing.T) {
	es := benchLedger(t, 20_000)
	st, err := rights.Replay(es)
	if err != nil {
		t.Fatal(err)
	}
	last := es[len(es)-1].Time.In(cst).Year()
	res := Reservoir(es, ReservoirFilter{})
	seen := 0
	for _, r := range res.Rows {
		if r.Closing != r.Opening+r.In()-r.Out() {
			t.Fatalf("row does not balance: %+v", r)
		}
		if r.Year == last {
			seen++
			if int64(r.Closing) != st.Balance(r.Account, r.Pollutant) {
				t.Errorf("%s closes at %d, ledger %d", r.Account, r.Closing, st.Balance(r.Account, r.Pollutant))
			}
		}
	}
	if seen != 4 {
		t.Errorf("%d reservoirs in %d, want 4", seen, last)
	}
	for i := range 100 {
		a := rights.Enterprise(fmt.Sprintf("9137150000000%05d", i))
		s := Statement(es, a, Range{From: chinatime.Date(last, 1, 1)})
		for _, sec := range s.Rights {
			if int64(sec.Closing) != st.Balance(a, sec.Asset) || sec.Closing != sec.Opening+sec.In-sec.Out {
				t.Errorf("%s %s: %+v, ledger %d", a, sec.Asset, sec, st.Balance(a, sec.Asset))
			}
		}
		if int64(s.Money.Closing) != st.MoneyBalance(a) {
			t.Errorf("%s money %d, ledger %d", a, s.Money.Closing, st.MoneyBalance(a))
		}
	}
	tr, err := Trades(es, TradeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var want, got Fen
	for _, e := range es {
		if e.Kind == rights.KindMoney && e.Op == rights.OpAgreement {
			want += Fen(e.Amount)
		}
	}
	months := map[string]bool{}
	for _, r := range tr.Rows {
		got += r.Value
		months[r.Month] = true
		if r.MinPrice > r.AvgPrice || r.AvgPrice > r.MaxPrice {
			t.Errorf("prices out of order: %+v", r)
		}
	}
	if got != want || want == 0 || len(months) < 2 {
		t.Errorf("trade value %s over %d months, settlements %s", got, len(months), want)
	}
}
