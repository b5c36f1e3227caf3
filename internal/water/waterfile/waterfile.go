// Package waterfile classifies surface-water samples given as JSON lines
// (`ecowatch water classify`): one sample a line in, one result a line out,
// by the GB 3838 engine of package water. No store, no clock.
package waterfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ecowatch/ecowatch/internal/water"
)

// waterLineError is a malformed input line; its message names the field.
type waterLineError struct{ msg string }

func (e *waterLineError) Error() string { return e.msg }

func lineErrf(format string, a ...any) error { return &waterLineError{fmt.Sprintf(format, a...)} }

// ParseBody reads a water body: river (河流) or lake/reservoir (湖库).
func ParseBody(s string) (water.WaterBody, bool) {
	switch strings.ToLower(s) {
	case "river", "河流":
		return water.River, true
	case "lake", "reservoir", "湖库", "湖泊", "水库":
		return water.Lake, true
	}
	return 0, false
}

// Classifier classifies JSON lines of samples (GB 3838-2002) into JSON
// lines of results; a malformed line gives {"line": n, "error": ...}
// naming the field, and classification goes on.
type Classifier struct {
	Options    water.Options
	Default    *water.WaterBody // for lines without "type"; nil: "type" is required
	Out        *bufio.Writer
	Lines, Bad int // lines read and lines malformed so far
}

// maxWaterLine bounds one input line; a sample is a few hundred bytes.
const maxWaterLine = 1 << 20

// Run classifies every line of r (named file in errors; "" is standard
// input) until EOF or ctx ends.
func (c *Classifier) Run(ctx context.Context, r io.Reader, file string) error {
	br := bufio.NewReaderSize(r, maxWaterLine)
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			// Skip the rest of an overlong line; it is reported, not parsed.
			long = true
			_, err = br.ReadSlice('\n')
		}
		if len(line) > 0 || long {
			n++
			if n%1024 == 0 {
				if cerr := ctx.Err(); cerr != nil {
					return cerr
				}
			}
			trimmed := bytes.TrimSpace(line)
			if long || len(trimmed) > maxWaterLine {
				c.Lines++
				c.fail(file, n, lineErrf("line longer than %d bytes", br.Size()))
			} else if len(trimmed) > 0 {
				c.Lines++
				c.classify(file, n, trimmed)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", displayName(file), err)
		}
	}
}

func displayName(file string) string {
	if file == "" {
		return "standard input"
	}
	return file
}

type waterPollutant struct {
	Item     string     `json:"item"`
	Class    int        `json:"class"`
	Multiple *water.Dec `json:"multiple,omitempty"`
}

type waterDrinking struct {
	Pass     bool     `json:"pass"`
	MeetsIII bool     `json:"meets_iii"`
	Failed   []string `json:"failed"`
}

type waterOutput struct {
	ID             json.RawMessage  `json:"id"`
	Type           string           `json:"type"`
	Class          *int             `json:"class"`
	Label          *string          `json:"label"`
	Status         *string          `json:"status"`
	Items          itemClasses      `json:"items"`
	MainPollutants []waterPollutant `json:"main_pollutants"`
	Missing        []string         `json:"missing"`
	Unknown        []string         `json:"unknown"`
	Excluded       []string         `json:"excluded,omitempty"`
	Drinking       *waterDrinking   `json:"drinking_water,omitempty"`
}

// itemClasses marshals as a JSON object in GB 3838 table order.
type itemClasses struct {
	items   []water.Item
	classes []water.Class
}

func (ic itemClasses) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, it := range ic.items {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(it.String())
		b = append(b, k...)
		b = append(b, ':')
		b = fmt.Appendf(b, "%d", ic.classes[i])
	}
	return append(b, '}'), nil
}

