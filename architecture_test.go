package ecowatch_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArchitectureListsEveryPackage keeps the README's Architecture block
// the map of the tree: every directory holding Go files has a line there
// (its path, relative to the repository, first on the line), and every
// line names a directory that exists.
func TestArchitectureListsEveryPackage(t *testing.T) {
	listed := architectureBlock(t)
	dirs := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if dir := filepath.ToSlash(filepath.Dir(p)); strings.HasSuffix(name, ".go") && dir != "." {
			dirs[dir] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range dirs {
		// A directory counts as listed when it or a parent module is,
		// for a separate module's own packages (bench/sqlitedrivers/...).
		ok := false
		for p := dir; p != "." && !ok; p = filepath.ToSlash(filepath.Dir(p)) {
			ok = listed[p] && (p == dir || isModule(p))
		}
		if !ok {
			t.Errorf("README.md Architecture: %s/ holds Go files but has no line", dir)
		}
	}
	for p := range listed {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("README.md Architecture lists %s, which does not exist", p)
		}
	}
	if len(dirs) < 10 {
		t.Fatalf("only %d package directories found: the walk is wrong", len(dirs))
	}
}

func isModule(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// architectureBlock returns the first fields of the lines of the code
// block under "## Architecture", without a trailing slash.
func architectureBlock(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	section, inBlock := false, false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			if inBlock {
				t.Fatal("README.md: the Architecture code block is not closed")
			}
			section = line == "## Architecture"
		case section && strings.HasPrefix(line, "```"):
			if inBlock {
				return listed
			}
			inBlock = true
		case inBlock:
			if f := strings.Fields(line); len(f) > 0 {
				listed[strings.TrimSuffix(f[0], "/")] = true
			}
		}
	}
	t.Fatal("README.md has no code block under ## Architecture")
	return nil
}
