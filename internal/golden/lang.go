package golden

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)
	hanChar   = regexp.MustCompile(`\p{Han}`)
)

// CheckLanguage fails t on every line of text that speaks the other
// language: an English word (two or more Latin letters) in "zh" text, a
// Han character in "en" text. keep are what may stay as they are in
// either language (the registry's names of places, stations and
// enterprises; pollutant symbols, units and standards' numbers such as
// PM2.5, mg/m³, GB 3095); they are cut from each line before it is read,
// longest first so a name holding a shorter one is cut whole.
func CheckLanguage(t testing.TB, lang, text string, keep ...string) {
	t.Helper()
	keep = append([]string(nil), keep...)
	sort.Slice(keep, func(i, j int) bool { return len(keep[i]) > len(keep[j]) })
	bad := latinWord
	if lang == "en" {
		bad = hanChar
	}
	n := 0
	for i, line := range strings.Split(text, "\n") {
		rest := line
		for _, k := range keep {
			if k != "" {
				rest = strings.ReplaceAll(rest, k, " ")
			}
		}
		if w := bad.FindString(rest); w != "" {
			if n++; n <= 20 {
				t.Errorf("%s text, line %d has %q: %s", lang, i+1, w, line)
			}
		}
	}
	if n > 20 {
		t.Errorf("%s text: %d lines in the other language in all", lang, n)
	}
}
