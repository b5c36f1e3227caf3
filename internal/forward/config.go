package forward

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecowatch/ecowatch/hj212"
)

// Data types a target can take, and the CNs they forward (HJ 212-2017
// §6.6.5, table 9).
var dataCNs = map[string][]string{
	"realtime": {"2011"},         // 实时数据
	"minute":   {"2051"},         // 分钟数据
	"hour":     {"2061"},         // 小时数据
	"day":      {"2031"},         // 日数据
	"state":    {"2021", "2041"}, // 设施运行状态, 日运行时间
}

// DataTypes lists the data type names a target's data list may hold.
func DataTypes() []string {
	out := make([]string, 0, len(dataCNs))
	for k := range dataCNs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Defaults of HJ 212-2017 §6.2, table 1: 超时时间 10 s and 重发次数 3
// over mobile networks (5 s over ADSL; the upper platform can set both
// with CN 1000).
const (
	DefaultAckTimeout = 10 * time.Second
	DefaultRetries    = 3
	DefaultWindow     = 32
	DefaultMaxQueue   = 2_000_000
)

// Config is a forwarding configuration: one or more upper platforms.
type Config struct {
	Targets []Target `yaml:"targets" json:"targets"`
}

// Target is one upper platform.
type Target struct {
	// Name identifies the target in the queue, metrics and pages.
	Name string `yaml:"name" json:"name"`
	// Address is the upper platform's host:port.
	Address string `yaml:"address" json:"address"`
	// Protocol is the edition spoken: "2017" (default), "2005" or "2025".
	Protocol string `yaml:"protocol" json:"protocol"`
	// Select chooses the devices.
	Select Selection `yaml:"select" json:"select"`
	// Data lists the data types: realtime, minute, hour, day, state.
	Data []string `yaml:"data" json:"data"`
	// Password is the PW sent for devices without a mapping; empty means
	// the device's own password.
	Password string `yaml:"password" json:"password"`
	// Map gives the upper platform's MN and password for devices.
	Map []Mapping `yaml:"map" json:"map"`
	// AckTimeout is how long an upload waits for its 9014 (超时时间,
	// 1-99 s); Retries how often it is sent again (重发次数, 0-99).
	AckTimeout Duration `yaml:"ack_timeout" json:"ack_timeout"`
	Retries    *int     `yaml:"retries" json:"retries"`
	// Window is how many uploads may wait for their 9014 at once (1:
	// strictly one after another).
	Window int `yaml:"window" json:"window"`
	// MaxQueue bounds the target's outbound queue; beyond it the oldest
	// entries are evicted and counted.
	MaxQueue int64 `yaml:"max_queue" json:"max_queue"`

	version hj212.Version
	cns     []string
	byMN    map[string]Mapping
	sel     selSets
}

// Selection chooses devices: all of them, or those named by MN, outlet,
// enterprise (credit code) or county code (a device matches when any
// list names it).
type Selection struct {
	All         bool     `yaml:"all" json:"all"`
	Counties    []string `yaml:"counties" json:"counties"`
	Enterprises []string `yaml:"enterprises" json:"enterprises"`
	Outlets     []string `yaml:"outlets" json:"outlets"`
	MNs         []string `yaml:"mns" json:"mns"`
}

// Mapping is a device's identity on the upper platform.
type Mapping struct {
	MN       string `yaml:"mn" json:"mn"`
	UpperMN  string `yaml:"upper_mn" json:"upper_mn"`
	Password string `yaml:"password" json:"password"`
}

type selSets struct {
	counties, enterprises, outlets, mns map[string]bool
}

// Duration reads "10s", "1m30s" or a number of seconds.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	if v, err := strconv.Atoi(s); err == nil {
		*d = Duration(time.Duration(v) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (10s, 1m)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// Version is the target's protocol edition (valid after Parse).
func (t *Target) Version() hj212.Version { return t.version }

// CNs are the CNs the target takes (valid after Parse).
func (t *Target) CNs() []string { return t.cns }

// Timeout is the target's acknowledgement timeout.
func (t *Target) Timeout() time.Duration { return time.Duration(t.AckTimeout) }

// RetryCount is the target's retry count.
func (t *Target) RetryCount() int { return *t.Retries }

// Error is a configuration error: the file, line and field it is at.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	mnRE     = regexp.MustCompile(`^[0-9A-Za-z_-]{1,24}$`)
	pwRE     = regexp.MustCompile(`^[!-~]{1,16}$`) // printable ASCII, no ';' ',' '=' '&' (checked apart)
	yamlLine = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): `)
)

// Parse reads a configuration in YAML or JSON (JSON is read as YAML) and
// validates it. Errors name file, line and field; all are returned
// together (errors.Join).
func Parse(name string, data []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	lines := lineIndex(&doc)
	if err := cfg.validate(name, lines); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func yamlError(name string, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &Error{File: name, Line: line, Msg: msg}
}

// lineIndex maps "targets[i].field" (and "targets[i].map[j].field",
// "targets[i].select.field") to the line of its key.
func lineIndex(doc *yaml.Node) map[string]int {
	out := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				out[p] = n.Content[i].Line
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := path + "[" + strconv.Itoa(i) + "]"
				out[p] = c.Line
				walk(c, p)
			}
		}
	}
	walk(doc, "")
	return out
}

// Validate checks a configuration built in code (no lines known).
func (c *Config) Validate() error { return c.validate("", nil) }

func (c *Config) validate(file string, lines map[string]int) error {
	var errs []error
	add := func(path, msg string, args ...any) {
		line := lines[path]
		for p := path; line == 0 && p != ""; {
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
			line = lines[p]
		}
		errs = append(errs, &Error{File: file, Line: line, Field: path, Msg: fmt.Sprintf(msg, args...)})
	}
	if len(c.Targets) == 0 {
		add("targets", "no target: list at least one upper platform")
	}
	names := map[string]int{}
	for i := range c.Targets {
		t := &c.Targets[i]
		p := fmt.Sprintf("targets[%d]", i)
		switch {
		case t.Name == "":
			add(p+".name", "missing: every target needs a name")
		case !nameRE.MatchString(t.Name):
			add(p+".name", "%q: use letters, digits, '_', '-' or '.', at most 64", t.Name)
		default:
			if j, ok := names[t.Name]; ok {
				add(p+".name", "%q is also the name of targets[%d]", t.Name, j)
			}
			names[t.Name] = i
		}
		if t.Address == "" {
			add(p+".address", "missing: the upper platform's host:port")
		} else if host, port, err := net.SplitHostPort(t.Address); err != nil || host == "" {
			add(p+".address", "%q is not host:port", t.Address)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			add(p+".address", "%q: port %q is not 1-65535", t.Address, port)
		}
		switch t.Protocol {
		case "", "2017":
			t.Protocol, t.version = "2017", hj212.V2017
		case "2005":
			t.version = hj212.V2005
		case "2025":
			t.version = hj212.V2025
		default:
			add(p+".protocol", "%q: want 2017, 2005 or 2025", t.Protocol)
		}
		s := &t.Select
		if !s.All && len(s.Counties)+len(s.Enterprises)+len(s.Outlets)+len(s.MNs) == 0 {
			add(p+".select", "chooses no device: give all: true, counties, enterprises, outlets or mns")
		}
		t.sel = selSets{set(s.Counties), set(s.Enterprises), set(s.Outlets), set(s.MNs)}
		for j, mn := range s.MNs {
			if !mnRE.MatchString(mn) {
				add(fmt.Sprintf("%s.select.mns[%d]", p, j), "%q is not an MN (1-24 letters or digits)", mn)
			}
		}
		if len(t.Data) == 0 {
			add(p+".data", "missing: list the data types (%s)", strings.Join(DataTypes(), ", "))
		}
		t.cns = nil
		for j, d := range t.Data {
			cns, ok := dataCNs[d]
			if !ok {
				add(fmt.Sprintf("%s.data[%d]", p, j), "%q: want one of %s", d, strings.Join(DataTypes(), ", "))
				continue
			}
			for _, cn := range cns {
				if !slices.Contains(t.cns, cn) {
					t.cns = append(t.cns, cn)
				}
			}
		}
		sort.Strings(t.cns)
		if t.Password != "" && !validPW(t.Password) {
			add(p+".password", "not a password HJ 212 can carry (printable ASCII without ; , = &, at most 16)")
		}
		t.byMN = map[string]Mapping{}
		upper := map[string]string{}
		for j, m := range t.Map {
			mp := fmt.Sprintf("%s.map[%d]", p, j)
			if !mnRE.MatchString(m.MN) {
				add(mp+".mn", "%q is not an MN (1-24 letters or digits)", m.MN)
				continue
			}
			if _, dup := t.byMN[m.MN]; dup {
				add(mp+".mn", "%q is mapped twice", m.MN)
			}
			if m.UpperMN == "" {
				m.UpperMN = m.MN
			} else if !mnRE.MatchString(m.UpperMN) {
				add(mp+".upper_mn", "%q is not an MN (1-24 letters or digits)", m.UpperMN)
			}
			if other, dup := upper[m.UpperMN]; dup {
				add(mp+".upper_mn", "%q is also the upper MN of %s: the upper platform could not tell them apart", m.UpperMN, other)
			}
			upper[m.UpperMN] = m.MN
			if m.Password != "" && !validPW(m.Password) {
				add(mp+".password", "not a password HJ 212 can carry (printable ASCII without ; , = &, at most 16)")
			}
			t.byMN[m.MN] = m
		}
		switch to := time.Duration(t.AckTimeout); {
		case to == 0:
			t.AckTimeout = Duration(DefaultAckTimeout)
		case to < time.Second || to > 99*time.Second:
			// §6.6.5 CN 1000 / table 4: OverTime N2, 0 < n ≤ 99 s.
			add(p+".ack_timeout", "%s: want 1s to 99s (HJ 212-2017 table 4, OverTime)", to)
		}
		if t.Retries == nil {
			r := DefaultRetries
			t.Retries = &r
		} else if *t.Retries < 0 || *t.Retries > 99 {
			// Table 4: ReCount N2, at most 99.
			add(p+".retries", "%d: want 0 to 99 (HJ 212-2017 table 4, ReCount)", *t.Retries)
		}
		switch {
		case t.Window == 0:
			t.Window = DefaultWindow
		case t.Window < 0 || t.Window > 1024:
			add(p+".window", "%d: want 1 to 1024", t.Window)
		}
		switch {
		case t.MaxQueue == 0:
			t.MaxQueue = DefaultMaxQueue
		case t.MaxQueue < 1000:
			add(p+".max_queue", "%d: want at least 1000 (or leave it out for %d)", t.MaxQueue, DefaultMaxQueue)
		}
	}
	return errors.Join(errs...)
}

func validPW(pw string) bool {
	return pwRE.MatchString(pw) && !strings.ContainsAny(pw, ";,=&")
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
