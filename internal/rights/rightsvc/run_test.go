package rightsvc

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsreport"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestParseHead(t *testing.T) {
	hexHead := strings.Repeat("ab", len(rights.Digest{}))
	for _, c := range []struct {
		in      string
		wantNil bool
		wantErr bool
	}{
		{"", true, false},
		{hexHead, false, false},
		{hexHead[:10], true, true},       // too short
		{"zz" + hexHead[2:], true, true}, // not hex
		{hexHead + "00", true, true},     // too long
	} {
		d, err := ParseHead(c.in)
		if (err != nil) != c.wantErr || (d == nil) != c.wantNil {
			t.Errorf("ParseHead(%q) = %v, %v; want nil %v, error %v", c.in, d, err, c.wantNil, c.wantErr)
		}
		if d != nil && d[0] != 0xab {
			t.Errorf("ParseHead(%q) = %x", c.in, d)
		}
	}
}

func TestVerifiedWriteTo(t *testing.T) {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("", 8*3600))
	for _, c := range []struct {
		name      string
		v         Verified
		headGiven bool
		out, errs string
	}{
		{"no checkpoint", Verified{Entries: 3}, false, "x: verified 3 entries", "warning: no checkpoint found"},
		{"head given", Verified{Entries: 3}, true, "x: verified 3 entries", ""},
		{"checkpoint", Verified{Entries: 3, Checkpoints: []Checkpoint{{Seq: 2, At: at}}}, false,
			"checkpoint of 2025-03-01T09:00:00+08:00 holds: entry 2", ""},
	} {
		var out, errs bytes.Buffer
		c.v.WriteTo(&out, &errs, "x", c.headGiven)
		if !strings.Contains(out.String(), c.out) || (c.errs == "") != (errs.Len() == 0) || !strings.Contains(errs.String(), c.errs) {
			t.Errorf("%s: out %q, errs %q", c.name, out.String(), errs.String())
		}
	}
}

const runScript = `# a configuration, a permit, an overdraft
{"cmd":"configure","key":"cfg","pollutants":[{"code":"NOx","name":"氮氧化物","medium":"air"}],"prices":[{"pollutant":"NOx","fen_per_tonne_year":600000}]}
{"cmd":"allocate_permit","key":"p1","permit":"PW-1","enterprise":"91371500MA3C000001","county":"371502","pollutant":"NOx","quantity":2000000,"valid_from":"2025-01-01T00:00:00+08:00","paid":true}
{"cmd":"no_such_command","key":"x"}
`

func TestApplyFileAndReport(t *testing.T) { storetest.Run(t, testApplyFileAndReport) }

// testApplyFileAndReport applies a script with a refusal (the run fails
// after every line, counting both), then builds a report from the
// verified ledger, and refuses one once an entry is forged.
func testApplyFileAndReport(t *testing.T, st store.Store) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC) }
	var out, errs bytes.Buffer
	err := ApplyFile(ctx, st, now, strings.NewReader(runScript), &out, &errs, "cli", 4)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 commands refused") || errs.String() != "2 applied, 1 refused\n" {
		t.Fatalf("ApplyFile: %v, stderr %q", err, errs.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Errorf("ApplyFile printed %d lines, want 3:\n%s", n, out.String())
	}
	rep, err := Report(ctx, st, rightsreport.Query{Kind: "reservoir", Year: 2025})
	if err != nil || rep == nil {
		t.Fatalf("Report: %v", err)
	}
	es, err := LoadEntries(ctx, st)
	if err != nil || len(es) == 0 {
		t.Fatalf("LoadEntries: %d, %v", len(es), err)
	}
	forged := es[len(es)-1]
	forged.Seq++
	forged.Key = "forged"
	forged.Prev = forged.Hash // the chain goes on, but the hash is not of this entry
	if err := st.AppendRights(ctx, []rights.Entry{forged}, nil); err != nil {
		t.Fatalf("AppendRights of a forged entry: %v", err)
	}
	if _, err := Report(ctx, st, rightsreport.Query{Kind: "reservoir", Year: 2025}); err == nil || !strings.Contains(err.Error(), "fails verification") {
		t.Errorf("Report over a forged entry: %v, want a verification failure", err)
	}
}
