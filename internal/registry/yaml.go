package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ecowatch/ecowatch/internal/model"
)

// yamlHeader opens every exported YAML file. It is a comment, so reading
// ignores it and a round trip stays exact.
const yamlHeader = `# ecowatch registry: counties, enterprises, outlets with their limits, devices, air stations.
# It holds the devices' HJ 212 passwords: keep it as confidential as the devices.
`

// ReadYAML reads a registry in YAML from r; name is the file name used in
// errors. It walks the YAML node tree itself rather than unmarshalling
// into the model, so that every item and field keeps its line for
// validation errors, an unknown key is an error (a typo such as "pasword"
// must not silently drop a device's password) and all problems are
// reported at once. The returned error is an ErrorList for problems in
// the file, or a wrapped I/O error.
//
// ReadYAML checks the structure only; call Validate for the rules.
func ReadYAML(r io.Reader, name string) (*model.Registry, *Source, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	y := &yamlReader{file: name, src: NewSource()}
	reg := &model.Registry{}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return reg, y.src, nil // an empty file is an empty registry
		}
		return nil, nil, ErrorList{y.syntaxError(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, ErrorList{{File: name, Line: extra.Line, Msg: "more than one YAML document; a registry is one document"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	y.registry(root, reg)
	if err := y.errs.err(); err != nil {
		return nil, nil, err
	}
	return reg, y.src, nil
}

type yamlReader struct {
	file string
	src  *Source
	errs ErrorList
	// visits counts the nodes walked. Aliases are followed, so a small
	// document of nested aliases could expand to billions of nodes (the
	// "billion laughs" attack); the walk stops at maxYAMLVisits.
	visits int
}

// maxYAMLVisits bounds the nodes a registry may expand to: the demo city
// has about 25,000, a whole city's registry with shared limit lists a few
// times that.
const maxYAMLVisits = 500_000

// visit counts a node and reports whether the walk may go on.
func (y *yamlReader) visit(n *yaml.Node) bool {
	if y.visits >= maxYAMLVisits {
		return false
	}
	y.visits++
	if y.visits == maxYAMLVisits {
		y.errorf(n, "", "the document expands to more than %d nodes (through aliases?); stopped reading", maxYAMLVisits)
		return false
	}
	return true
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxError turns a YAML parse error into an Error with its line.
func (y *yamlReader) syntaxError(err error) *Error {
	msg := err.Error()
	e := &Error{File: y.file, Msg: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = "YAML syntax: " + msg[len(m[0]):]
		// yaml.v3 reports parser errors ("did not find expected ...")
		// with the 0-based line of the enclosing collection, and scanner
		// errors with a 1-based line: make both 1-based.
		if strings.HasPrefix(msg[len(m[0]):], "did not find expected") {
			e.Line++
		}
	}
	return e
}

// maxYAMLErrors stops reading a file that is wrong throughout (or
// hostile): the first thousand problems say enough.
const maxYAMLErrors = 1000

func (y *yamlReader) errorf(n *yaml.Node, path, format string, args ...any) {
	switch {
	case len(y.errs) < maxYAMLErrors:
		y.errs = append(y.errs, &Error{File: y.file, Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)})
	case len(y.errs) == maxYAMLErrors:
		y.errs = append(y.errs, &Error{File: y.file, Line: n.Line, Msg: fmt.Sprintf("more than %d problems; stopped reading", maxYAMLErrors)})
		y.visits = maxYAMLVisits // stop the walk
	}
}

func (y *yamlReader) mark(n *yaml.Node, path string) {
	y.src.set(path, Pos{File: y.file, Line: n.Line})
}

// resolve follows aliases (&anchor / *alias) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

var kindNames = map[yaml.Kind]string{
	yaml.DocumentNode: "a document",
	yaml.SequenceNode: "a list",
	yaml.MappingNode:  "a mapping",
	yaml.ScalarNode:   "a value",
	yaml.AliasNode:    "an alias",
}

// fields calls fn for each key of a mapping node, reporting non-mapping
// nodes, duplicate keys and keys that fn does not know (fn returns false).
func (y *yamlReader) fields(n *yaml.Node, path string, fn func(key string, v *yaml.Node) bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		y.errorf(n, path, "is %s, want a mapping of fields", kindNames[n.Kind])
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !y.visit(n) {
			return
		}
		k, v := n.Content[i], resolve(n.Content[i+1])
		fp := k.Value
		if path != "" {
			fp = path + "." + k.Value
		}
		if line, dup := seen[k.Value]; dup {
			y.errorf(k, fp, "given twice (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		if !fn(k.Value, v) {
			y.errorf(k, fp, "unknown field")
		}
	}
}

// items calls fn for each element of a sequence node; null is an empty
// list.
func (y *yamlReader) items(n *yaml.Node, path string, fn func(i int, v *yaml.Node)) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		y.errorf(n, path, "is %s, want a list", kindNames[n.Kind])
		return
	}
	for i, v := range n.Content {
		if !y.visit(n) {
			return
		}
		fn(i, resolve(v))
	}
}

// str reads a scalar as a string. Unquoted numbers are fine (code: 371502
// means the string "371502"); null is "".
func (y *yamlReader) str(n *yaml.Node, path string) string {
	y.mark(n, path)
	if n.Kind != yaml.ScalarNode {
		y.errorf(n, path, "is %s, want a value", kindNames[n.Kind])
		return ""
	}
	if isNull(n) {
		return ""
	}
	return n.Value
}

// num reads a number; null is absent (nil).
func (y *yamlReader) num(n *yaml.Node, path string) *float64 {
	y.mark(n, path)
	if n.Kind != yaml.ScalarNode {
		y.errorf(n, path, "is %s, want a number", kindNames[n.Kind])
		return nil
	}
	if isNull(n) {
		return nil
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		y.errorf(n, path, "%q is not a number", n.Value)
		return nil
	}
	return &f
}

func (y *yamlReader) registry(n *yaml.Node, r *model.Registry) {
	if isNull(n) {
		return
	}
	y.fields(n, "", func(key string, v *yaml.Node) bool {
		switch key {
		case "counties":
			y.items(v, key, func(i int, v *yaml.Node) {
				r.Counties = append(r.Counties, y.county(v, fmt.Sprintf("counties[%d]", i)))
			})
		case "enterprises":
			y.items(v, key, func(i int, v *yaml.Node) {
				r.Enterprises = append(r.Enterprises, y.enterprise(v, fmt.Sprintf("enterprises[%d]", i)))
			})
		case "outlets":
			y.items(v, key, func(i int, v *yaml.Node) {
				r.Outlets = append(r.Outlets, y.outlet(v, fmt.Sprintf("outlets[%d]", i)))
			})
		case "devices":
			y.items(v, key, func(i int, v *yaml.Node) {
				r.Devices = append(r.Devices, y.device(v, fmt.Sprintf("devices[%d]", i)))
			})
		case "stations":
			y.items(v, key, func(i int, v *yaml.Node) {
				r.Stations = append(r.Stations, y.station(v, fmt.Sprintf("stations[%d]", i)))
			})
		default:
			return false
		}
		return true
	})
}

func (y *yamlReader) county(n *yaml.Node, p string) (c model.County) {
	yamlRecord(y, n, p, &c, countyFields, nil)
	return c
}

func (y *yamlReader) enterprise(n *yaml.Node, p string) (e model.Enterprise) {
	yamlRecord(y, n, p, &e, enterpriseFields, nil)
	return e
}

func (y *yamlReader) outlet(n *yaml.Node, p string) (o model.Outlet) {
	yamlRecord(y, n, p, &o, outletFields, func(key string, v *yaml.Node) bool {
		if key != "limits" {
			return false
		}
		fp := p + "." + key
		y.mark(v, fp)
		y.items(v, fp, func(i int, v *yaml.Node) {
			o.Limits = append(o.Limits, y.limit(v, fmt.Sprintf("%s[%d]", fp, i)))
		})
		return true
	})
	return o
}

func (y *yamlReader) limit(n *yaml.Node, p string) (l model.Limit) {
	yamlRecord(y, n, p, &l, limitFields, nil)
	return l
}

func (y *yamlReader) device(n *yaml.Node, p string) (d model.Device) {
	yamlRecord(y, n, p, &d, deviceFields, func(key string, v *yaml.Node) bool {
		fp := p + "." + key
		switch key {
		case "tolerances":
			y.mark(v, fp)
			y.items(v, fp, func(i int, v *yaml.Node) {
				d.Tolerances = append(d.Tolerances, y.str(v, fmt.Sprintf("%s[%d]", fp, i)))
			})
		case "networks":
			y.mark(v, fp)
			y.items(v, fp, func(i int, v *yaml.Node) {
				d.Networks = append(d.Networks, y.str(v, fmt.Sprintf("%s[%d]", fp, i)))
			})
		case "factors":
			y.mark(v, fp)
			y.items(v, fp, func(i int, v *yaml.Node) {
				d.Factors = append(d.Factors, y.deviceFactor(v, fmt.Sprintf("%s[%d]", fp, i)))
			})
		default:
			return false
		}
		return true
	})
	return d
}

func (y *yamlReader) deviceFactor(n *yaml.Node, p string) (f model.DeviceFactor) {
	yamlRecord(y, n, p, &f, deviceFactorFields, nil)
	return f
}

func (y *yamlReader) station(n *yaml.Node, p string) (s model.Station) {
	yamlRecord(y, n, p, &s, stationFields, nil)
	return s
}

// boolean reads true or false; null is false.
func (y *yamlReader) boolean(n *yaml.Node, path string) bool {
	y.mark(n, path)
	if n.Kind != yaml.ScalarNode {
		y.errorf(n, path, "is %s, want true or false", kindNames[n.Kind])
		return false
	}
	if isNull(n) {
		return false
	}
	b, ok := parseBool(n.Value)
	if !ok {
		y.errorf(n, path, "%q is not true or false", n.Value)
	}
	return b
}

// parseBool accepts the spellings people write in YAML and spreadsheets.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "是":
		return true, true
	case "false", "no", "n", "0", "否", "":
		return false, true
	}
	return false, false
}

