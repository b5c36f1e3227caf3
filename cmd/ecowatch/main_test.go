package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/accountability/accountsvc"
)

// TestEveryCommandHasHelp checks that each command answers --help with its
// usage and exit status 0, without doing anything else.
func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{name, "--help"}, strings.NewReader(""), &out, &errb)
			if code != 0 {
				t.Fatalf("ecowatch %s --help: exit %d\nstdout: %s\nstderr: %s", name, code, out.String(), errb.String())
			}
			if !strings.Contains(out.String()+errb.String(), "Usage") && !strings.Contains(out.String()+errb.String(), "usage") {
				t.Errorf("ecowatch %s --help printed no usage:\n%s%s", name, out.String(), errb.String())
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("stderr %q does not name the unknown command", errb.String())
	}
}

func TestTopLevelUsageListsCommands(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), nil, nil, &out, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for name := range commands {
		if !strings.Contains(out.String(), "  "+name) {
			t.Errorf("usage does not list %s:\n%s", name, out.String())
		}
	}
}

// subcommandPaths lists every command and subcommand as its arguments:
// the subcommands of a command are read from its own usage.
func subcommandPaths(t *testing.T) [][]string {
	var paths [][]string
	var walk func(path []string)
	walk = func(path []string) {
		paths = append(paths, path)
		var out, errb bytes.Buffer
		run(context.Background(), append(slices.Clone(path), "--help"), strings.NewReader(""), &out, &errb)
		usage := out.String() + errb.String()
		_, list, ok := strings.Cut(usage, "\nSubcommands:\n")
		if !ok {
			return
		}
		list, _, _ = strings.Cut(list, "\n\n")
		for _, line := range strings.Split(list, "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				walk(append(slices.Clone(path), f[0]))
			}
		}
	}
	for name := range commands {
		walk([]string{name})
	}
	for _, k := range accountsvc.Kinds {
		paths = append(paths, append([]string{"account"}, strings.Fields(k)...))
	}
	return paths
}

// TestEverySubcommandOwnFlags runs every command and subcommand with -h
// (its own usage, exit 0) and with an unknown flag (exit 2, the usage of
// that subcommand naming it): each has a flag set of its own, and no
// global flag is shared between them.
func TestEverySubcommandOwnFlags(t *testing.T) {
	paths := subcommandPaths(t)
	if len(paths) < 60 {
		t.Fatalf("only %d commands and subcommands found: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.Join(path, " ")
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append(slices.Clone(path), "-h"), strings.NewReader(""), &out, &errb)
			usage := out.String() + errb.String()
			if code != 0 || !strings.Contains(strings.ToLower(usage), "usage: ecowatch "+path[0]) || !strings.Contains(usage, path[len(path)-1]) {
				t.Errorf("ecowatch %s -h: exit %d, want 0 and its usage:\n%s", name, code, usage)
			}
			out.Reset()
			errb.Reset()
			code = run(context.Background(), append(slices.Clone(path), "--no-such-flag"), strings.NewReader(""), &out, &errb)
			if code != 2 || !strings.Contains(errb.String(), "ecowatch "+name) {
				t.Errorf("ecowatch %s --no-such-flag: exit %d, want 2 and the subcommand named:\n%s", name, code, errb.String())
			}
		})
	}
	// Nor does any command touch the global flag set.
	files, _ := filepath.Glob("*.go")
	global := regexp.MustCompile(`flag\.(CommandLine|Parse\(|Args\(|Arg\(|NArg\(|(String|Int|Int64|Bool|Duration|Float64|Var|StringVar|IntVar|BoolVar|DurationVar|Float64Var)\()`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := global.Find(src); m != nil && !strings.HasSuffix(f, "_test.go") {
			t.Errorf("%s uses the global flag set: %s", f, m)
		}
	}
}
