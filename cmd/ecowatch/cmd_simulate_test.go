package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestSimulateAgainstGateway(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLite)
	// The devices simulate generates for --devices 3 --mn-prefix T.
	devs := simulator.Generate(3, simulator.GenerateOptions{MNPrefix: "T", Password: "123456"})
	var mdevs []model.Device
	for _, d := range devs {
		mdevs = append(mdevs, d.Device)
	}
	cfg := gateway.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.BackfillWindow = -1
	gw := gateway.New(cfg, st, gateway.NewDeviceTable(mdevs), nil)
	if err := gw.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer gw.Shutdown(ctx)

	var out, errb bytes.Buffer
	code := run(ctx, []string{"simulate", "--addr", gw.Addr().String(), "--devices", "3", "--mn-prefix", "T",
		"--flat-out", "--frames", "5", "--min-interval", "1m", "--stats-every", "0", "--json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var final struct {
		Final bool            `json:"final"`
		Stats simulator.Stats `json:"stats"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &final); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if !final.Final || final.Stats.Acked != 15 || final.Stats.Failed != 0 {
		t.Errorf("final stats: %+v", final)
	}
	for _, d := range devs {
		times, err := st.UploadTimes(ctx, d.MN, "2051", time.Time{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(times) != 5 {
			t.Errorf("%s: %d minute uploads stored, want 5", d.MN, len(times))
		}
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"simulate"}, // no device source
		{"simulate", "--devices", "2", "--demo-seed", "1"},
		{"simulate", "--devices", "2", "--quirks", "bogus"},
		{"simulate", "--devices", "2", "--protocol", "2019"},
		{"simulate", "--devices", "2", "--exceed", "2"},
		{"simulate", "--devices", "2", "--uploads", "weekly"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, nil, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"simulate", "--help"}, nil, &out, &errb); code != 0 || !strings.Contains(errb.String(), "--quirks") {
		t.Errorf("--help: exit %d: %s", code, errb.String())
	}
}
