package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain lets this test binary stand in for `ecowatch bench
// ingest-client`: --sim-process starts os.Executable() with those
// arguments, which under `go test` is this binary, so the child path is
// tested as it runs in the command.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "bench" && os.Args[2] == "ingest-client" {
		var cfg IngestClientConfig
		fs := flag.NewFlagSet("ingest-client", flag.ExitOnError)
		cfg.Register(fs)
		if err := fs.Parse(os.Args[3:]); err != nil {
			os.Exit(2)
		}
		if err := IngestClient(context.Background(), cfg, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
