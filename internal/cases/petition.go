package cases

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Category is a petition's category.
type Category string

// Petition categories.
const (
	CategoryAir   Category = "air"   // 大气
	CategoryWater Category = "water" // 水
	CategoryNoise Category = "noise" // 噪声
	CategorySoil  Category = "soil"  // 土壤
	CategoryWaste Category = "waste" // 固废
	CategoryOther Category = "other" // 其他
)

// Categories lists the petition categories.
func Categories() []Category {
	return []Category{CategoryAir, CategoryWater, CategoryNoise, CategorySoil, CategoryWaste, CategoryOther}
}

// Line is the default work line a petition of the category is filed under
// until staff triage it to a finer one.
func (c Category) Line() string {
	switch c {
	case CategoryAir:
		return "air-general"
	case CategoryWater, CategoryNoise, CategorySoil, CategoryWaste:
		return string(c)
	}
	return "other"
}

// Petition is a public report (信访, 12369-style), one row of a petitions
// table; Photos go to a child table or a JSON column. Contact is personal
// data: it is shown to staff handling the case, never to enterprises or in
// public views. The petition's handling is the case it opens (OpenCase),
// whose Petition field is the tracking code.
type Petition struct {
	Code        string    `json:"code"` // tracking code (TrackingCode)
	Category    Category  `json:"category"`
	County      string    `json:"county"`
	Location    string    `json:"location"`
	Lat         float64   `json:"lat,omitempty"`
	Lon         float64   `json:"lon,omitempty"`
	Description string    `json:"description"`
	Photos      []string  `json:"photos,omitempty"` // content hashes
	Contact     string    `json:"contact,omitempty"`
	Anonymous   bool      `json:"anonymous,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
}

// Limits on public intake; longer text is refused, not cut.
const (
	MaxDescription = 4000 // characters
	MaxPhotos      = 9
)

// Validate checks a petition from the public form or API.
func (p Petition) Validate() error {
	bad := func(field, reason string) error {
		return &FieldError{p.Code, ActRegister, field, reason, ErrInvalid}
	}
	switch {
	case !ValidTrackingCode(p.Code):
		return bad("code", "not a valid tracking code")
	case !validCategory(p.Category):
		return bad("category", "air, water, noise, soil, waste or other")
	case p.County == "":
		return bad("county", "required")
	case strings.TrimSpace(p.Location) == "":
		return bad("location", "required")
	case strings.TrimSpace(p.Description) == "":
		return bad("description", "required")
	case len([]rune(p.Description)) > MaxDescription:
		return bad("description", fmt.Sprintf("at most %d characters", MaxDescription))
	case len(p.Photos) > MaxPhotos:
		return bad("photos", fmt.Sprintf("at most %d photos", MaxPhotos))
	case !p.Anonymous && strings.TrimSpace(p.Contact) == "":
		return bad("contact", "required unless anonymous")
	case p.ReceivedAt.IsZero():
		return bad("received_at", "required")
	}
	return checkHashes(p.Code, ActRegister, p.Photos)
}

func validCategory(c Category) bool {
	for _, x := range Categories() {
		if c == x {
			return true
		}
	}
	return false
}

// OpenCase is the case a petition opens, ready for ActRegister (by
// RoleSystem, the intake) under the 12369 policy. The title is the first
// line of the description, cut to 60 characters.
func (p Petition) OpenCase(id string) Case {
	title, _, _ := strings.Cut(strings.TrimSpace(p.Description), "\n")
	if r := []rune(title); len(r) > 60 {
		title = string(r[:60]) + "…"
	}
	return Case{
		ID:          id,
		Source:      SourcePetition,
		Ref:         p.Code,
		Line:        p.Category.Line(),
		ProblemType: string(p.Category),
		County:      p.County,
		Petition:    p.Code,
		Location:    p.Location,
		Lat:         p.Lat,
		Lon:         p.Lon,
		Severity:    SeverityGeneral,
		Title:       title,
		Description: p.Description,
		Evidence:    append([]string(nil), p.Photos...),
		Policy:      Policy12369,
	}
}

// PetitionDeadlines are the petitioner-facing limits of a petition's case
// under its policy: acceptance decided by AcceptBy, closed by CloseBy (the
// case's Due once accepted, which counts from acceptance), and at the
// latest by LatestClose if the whole extension is granted.
type PetitionDeadlines struct {
	AcceptBy    time.Time `json:"accept_by"`
	CloseBy     time.Time `json:"close_by,omitzero"`
	LatestClose time.Time `json:"latest_close,omitzero"`
}

// Deadlines of a petition's case under policy p (12369: accept within 15
// days, close within 60 days of acceptance, extendable by at most 30 days;
// 环境保护部令第15号, rights-cases-accountability.md §2.1). Before acceptance
// CloseBy is projected from the acceptance deadline.
func Deadlines(c Case, p Policy) PetitionDeadlines {
	d := PetitionDeadlines{AcceptBy: DueAfter(c.CreatedAt, p.AcceptDays)}
	switch {
	case !c.Due.IsZero():
		d.CloseBy = c.Due
	case !c.AcceptedAt.IsZero():
		d.CloseBy = DueAfter(c.AcceptedAt, p.CloseDays)
	case !d.AcceptBy.IsZero() && p.CloseDays > 0:
		d.CloseBy = d.AcceptBy.AddDate(0, 0, p.CloseDays)
	}
	if !d.CloseBy.IsZero() {
		d.LatestClose = d.CloseBy.AddDate(0, 0, p.MaxExtensionDays-c.ExtendedDays)
	}
	return d
}

// Satisfaction is the petitioner's answer at the callback (回访).
type Satisfaction string

// Satisfaction answers; the empty value means not rated.
const (
	Satisfied          Satisfaction = "satisfied"           // 满意
	BasicallySatisfied Satisfaction = "basically-satisfied" // 基本满意
	Dissatisfied       Satisfaction = "dissatisfied"        // 不满意
)

func (s Satisfaction) valid() bool {
	return s == Satisfied || s == BasicallySatisfied || s == Dissatisfied
}

// SatisfactionRate is (satisfied + basically satisfied) / rated, over the
// answers given; unrated (empty) and unknown answers are not counted.
// ok is false when nothing was rated (the rate is then 0, not 100 %).
func SatisfactionRate(answers []Satisfaction) (rate float64, rated int, ok bool) {
	good := 0
	for _, s := range answers {
		switch s {
		case Satisfied, BasicallySatisfied:
			good++
			rated++
		case Dissatisfied:
			rated++
		}
	}
	if rated == 0 {
		return 0, 0, false
	}
	return float64(good) / float64(rated), rated, true
}

// Tracking codes (查询码) are 12 symbols of Crockford's base-32 alphabet,
// which has no I, L, O or U, so nothing reads as 1 or 0 or spells words;
// the last symbol is a Luhn mod 32 check character, which catches every
// single wrong symbol and most swaps of neighbours. They are shown in
// groups of four: 7KQ2-M9XD-4RTB.
const (
	trackingAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	trackingLen      = 12
)

// TrackingCode makes a new tracking code from the random source r
// (crypto/rand.Reader in production): 55 random bits, so guessing a valid
// code of a petition is hopeless at the intake's rate limit. Uniqueness is
// checked by the store (a collision is retried).
func TrackingCode(r io.Reader) (string, error) {
	var buf [trackingLen - 1]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return "", fmt.Errorf("cases: tracking code: %w", err)
	}
	var code [trackingLen]byte
	for i, b := range buf {
		code[i] = trackingAlphabet[b&31] // 256 is a multiple of 32: no bias
	}
	code[trackingLen-1] = trackingAlphabet[luhn32(code[:trackingLen-1])]
	return FormatTrackingCode(string(code[:])), nil
}

// FormatTrackingCode groups a normalised 12-symbol code as XXXX-XXXX-XXXX.
func FormatTrackingCode(s string) string {
	if len(s) != trackingLen {
		return s
	}
	return s[:4] + "-" + s[4:8] + "-" + s[8:]
}

// NormaliseTrackingCode reads a code as a person may type it: case is
// ignored, spaces and dashes are dropped, and O, I and L (which the
// alphabet lacks) are read as 0, 1 and 1. It returns the 12 symbols without
// dashes, or false if the result is not a valid code.
func NormaliseTrackingCode(s string) (string, bool) {
	out := make([]byte, 0, trackingLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if strings.IndexByte(trackingAlphabet, c) < 0 {
			return "", false
		}
		out = append(out, c)
	}
	if len(out) != trackingLen || trackingAlphabet[luhn32(out[:trackingLen-1])] != out[trackingLen-1] {
		return "", false
	}
	return string(out), true
}

// ValidTrackingCode reports whether s is a tracking code in its canonical
// form (as TrackingCode returns it).
func ValidTrackingCode(s string) bool {
	n, ok := NormaliseTrackingCode(s)
	return ok && FormatTrackingCode(n) == s
}

// luhn32 is the Luhn mod N check character (N = 32) of payload: working
// from the right, every other code point is doubled and its base-32 digits
// summed; the check makes the total a multiple of 32.
func luhn32(payload []byte) int {
	const n = 32
	sum, factor := 0, 2
	for i := len(payload) - 1; i >= 0; i-- {
		cp := strings.IndexByte(trackingAlphabet, payload[i]) * factor
		sum += cp/n + cp%n
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
	}
	return (n - sum%n) % n
}