// WriteYAML writes r as YAML in the form ReadYAML reads: a header comment,
// two-space indentation, the model's field names, items in the order of
// r (Export sorts them by key). Device passwords are included: the export
// is how a bureau backs up and moves its device configuration.
func WriteYAML(w io.Writer, r *model.Registry) error {
	var buf bytes.Buffer
	buf.WriteString(yamlHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if r == nil {
		r = &model.Registry{}
	}
	out := *r
	// Empty lists are written as [] rather than null, so an exported empty
	// registry reads as what it is.
	if out.Counties == nil {
		out.Counties = []model.County{}
	}
	if out.Enterprises == nil {
		out.Enterprises = []model.Enterprise{}
	}
	if out.Outlets == nil {
		out.Outlets = []model.Outlet{}
	}
	if out.Devices == nil {
		out.Devices = []model.Device{}
	}
	var doc yaml.Node
	if err := doc.Encode(&out); err != nil {
		return fmt.Errorf("encode registry: %w", err)
	}
	flowStyle(&doc)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode registry: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode registry: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write registry: %w", err)
	}
	return nil
}

// flowStyle writes each limit, each analyser and each tolerance list on one line
// ({pollutant: a21026, unit: mg/m3, ...}), which is how people read a
// limit table; the rest stays in block style.
func flowStyle(root *yaml.Node) {
	each := func(m *yaml.Node, key string, fn func(v *yaml.Node)) {
		if m.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				fn(m.Content[i+1])
			}
		}
	}
	items := func(seq *yaml.Node, fn func(v *yaml.Node)) {
		if seq.Kind == yaml.SequenceNode {
			for _, v := range seq.Content {
				fn(v)
			}
		}
	}
	each(root, "outlets", func(outlets *yaml.Node) {
		items(outlets, func(o *yaml.Node) {
			each(o, "limits", func(limits *yaml.Node) {
				items(limits, func(l *yaml.Node) { l.Style = yaml.FlowStyle })
			})
		})
	})
	each(root, "devices", func(devices *yaml.Node) {
		items(devices, func(d *yaml.Node) {
			each(d, "tolerances", func(t *yaml.Node) { t.Style = yaml.FlowStyle })
			each(d, "networks", func(t *yaml.Node) { t.Style = yaml.FlowStyle })
			each(d, "factors", func(fs *yaml.Node) {
				items(fs, func(f *yaml.Node) { f.Style = yaml.FlowStyle })
			})
		})
	})
}
