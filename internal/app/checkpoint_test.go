package app

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// Serve anchors the ledger's head when it starts (and daily after): a
// line in <data-dir>/rights-checkpoints and an audit record; a second
// start within the day adds none.
func TestServeCheckpointsTheLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := storetest.SQLiteDSN(dir)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := rightsvc.Open(ctx, st, rightsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Apply(ctx, rights.Configure{Meta: rights.Meta{Key: "cfg"}, Pollutants: []rights.Pollutant{{Code: "NOx", Name: "氮氧化物", Medium: "air"}}})
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	st.Close()
	seq, head := res.Last, rights.Digest{}
	for range 2 {
		a, err := Start(ctx, Config{DSN: dsn, DataDir: dir, HTTPAddr: "127.0.0.1:0", Gateway: gateway.Config{Addr: "127.0.0.1:0"}})
		if err != nil {
			t.Fatal(err)
		}
		_, head = a.Rights.Head()
		if err := a.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cps, err := rightsvc.ReadCheckpoints(filepath.Join(dir, "rights-checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 1 || cps[0].Seq != seq || cps[0].Head != head {
		t.Fatalf("checkpoints %+v, want one of entry %d, %s", cps, seq, head)
	}
	st, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, ok, err := rightsvc.AuditCheckpoint(ctx, st)
	if err != nil || !ok || c != cps[0] {
		t.Errorf("audit checkpoint %+v %v %v, want %+v", c, ok, err, cps[0])
	}
}
