package main

import (
	"bufio"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/app"
)

// TestDeployUnit keeps deploy/ecowatch.service and deploy/ecowatch.env in
// step with the binary: every flag the unit passes is a flag of its
// command, every variable it uses is set in the example configuration,
// and every value there parses as its flag.
func TestDeployUnit(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/ecowatch.service")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	f, err := os.Open("../../deploy/ecowatch.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("ecowatch.env: %q is not NAME=value", line)
		}
		env[k] = v
	}
	text := strings.ReplaceAll(string(unit), "\\\n", " ")
	varRE := regexp.MustCompile(`\$\{([A-Z_]+)\}`)
	for _, line := range strings.Split(text, "\n") {
		key, cmdline, ok := strings.Cut(line, "=")
		if !ok || (key != "ExecStart" && key != "ExecStartPre") {
			continue
		}
		for _, m := range varRE.FindAllStringSubmatch(cmdline, -1) {
			if _, ok := env[m[1]]; !ok {
				t.Errorf("%s uses ${%s}, which ecowatch.env does not set", key, m[1])
			}
		}
		expanded := varRE.ReplaceAllStringFunc(cmdline, func(s string) string { return env[varRE.FindStringSubmatch(s)[1]] })
		words := strings.Fields(expanded)
		if len(words) < 2 || !strings.HasSuffix(strings.TrimLeft(words[0], "+-"), "/ecowatch") {
			continue
		}
		name := words[1]
		var fs *flag.FlagSet
		switch name {
		case "serve":
			fs = flag.NewFlagSet("serve", flag.ContinueOnError)
			var sf app.ServeFlags
			sf.Register(fs, ":9212", ":8080")
		case "version":
			fs = flag.NewFlagSet("version", flag.ContinueOnError)
			fs.String("db", "", "")
		default:
			t.Errorf("%s runs ecowatch %s, which this test does not know", key, name)
			continue
		}
		fs.SetOutput(io.Discard)
		if err := fs.Parse(words[2:]); err != nil {
			t.Errorf("%s: ecowatch %s %s: %v", key, name, strings.Join(words[2:], " "), err)
		}
		if name == "serve" {
			var sf app.ServeFlags
			fs2 := flag.NewFlagSet("serve", flag.ContinueOnError)
			sf.Register(fs2, ":9212", ":8080")
			fs2.SetOutput(io.Discard)
			fs2.Parse(words[2:])
			if _, err := sf.Config(io.Discard, version); err != nil {
				t.Errorf("the unit's serve flags do not configure: %v", err)
			}
		}
	}
}
