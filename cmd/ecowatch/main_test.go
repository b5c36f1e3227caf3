package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
