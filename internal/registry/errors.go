package registry

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem found in a registry, located in its source.
type Error struct {
	File  string // source file, e.g. registry.yaml or enterprises.csv; empty if unknown
	Line  int    // 1-based line in File; 0 if unknown
	Field string // path of the field, e.g. enterprises[3].uscc (YAML, in-memory) or the column (CSV)
	Msg   string
	// Unresolved marks a reference to a county, enterprise or outlet that
	// is neither in the registry validated nor in the existing one: an
	// import into a store that holds it would resolve it.
	Unresolved bool `json:"-"`
}

// Error formats the error as file:line: field: message, leaving out what is
// unknown, e.g. "registry.yaml:42: enterprises[3].uscc: check digit is 7,
// want Y".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
		if e.Line > 0 {
			b.WriteString(strconv.Itoa(e.Line))
			b.WriteByte(':')
		}
		b.WriteByte(' ')
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found while reading or validating a
// registry. Readers and Validate return it (as error) so that a user sees
// all problems of a file at once, not one per run.
type ErrorList []*Error

// Error joins the errors, one per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.Is and errors.As see each error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// err returns l as an error, nil when it is empty (a nil ErrorList in an
// error interface would not be nil).
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	l.sort()
	return l
}

// sort orders the errors by file and line, keeping the order of detection
// for errors on the same line.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
}

// Pos is where an item or field of a registry came from.
type Pos struct {
	File   string
	Line   int
	Column string // CSV column name; empty for YAML
}

// Source maps paths of a registry's items and fields (counties[0],
// enterprises[3].uscc, outlets[2].limits[0].max, devices[1].tolerances[0])
// to where they were read. A nil *Source is valid: errors then carry the
// path only.
type Source struct {
	pos map[string]Pos
	csv bool // errors name CSV columns rather than paths
	// keepFactors: devices were read from devices.csv without
	// device_factors.csv beside it, so Import keeps the stored analysers.
	keepFactors bool
}

// NewSource returns an empty Source.
func NewSource() *Source { return &Source{pos: make(map[string]Pos)} }

func (s *Source) set(path string, p Pos) {
	s.pos[path] = p
}

// Pos returns the position of path, or of its nearest enclosing item when
// the field itself was not recorded (e.g. a field missing from the file is
// reported at the line of its item). ok is false when nothing is known.
func (s *Source) Pos(path string) (p Pos, ok bool) {
	if s == nil {
		return Pos{}, false
	}
	for path != "" {
		if p, ok := s.pos[path]; ok {
			return p, true
		}
		path = parentPath(path)
	}
	return Pos{}, false
}

// parentPath strips the last component of a path: a.b[1].c → a.b[1] →
// a.b → a → "".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// newError locates an error about path.
func (s *Source) newError(path, msg string) *Error {
	e := &Error{Field: path, Msg: msg}
	p, ok := s.Pos(path)
	if !ok {
		return e
	}
	e.File, e.Line = p.File, p.Line
	if s.csv {
		// A CSV row is one item: the column says which field, and the
		// item's path (with its index) means nothing to the person who
		// wrote the file. An error about the row as a whole names no
		// field.
		e.Field = p.Column
	}
	return e
}

// where describes the position of path first for a message about path
// current, such as "duplicate code (first at line 12)": the line alone when
// both are in the same file.
func (s *Source) where(first, current string) string {
	p, ok := s.Pos(first)
	if !ok || p.Line == 0 {
		return first
	}
	if c, ok := s.Pos(current); ok && c.File == p.File {
		return "line " + strconv.Itoa(p.Line)
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}
