package cases

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestTrackingCode(t *testing.T) {
	// Deterministic from the reader: the same bytes give the same code.
	src := bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 2)
	a, err := TrackingCode(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TrackingCode(bytes.NewReader(src))
	if a != b || !ValidTrackingCode(a) {
		t.Fatalf("codes %q %q", a, b)
	}
	if a[:13] != "0123-4567-89A" {
		t.Errorf("code %q does not map bytes to the alphabet in order", a)
	}
	// Bytes map modulo 32: 0x20 is 0 again.
	c, _ := TrackingCode(bytes.NewReader([]byte{0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a}))
	if c != a {
		t.Errorf("%q != %q", c, a)
	}
	if _, err := TrackingCode(bytes.NewReader([]byte{1, 2, 3})); err == nil {
		t.Errorf("short random source accepted")
	}
	for _, ch := range "ILOU" {
		if strings.ContainsRune(trackingAlphabet, ch) {
			t.Errorf("alphabet has ambiguous %c", ch)
		}
	}
}

// TestTrackingCodeCheck: the Luhn mod 32 check catches every single wrong
// symbol and every swap of two different neighbours in the payload.
func TestTrackingCodeCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 200; n++ {
		var buf [11]byte
		for i := range buf {
			buf[i] = byte(rng.UintN(256))
		}
		code, err := TrackingCode(bytes.NewReader(buf[:]))
		if err != nil {
			t.Fatal(err)
		}
		raw, ok := NormaliseTrackingCode(code)
		if !ok {
			t.Fatalf("%q not valid", code)
		}
		for pos := 0; pos < trackingLen; pos++ {
			for _, sym := range []byte(trackingAlphabet) {
				if sym == raw[pos] {
					continue
				}
				m := []byte(raw)
				m[pos] = sym
				if _, ok := NormaliseTrackingCode(string(m)); ok {
					t.Fatalf("%q with %c at %d still valid", raw, sym, pos)
				}
			}
		}
		for pos := 0; pos+1 < trackingLen-1; pos++ {
			m := []byte(raw)
			if m[pos] == m[pos+1] {
				continue
			}
			m[pos], m[pos+1] = m[pos+1], m[pos]
			// Luhn mod N misses the swap of the two symbols whose code
			// points sum to N-1 (as 0↔9 in decimal Luhn): a known limit.
			if _, ok := NormaliseTrackingCode(string(m)); ok && idx(raw[pos])+idx(raw[pos+1]) != 31 {
				t.Fatalf("%q with %d↔%d swapped still valid", raw, pos, pos+1)
			}
		}
	}
}

func idx(b byte) int { return strings.IndexByte(trackingAlphabet, b) }

