package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/golden"
)

// runRegistryCmd runs the binary's entry point and returns exit code, stdout and
// stderr.
func runRegistryCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRegistryUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"registry"}, 2, "missing subcommand"},
		{[]string{"registry", "--help"}, 0, "Subcommands:"},
		{[]string{"registry", "frobnicate"}, 2, `unknown subcommand "frobnicate"`},
		{[]string{"registry", "import", "--help"}, 0, "limits.csv       outlet*, pollutant*"},
		{[]string{"registry", "export", "--help"}, 0, "passwords"},
		{[]string{"registry", "validate", "--help"}, 0, "--data-dir or --db"},
		{[]string{"registry", "demo", "--help"}, 0, "-seed"},
		{[]string{"registry", "validate"}, 2, "want exactly one registry path, got 0"},
		{[]string{"registry", "validate", "a.yaml", "b.yaml"}, 2, "want exactly one registry path, got 2"},
		{[]string{"registry", "validate", "--format", "json", "a.yaml"}, 2, `--format: want yaml or csv, got "json"`},
		{[]string{"registry", "demo", "--format", "csv"}, 2, "CSV needs a directory PATH"},
	}
	for _, tt := range tests {
		code, _, stderr := runRegistryCmd(t, "", tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit %d and %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
	}
}

// An invalid file: every problem on its own line with file and line,
// exit status 1, and nothing written, not even an empty database.
func TestRegistryInvalidFile(t *testing.T) {
	file := filepath.Join("testdata", "registry", "invalid.yaml")
	code, stdout, stderr := runRegistryCmd(t, "", "registry", "validate", file)
	if code != 1 || stdout != "" {
		t.Fatalf("validate: exit %d, stdout %q", code, stdout)
	}
	golden.CheckString(t, "testdata/registry/invalid.validate.golden", stderr)

	dir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr = runRegistryCmd(t, "", "registry", "import", file, "--data-dir", dir)
	if code != 1 || stdout != "" {
		t.Fatalf("import: exit %d, stdout %q", code, stdout)
	}
	golden.CheckString(t, "testdata/registry/invalid.import.golden", stderr)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("an invalid import created %s (%v)", dir, err)
	}
}

// demo → file → import → export gives the file back, in YAML and CSV.
func TestRegistryRoundTrip(t *testing.T) {
	tmp := t.TempDir()
	city := filepath.Join(tmp, "city.yaml")
	code, _, stderr := runRegistryCmd(t, "", "registry", "demo", "--seed", "7", city)
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile(city)
	if err != nil {
		t.Fatal(err)
	}
	_, stdoutDemo, _ := runRegistryCmd(t, "", "registry", "demo", "--seed", "7")
	if stdoutDemo != string(want) {
		t.Error("demo to stdout differs from demo to a file")
	}

	data := filepath.Join(tmp, "data")
	code, stdout, stderr := runRegistryCmd(t, "", "registry", "import", city, "--data-dir", data)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "imported 11 counties, 300 enterprises, ") {
		t.Errorf("import printed %q", stdout)
	}
	code, stdout, stderr = runRegistryCmd(t, "", "registry", "export", "--data-dir", data)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if stdout != string(want) {
		t.Fatal("YAML → import → export differs")
	}

	// CSV: export to a directory, import into a new store, export YAML.
	csvDir := filepath.Join(tmp, "csv")
	if code, _, stderr := runRegistryCmd(t, "", "registry", "export", "--data-dir", data, "--format", "csv", csvDir); code != 0 {
		t.Fatalf("export csv: exit %d: %s", code, stderr)
	}
	data2 := filepath.Join(tmp, "data2")
	if code, _, stderr := runRegistryCmd(t, "", "registry", "import", "--data-dir", data2, csvDir); code != 0 {
		t.Fatalf("import csv: exit %d: %s", code, stderr)
	}
	_, stdout, _ = runRegistryCmd(t, "", "registry", "export", "--data-dir", data2)
	if stdout != string(want) {
		t.Fatal("CSV → import → export differs")
	}

	// A YAML export file reads back the same.
	out := filepath.Join(tmp, "out.yaml")
	if code, _, stderr := runRegistryCmd(t, "", "registry", "export", "--data-dir", data2, out); code != 0 {
		t.Fatalf("export file: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Fatal("export to a file differs")
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v (%v), want 0600: it holds device passwords", fi.Mode().Perm(), err)
	}
}

// References to stored items: validate checks them against the store only
// when asked to, and import accepts them.
func TestRegistryReferencesToStore(t *testing.T) {
	dir := filepath.Join("testdata", "registry")
	data := t.TempDir()
	outlets := filepath.Join(dir, "outlets.yaml")

	code, _, stderr := runRegistryCmd(t, "", "registry", "validate", outlets)
	if code != 1 || !strings.Contains(stderr, `outlets.yaml:4: outlets[0].enterprise: unknown enterprise "91350100M000100Y43"`) {
		t.Fatalf("validate alone: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runRegistryCmd(t, "", "registry", "import", "--data-dir", data, filepath.Join(dir, "base.yaml")); code != 0 {
		t.Fatalf("import base: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runRegistryCmd(t, "", "registry", "validate", "--data-dir", data, outlets); code != 0 || !strings.Contains(stdout, "valid") {
		t.Fatalf("validate against the store: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := runRegistryCmd(t, "", "registry", "import", "--data-dir", data, outlets); code != 0 {
		t.Fatalf("import outlets: exit %d: %s", code, stderr)
	}
	_, stdout, _ := runRegistryCmd(t, "", "registry", "export", "--data-dir", data)
	if !strings.Contains(stdout, "010000A8900016F000169DC0") || !strings.Contains(stdout, "聊城示例热电有限公司") {
		t.Errorf("export lacks the imported items:\n%s", stdout)
	}
	// A reference nothing resolves is still refused, and a new store is
	// not left behind.
	fresh := filepath.Join(t.TempDir(), "fresh")
	code, _, stderr = runRegistryCmd(t, "", "registry", "import", "--data-dir", fresh, outlets)
	if code != 1 || !strings.Contains(stderr, "unknown enterprise") {
		t.Fatalf("import into an empty store: exit %d: %s", code, stderr)
	}
}

func TestRegistryStdinAndMissingStore(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "registry", "base.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runRegistryCmd(t, string(base), "registry", "validate", "-")
	if code != 0 || stdout != "-: valid (1 counties, 1 enterprises, 0 outlets, 0 devices)\n" {
		t.Errorf("validate stdin: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runRegistryCmd(t, "enterprises: [\n", "registry", "validate", "-")
	if code != 1 || !strings.Contains(stderr, "stdin:") {
		t.Errorf("validate bad stdin: exit %d, stderr %q", code, stderr)
	}

	missing := filepath.Join(t.TempDir(), "nothing-here")
	code, _, stderr = runRegistryCmd(t, "", "registry", "export", "--data-dir", missing)
	if code != 1 || !strings.Contains(stderr, "no store at") {
		t.Errorf("export from a missing store: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("export created %s", missing)
	}
}
