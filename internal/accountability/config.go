package accountability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// MarshalText writes a step by name (bulletin, warning, summons, listed).
func (s Step) MarshalText() ([]byte, error) {
	if _, ok := stepNames[s]; !ok {
		return nil, fmt.Errorf("step %d: not on the ladder", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a step by name.
func (s *Step) UnmarshalText(b []byte) error {
	for k, v := range stepNames {
		if v[0] == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("step %q: want bulletin, warning, summons or listed", b)
}

// MarshalText writes a warning level by name (yellow, orange, red), also
// as a JSON map key.
func (l WarnLevel) MarshalText() ([]byte, error) {
	if l < Yellow || l > Red {
		return nil, fmt.Errorf("warning level %d: want 1..3", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads a warning level by name.
func (l *WarnLevel) UnmarshalText(b []byte) error {
	for _, x := range []WarnLevel{Yellow, Orange, Red} {
		if x.String() == string(b) {
			*l = x
			return nil
		}
	}
	return fmt.Errorf("warning level %q: want yellow, orange or red", b)
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ParseSchemes reads a JSON array of assessment Scheme versions and
// validates them: known indicators each scored once, known methods,
// positive points, From before To, and no two versions of one period kind
// overlapping (SchemeFor would refuse such a period anyway; this says so
// when the data is loaded).
func ParseSchemes(b []byte) ([]Scheme, error) {
	var ss []Scheme
	if err := decodeStrict(b, &ss); err != nil {
		return nil, fmt.Errorf("assessment schemes: %w", err)
	}
	seen := map[string]bool{}
	for i, s := range ss {
		bad := func(format string, args ...any) error {
			return refuse("scheme", fmt.Sprintf("#%d %s", i+1, s.Version), format, args...)
		}
		if s.Version == "" || seen[s.Version] {
			return nil, bad("missing or duplicate version")
		}
		seen[s.Version] = true
		if s.From.IsZero() || !s.To.IsZero() && !s.To.After(s.From) {
			return nil, bad("from must be set and before to")
		}
		if len(s.Kinds) == 0 || len(s.Rules) == 0 {
			return nil, bad("no period kind or no rule")
		}
		for _, k := range s.Kinds {
			if !(chinatime.Period{Kind: k, Year: 2000, N: 1}).Valid() {
				return nil, bad("unknown period kind %q", k)
			}
		}
		var inds []Indicator
		for _, r := range s.Rules {
			if _, ok := indicatorInfo[r.Indicator]; !ok || slices.Contains(inds, r.Indicator) {
				return nil, bad("unknown or repeated indicator %q", r.Indicator)
			}
			inds = append(inds, r.Indicator)
			if r.Method != ByTarget && r.Method != ByRank {
				return nil, bad("%s: unknown method %q", r.Indicator, r.Method)
			}
			if r.Points <= 0 || r.DeductPerUnit < 0 {
				return nil, bad("%s: points must be positive and the deduction not negative", r.Indicator)
			}
		}
		for _, o := range ss[:i] {
			shared := slices.ContainsFunc(s.Kinds, func(k chinatime.Kind) bool { return slices.Contains(o.Kinds, k) })
			if shared && (o.To.IsZero() || s.From.Before(o.To)) && (s.To.IsZero() || o.From.Before(s.To)) {
				return nil, bad("overlaps version %s", o.Version)
			}
		}
	}
	return ss, nil
}

// ParseTriggerRules reads a JSON array of TriggerRule and validates each:
// a unique id, a known predicate with what it needs (an indicator, N > 0),
// a step on the ladder, period kinds and a work line.
func ParseTriggerRules(b []byte) ([]TriggerRule, error) {
	var rs []TriggerRule
	if err := decodeStrict(b, &rs); err != nil {
		return nil, fmt.Errorf("trigger rules: %w", err)
	}
	seen := map[string]bool{}
	for i, r := range rs {
		bad := func(format string, args ...any) error {
			return refuse("trigger", fmt.Sprintf("#%d %s", i+1, r.ID), format, args...)
		}
		if r.ID == "" || seen[r.ID] {
			return nil, bad("missing or duplicate id")
		}
		seen[r.ID] = true
		_, known := indicatorInfo[r.Indicator]
		switch r.Predicate {
		case BottomBoth:
			if r.N <= 0 {
				return nil, bad("n must be positive")
			}
		case Bottom:
			if r.N <= 0 || !known {
				return nil, bad("needs an indicator and n > 0")
			}
		case Deteriorated, TargetMissed:
			if !known {
				return nil, bad("needs an indicator")
			}
		default:
			return nil, bad("unknown predicate %q", r.Predicate)
		}
		if r.Step < StepBulletin || r.Step > StepListed || len(r.Kinds) == 0 || r.Line == "" || r.Title == "" {
			return nil, bad("needs a step, period kinds, a work line and a title")
		}
	}
	return rs, nil
}
