package waterreg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
)

// ReadYAML reads a water registry from YAML (the layout of WriteYAML).
// Unknown fields and values of the wrong type are errors naming their
// line; name is the file name used in errors.
func ReadYAML(r io.Reader, name string) (*model.WaterRegistry, *Source, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	src := NewSource()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, registry.ErrorList{yamlError(name, err)}
	}
	if len(root.Content) > 0 {
		mark(src, name, root.Content[0], "")
	}
	w := &model.WaterRegistry{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(w); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var l registry.ErrorList
			for _, msg := range te.Errors {
				l = append(l, yamlError(name, errors.New(msg)))
			}
			return nil, nil, l
		}
		return nil, nil, registry.ErrorList{yamlError(name, err)}
	}
	return w, src, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlError turns a yaml.v3 message ("line 12: field foo not found in
// type model.River") into a located error.
func yamlError(name string, err error) *registry.Error {
	msg := err.Error()
	e := &registry.Error{File: name, Msg: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = msg[len(m[0]):]
	}
	return e
}

// mark records the line of every mapping value and sequence item under n
// by its path (sections[3].target).
func mark(src *Source, file string, n *yaml.Node, path string) {
	if path != "" {
		src.set(path, Pos{File: file, Line: n.Line, Field: path})
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			// The key's line: a block sequence value starts below it.
			src.set(p, Pos{File: file, Line: n.Content[i].Line, Field: p})
			v := n.Content[i+1]
			if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
				mark(src, file, v, p)
				src.set(p, Pos{File: file, Line: n.Content[i].Line, Field: p})
			}
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			mark(src, file, v, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// WriteYAML writes w in the layout ReadYAML reads.
func WriteYAML(out io.Writer, w *model.WaterRegistry) error {
	enc := yaml.NewEncoder(out)
	enc.SetIndent(2)
	if err := enc.Encode(w); err != nil {
		return fmt.Errorf("write water registry: %w", err)
	}
	return enc.Close()
}
