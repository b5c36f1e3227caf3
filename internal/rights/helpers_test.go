package rights

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

const (
	t1 = 1_000_000 // one tonne per year, in g/a

	entA = "91371500MA3C000001" // enterprises (USCC)
	entB = "91371500MA3C000002"
	entC = "91371500MA3C000003"

	dongchangfu = "371502" // 东昌府区
	chiping     = "371523" // 茌平区
)

var (
	accA = Enterprise(entA)
	accB = Enterprise(entB)
	accC = Enterprise(entC)
)

// cst builds a time in China Standard Time.
func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, chinatime.Zone)
}

// ledger drives a State like a store would: it keeps the entries Apply
// returns and checks the invariants after every command.
type ledger struct {
	t       testing.TB
	s       State
	entries []Entry
	now     time.Time
	n       int
}

func newLedger(t testing.TB) *ledger {
	l := &ledger{t: t, now: cst(2024, 3, 1, 9)}
	l.apply(baseConfig())
	return l
}

func baseConfig() Configure {
	return Configure{
		Meta: Meta{Key: "config-2024", Actor: "city", Doc: "聊环发〔2024〕1号"},
		Pollutants: []Pollutant{
			{Code: "COD", Name: "化学需氧量", Medium: "water"},
			{Code: "NH3-N", Name: "氨氮", Medium: "water"},
			{Code: "SO2", Name: "二氧化硫", Medium: "air"},
			{Code: "NOx", Name: "氮氧化物", Medium: "air"},
			{Code: "VOCs", Name: "挥发性有机物", Medium: "air"},
			{Code: "PM", Name: "颗粒物", Medium: "air"},
		},
		Prices: []Price{
			{Pollutant: "COD", FenPerTonneYear: 400_000}, // 4,000 yuan/t·a
			{Pollutant: "NOx", FenPerTonneYear: 600_000}, // 6,000 yuan/t·a
			{Pollutant: "NOx", Year: 2025, FenPerTonneYear: 700_000},
			{Pollutant: "SO2", FenPerTonneYear: 500_000},
		},
		Ratios: []RatioRule{
			// Areas that miss the air standard offset twice the need.
			{Region: "*", Pollutant: "NOx", Attainment: NonAttain, ProjectType: "*", Num: 2, Den: 1, Basis: "环发〔2014〕197号"},
			{Region: "*", Pollutant: "NOx", Attainment: Attain, ProjectType: "*", Num: 1, Den: 1},
			{Region: chiping, Pollutant: "NOx", Attainment: NonAttain, Year: 2024, ProjectType: "chemical", Num: 3, Den: 2},
			{Region: "*", Pollutant: "COD", Attainment: Attain, ProjectType: "*", Num: 1, Den: 1},
		},
	}
}

func (l *ledger) key(prefix string) string {
	l.n++
	return fmt.Sprintf("%s-%d", prefix, l.n)
}

// apply applies cmd, failing the test on refusal.
func (l *ledger) apply(cmd Command) Result {
	l.t.Helper()
	es, r, err := Apply(&l.s, cmd, l.now)
	if err != nil {
		l.t.Fatalf("%T refused: %v", cmd, err)
	}
	l.entries = append(l.entries, es...)
	if err := l.s.Check(); err != nil {
		l.t.Fatalf("after %T: %v", cmd, err)
	}
	return r
}

// refuse applies cmd expecting a refusal wrapping want on field, and checks
// that nothing changed.
func (l *ledger) refuse(cmd Command, want error, field string) *Refusal {
	l.t.Helper()
	before := l.s.dump()
	es, _, err := Apply(&l.s, cmd, l.now)
	if err == nil {
		l.entries = append(l.entries, es...)
		l.t.Fatalf("%T accepted, want %v", cmd, want)
	}
	var r *Refusal
	if !errors.As(err, &r) {
		l.t.Fatalf("%T: error %v is not a *Refusal", cmd, err)
	}
	if !errors.Is(err, want) || r.Field != field {
		l.t.Fatalf("%T: got %v (field %q), want %v on field %q", cmd, err, r.Field, want, field)
	}
	if len(es) != 0 {
		l.t.Fatalf("%T refused but returned %d entries", cmd, len(es))
	}
	if after := l.s.dump(); after != before {
		l.t.Fatalf("%T refused but the state changed:\n%s", cmd, diffLines(before, after))
	}
	return r
}

// replayed checks that Replay of the entries rebuilds the live state.
func (l *ledger) replayed() {
	l.t.Helper()
	r, err := Replay(l.entries)
	if err != nil {
		l.t.Fatalf("replay: %v", err)
	}
	if a, b := l.s.dump(), r.dump(); a != b {
		l.t.Fatalf("replay differs from the live state:\n%s", diffLines(a, b))
	}
}

func diffLines(a, b string) string {
	al, bl := splitLines(a), splitLines(b)
	out := ""
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out += fmt.Sprintf("- %s\n+ %s\n", x, y)
			if len(out) > 4000 {
				break
			}
		}
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

// permit allocates q of p to the enterprise, free.
func (l *ledger) permit(uscc, p string, q int64) Result {
	return l.apply(AllocatePermit{Meta: Meta{Key: l.key("permit")}, Permit: "PW-" + uscc + "-" + fmt.Sprint(l.n),
		Enterprise: uscc, County: dongchangfu, Pollutant: p, Quantity: q, ValidFrom: l.now})
}

// credit banks and confirms a reduction of q of p in county.
func (l *ledger) credit(id, county, p string, q int64) {
	l.apply(DeclareReduction{Meta: Meta{Key: l.key("declare")}, Credit: id, Enterprise: entC, County: county,
		Pollutant: p, Quantity: q, Measure: MeasureClosure, Effective: l.now, Evidence: []string{"关停验收-" + id}})
	l.apply(ReviewReduction{Meta: Meta{Key: l.key("review"), Actor: "county"}, Credit: id, Approve: true})
	l.apply(ConfirmReduction{Meta: Meta{Key: l.key("confirm"), Actor: "city"}, Credit: id, Approve: true})
}
