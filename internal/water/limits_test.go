package water

import (
	"encoding/csv"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/golden"
)

// csvItem maps the reference CSV's English names to items.
var csvItem = map[string]Item{
	"pH": PH, "dissolved oxygen": DO, "permanganate index CODMn": CODMn, "COD": COD,
	"BOD5": BOD5, "ammonia nitrogen": NH3N, "total phosphorus (river)": TP,
	"total phosphorus (lake/reservoir)": TP, "total nitrogen (lakes/reservoirs)": TN,
	"copper": Cu, "zinc": Zn, "fluoride": Fluoride, "selenium": Se, "arsenic": As,
	"mercury": Hg, "cadmium": Cd, "chromium VI": Cr6, "lead": Pb, "cyanide": Cyanide,
	"volatile phenol": VolatilePhenol, "petroleum": Petroleum,
	"anionic surfactant (LAS)": LAS, "sulfide": Sulfide, "fecal coliform": FecalColiform,
	"water temperature": WaterTemp,
}

type csvRow struct {
	item      Item
	body      WaterBody
	name      string
	direction string
	limits    [5]string
	eval21    bool
	decimals  string
}

func readTable1(t *testing.T) []csvRow {
	t.Helper()
	f, err := os.Open("testdata/gb3838_2002_table1.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1 // some rows omit the trailing notes column
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []csvRow
	for _, r := range recs[1:] {
		it, ok := csvItem[r[2]]
		if !ok {
			t.Fatalf("CSV item %q not mapped", r[2])
		}
		row := csvRow{item: it, name: r[2], direction: r[5], eval21: r[11] == "Y", decimals: r[13]}
		if strings.Contains(r[2], "lake") && it == TP {
			row.body = Lake
		}
		copy(row.limits[:], r[6:11])
		rows = append(rows, row)
	}
	return rows
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

// oracle classifies with big.Rat straight from the CSV strings: an
// implementation independent of Dec and of the item table.
func oracle(row csvRow, v *big.Rat) Class {
	switch {
	case strings.HasPrefix(row.direction, "upper"):
		for k := 0; k < 5; k++ {
			if v.Cmp(rat(row.limits[k])) <= 0 {
				return Class(k + 1)
			}
		}
		return ClassWorseV
	case strings.HasPrefix(row.direction, "lower"):
		for k := 0; k < 5; k++ {
			if v.Cmp(rat(row.limits[k])) >= 0 {
				return Class(k + 1)
			}
		}
		return ClassWorseV
	case row.direction == "range":
		lohi := strings.Split(row.limits[0], "~")
		if v.Cmp(rat(lohi[0])) >= 0 && v.Cmp(rat(lohi[1])) <= 0 {
			return ClassI
		}
		return ClassWorseV
	}
	return ClassNone
}

// TestTable1Limits checks every Table 1 limit of every item and class, and
// its neighbours one Dec unit and one unit of the 5th decimal away, against
// the CSV oracle, and pins the whole set in a golden file.
func TestTable1Limits(t *testing.T) {
	var table strings.Builder
	n := 0
	for _, row := range readTable1(t) {
		if row.direction == "special" {
			if row.item.Classified() {
				t.Errorf("%s has classes; GB 3838 gives none", row.name)
			}
			continue
		}
		// The item table's own limits must be the CSV's, exactly.
		for k := 0; k < 5; k++ {
			if row.direction == "range" {
				break
			}
			want, err := ParseDec(row.limits[k])
			if err != nil {
				t.Fatal(err)
			}
			got, _ := row.item.Limit(Class(k+1), row.body)
			if got != want {
				t.Errorf("%s class %d limit = %s, CSV %s", row.name, k+1, got, want)
			}
		}
		if got := Set21.Has(row.item); got != row.eval21 {
			t.Errorf("%s in Set21 = %v, CSV says %v", row.name, got, row.eval21)
		}
		if got := fmt.Sprint(row.item.AssessmentDecimals()); got != row.decimals {
			t.Errorf("%s assessment decimals = %s, CSV %s", row.name, got, row.decimals)
		}
		var points []string
		if row.direction == "range" {
			points = strings.Split(row.limits[0], "~")
		} else {
			points = row.limits[:]
		}
		seen := map[string]bool{}
		for _, p := range points {
			if seen[p] {
				continue
			}
			seen[p] = true
			base := rat(p)
			for _, eps := range []string{"0", "-0.000000001", "0.000000001", "-0.00001", "0.00001"} {
				v := new(big.Rat).Add(base, rat(eps))
				if v.Sign() < 0 {
					continue
				}
				d, err := ParseDec(v.FloatString(9))
				if err != nil {
					t.Fatal(err)
				}
				want := oracle(row, v)
				got := ItemClass(row.item, d, row.body)
				if got != want {
					t.Errorf("%s (%s) %s: class %v, want %v", row.name, row.body, d, got, want)
				}
				fmt.Fprintf(&table, "%s\t%s\t%s\t%s\n", row.item, row.body, d, got.Label())
				n++
			}
		}
	}
	if n < 250 {
		t.Fatalf("only %d boundary cases generated", n)
	}
	golden.CheckString(t, "testdata/limits.golden", table.String())
}

// TestItemClassExamples are hand-written cases, independent of the CSV.
func TestItemClassExamples(t *testing.T) {
	tests := []struct {
		item Item
		v    string
		body WaterBody
		want Class
	}{
		{COD, "15", River, ClassI}, // I and II share 15: the better class
		{COD, "15.000000001", River, ClassIII},
		{BOD5, "3", River, ClassI},
		{Cu, "0.5", River, ClassII}, // II..V all 1.0: II
		{Cu, "1.0", River, ClassII},
		{Cu, "1.01", River, ClassWorseV},
		{NH3N, "1.0", River, ClassIII},
		{NH3N, "1.01", River, ClassIV},
		{NH3N, "2.0", River, ClassV},
		{NH3N, "2.01", River, ClassWorseV},
		{NH3N, "0", River, ClassI},
		{DO, "7.5", River, ClassI},
		{DO, "7.49", River, ClassII},
		{DO, "5", River, ClassIII},
		{DO, "4.99", River, ClassIV},
		{DO, "2", River, ClassV},
		{DO, "1.99", River, ClassWorseV},
		{DO, "0", River, ClassWorseV},
		{PH, "6", River, ClassI},
		{PH, "5.99", River, ClassWorseV},
		{PH, "9", River, ClassI},
		{PH, "9.01", River, ClassWorseV},
		{PH, "7.2", Lake, ClassI},
		{TP, "0.2", River, ClassIII},
		{TP, "0.2", Lake, ClassV},
		{TP, "0.05", Lake, ClassIII},
		{TP, "0.051", Lake, ClassIV},
		{TP, "0.025", Lake, ClassII},
		{TP, "0.1", River, ClassII},
		{TP, "0.1", Lake, ClassIV},
		{TP, "0.41", River, ClassWorseV},
		{Hg, "0.00005", River, ClassI},
		{Hg, "0.00006", River, ClassIII},
		{Hg, "0.0011", River, ClassWorseV},
		{FecalColiform, "40000", River, ClassV},
		{FecalColiform, "40001", River, ClassWorseV},
		{WaterTemp, "25", River, ClassNone},
		{Fe, "0.1", River, ClassNone}, // Table 2: pass/fail, no class
	}
	for _, tt := range tests {
		if got := ItemClass(tt.item, mustDec(tt.v), tt.body); got != tt.want {
			t.Errorf("ItemClass(%s, %s, %s) = %v, want %v", tt.item, tt.v, tt.body, got, tt.want)
		}
	}
}

func mustDec(s string) Dec {
	d, err := ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestTable23Limits(t *testing.T) {
	f, err := os.Open("testdata/gb3838_2002_table2_table3_subset.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != SetTable23.Len() {
		t.Fatalf("CSV has %d items, SetTable23 %d", len(recs)-1, SetTable23.Len())
	}
	for _, r := range recs[1:] {
		it, ok := LookupItem(r[1])
		if !ok {
			t.Errorf("item %q (%s) not found by its Chinese name", r[1], r[2])
			continue
		}
		if !SetTable23.Has(it) {
			t.Errorf("%s not in SetTable23", it)
		}
		got, _ := it.Limit(0, River)
		if want := mustDec(r[5]); got != want {
			t.Errorf("%s limit %s, CSV %s", it, got, want)
		}
	}
}

func TestLookupItem(t *testing.T) {
	tests := []struct {
		name string
		want Item
		ok   bool
	}{
		{"NH3-N", NH3N, true}, {"nh3-n", NH3N, true}, {"氨氮", NH3N, true}, {"w21003", NH3N, true},
		{"W21003", NH3N, true}, {"NH3N", NH3N, true}, {" pH ", PH, true}, {"pH值", PH, true},
		{"w01001", PH, true}, {"DO", DO, true}, {"溶解氧", DO, true}, {"w01009", DO, true},
		{"CODMn", CODMn, true}, {"w01019", CODMn, true}, {"高锰酸盐指数", CODMn, true},
		{"TP", TP, true}, {"w21011", TP, true}, {"总磷", TP, true}, {"TN", TN, true},
		{"COD", COD, true}, {"CODCr", COD, true}, {"w01018", COD, true}, {"BOD5", BOD5, true},
		{"w20119", As, true}, {"Cr6+", Cr6, true}, {"六价铬", Cr6, true}, {"粪大肠菌群", FecalColiform, true},
		{"w20141", 0, false}, // the CSV's arsenic code disagrees with HJ 212 table B.1: not guessed
		{"NH4", 0, false}, {"", 0, false}, {"ammonia", 0, false},
	}
	for _, tt := range tests {
		got, ok := LookupItem(tt.name)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("LookupItem(%q) = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	// Every canonical name and code round-trips.
	for i := 0; i < NumItems; i++ {
		it := Item(i)
		if got, ok := LookupItem(it.String()); !ok || got != it {
			t.Errorf("canonical name %q does not find %d", it, i)
		}
		if c := it.Code(); c != "" {
			if got, ok := LookupItem(c); !ok || got != it {
				t.Errorf("code %q does not find %s", c, it)
			}
		}
	}
}
