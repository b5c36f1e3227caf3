package store

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Upload values are stored as one flat JSON object per upload whose keys
// are the CP keys as HJ 212 writes them ("a21026-Rtd", "RestartTime") and
// whose values are the strings as sent (HJ 212-2017 §6.3.3: field names
// are "<code>-<field>"). This is what PostgreSQL's jsonb can merge with
// `||` and index, and what a human reading the database expects. Object
// key order is not kept by jsonb, so both stores return Values sorted by
// (Factor, Field).

// valueKey is the CP key of v: the factor and field joined by a dash, or
// the field alone for keys without a factor.
func appendValueKey(dst []byte, v *model.Value) []byte {
	if v.Factor != "" {
		dst = append(dst, v.Factor...)
		dst = append(dst, '-')
	}
	return append(dst, v.Field...)
}

// splitValueKey is the inverse of appendValueKey: the factor is what
// precedes the first dash.
func splitValueKey(k string) (factor, field string) {
	if i := strings.IndexByte(k, '-'); i >= 0 {
		return k[:i], k[i+1:]
	}
	return "", k
}

// sameKey reports whether a and b are the same (Factor, Field).
func sameKey(a, b *model.Value) bool { return a.Field == b.Field && a.Factor == b.Factor }

// appendJSONString appends s as a JSON string. Invalid UTF-8 and NUL are
// replaced by U+FFFD (as encoding/json does for the former), so the result
// is valid JSON that PostgreSQL's jsonb accepts too.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case 0:
				// PostgreSQL's jsonb refuses \u0000; both stores keep
				// U+FFFD instead so that they hold the same values.
				dst = append(dst, `\ufffd`...)
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendValuesJSON appends vals as the stored JSON object. A (Factor,
// Field) that occurs twice keeps its first value, as storage does across
// uploads.
func appendValuesJSON(dst []byte, vals []model.Value) []byte {
	dst = append(dst, '{')
	n := 0
	// A 256-bit Bloom filter of the keys seen so far: the linear search
	// for an earlier duplicate runs only when the filter says "maybe",
	// which keeps the check O(n) for the usual upload with no duplicate.
	var bloom [4]uint64
	for i := range vals {
		h := keyHash(&vals[i])
		bit := uint64(1) << (h & 63)
		word := (h >> 6) & 3
		if bloom[word]&bit != 0 && dupBefore(vals, i) {
			continue
		}
		bloom[word] |= bit
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, '"')
		// Keys are appended raw and then escaped as a whole.
		mark := len(dst)
		dst = appendValueKey(dst, &vals[i])
		if needsEscape(dst[mark:]) {
			key := string(dst[mark:])
			dst = appendJSONString(dst[:mark-1], key)
		} else {
			dst = append(dst, '"')
		}
		dst = append(dst, ':')
		dst = appendJSONString(dst, vals[i].Value)
	}
	return append(dst, '}')
}

// keyHash is an FNV-1a hash of the (Factor, Field) of v.
func keyHash(v *model.Value) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(v.Factor); i++ {
		h = (h ^ uint64(v.Factor[i])) * 1099511628211
	}
	h = (h ^ '-') * 1099511628211
	for i := 0; i < len(v.Field); i++ {
		h = (h ^ uint64(v.Field[i])) * 1099511628211
	}
	return h ^ h>>32
}

// dupBefore reports whether vals[i]'s (Factor, Field) occurs before i.
// Uploads carry a few dozen values, where a linear scan beats a map.
func dupBefore(vals []model.Value, i int) bool {
	for j := 0; j < i; j++ {
		if sameKey(&vals[j], &vals[i]) {
			return true
		}
	}
	return false
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// parseValuesJSON decodes a stored values object into Values sorted by
// (Factor, Field), appending to dst.
func parseValuesJSON(dst []model.Value, b []byte) ([]model.Value, error) {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return dst, fmt.Errorf("decode stored values: %w", err)
	}
	start := len(dst)
	for k, v := range m {
		f, fl := splitValueKey(k)
		dst = append(dst, model.Value{Factor: f, Field: fl, Value: v})
	}
	sortValues(dst[start:])
	return dst, nil
}

func sortValues(vals []model.Value) {
	slices.SortFunc(vals, func(a, b model.Value) int {
		return cmp.Or(strings.Compare(a.Factor, b.Factor), strings.Compare(a.Field, b.Field))
	})
}

// mergeValues returns stored extended by the values of add whose (Factor,
// Field) is not in stored, and whether anything was added. Stored values
// are never changed: the first value received is the evidence.
func mergeValues(stored, add []model.Value) ([]model.Value, bool) {
	added := false
	for i := range add {
		found := false
		for j := range stored {
			if sameKey(&stored[j], &add[i]) {
				found = true
				break
			}
		}
		if !found {
			stored = append(stored, add[i])
			added = true
		}
	}
	return stored, added
}