type waterLineOutput struct {
	File  string `json:"file,omitempty"`
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func (c *Classifier) fail(file string, n int, err error) {
	c.Bad++
	c.emit(waterLineOutput{File: file, Line: n, Error: err.Error()})
}

func (c *Classifier) emit(v any) {
	enc := json.NewEncoder(c.Out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // write errors surface at Flush
}

func (c *Classifier) classify(file string, n int, line []byte) {
	in, err := parseWaterLine(line, c.Default)
	if err != nil {
		c.fail(file, n, err)
		return
	}
	var r water.Result
	water.Classify(&in.sample, c.Options, &r)
	out := waterOutput{
		ID:             in.id,
		Type:           in.sample.Body.String(),
		MainPollutants: []waterPollutant{},
		Missing:        r.Missing.Names(),
		Unknown:        in.unknown,
	}
	if out.ID == nil {
		out.ID = json.RawMessage("null")
	}
	if r.Class != water.ClassNone {
		cl, lb, st := int(r.Class), r.Class.Label(), water.SectionStatus(r.Class).String()
		out.Class, out.Label, out.Status = &cl, &lb, &st
	}
	for _, it := range in.sample.Items().Items() {
		if r.Items[it] != water.ClassNone {
			out.Items.items = append(out.Items.items, it)
			out.Items.classes = append(out.Items.classes, r.Items[it])
		}
	}
	for _, p := range r.MainPollutants(nil) {
		wp := waterPollutant{Item: p.Item.String(), Class: int(p.Class)}
		if p.HasMultiple {
			m := p.Multiple
			wp.Multiple = &m
		}
		out.MainPollutants = append(out.MainPollutants, wp)
	}
	if ex := r.Excluded.Names(); len(ex) > 0 {
		out.Excluded = ex
	}
	if in.sample.Items()&water.SetTable23 != 0 {
		d := water.EvaluateDrinking(&in.sample, c.Options)
		out.Drinking = &waterDrinking{Pass: d.Pass, MeetsIII: d.MeetsIII, Failed: d.Failed.Names()}
	}
	c.emit(out)
}

type waterInput struct {
	id      json.RawMessage
	sample  water.Sample
	unknown []string
}

// parseWaterLine parses one JSON line. Fields are read in document order so
// that the first malformed field is the one reported.
func parseWaterLine(line []byte, def *water.WaterBody) (*waterInput, error) {
	in := &waterInput{unknown: []string{}}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, lineErrf("invalid JSON at byte %d: %v", se.Offset, err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, lineErrf("a line must be a JSON object, not %s", te.Value)
		}
		return nil, lineErrf("invalid JSON: %v", err)
	}
	if raw, ok := top["id"]; ok {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err == nil {
			in.id = buf.Bytes()
		}
	}
	switch raw, ok := top["type"]; {
	case ok:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, lineErrf("field \"type\": want \"river\" or \"lake\", got %s", raw)
		}
		b, ok := ParseBody(s)
		if !ok {
			return nil, lineErrf("field \"type\": want \"river\" or \"lake\", got %q", s)
		}
		in.sample.Body = b
	case def != nil:
		in.sample.Body = *def
	default:
		return nil, lineErrf("field \"type\": missing (\"river\" or \"lake\"; TP limits differ); or pass --type")
	}
	raw, ok := top["items"]
	if !ok {
		return nil, lineErrf("field \"items\": missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, lineErrf("field \"items\": want an object of item: value, got %s", raw)
	}
	seen := map[water.Item]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, lineErrf("field \"items\": %v", err)
		}
		key := tok.(string) // object keys are strings
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, lineErrf("field \"items.%s\": %v", key, err)
		}
		it, known := water.LookupItem(key)
		if !known {
			in.unknown = append(in.unknown, key)
			continue
		}
		if prev, dup := seen[it]; dup {
			return nil, lineErrf("field \"items.%s\": same item as %q", key, prev)
		}
		seen[it] = key
		if err := setWaterValue(&in.sample, it, v); err != nil {
			return nil, lineErrf("field \"items.%s\": %v", key, err)
		}
	}
	return in, nil
}

func setNonNegative(s *water.Sample, it water.Item, d water.Dec) error {
	if d < 0 {
		return fmt.Errorf("%s: a concentration cannot be negative", d)
	}
	return s.Set(it, d)
}

func setWaterValue(s *water.Sample, it water.Item, v any) error {
	switch x := v.(type) {
	case nil:
		return nil // null: missing
	case json.Number:
		d, err := water.ParseDec(string(x))
		if err != nil {
			return err
		}
		return setNonNegative(s, it, d)
	case string:
		t := strings.TrimSpace(x)
		if rest, ok := strings.CutPrefix(t, "<"); ok {
			dl, err := water.ParseDec(strings.TrimSpace(rest))
			if err != nil {
				return fmt.Errorf("detection limit %q: %w", x, water.ErrSyntax)
			}
			if dl <= 0 {
				return fmt.Errorf("detection limit %q must be positive", x)
			}
			return s.SetBelowDL(it, dl)
		}
		d, err := water.ParseDec(t)
		if err != nil {
			return fmt.Errorf("value %q is not a number or \"<DL\"", x)
		}
		return setNonNegative(s, it, d)
	}
	return fmt.Errorf("want a number, \"<DL\" or null, got %s", jsonKind(v))
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// ClassifyFiles classifies the files in turn ("-" is stdin) into out and
// fails, after the last file, when a line was malformed.
func ClassifyFiles(ctx context.Context, o water.Options, def *water.WaterBody, files []string, stdin io.Reader, out io.Writer) error {
	c := &Classifier{Options: o, Default: def, Out: bufio.NewWriter(out)}
	for _, name := range files {
		if err := c.runFile(ctx, name, stdin); err != nil {
			c.Out.Flush()
			return err
		}
	}
	if err := c.Out.Flush(); err != nil {
		return err
	}
	if c.Bad > 0 {
		return fmt.Errorf("%d of %d lines malformed", c.Bad, c.Lines)
	}
	return nil
}

func (c *Classifier) runFile(ctx context.Context, name string, stdin io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == "-" {
		return c.Run(ctx, stdin, "")
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.Run(ctx, f, name)
}