func TestNormaliseTrackingCode(t *testing.T) {
	code, _ := TrackingCode(bytes.NewReader([]byte{0, 1, 18, 3, 4, 5, 6, 7, 8, 9, 10}))
	raw := strings.ReplaceAll(code, "-", "")
	typed := strings.ToLower(code[:4]) + " " + code[5:9] + code[10:]
	typed = strings.NewReplacer("0", "o", "1", "l").Replace(typed)
	if got, ok := NormaliseTrackingCode(typed); !ok || got != raw {
		t.Errorf("typed %q → %q %v, want %q", typed, got, ok, raw)
	}
	for _, bad := range []string{"", raw[:11], raw + "0", raw[:11] + "U", "!!!!-????-...."} {
		if _, ok := NormaliseTrackingCode(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if ValidTrackingCode(raw) || !ValidTrackingCode(code) {
		t.Errorf("ValidTrackingCode wants the canonical grouped form")
	}
}

func TestSatisfactionRate(t *testing.T) {
	tests := []struct {
		in    []Satisfaction
		rate  float64
		rated int
		ok    bool
	}{
		{nil, 0, 0, false},
		{[]Satisfaction{"", ""}, 0, 0, false},
		{[]Satisfaction{Satisfied, BasicallySatisfied, Dissatisfied, ""}, 2.0 / 3, 3, true},
		{[]Satisfaction{Dissatisfied}, 0, 1, true},
		{[]Satisfaction{Satisfied, "bogus"}, 1, 1, true},
	}
	for _, tt := range tests {
		rate, rated, ok := SatisfactionRate(tt.in)
		if math.Abs(rate-tt.rate) > 1e-12 || rated != tt.rated || ok != tt.ok {
			t.Errorf("SatisfactionRate(%v) = %v %d %v", tt.in, rate, rated, ok)
		}
	}
	// 973 of 1000 as in the bureau's 97.3 %.
	var many []Satisfaction
	for i := 0; i < 1000; i++ {
		switch {
		case i < 900:
			many = append(many, Satisfied)
		case i < 973:
			many = append(many, BasicallySatisfied)
		default:
			many = append(many, Dissatisfied)
		}
	}
	if rate, _, _ := SatisfactionRate(many); math.Abs(rate-0.973) > 1e-12 {
		t.Errorf("rate %v", rate)
	}
}

func testPetition() Petition {
	code, _ := TrackingCode(bytes.NewReader([]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 31}))
	return Petition{
		Code: code, Category: CategoryAir, County: county, Location: "东昌府区 古楼街道 某小区东侧",
		Description: "夜间工厂排放刺鼻气味\n持续三天", Photos: []string{hash("p1")}, Contact: "138****0000",
		ReceivedAt: t0,
	}
}

func TestPetitionValidate(t *testing.T) {
	if err := testPetition().Validate(); err != nil {
		t.Fatalf("valid petition: %v", err)
	}
	tests := []struct {
		field string
		mod   func(*Petition)
	}{
		{"code", func(p *Petition) { p.Code = "ABCD-EFGH-JKMN" }},
		{"category", func(p *Petition) { p.Category = "smell" }},
		{"county", func(p *Petition) { p.County = "" }},
		{"location", func(p *Petition) { p.Location = "  " }},
		{"description", func(p *Petition) { p.Description = "" }},
		{"description", func(p *Petition) { p.Description = strings.Repeat("臭", MaxDescription+1) }},
		{"photos", func(p *Petition) { p.Photos = make([]string, MaxPhotos+1) }},
		{"photos[0]", func(p *Petition) { p.Photos = []string{"x"} }},
		{"contact", func(p *Petition) { p.Contact = "" }},
		{"received_at", func(p *Petition) { p.ReceivedAt = time.Time{} }},
	}
	for _, tt := range tests {
		p := testPetition()
		tt.mod(&p)
		err := p.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || fe.Field != tt.field && !(tt.field == "photos[0]" && fe.Field == "evidence[0]") {
			t.Errorf("field %s: %v", tt.field, err)
		}
	}
	p := testPetition()
	p.Contact, p.Anonymous = "", true
	if err := p.Validate(); err != nil {
		t.Errorf("anonymous petition: %v", err)
	}
	p.Description = strings.Repeat("臭", MaxDescription) // characters, not bytes
	if err := p.Validate(); err != nil {
		t.Errorf("description at the limit: %v", err)
	}
}

// TestPetitionOpensCase: the intake registers the petition's case, and the
// 12369 limits apply: accept within 15 days, close within 60 days of
// acceptance, at most 30 more with approval.
func TestPetitionOpensCase(t *testing.T) {
	r := DefaultRules()
	p := testPetition()
	c := p.OpenCase("P-1")
	if c.Line != "air-general" || c.Petition != p.Code || c.Source != SourcePetition || c.Title != "夜间工厂排放刺鼻气味" {
		t.Fatalf("case %+v", c)
	}
	c = must(t, r, c, Action{Kind: ActRegister}, systemAct, p.ReceivedAt)
	pol := r.Policy(c)
	if pol.Name != Policy12369 {
		t.Fatalf("policy %q", pol.Name)
	}
	d := Deadlines(c, pol)
	if !d.AcceptBy.Equal(cstTime(2026, 3, 17, 0, 0, 0)) {
		t.Errorf("accept by %v", d.AcceptBy)
	}
	if !d.CloseBy.Equal(cstTime(2026, 5, 16, 0, 0, 0)) || !d.LatestClose.Equal(cstTime(2026, 6, 15, 0, 0, 0)) {
		t.Errorf("projected close by %v, latest %v", d.CloseBy, d.LatestClose)
	}
	acceptedAt := cstTime(2026, 3, 10, 9, 0, 0)
	c = must(t, r, c, Action{Kind: ActAccept}, countyA, acceptedAt)
	d = Deadlines(c, pol)
	// 60 days from 11 March: last day 9 May, due 10 May 00:00.
	if want := cstTime(2026, 5, 10, 0, 0, 0); !d.CloseBy.Equal(want) || !c.Due.Equal(want) {
		t.Errorf("close by %v, due %v, want %v", d.CloseBy, c.Due, want)
	}
	if want := cstTime(2026, 6, 9, 0, 0, 0); !d.LatestClose.Equal(want) {
		t.Errorf("latest close %v, want %v", d.LatestClose, want)
	}
	if Overdue(c, pol, cstTime(2026, 5, 9, 23, 59, 59)).Overdue || !Overdue(c, pol, cstTime(2026, 5, 10, 0, 0, 0)).Overdue {
		t.Errorf("overdue boundary wrong around %v", c.Due)
	}
	// Only the petitioner (and staff) rate it; another code cannot.
	for _, k := range []ActionKind{ActAssign, ActStart, ActSubmit, ActVerify, ActClose} {
		c = must(t, r, c, validAction(k, c, r), actorFor(k), acceptedAt.Add(time.Hour))
	}
	if _, _, err := r.Apply(c, Action{Kind: ActRate, Satisfaction: Satisfied}, Actor{Role: RolePublic, Petition: "0000-0000-0000"}, acceptedAt.Add(2*time.Hour)); !errors.Is(err, ErrPermission) {
		t.Errorf("another petitioner rated: %v", err)
	}
	c = must(t, r, c, Action{Kind: ActRate, Satisfaction: Dissatisfied}, Actor{ID: p.Code, Role: RolePublic, Petition: p.Code}, acceptedAt.Add(2*time.Hour))
	if c.Satisfaction != Dissatisfied {
		t.Errorf("satisfaction %q", c.Satisfaction)
	}
}

func TestCategoryLines(t *testing.T) {
	lines := DefaultRules()
	for _, c := range Categories() {
		if !lines.hasLine(c.Line()) {
			t.Errorf("category %s maps to unknown line %q", c, c.Line())
		}
	}
	if Category("x").Line() != "other" {
		t.Errorf("unknown category")
	}
}
