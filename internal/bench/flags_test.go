package bench

import (
	"flag"
	"io"
	"testing"
	"time"
)

// TestRegisterDefaults: each benchmark's flags register on a flag set of
// their own (a name defined twice would panic) and an empty command line
// gives the documented defaults.
func TestRegisterDefaults(t *testing.T) {
	parse := func(r interface{ Register(*flag.FlagSet) }, args ...string) {
		t.Helper()
		fs := flag.NewFlagSet("bench", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		r.Register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
	}
	var in IngestConfig
	parse(&in)
	var st StoreConfig
	parse(&st, "--batch", "10")
	var cs ConnsConfig
	parse(&cs)
	var cc ConnsClientConfig
	parse(&cc)
	var dc DecodeConfig
	parse(&dc)
	var bc BusConfig
	parse(&bc)
	var ic IngestClientConfig
	parse(&ic)
	var sc StorageConfig
	parse(&sc)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"ingest devices", in.Devices, 10000},
		{"ingest duration", in.Duration, 60 * time.Second},
		{"ingest db", in.DB, "sqlite"},
		{"store batch", st.Batch, 10},
		{"conns n", cs.N, 100000},
		{"conns-client per-listener", cc.PerListener, 10000},
		{"decode duration", dc.Duration, 3 * time.Second},
		{"bus nats", bc.NATS, "embedded"},
		{"bus writers", bc.Writers, 1},
		{"ingest-client overtime", ic.OverTime, 10 * time.Second},
		{"storage rounds", sc.Rounds, 21},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
